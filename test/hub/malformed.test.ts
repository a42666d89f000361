// A `tools/call` answer that breaks the protocol fails that call at once, naming the server and the
// tool, instead of hanging until the call's timeout (src/hub/wire.ts, connection.ts). The server
// (test/fixtures/servers/malformed.js) is a real MCP server process that writes such answers raw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { fixtureServer } from '../helpers/servers.js';

/** Far longer than a malformed answer may take: hitting it means the call hung. */
const CALL_TIMEOUT_MS = 20_000;
const FAST_MS = 2_000;

let hub: Hub;
beforeAll(async () => {
  hub = new Hub([fixtureServer('bad', 'malformed.js')], { connectTimeoutMs: 10_000, callTimeoutMs: CALL_TIMEOUT_MS });
  expect(await hub.start()).toEqual([]);
});
afterAll(() => hub?.close());

async function failure(tool: string, args: Record<string, unknown> = {}): Promise<{ message: string; code: unknown; ms: number }> {
  const started = performance.now();
  try {
    const result = await hub.callTool('bad', tool, args);
    throw new Error(`expected ${tool} to fail, got ${JSON.stringify(result).slice(0, 200)}`);
  } catch (error) {
    return { message: (error as Error).message, code: (error as { code?: unknown }).code, ms: performance.now() - started };
  }
}

describe('malformed tools/call results', () => {
  it.each([
    ['number', 'the result is 42, not an object'],
    ['null', 'the result is null, not an object'],
    ['string', 'the result is a string ("not a result"), not an object'],
    ['array', 'the result is an array, not an object'],
  ])('a result that is %s fails at once as malformed', async (tool, problem) => {
    const { message, code, ms } = await failure(tool);
    expect(message).toBe(`server "bad": tool "${tool}" returned a malformed result: ${problem}`);
    expect(code).toBe('TOOL_FAILED');
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('structuredContent nested 5,000 levels deep fails at once as malformed', async () => {
    const { message, ms } = await failure('deep', { depth: 5000 });
    expect(message).toBe('server "bad": tool "deep" returned a malformed result: "structuredContent" is nested deeper than 1,000 levels');
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('a value nested 900 levels deep is still fine', async () => {
    const result = await hub.callTool('bad', 'deep', { depth: 900 });
    let depth = 0;
    for (let value: unknown = result.structuredContent; typeof value === 'object' && value !== null; value = (value as { a: unknown }).a) depth++;
    expect(depth).toBe(900);
  });

  it('the connection stays usable after malformed answers, for calls in parallel too', async () => {
    const [ok, bad, again] = await Promise.allSettled([hub.callTool('bad', 'ok', {}), hub.callTool('bad', 'number', {}), hub.callTool('bad', 'ok', {})]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { content: [{ type: 'text', text: 'fine' }] } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('returned a malformed result') } });
    expect(again).toMatchObject({ status: 'fulfilled' });
  });
});
