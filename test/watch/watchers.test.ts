import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RunbyteConfig } from '../../src/config/index.js';
import type { RunbyteError } from '../../src/shared/errors.js';
import { watchConfig, watchFiles, type ConfigWatcher, type FileWatcher } from '../../src/watch/index.js';
import { eventually } from '../helpers/eventually.js';

const tmp = mkdtempSync(join(tmpdir(), 'runbyte-watchers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const open: (FileWatcher | ConfigWatcher)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((watcher) => watcher.close()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchFiles', () => {
  it('reports added, changed (in place and by rename) and removed files in batches, never temp files; creates missing folders', async () => {
    const sdk = join(tmp, 'files/generated');
    const workspace = join(tmp, 'files/workspace/not-yet');
    mkdirSync(join(sdk, 'servers/x'), { recursive: true });
    writeFileSync(join(sdk, 'servers/x/a.ts'), 'a');
    const batches: { at: number; paths: string[] }[] = [];
    const watcher = await watchFiles([sdk, workspace], { onChange: (paths) => batches.push({ at: performance.now(), paths }) });
    open.push(watcher);
    const reported = (path: string, since: number) => batches.some((batch) => batch.at >= since && batch.paths.includes(path));
    const a = join(sdk, 'servers/x/a.ts');
    const b = join(sdk, 'servers/x/b.ts');

    // A regeneration's atomic writes: temp file, rename over the target. One batch for both.
    let since = performance.now();
    writeFileSync(`${a}.1.abcd.tmp`, 'a2');
    renameSync(`${a}.1.abcd.tmp`, a);
    writeFileSync(`${b}.1.abcd.tmp`, 'b');
    renameSync(`${b}.1.abcd.tmp`, b);
    await eventually(() => reported(a, since) && reported(b, since));
    expect(batches[0]!.paths).toEqual([a, b]);
    expect(batches.flatMap((batch) => batch.paths).some((path) => path.endsWith('.tmp'))).toBe(false);

    // An edit by hand right after a rename-over: chokidar alone loses it; the recheck reports it.
    since = performance.now();
    writeFileSync(a, 'edited by hand');
    await eventually(() => reported(a, since));

    await sleep(300);
    since = performance.now();
    rmSync(b);
    await eventually(() => reported(b, since));

    since = performance.now();
    mkdirSync(join(workspace, 'skills'));
    writeFileSync(join(workspace, 'skills/s.ts'), 'export const s = 1;');
    await eventually(() => reported(join(workspace, 'skills/s.ts'), since));

    await sleep(400);
    since = performance.now();
    writeFileSync(join(sdk, 'only.tmp'), 'x');
    await sleep(300);
    expect(batches.filter((batch) => batch.at >= since)).toEqual([]);
    expect(watcher.events).toBeGreaterThanOrEqual(5);
  });
});

describe('watchConfig', () => {
  const config = (servers: Record<string, unknown>) => JSON.stringify({ mcpServers: servers });
  const stdio = { command: process.execPath, args: ['server.js'] };

  it('reads a new config after an edit, reports a bad one once and keeps quiet until it changes, follows a rename-over save', async () => {
    const dir = join(tmp, 'config');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'runbyte.json');
    writeFileSync(path, config({ a: stdio }));
    const configs: RunbyteConfig[] = [];
    const errors: RunbyteError[] = [];
    const watcher = await watchConfig(path, { onConfig: (c) => configs.push(c), onError: (e) => errors.push(e), debounceMs: 50 });
    open.push(watcher);

    writeFileSync(path, config({ a: stdio, b: stdio }));
    await eventually(() => configs.length === 1);
    expect(configs[0]!.servers.map((server) => server.name)).toEqual(['a', 'b']);

    writeFileSync(path, '{ "mcpServers": ');
    await eventually(() => errors.length === 1);
    expect(errors[0]!.message).toMatch(/runbyte\.json: invalid JSON/);
    expect(errors[0]!.message.split('\n')).toHaveLength(1);
    writeFileSync(path, '{ "mcpServers": ');
    await sleep(200);
    expect(errors).toHaveLength(1);

    writeFileSync(path, config({ 'bad name': stdio }));
    await eventually(() => errors.length === 2);
    expect(errors[1]!.code).toBe('CONFIG_INVALID');

    // An editor's save: a new file renamed over the old one.
    writeFileSync(join(dir, '.runbyte.json.swp'), config({ c: stdio }));
    renameSync(join(dir, '.runbyte.json.swp'), path);
    await eventually(() => configs.length === 2);
    expect(configs[1]!.servers.map((server) => server.name)).toEqual(['c']);

    // Other files in the folder mean nothing.
    writeFileSync(join(dir, 'other.json'), '{}');
    await sleep(200);
    expect(configs).toHaveLength(2);
    expect(errors).toHaveLength(2);
  });
});
