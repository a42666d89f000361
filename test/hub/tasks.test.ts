import { describe, expect, it } from 'vitest';
import { hubsPerTest } from '../helpers/hubs.js';
import { referenceServer } from '../helpers/servers.js';

const started = hubsPerTest();
const textOf = (result: { content?: { type: string; text?: string }[] }) => result.content?.map((block) => block.text ?? '').join('\n') ?? '';

// server-everything's simulate-research-query declares `execution.taskSupport: "required"`: it
// answers only as a task, in four stages of one second each.
describe('callTool: tools the server runs only as tasks', () => {
  it('are called as a task and awaited, before any listing too (the session lists first)', async () => {
    const hub = await started([referenceServer.everything('everything')], { connectTimeoutMs: 20_000, callTimeoutMs: 30_000 });
    const started_ = Date.now();
    const result = await hub.callTool('everything', 'simulate-research-query', { topic: 'tide pools' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('tide pools');
    // Four stages of a second: the call waited for the task to end.
    expect(Date.now() - started_).toBeGreaterThanOrEqual(3500);
    const tools = await hub.listTools('everything');
    expect(tools.find((tool) => tool.name === 'simulate-research-query')?.taskSupport).toBe('required');
    expect(tools.find((tool) => tool.name === 'echo')?.taskSupport).toBeUndefined();
  }, 30_000);

  it('a cancel stops waiting at once and names the call', async () => {
    const hub = await started([referenceServer.everything('everything')], { connectTimeoutMs: 20_000, callTimeoutMs: 30_000 });
    await hub.listTools('everything');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the client cancelled')), 500);
    const began = Date.now();
    await expect(hub.callTool('everything', 'simulate-research-query', { topic: 'x' }, { signal: controller.signal })).rejects.toThrow(
      'server "everything": tool "simulate-research-query" was cancelled',
    );
    expect(Date.now() - began).toBeLessThan(1500);
    // The server still answers afterwards.
    expect(textOf(await hub.callTool('everything', 'echo', { message: 'still here' }))).toContain('still here');
  }, 30_000);

  it("the call's limit bounds the whole task, and its message names the setting", async () => {
    const hub = await started([referenceServer.everything('everything')], {
      connectTimeoutMs: 20_000,
      callTimeoutMs: 1500,
      callTimeoutName: 'server.timeout',
    });
    await hub.listTools('everything');
    const began = Date.now();
    await expect(hub.callTool('everything', 'simulate-research-query', { topic: 'x' })).rejects.toThrow(
      'server "everything": tool "simulate-research-query" timed out after 1.5 s (server.timeout)',
    );
    expect(Date.now() - began).toBeLessThan(3000);
  }, 30_000);
});
