import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { fixtureServer, isAlive, waitForExit } from '../helpers/servers.js';

const tmp = mkdtempSync(join(tmpdir(), 'runbyte-hub-call-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let hub: Hub;
let stderr: string[];
beforeEach(async () => {
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  hub = new Hub([fixtureServer('faults', 'faults.js')], { connectTimeoutMs: 10_000 });
  expect(await hub.start()).toEqual([]);
});
afterEach(async () => {
  await hub.close();
  vi.restoreAllMocks();
});

async function pidOf(h: Hub, server = 'faults'): Promise<number> {
  return Number((await h.callTool(server, 'pid', {})).content?.[0].text);
}

describe('callTool: results as sent', () => {
  it('an isError result is returned raw, not thrown', async () => {
    expect(await hub.callTool('faults', 'fail', { message: 'nope' })).toEqual({
      content: [{ type: 'text', text: 'nope' }],
      isError: true,
    });
  });

  it("structuredContent that breaks the tool's own outputSchema is the hub's isError result, not the SDK's exception", async () => {
    await hub.listTools('faults'); // the SDK's Client.callTool would now throw its own McpError for the mismatch
    expect(await hub.callTool('faults', 'mismatch', {})).toEqual({
      content: [
        {
          type: 'text',
          text: 'server "faults": tool "mismatch" returned a result that does not match its outputSchema: structuredContent.value is missing',
        },
      ],
      isError: true,
    });
    expect((await hub.callTool('faults', 'echo', { value: { a: [1, 'b'] } })).structuredContent).toEqual({ value: { a: [1, 'b'] } });
  });

  it('a big text result arrives whole', async () => {
    const result = await hub.callTool('faults', 'big', { chars: 2_000_000 });
    expect(result.content?.[0].text).toHaveLength(2_000_000);
  });

  it("a result over the SDK's 10 MiB stdio limit fails clearly, and the server comes back", async () => {
    await expect(hub.callTool('faults', 'big', { chars: 11 * 2 ** 20 })).rejects.toThrow(
      'server "faults": tool "big" failed: the server sent a message larger than 10 MiB (the stdio limit), so the connection was dropped; it will be restarted on the next call',
    );
    expect((await hub.callTool('faults', 'sleep', { ms: 1 })).content?.[0].text).toBe('slept 1');
  });

  it('100 parallel `sleep 50` calls finish well under a second', async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 100 }, () => hub.callTool('faults', 'sleep', { ms: 50 })));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(results.every((result) => result.content?.[0].text === 'slept 50')).toBe(true);
  });

  it('an unknown tool or server rejects with TOOL_FAILED naming them', async () => {
    await expect(hub.callTool('faults', 'no_such_tool', {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'server "faults": tool "no_such_tool" failed: unknown tool no_such_tool (JSON-RPC error -32602)',
    });
    await expect(hub.callTool('nowhere', 'x', {})).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'cannot reach tool "x" of server "nowhere": no server by that name is configured',
      suggestions: ['configured servers: faults'],
    });
  });
});

