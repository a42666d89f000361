import { afterEach, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { fixtureServer } from '../helpers/servers.js';

// A server that died and was restarted may list other tools, and sends no
// list_changed for that; the hub reports the restart through onToolsChanged instead.

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  vi.restoreAllMocks();
});

it('onToolsChanged fires once after a dead server is restarted, not on the first connect', async () => {
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const hub = new Hub([fixtureServer('faults', 'faults.js'), fixtureServer('other', 'faults.js')], { connectTimeoutMs: 10_000 });
  hubs.push(hub);
  const seen: string[] = [];
  hub.onToolsChanged((server, reason) => seen.push(`${server} ${reason}`));
  expect(await hub.start()).toEqual([]);
  expect(seen).toEqual([]);

  const first = Number((await hub.callTool('faults', 'pid', {})).content?.[0].text);
  await expect(hub.callTool('faults', 'crash', {})).rejects.toMatchObject({ code: 'TOOL_FAILED' });
  expect(seen).toEqual([]);

  // The next call restarts it: the listener hears of it before the call's answer arrives.
  const second = Number((await hub.callTool('faults', 'pid', {})).content?.[0].text);
  expect(second).not.toBe(first);
  expect(seen).toEqual(['faults restarted']);

  // A real notification says so.
  await hub.callTool('faults', 'notify_burst', { count: 1 });
  expect(seen).toEqual(['faults restarted', 'faults list_changed']);

  // A server replaced by update() is a new connection, not a restart.
  await hub.update([fixtureServer('faults', 'faults.js', ['--stderr', 'edited']), fixtureServer('other', 'faults.js')]);
  await hub.callTool('faults', 'pid', {});
  expect(seen).toEqual(['faults restarted', 'faults list_changed']);
});
