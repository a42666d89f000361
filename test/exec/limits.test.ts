// Guest faults and downstream faults end one execution as a value, and the next execution in the
// same Executor (and process) works (README.md, execute_code). Short limits keep it fast.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixtureServer, isAlive, waitForExit } from '../helpers/servers.js';
import { failureOf, startExec, valueFrom, type ExecFixture } from './helpers.js';

// Runs go to sandbox worker threads, as they do when built: on the calling thread (the default from
// sources) an endless loop would hold this thread, and the compilers' answers with it, for its 2 s.
vi.hoisted(() => {
  process.env.RUNBYTE_SANDBOX = 'worker';
});

const MiB = 2 ** 20;
const TIMEOUT_MS = 2_000;
const MEMORY_BYTES = 64 * MiB;
const MAX_OUTPUT_CHARS = 1_000;

let fx: ExecFixture;

beforeAll(async () => {
  fx = await startExec([fixtureServer('faults', 'faults.js')], {
    timeoutMs: TIMEOUT_MS,
    memoryBytes: MEMORY_BYTES,
    maxOutputChars: MAX_OUTPUT_CHARS,
  });
});

afterAll(() => fx?.close());

/** After every fault: a normal execution that also reaches the server. */
async function expectHealthy(): Promise<void> {
  const value = valueFrom(await fx.run("import { sleep } from './servers/faults';\nreturn [6 * 7, await sleep({ ms: 1 })];"));
  expect(value).toEqual([42, 'slept 1']);
}

async function serverPid(): Promise<number> {
  return valueFrom(await fx.run("import { pid } from './servers/faults';\nreturn await pid();")) as number;
}

describe('guest faults', () => {
  it('an endless loop times out, keeping the console output before it', async () => {
    const outcome = await fx.run("console.log('spinning');\nwhile (true) {}");
    expect(outcome.timings.runMs).toBeLessThan(TIMEOUT_MS + 500);
    expect(outcome).toMatchObject({ ok: false, phase: 'Timed out', message: 'Timed out after 2 s', console: 'spinning' });
    await expectHealthy();
  });

  it('an endless loop inside a catch after an await times out too', async () => {
    const outcome = await fx.run('await Promise.resolve();\ntry { while (true) {} } catch { while (true) {} }');
    expect(failureOf(outcome)).toBe('Timed out after 2 s');
    await expectHealthy();
  });

  it('memory bombs are memory faults, and host memory stays bounded', async () => {
    const bomb = "const parts: string[] = [];\nwhile (true) parts.push('x'.repeat(1024) + parts.length);";
    // The first bomb also pays for one-off allocations (the compiled engine, the checker's caches).
    expect(failureOf(await fx.run(bomb))).toMatch(/^Memory limit exceeded \(64 MB\)/);
    const before = process.memoryUsage().rss;
    for (let index = 0; index < 4; index++) {
      const outcome = await fx.run(bomb);
      expect(outcome).toMatchObject({ ok: false, phase: 'Memory limit exceeded' });
    }
    const grownMb = (process.memoryUsage().rss - before) / MiB;
    console.log(`host RSS after 4 more 64 MB memory bombs: ${grownMb >= 0 ? '+' : ''}${grownMb.toFixed(0)} MB`);
    // Each bomb fills at most its own 64 MB memory, dropped after the run; without the fixed
    // memory a single bomb grew the host by 1.5 GB (docs/decisions.md, trap 1).
    expect(grownMb).toBeLessThan(4 * 64 + 64);
    await expectHealthy();
  });

  it('a bomb of large arrays whose error is caught is still a memory fault', async () => {
    const outcome = await fx.run(
      'const kept: number[][] = [];\ntry {\n  while (true) kept.push(new Array(100_000).fill(1));\n} catch {\n  return kept.length;\n}',
    );
    // Out of memory, QuickJS may still let the catch run and return; what matters is that the
    // run ends without harm, as a value or as a memory fault.
    if (!outcome.ok) expect(outcome.phase).toBe('Memory limit exceeded');
    await expectHealthy();
  });

  it('deep recursion is a runtime stack overflow at the recursing line', async () => {
    const outcome = await fx.run('function down(n: number): number {\n  return down(n + 1) + 1;\n}\nreturn down(0);');
    const message = failureOf(outcome);
    expect(outcome).toMatchObject({ phase: 'Runtime error' });
    expect(message).toMatch(/^Runtime error\nInternalError: stack overflow\n {4}at code\.ts:2:10/);
    // One line per distinct agent frame, not thousands.
    expect(message.split('\n').length).toBeLessThan(10);
    await expectHealthy();
  });

  it('a promise that can never settle is reported at once', async () => {
    const started = performance.now();
    const outcome = await fx.run('await new Promise(() => {});\nreturn 1;');
    expect(failureOf(outcome)).toMatch(/^Runtime error\nthe returned promise never settled/);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
    await expectHealthy();
  });

  it('a promise that waits on a timer longer than the limit times out', async () => {
    const outcome = await fx.run('await new Promise((resolve) => setTimeout(resolve, 60_000));\nreturn 1;');
    expect(failureOf(outcome)).toBe('Timed out after 2 s');
    await expectHealthy();
  });

  it('a 10 MB return value is cut at maxOutputChars, with a note giving its full size', async () => {
    const outcome = await fx.run("return 'y'.repeat(10_000_000);");
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.truncated).toBe(true);
    const [shown, note] = outcome.value.split('\n');
    expect(shown).toBe(`"${'y'.repeat(MAX_OUTPUT_CHARS - 1)}`);
    // The JSON is the string plus its two quotes.
    expect(note).toBe('… [output cut: 10,000,002 chars in all, the first 1,000 shown]');
    await expectHealthy();
  });

  it('a value past the sandbox copy-out cap (16 Mi chars) still gives its full size, though only a part left the sandbox', async () => {
    const outcome = await fx.run("return 'w'.repeat(17_000_000);");
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.value.split('\n')[1]).toBe('… [output cut: 17,000,002 chars in all, the first 1,000 shown]');
    await expectHealthy();
  });

  it('a value that fits is not marked as cut', async () => {
    const outcome = await fx.run(`return 'z'.repeat(${MAX_OUTPUT_CHARS - 2});`);
    expect(outcome).toMatchObject({ ok: true, truncated: false });
    expect(outcome.ok && outcome.value.length).toBe(MAX_OUTPUT_CHARS);
  });

  it('a 10 MB tool result crosses into the guest in full (the heap holds a few copies of it on the way)', async () => {
    const value = valueFrom(
      await fx.run("import { big } from './servers/faults';\nconst text: string = await big({ chars: 10_000_000 });\nreturn text.length;"),
    );
    expect(value).toBe(10_000_000);
  });
});

