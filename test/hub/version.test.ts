import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { childProcesses, fixtureServer } from '../helpers/servers.js';

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

const SUPPORTED = 'supported: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05, 2024-10-07';

describe('a server that speaks another MCP protocol version', () => {
  it('is reported by the version it answered, with the ones runbyte speaks; the others connect and its child is ended', async () => {
    const hub = new Hub([fixtureServer('odd', 'odd-version.js'), fixtureServer('faults', 'faults.js')], { connectTimeoutMs: 10_000 });
    hubs.push(hub);
    expect(await hub.start()).toEqual([
      { server: 'odd', message: `server "odd": speaks MCP protocol version 1999-01-01, which runbyte does not support (${SUPPORTED})` },
    ]);
    expect(hub.connected()).toEqual(['faults']);
    expect(childProcesses().filter((child) => child.command.includes('odd-version.js'))).toEqual([]);
    await expect(hub.callTool('odd', 'x', {})).rejects.toThrow(
      `server "odd": tool "x" is unavailable: speaks MCP protocol version 1999-01-01, which runbyte does not support (${SUPPORTED})`,
    );
  });

  it('a version that is not a plain word is quoted, never printed raw', async () => {
    const hub = new Hub([fixtureServer('odd', 'odd-version.js', ['2099-01-01\u001b[31m red'])], { connectTimeoutMs: 10_000 });
    hubs.push(hub);
    const [failure] = await hub.start();
    expect(failure.message).toBe(`server "odd": speaks MCP protocol version "2099-01-01\\u001b[31m red", which runbyte does not support (${SUPPORTED})`);
  });
});
