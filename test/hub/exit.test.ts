import { afterAll, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { fixtureServer, isAlive, waitForExit } from '../helpers/servers.js';

// Its own file (vitest runs each file in its own process): it fires the process 'exit' handler,
// which forgets every child it knew.
const hub = new Hub([fixtureServer('stubborn', 'faults.js', ['--linger'])], { connectTimeoutMs: 10_000 });
afterAll(() => hub.close());

it("the process 'exit' handler kills remaining children synchronously", async () => {
  expect(await hub.start()).toEqual([]);
  const pid = Number((await hub.callTool('stubborn', 'pid', {})).content?.[0].text);
  expect(isAlive(pid)).toBe(true);
  const handler = process.listeners('exit').find((listener) => listener.name === 'killRemaining');
  expect(handler).toBeDefined();
  // Call it as Node would at exit: synchronously, with nothing awaited after it.
  (handler as (code: number) => void)(0);
  await waitForExit(pid, 2000);
});