describe('callTool: faults', () => {
  it('a crash mid-call rejects naming the server, the tool and the cause; the next call restarts the server', async () => {
    const before = await pidOf(hub);
    const crash = hub.callTool('faults', 'crash', {});
    await expect(crash).rejects.toMatchObject({ code: 'TOOL_FAILED' });
    const message = (await crash.catch((error: Error) => error.message)) as string;
    expect(message).toBe(
      'server "faults" exited during tool "crash"; it will be restarted on the next call; its stderr ended with:\n  faults: crashing on purpose',
    );
    expect(hub.connected()).toEqual([]);
    await waitForExit(before);

    const after = await pidOf(hub);
    expect(after).not.toBe(before);
    expect(hub.connected()).toEqual(['faults']);

    // A server that died while idle is restarted by listAll too, not skipped.
    const idle = hub.callTool('faults', 'crash', {}).catch(() => {});
    await idle;
    expect(hub.connected()).toEqual([]);
    const listed = await hub.listAll();
    expect(listed.failures).toEqual([]);
    expect(listed.tools.map((entry) => entry.server)).toEqual(['faults']);
    expect(stderr.join('')).toContain('runbyte: server "faults" exited; it will be restarted on the next call');
  });

  it('calls in flight when the server crashes all reject; a burst of calls after it shares one restart', async () => {
    const before = await pidOf(hub);
    const inFlight = Array.from({ length: 5 }, () => hub.callTool('faults', 'sleep', { ms: 5000 }));
    await hub.callTool('faults', 'crash', {}).catch(() => {});
    for (const call of inFlight) await expect(call).rejects.toThrow(/server "faults" exited during tool "sleep"/);
    const pids = await Promise.all(Array.from({ length: 10 }, () => pidOf(hub)));
    expect(new Set(pids).size).toBe(1);
    expect(pids[0]).not.toBe(before);
  });

  it('hang: rejects at timeoutMs, and the server keeps serving', async () => {
    const started = Date.now();
    await expect(hub.callTool('faults', 'hang', {}, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'server "faults": tool "hang" timed out after 0.3 s',
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
    expect((await hub.callTool('faults', 'sleep', { ms: 1 })).content?.[0].text).toBe('slept 1');
  });

  it('HubOptions.callTimeoutMs is the default limit', async () => {
    const quick = new Hub([fixtureServer('faults', 'faults.js')], { connectTimeoutMs: 10_000, callTimeoutMs: 200 });
    try {
      await quick.start();
      await expect(quick.callTool('faults', 'hang', {})).rejects.toThrow('server "faults": tool "hang" timed out after 0.2 s');
    } finally {
      await quick.close();
    }
  });

  it('hang: rejects as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('execution timed out')), 150);
    await expect(hub.callTool('faults', 'hang', {}, { signal: controller.signal })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: 'server "faults": tool "hang" was cancelled',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(hub.callTool('faults', 'pid', {}, { signal: controller.signal })).rejects.toThrow('was cancelled');
    expect((await hub.callTool('faults', 'sleep', { ms: 1 })).content?.[0].text).toBe('slept 1');
  });

  it('one signal shared by many calls adds one listener (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const calls = Array.from({ length: 50 }, () => hub.callTool('faults', 'sleep', { ms: 20 }, { signal: controller.signal }));
      await Promise.all(calls);
      const hanging = Array.from({ length: 20 }, () => hub.callTool('faults', 'hang', {}, { signal: controller.signal }));
      controller.abort();
      for (const call of hanging) await expect(call).rejects.toThrow('was cancelled');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => warning.message)).toEqual([]);
  });
});

describe('callTool: restarts with backoff', () => {
  it('restarts at most once a second after repeated failures, and then says the server keeps dying', async () => {
    const flag = join(tmp, 'dead.flag');
    const h = new Hub([fixtureServer('flaky', 'faults.js', ['--exit-if', flag])], { connectTimeoutMs: 10_000 });
    try {
      expect(await h.start()).toEqual([]);
      writeFileSync(flag, '');
      await expect(h.callTool('flaky', 'crash', {})).rejects.toThrow('server "flaky" exited during tool "crash"');
      // 1st restart, right away: fails (the flag makes the server exit at start).
      await expect(h.callTool('flaky', 'pid', {})).rejects.toThrow(
        /^server "flaky": tool "pid" is unavailable: exited before answering initialize; its stderr ended with:\n {2}faults: .*dead\.flag exists, exiting$/,
      );
      // Within a second of it: no restart, the call fails at once.
      const started = Date.now();
      await expect(h.callTool('flaky', 'pid', {})).rejects.toThrow(
        /^server "flaky": tool "pid" is unavailable: it is down \(next restart in under a second\); last: exited before answering initialize/,
      );
      expect(Date.now() - started).toBeLessThan(100);
      // After a second: tried again, fails again: now it keeps dying.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await expect(h.callTool('flaky', 'pid', {})).rejects.toThrow(
        /^server "flaky": tool "pid" is unavailable: it keeps dying \(3 failures in a row; restarts are tried at most once a second\); last: exited before answering initialize; its stderr ended with:\n {2}faults: .*dead\.flag exists, exiting$/,
      );
      // Fixed: the next attempt (a second later) works.
      rmSync(flag);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(isAlive(await pidOf(h, 'flaky'))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
