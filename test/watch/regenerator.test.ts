import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunbyteConfig, ServerConfig } from '../../src/config/index.js';
import { Hub } from '../../src/hub/index.js';
import { countRegenerations, formatChange, Regenerator, type Regeneration } from '../../src/watch/index.js';
import { fixtureServer, referenceServer } from '../helpers/servers.js';
import { eventually } from '../helpers/eventually.js';

const tmp = mkdtempSync(join(tmpdir(), 'runbyte-regen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dir: string;
let counter = 0;
beforeEach(() => {
  dir = join(tmp, String(++counter));
  // hub/ logs restarts and exits on stderr; they are expected here.
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  vi.restoreAllMocks();
});

function configOf(servers: ServerConfig[]): RunbyteConfig {
  return {
    path: join(dir, 'runbyte.json'),
    dir,
    servers: [...servers].sort((a, b) => (a.name < b.name ? -1 : 1)),
    outDir: join(dir, 'generated'),
    workspaceDir: join(dir, 'workspace'),
    server: { port: 0, timeout: 10, connectTimeout: 10, sessionIdleSeconds: 1800, maxSessions: 100 },
    sandbox: { memoryMb: 64, maxOutputChars: 40_000, workspaceQuotaMb: 10, workspaceMaxEntries: 10_000, compilerMemoryMb: 1024 },
  };
}

async function start(servers: ServerConfig[], options: ConstructorParameters<typeof Regenerator>[2] = {}) {
  const config = configOf(servers);
  const hub = new Hub(config.servers, { connectTimeoutMs: 10_000 });
  const seen: Regeneration[] = [];
  const regenerator = new Regenerator(hub, config, {
    ...options,
    onRegenerated: (regeneration) => {
      seen.push(regeneration);
      options.onRegenerated?.(regeneration);
    },
  });
  closers.push(async () => {
    await regenerator.close();
    await hub.close();
  });
  expect(await hub.start()).toEqual([]);
  await regenerator.regenerate();
  seen.length = 0;
  return { config, hub, regenerator, seen, out: config.outDir };
}

describe('Regenerator', () => {
  it("add_tool rewrites only that server's files, the lock and the indexes; remove_tool prunes the file", async () => {
    const { hub, regenerator, seen, out } = await start([fixtureServer('faults', 'faults.js'), fixtureServer('other', 'faults.js')]);
    const otherIndex = join(out, 'servers/other/index.ts');
    const otherBefore = readFileSync(otherIndex, 'utf8');

    const started = Date.now();
    await hub.callTool('faults', 'add_tool', { name: 'new_tool' });
    await eventually(() => existsSync(join(out, 'servers/faults/newTool.ts')));
    const visibleMs = Date.now() - started;
    expect(visibleMs).toBeLessThan(2000);
    await regenerator.settled();

    expect(seen).toHaveLength(1);
    const [regeneration] = seen;
    expect(regeneration!.reason).toBe('list_changed');
    expect(regeneration!.changes).toEqual([{ server: 'faults', kind: 'updated', tools: 13, addedTools: ['new_tool'], removedTools: [], changedTools: [] }]);
    expect(formatChange(regeneration!.changes[0]!)).toBe('↻ faults: 13 tools (+1: new_tool)');
    expect(regeneration!.paths.map((path) => path.slice(out.length + 1)).sort()).toEqual([
      'runbyte.lock.json',
      'servers/faults/index.ts',
      'servers/faults/newTool.ts',
    ]);
    expect(regeneration!.report.servers.map((server) => [server.name, server.status])).toEqual([
      ['faults', 'generated'],
      ['other', 'kept'],
    ]);
    expect(readFileSync(join(out, 'servers/faults/index.ts'), 'utf8')).toContain("from './newTool.js'");
    expect(readFileSync(otherIndex, 'utf8')).toBe(otherBefore);
    expect(JSON.parse(readFileSync(join(out, 'runbyte.lock.json'), 'utf8')).servers.faults.tools).toHaveProperty('new_tool');

    await hub.callTool('faults', 'remove_tool', { name: 'new_tool' });
    await eventually(() => seen.length === 2);
    expect(existsSync(join(out, 'servers/faults/newTool.ts'))).toBe(false);
    expect(seen[1]!.changes[0]).toMatchObject({ kind: 'updated', tools: 12, removedTools: ['new_tool'] });
    expect(formatChange(seen[1]!.changes[0]!)).toBe('↻ faults: 12 tools (-1: new_tool)');
  });

  it('50 notifications in a burst cost one regeneration (countRegenerations, as the bench uses it)', async () => {
    dir = join(tmp, 'burst');
    const config = configOf([fixtureServer('faults', 'faults.js')]);
    const measured = await countRegenerations(config, (hub) => hub.callTool('faults', 'notify_burst', { count: 50 }), { quietMs: 500 });
    expect(measured.notifications).toBe(50);
    expect(measured.regenerations).toBeGreaterThanOrEqual(1);
    expect(measured.regenerations).toBeLessThanOrEqual(3);
    expect(measured.settledMs).toBeLessThan(2000);
  });

  it('50 notifications spread over one second cost at most three regenerations', async () => {
    const { regenerator } = await start([fixtureServer('faults', 'faults.js')]);
    const before = regenerator.regenerations;
    for (let i = 0; i < 50; i++) {
      regenerator.notify('faults');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await regenerator.settled(3000)).toBe(true);
    const count = regenerator.regenerations - before;
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(3);
  });

  it('never runs two regenerations at once; notifications during one are folded into the next', async () => {
    const { hub, regenerator } = await start([fixtureServer('a', 'faults.js'), fixtureServer('b', 'faults.js')], {
      debounceMs: 10,
      maxDelayMs: 10,
    });
    let running = 0;
    let most = 0;
    const listed: string[][] = [];
    const listAll = hub.listAll.bind(hub);
    hub.listAll = async (only?: string[]) => {
      running++;
      most = Math.max(most, running);
      listed.push(only ?? []);
      await new Promise((resolve) => setTimeout(resolve, 150));
      try {
        return await listAll(only);
      } finally {
        running--;
      }
    };
    const before = regenerator.regenerations;
    regenerator.notify('a');
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first regeneration is under way
    for (let i = 0; i < 10; i++) regenerator.notify(i % 2 ? 'a' : 'b');
    const forced = regenerator.regenerate(['b'], [], 'list_changed');
    await new Promise((resolve) => setTimeout(resolve, 30));
    regenerator.notify('b');
    await forced;
    expect(await regenerator.settled(5000)).toBe(true);
    expect(most).toBe(1);
    expect(regenerator.regenerations - before).toBeLessThanOrEqual(3);
    expect(listed[0]).toEqual(['a']);
    expect(listed.slice(1).flat().sort()).toEqual(expect.arrayContaining(['a', 'b']));
  });

  it('settled() waits for a regeneration that is due, and gives up after maxWaitMs', async () => {
    const { regenerator } = await start([fixtureServer('faults', 'faults.js')], { debounceMs: 200, maxDelayMs: 200 });
    expect(await regenerator.settled(0)).toBe(true);
    const before = regenerator.regenerations;
    regenerator.notify('faults');
    expect(await regenerator.settled(50)).toBe(false);
    expect(await regenerator.settled(3000)).toBe(true);
    expect(regenerator.regenerations).toBe(before + 1);
  });

  it('a restarted server is listed again (hub reports the restart as a change)', async () => {
    const { hub, regenerator, seen } = await start([fixtureServer('faults', 'faults.js')]);
    await hub.callTool('faults', 'crash', {}).catch(() => {});
    await hub.callTool('faults', 'pid', {});
    await eventually(() => seen.length === 1);
    expect(seen[0]!.changes).toEqual([{ server: 'faults', kind: 'updated', tools: 12, addedTools: [], removedTools: [], changedTools: [] }]);
    expect(formatChange(seen[0]!.changes[0]!, { quiet: true })).toBeUndefined();
    expect(await regenerator.settled()).toBe(true);
  });

  it("a restart caused by the regeneration's own listing does not trigger another one", async () => {
    const { hub, regenerator } = await start([fixtureServer('faults', 'faults.js')], { debounceMs: 10, maxDelayMs: 10 });
    const listAll = hub.listAll.bind(hub);
    hub.listAll = async (only?: string[]) => {
      // What hub/ does when the listing finds the server dead and starts it again.
      for (const name of only ?? []) regenerator.notify(name, 'restarted');
      return listAll(only);
    };
    const before = regenerator.regenerations;
    regenerator.notify('faults', 'list_changed');
    expect(await regenerator.settled(3000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await regenerator.settled(3000)).toBe(true);
    expect(regenerator.regenerations - before).toBe(1);
    // A restart at any other time (the next tool call found it dead) is a reason to list it.
    regenerator.notify('faults', 'restarted');
    expect(await regenerator.settled(3000)).toBe(true);
    expect(regenerator.regenerations - before).toBe(2);
  });

  it('reconfigure connects an added server, prunes a removed one, reconnects an edited one', async () => {
    const memory = referenceServer.memory('memory', join(tmp, 'memory.jsonl'));
    const { hub, regenerator, config, out } = await start([fixtureServer('faults', 'faults.js'), fixtureServer('gone', 'faults.js')]);
    expect(existsSync(join(out, 'servers/gone/index.ts'))).toBe(true);

    const next = configOf([fixtureServer('faults', 'faults.js', ['--stderr', 'edited']), memory]);
    const regeneration = await regenerator.reconfigure(next);
    expect(regeneration?.reason).toBe('config');
    expect(regeneration?.changes.map((change) => formatChange(change))).toEqual([
      '↻ faults: 12 tools (no change)',
      '- server gone',
      '+ server memory (9 tools)',
    ]);
    expect(hub.connected()).toEqual(['faults', 'memory']);
    expect(existsSync(join(out, 'servers/gone'))).toBe(false);
    expect(existsSync(join(out, 'servers/memory/readGraph.ts'))).toBe(true);
    expect(readFileSync(join(out, 'servers/index.ts'), 'utf8')).not.toContain('gone');
    expect(regenerator.currentConfig).toBe(next);

    // Only the sandbox changed: nothing to connect or regenerate.
    expect(await regenerator.reconfigure({ ...next, sandbox: { ...config.sandbox, memoryMb: 128 } })).toBeUndefined();

    // Removing the last but one server: nothing is listed, the root files and the prune still happen.
    const removal = await regenerator.reconfigure(configOf([memory]));
    expect(removal?.changes.map((change) => formatChange(change))).toEqual(['- server faults']);
    expect(removal?.report.servers).toEqual([{ name: 'memory', status: 'kept', tools: 9 }]);
    expect(existsSync(join(out, 'servers/faults'))).toBe(false);
    expect(hub.connected()).toEqual(['memory']);
  });

  it('a server that fails to start after a config edit is reported; its files stay', async () => {
    const { regenerator, out } = await start([fixtureServer('faults', 'faults.js')]);
    const broken: ServerConfig = { ...fixtureServer('faults', 'faults.js'), command: join(dir, 'no-such-command') };
    const regeneration = await regenerator.reconfigure(configOf([broken]));
    expect(regeneration?.changes).toHaveLength(1);
    expect(regeneration?.changes[0]).toMatchObject({ server: 'faults', kind: 'failed', tools: 12 });
    expect(formatChange(regeneration!.changes[0]!)).toMatch(/^✗ server "faults": cannot start/);
    expect(existsSync(join(out, 'servers/faults/sleep.ts'))).toBe(true);
  });
});
