import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { type Hub, hubOptions } from '../../src/hub/index.js';
import { hubsPerTest } from '../helpers/hubs.js';
import { FIXTURE_SERVERS, fixtureServer, REPO } from '../helpers/servers.js';

const started = hubsPerTest();

const textOf = (result: { content?: { text?: string }[] }) => result.content?.[0]?.text;

/** runbyte.json text with two chatty.js servers, one of them with its own timeout. */
function config(server: Record<string, unknown>, slowTimeout?: number): string {
  const chatty = { command: process.execPath, args: [`${FIXTURE_SERVERS}/chatty.js`] };
  return JSON.stringify({
    mcpServers: { slow: { ...chatty, ...(slowTimeout === undefined ? {} : { timeout: slowTimeout }) }, plain: chatty },
    server,
  });
}

async function cancelledCalls(hub: Hub, server: string): Promise<{ tool: string; reason: string }[]> {
  return JSON.parse(textOf(await hub.callTool(server, 'cancelled', {}))!);
}

describe('per-server call timeout (mcpServers.<name>.timeout)', () => {
  it('limits calls to that server, names the limit that fired, and cancels the call downstream', async () => {
    const parsed = parseConfig(config({ timeout: 30 }, 0.3), `${REPO}/runbyte.json`, {});
    const hub = await started(parsed.servers, hubOptions(parsed));
    const began = Date.now();
    await expect(hub.callTool('slow', 'hang', {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'server "slow": tool "hang" timed out after 0.3 s (mcpServers.slow.timeout)',
    });
    const elapsed = Date.now() - began;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
    expect(await cancelledCalls(hub, 'slow')).toEqual([expect.objectContaining({ tool: 'hang', reason: expect.stringContaining('timed out') })]);
    // The server keeps serving, and the other server still has the global limit.
    expect(textOf(await hub.callTool('slow', 'level', {}))).toBe('"debug"');
    const plain = hub.callTool('plain', 'progress', { steps: 1, delayMs: 600 });
    await expect(plain).resolves.toMatchObject({ content: [{ type: 'text' }] });
  });

  it('replaces the global limit for that server, also when it is longer; the global one is named as server.timeout', async () => {
    const parsed = parseConfig(config({ timeout: 0.3 }, 5), `${REPO}/runbyte.json`, {});
    const hub = await started(parsed.servers, hubOptions(parsed));
    // 0.6 s is past server.timeout (0.3 s) but inside slow's own 5 s.
    expect(JSON.parse(textOf(await hub.callTool('slow', 'progress', { steps: 1, delayMs: 600 }))!)).toEqual({ progressToken: null });
    await expect(hub.callTool('plain', 'hang', {})).rejects.toThrow('server "plain": tool "hang" timed out after 0.3 s (server.timeout)');
    expect(await cancelledCalls(hub, 'plain')).toEqual([expect.objectContaining({ tool: 'hang' })]);
  });

  it('CallOptions.timeoutMs still wins for one call', async () => {
    const hub = await started([{ ...fixtureServer('slow', 'chatty.js'), timeout: 30 }], { connectTimeoutMs: 10_000, callTimeoutMs: 30_000 });
    await expect(hub.callTool('slow', 'hang', {}, { timeoutMs: 200 })).rejects.toThrow(/^server "slow": tool "hang" timed out after 0\.2 s$/);
  });
});
