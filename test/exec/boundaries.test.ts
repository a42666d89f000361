// End to end through exec's Executor: the sandbox's caps (src/sandbox/run.ts), many tool calls at
// once (src/sandbox/guest.ts), and a downstream result that breaks the protocol (src/hub/wire.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServer } from '../helpers/servers.js';
import { failureOf, startExec, valueFrom, type ExecFixture } from './helpers.js';

const MiB = 2 ** 20;
const TIMEOUT_MS = 10_000;

let fx: ExecFixture;
beforeAll(async () => {
  fx = await startExec([fixtureServer('faults', 'faults.js'), fixtureServer('bad', 'malformed.js')], {
    timeoutMs: TIMEOUT_MS,
    memoryBytes: 192 * MiB,
  });
});
afterAll(() => fx?.close());

describe('exec across the sandbox boundary', () => {
  it('a 150 MiB error message arrives cut, starting with its text', async () => {
    const message = failureOf(await fx.run(`throw new Error('e'.repeat(${150 * MiB}));`));
    expect(message.startsWith('Runtime error\nError: eeeee')).toBe(true);
    expect(message).toContain(`… [message cut: ${(150 * MiB).toLocaleString('en-US')} chars in all]`);
    expect(message.length).toBeLessThan(41_000);
  });

  it('2,000 tool calls in one Promise.all all come back', async () => {
    const value = valueFrom(
      await fx.run(
        "import { sleep } from './servers/faults';\nconst all = await Promise.all(Array.from({ length: 2000 }, () => sleep({ ms: 1 })));\nreturn [all.length, all[1999]];",
      ),
    );
    expect(value).toEqual([2000, 'slept 1']);
  });

  it('a tool whose result is not an object fails at once, naming the server and the tool', async () => {
    const started = performance.now();
    const message = failureOf(await fx.run("import { number } from './servers/bad';\nreturn await number({});"));
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    expect(message).toContain('server "bad": tool "number" returned a malformed result: the result is 42, not an object');
    expect(message).toContain('code.ts:2');
  });

  it('a tool whose structuredContent is 5,000 levels deep fails at once as malformed', async () => {
    const message = failureOf(await fx.run("import { deep } from './servers/bad';\nreturn await deep({ depth: 5000 });"));
    expect(message).toContain('server "bad": tool "deep" returned a malformed result: "structuredContent" is nested deeper than 1,000 levels');
  });
});
