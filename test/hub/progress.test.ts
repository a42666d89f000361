import { describe, expect, it } from 'vitest';
import { hubsPerTest } from '../helpers/hubs.js';
import { fixtureServer, referenceServer } from '../helpers/servers.js';

const started = hubsPerTest();

type Progress = { progress: number; total?: number; message?: string };
const textOf = (result: { content?: { text?: string }[] }) => result.content?.[0]?.text;

describe('callTool: progress relay', () => {
  it('every notifications/progress of the call reaches onProgress, with total and message', async () => {
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    const heard: Progress[] = [];
    const result = await hub.callTool('chatty', 'progress', { steps: 3, delayMs: 10, total: 3 }, { onProgress: (p) => heard.push(p) });
    expect(heard).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    expect(JSON.parse(textOf(result)!).progressToken).not.toBeNull();
  });

  it('the last report, sent just before the answer, is never lost', async () => {
    // The SDK hands notifications to their handlers a microtask after a response that arrived in
    // the same read; reports relayed through its handlers lost the last step now and then.
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    for (let call = 0; call < 20; call++) {
      const heard: number[] = [];
      await hub.callTool('chatty', 'progress', { steps: 2, delayMs: 0 }, { onProgress: (p) => heard.push(p.progress) });
      expect(heard).toEqual([1, 2]);
    }
  });

  it('a call without onProgress sends no progressToken', async () => {
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    const result = await hub.callTool('chatty', 'progress', { steps: 2, delayMs: 1 });
    expect(JSON.parse(textOf(result)!)).toEqual({ progressToken: null });
  });

  it('concurrent calls each hear only their own progress; a listener that throws does not fail the call', async () => {
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    const a: number[] = [];
    const b: number[] = [];
    await Promise.all([
      hub.callTool('chatty', 'progress', { steps: 4, delayMs: 5 }, { onProgress: (p) => a.push(p.progress) }),
      hub.callTool('chatty', 'progress', { steps: 2, delayMs: 5 }, { onProgress: (p) => b.push(p.progress) }),
      hub.callTool(
        'chatty',
        'progress',
        { steps: 2, delayMs: 5 },
        {
          onProgress: () => {
            throw new Error('listener bug');
          },
        },
      ),
    ]);
    expect(a).toEqual([1, 2, 3, 4]);
    expect(b).toEqual([1, 2]);
  });

  it('progress does not extend the timeout: the limit stays hard, and the server is told to cancel', async () => {
    const hub = await started([fixtureServer('chatty', 'chatty.js')], { connectTimeoutMs: 10_000 });
    const heard: number[] = [];
    const began = Date.now();
    await expect(hub.callTool('chatty', 'hang', { every: 40 }, { timeoutMs: 400, onProgress: (p) => heard.push(p.progress) })).rejects.toThrow(
      'server "chatty": tool "hang" timed out after 0.4 s',
    );
    const elapsed = Date.now() - began;
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(1500);
    expect(heard.length).toBeGreaterThanOrEqual(3);
    const cancelled = JSON.parse(textOf(await hub.callTool('chatty', 'cancelled', {}))!);
    expect(cancelled).toEqual([expect.objectContaining({ tool: 'hang' })]);
  });

  it("server-everything's long-running operation reports each step", async () => {
    const hub = await started([referenceServer.everything('everything')], { connectTimeoutMs: 20_000 });
    const heard: Progress[] = [];
    const result = await hub.callTool('everything', 'trigger-long-running-operation', { duration: 0.3, steps: 3 }, { onProgress: (p) => heard.push(p) });
    expect(result.isError).toBeFalsy();
    expect(heard).toEqual([
      { progress: 1, total: 3 },
      { progress: 2, total: 3 },
      { progress: 3, total: 3 },
    ]);
  });
});
