import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { childProcesses, fixtureServer, isAlive, referenceServer, waitForExit } from '../helpers/servers.js';
import { eventually } from '../helpers/eventually.js';

const tmp = mkdtempSync(join(tmpdir(), 'runbyte-hub-life-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hubs: Hub[] = [];
function hub(...args: ConstructorParameters<typeof Hub>): Hub {
  const created = new Hub(...args);
  hubs.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  vi.restoreAllMocks();
});

async function pidOf(h: Hub, server: string): Promise<number> {
  return Number((await h.callTool(server, 'pid', {})).content?.[0].text);
}

describe('onToolsChanged', () => {
  it('fires with the server name after add_tool; listTools then has the new tool; remove_tool takes it away', async () => {
    const h = hub([fixtureServer('faults', 'faults.js'), fixtureServer('other', 'faults.js')], { connectTimeoutMs: 10_000 });
    expect(await h.start()).toEqual([]);
    const seen: string[] = [];
    const unsubscribe = h.onToolsChanged((server) => seen.push(server));

    expect((await h.listTools('faults')).map((tool) => tool.name)).not.toContain('brand_new');
    await h.callTool('faults', 'add_tool', { name: 'brand_new' });
    await eventually(() => seen.length === 1);
    expect(seen).toEqual(['faults']);
    expect((await h.listTools('faults')).map((tool) => tool.name)).toContain('brand_new');
    expect((await h.callTool('faults', 'brand_new', {})).content).toEqual([{ type: 'text', text: 'dynamic brand_new' }]);
    expect((await h.listTools('other')).map((tool) => tool.name)).not.toContain('brand_new');

    await h.callTool('faults', 'remove_tool', { name: 'brand_new' });
    await eventually(() => seen.length === 2);
    expect((await h.listTools('faults')).map((tool) => tool.name)).not.toContain('brand_new');

    unsubscribe();
    await h.callTool('faults', 'add_tool', { name: 'unheard' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual(['faults', 'faults']);
  });

  it("every notification of a burst reaches the listener (coalescing is the caller's job); a throwing listener is logged, not fatal", async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const h = hub([fixtureServer('faults', 'faults.js')], { connectTimeoutMs: 10_000 });
    await h.start();
    let count = 0;
    h.onToolsChanged(() => {
      throw new Error('listener bug');
    });
    h.onToolsChanged(() => count++);
    await h.callTool('faults', 'notify_burst', { count: 5 });
    await eventually(() => count === 5);
    expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toContain('listener failed for server "faults": listener bug');
  });

  it('server-everything announces list_changed right after initialize (docs/decisions.md, trap 10)', async () => {
    const h = hub([referenceServer.everything('everything')], { connectTimeoutMs: 20_000 });
    const seen: string[] = [];
    h.onToolsChanged((server) => seen.push(server));
    expect(await h.start()).toEqual([]);
    await eventually(() => seen.length > 0, 5000);
    expect(seen[0]).toBe('everything');
  });
});

describe('close', () => {
  it('leaves no child running, is idempotent, and later calls reject clearly', async () => {
    const h = hub(
      [
        fixtureServer('faults', 'faults.js'),
        fixtureServer('stubborn', 'faults.js', ['--linger']),
        referenceServer.memory('memory', join(tmp, 'memory.jsonl')),
        referenceServer.everything('everything'),
      ],
      { connectTimeoutMs: 20_000 },
    );
    expect(await h.start()).toEqual([]);
    const pids = childProcesses().map((child) => child.pid);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    const stubborn = await pidOf(h, 'stubborn');
    expect(pids).toContain(stubborn);

    const started = Date.now();
    await Promise.all([h.close(), h.close()]);
    await h.close();
    // `stubborn` ignores both the end of stdin and SIGTERM: only SIGKILL (after the grace period) ends it.
    expect(Date.now() - started).toBeLessThan(4000);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(childProcesses()).toEqual([]);
    expect(h.connected()).toEqual([]);
    await expect(h.callTool('faults', 'pid', {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'cannot reach tool "pid" of server "faults": the hub is closed',
    });
  });

  it('ends a server that is still starting', async () => {
    const h = hub([fixtureServer('silent', 'silent.js')], { connectTimeoutMs: 30_000 });
    const starting = h.start();
    await eventually(() => childProcesses().some((child) => child.command.includes('silent.js')));
    const [child] = childProcesses().filter((entry) => entry.command.includes('silent.js'));
    await h.close();
    expect(await starting).toEqual([{ server: 'silent', message: 'server "silent": closed while starting' }]);
    await waitForExit(child.pid, 1000);
  });
});

describe('update', () => {
  it('connects new servers, closes removed ones, restarts changed ones, and returns only the new failures', async () => {
    const a = fixtureServer('a', 'faults.js');
    const b = fixtureServer('b', 'faults.js');
    const h = hub([a, b], { connectTimeoutMs: 10_000 });
    expect(await h.start()).toEqual([]);
    const pidA = await pidOf(h, 'a');
    const pidB = await pidOf(h, 'b');

    const failures = await h.update([
      a,
      { ...b, env: { CHANGED: '1' } },
      fixtureServer('c', 'faults.js'),
      { name: 'broken', transport: 'stdio', command: 'runbyte-no-such-command', args: [], env: {}, cwd: tmp },
    ]);
    expect(failures).toEqual([{ server: 'broken', message: 'server "broken": cannot start "runbyte-no-such-command": not found (ENOENT)' }]);
    expect(h.connected()).toEqual(['a', 'b', 'c']);
    expect(await pidOf(h, 'a')).toBe(pidA);
    expect(await pidOf(h, 'b')).not.toBe(pidB);
    await waitForExit(pidB);

    expect(await h.update([fixtureServer('c', 'faults.js')])).toEqual([]);
    expect(h.connected()).toEqual(['c']);
    await waitForExit(pidA);
    await expect(h.listTools('a')).rejects.toMatchObject({ code: 'SERVER_FAILED' });
  });
});