describe('one executor, many executions at once (as serve shares it)', () => {
  it('faults running beside normal executions do not disturb them', async () => {
    const normal = (index: number) =>
      fx.run(`import { echo, sleep } from './servers/faults';\nawait sleep({ ms: 20 });\nreturn (await echo({ value: ${index} })).value;`);
    const outcomes = await Promise.all([
      fx.run('while (true) {}'),
      fx.run("const parts: string[] = [];\nwhile (true) parts.push('x'.repeat(1024) + parts.length);"),
      fx.run("import { hang } from './servers/faults';\nawait hang();"),
      fx.run("throw new Error('plain');"),
      ...Array.from({ length: 6 }, (_, index) => normal(index)),
    ]);
    expect(outcomes.slice(0, 4).map((outcome) => (outcome.ok ? 'ok' : outcome.phase))).toEqual([
      'Timed out',
      'Memory limit exceeded',
      'Timed out',
      'Runtime error',
    ]);
    expect(outcomes.slice(4).map((outcome) => valueFrom(outcome))).toEqual([0, 1, 2, 3, 4, 5]);
    await expectHealthy();
  });
});

describe('downstream faults', () => {
  it('a server that crashes mid-call fails that call naming the server; the next call restarts it', async () => {
    const firstPid = await serverPid();
    const outcome = await fx.run("import { crash } from './servers/faults';\n\nawait crash();\n");
    const message = failureOf(outcome);
    expect(message).toMatch(/^Runtime error\nError: server "faults" exited during tool "crash"; it will be restarted on the next call/);
    expect(message).toContain('faults: crashing on purpose');
    expect(message).toMatch(/\n {4}at code\.ts:3:12$/);
    await waitForExit(firstPid);

    const secondPid = await serverPid();
    expect(secondPid).not.toBe(firstPid);
    await expectHealthy();
  });

  it('code can catch a crash and call the restarted server in the same execution', async () => {
    const value = valueFrom(
      await fx.run(`
import { crash, pid } from './servers/faults';
let caught = '';
try {
  await crash();
} catch (error) {
  caught = (error as Error).message;
}
return { caught, pid: await pid() };
`),
    ) as { caught: string; pid: number };
    expect(value.caught).toMatch(/^server "faults" exited during tool "crash"/);
    expect(isAlive(value.pid)).toBe(true);
  });

  it('a hung call ends at the execution deadline, and the next execution works', async () => {
    const outcome = await fx.run("import { hang } from './servers/faults';\nconsole.log('calling');\nawait hang();");
    expect(outcome).toMatchObject({
      ok: false,
      phase: 'Timed out',
      message: 'Timed out after 2 s\nstill waiting on 1 tool call: faults.hang',
      console: 'calling',
    });
    expect(outcome.timings.runMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(outcome.timings.runMs).toBeLessThan(TIMEOUT_MS + 500);
    await expectHealthy();
  });

  it('many hung calls at once are all abandoned at the deadline', async () => {
    const outcome = await fx.run(
      "import { hang, sleep } from './servers/faults';\nawait sleep({ ms: 1 });\nawait Promise.all([...Array.from({ length: 20 }, () => hang()), sleep({ ms: 60_000 })]);",
    );
    expect(failureOf(outcome)).toBe('Timed out after 2 s\nstill waiting on 21 tool calls: faults.hang (20), faults.sleep');
    await expectHealthy();
  });
});
