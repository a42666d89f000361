import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/cli.js';
import { serveStdio, texts, type Served } from '../helpers/serve.js';
import { FIXTURE_SERVERS } from '../helpers/servers.js';

// README.md, "Live tools": the built `runbyte serve` over stdio, with faults.js downstream. Needs
// `npm run build`.

let dir: string;
let served: Served;
let client: Client;
const measured: Record<string, number> = {};

beforeAll(async () => {
  dir = tempProject(
    {
      mcpServers: {
        faults: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'faults.js')] },
        other: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'faults.js')] },
      },
      server: { timeout: 10 },
    },
    'live',
  );
  served = await serveStdio(dir);
  client = served.client;
});

afterAll(async () => {
  await served?.close();
  // Measurements for the report (vitest prints stdout of the run).
  console.log(`live tools, measured: ${JSON.stringify(measured)}`);
  rmSync(dir, { recursive: true, force: true });
});

async function execute(code: string): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name: 'execute_code', arguments: { code } });
  return { isError: result.isError === true, text: texts(result)[0] ?? '' };
}

async function listing(path: string): Promise<string> {
  return texts(await client.callTool({ name: 'list_directory', arguments: { path } }))[0] ?? '';
}

/** Polls until `check` holds; resolves with the milliseconds it took. */
async function within(ms: number, check: () => Promise<boolean> | boolean): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return Math.round(performance.now() - started);
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('serve keeps the SDK current', () => {
  const toolFile = () => join(dir, 'generated/servers/faults/newTool.ts');

  it('add_tool: the file is on disk and in list_directory within two seconds, and the next execute_code calls it', async () => {
    expect(await listing('/servers/faults')).not.toContain('newTool.ts');
    const added = await execute(`import { addTool } from './servers/faults';\nreturn await addTool({ name: 'new_tool' });`);
    expect(added).toEqual({ isError: false, text: '"added new_tool"' });

    measured.addVisibleMs = await within(2000, async () => existsSync(toolFile()) && (await listing('/servers/faults')).includes('newTool.ts'));
    expect(await listing('/servers')).toMatch(/^faults\/ \(13 functions\)$/m);
    expect(await listing('/servers')).toMatch(/^other\/ \(12 functions\)$/m);
    const file = texts(await client.callTool({ name: 'read_file', arguments: { path: '/servers/faults/newTool.ts' } }))[0]!;
    expect(file).toContain('export function newTool(');

    const called = await execute(`import { newTool } from './servers/faults';\nreturn await newTool({});`);
    expect(called).toEqual({ isError: false, text: '"dynamic new_tool"' });
  });

  it('remove_tool: it disappears from disk and listings, and calling it is a type error', async () => {
    const removed = await execute(`import { removeTool } from './servers/faults';\nreturn await removeTool({ name: 'new_tool' });`);
    expect(removed).toEqual({ isError: false, text: '"removed new_tool"' });
    measured.removeVisibleMs = await within(2000, async () => !existsSync(toolFile()) && !(await listing('/servers/faults')).includes('newTool.ts'));
    const called = await execute(`import { newTool } from './servers/faults';\nreturn await newTool({});`);
    expect(called.isError).toBe(true);
    expect(called.text.split('\n')[0]).toBe('Type check failed');
    expect(called.text).toMatch(/code\.ts\(1,10\): error TS2305: .*has no exported member 'newTool'/);
  });

  it('an execute_code sent right after the tool appeared waits for the regeneration instead of failing', async () => {
    const code = `import { addTool } from './servers/faults';\nreturn await addTool({ name: 'quick_one' });`;
    expect((await execute(code)).isError).toBe(false);
    // No polling: the notification arrived before add_tool answered, so serve knows a regeneration is due.
    const started = performance.now();
    const called = await execute(`import { quickOne } from './servers/faults';\nreturn await quickOne({});`);
    measured.executeWaitedMs = Math.round(performance.now() - started);
    expect(called).toEqual({ isError: false, text: '"dynamic quick_one"' });
  });

  it("a hand edit of a generated file is seen by the next execute_code's type check", async () => {
    const sleepFile = join(dir, 'generated/servers/faults/sleep.ts');
    const original = readFileSync(sleepFile, 'utf8');
    const code = `import { sleep } from './servers/faults';\nreturn await sleep({ ms: 1 });`;
    expect(await execute(code)).toEqual({ isError: false, text: '"slept 1"' });

    writeFileSync(sleepFile, original.replace('ms: number;', 'ms: string;'));
    let last = { isError: false, text: '' };
    measured.handEditVisibleMs = await within(2000, async () => {
      last = await execute(code);
      return last.isError;
    });
    expect(last.text).toMatch(/^Type check failed\ncode\.ts\(2,22\): error TS2322: Type 'number' is not assignable to type 'string'\./);

    writeFileSync(sleepFile, original);
    measured.handRevertVisibleMs = await within(2000, async () => !(await execute(code)).isError);
  });

  it('a crashed server is restarted on the next call and its tools are listed again', async () => {
    const crashed = await execute(`import { crash } from './servers/other';\nawait crash({});`);
    expect(crashed.isError).toBe(true);
    expect(crashed.text).toMatch(/server "other" exited during tool "crash"/);
    const pid = await execute(`import { pid } from './servers/other';\nreturn await pid({});`);
    expect(pid.isError).toBe(false);
    expect(await listing('/servers')).toMatch(/^other\/ \(12 functions\)$/m);
  });
});

describe('serve --frozen', () => {
  it('never rewrites the SDK on list_changed', async () => {
    const frozenDir = tempProject({ mcpServers: { faults: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'faults.js')] } } }, 'frozen');
    const first = await serveStdio(frozenDir); // not frozen: writes the SDK once
    await first.close();
    const frozen = await serveStdio(frozenDir, ['--frozen']);
    try {
      const result = await frozen.client.callTool({
        name: 'execute_code',
        arguments: { code: `import { addTool } from './servers/faults';\nreturn await addTool({ name: 'frozen_tool' });` },
      });
      expect(texts(result)[0]).toBe('"added frozen_tool"');
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(existsSync(join(frozenDir, 'generated/servers/faults/frozenTool.ts'))).toBe(false);
    } finally {
      await frozen.close();
      rmSync(frozenDir, { recursive: true, force: true });
    }
  });
});
