import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSdk } from '../../src/codegen/index.js';
import { applySdk, diffSdk } from '../../src/emit/files.js';
import { LockFile } from '../../src/emit/lock.js';
import { ToolCatalog } from '../../src/search/index.js';
import type { ServerTools } from '../../src/shared/tool-spec.js';

const tool = (name: string, description: string) => ({
  name,
  description,
  inputSchema: { type: 'object' as const, properties: { query: { type: 'string' } } },
});

async function write(dir: string, servers: ServerTools[]): Promise<void> {
  const files = generateSdk(servers, 'test');
  await applySdk(dir, files, await diffSdk(dir, files));
}

describe('ToolCatalog', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('follows the lock: a regenerated SDK is searched as it now is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbyte-catalog-'));
    dirs.push(dir);
    const catalog = new ToolCatalog(new LockFile(dir));
    expect(await catalog.search({ query: 'weather' })).toMatch(/^no tool matches/);

    await write(dir, [{ server: 'sky', tools: [tool('get_forecast', 'Weather forecast for a city.')] }]);
    expect(await catalog.search({ query: 'weather' })).toBe("sky.get_forecast - Weather forecast for a city.\n\nimport { getForecast } from './servers/sky';");

    await write(dir, [{ server: 'sky', tools: [tool('get_forecast', 'Weather forecast for a city.'), tool('get_alerts', 'Severe weather alerts.')] }]);
    expect(await catalog.search({ query: 'weather alerts', detail: 'name' })).toBe(
      "sky.get_alerts\nsky.get_forecast\n\nimport { getAlerts } from './servers/sky';",
    );
  });

  it('reads a lock that does not parse as no tools, and one that names other paths without following them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbyte-catalog-'));
    dirs.push(dir);
    const catalog = new ToolCatalog(new LockFile(dir));
    writeFileSync(join(dir, 'runbyte.lock.json'), '{ not json');
    expect(await catalog.search({ query: 'weather' })).toMatch(/^no tool matches/);
    writeFileSync(join(dir, 'secret.ts'), '/** Weather secrets */\nexport function x() {}\n');
    writeFileSync(
      join(dir, 'runbyte.lock.json'),
      JSON.stringify({
        servers: {
          sky: { toolsHash: 'x', tools: { leak: { file: '../secret.ts', function: 'x', hash: 'h' }, other: { file: 'secret.ts', function: 'x', hash: 'h' } } },
        },
      }),
    );
    expect(await catalog.search({ query: 'weather secrets' })).toMatch(/^no tool matches/);
  });
});
