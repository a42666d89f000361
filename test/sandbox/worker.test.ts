// The sandbox's worker pool (src/sandbox/pool.ts): a guest that never yields blocks only its own
// thread. Vitest runs the TypeScript sources, so these workers load worker.ts through the pool's
// loader hook (slower to start than the built worker.js: warmed in beforeAll).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { HostFunction, SandboxOutcome } from '../../src/sandbox/index.js';

const MiB = 1024 * 1024;

function program(body: string): string {
  return `globalThis.__runbyteMain = async function main() {\n${body}\n};`;
}

function options(timeoutMs: number, host: Record<string, HostFunction> = {}) {
  return { limits: { memoryBytes: 64 * MiB, timeoutMs }, host };
}

function valueFrom(outcome: SandboxOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.kind}: ${outcome.message}`);
  return outcome.json === undefined ? undefined : JSON.parse(outcome.json);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker pool', () => {
  const pool = new SandboxPool({ size: 2 });

  beforeAll(() => pool.warm(2));
  afterAll(() => pool.close());

  it('keeps the main thread and the other worker free while a guest spins', async () => {
    // Event-loop lag of this (main) thread while the guest spins.
    let lag = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      lag = Math.max(lag, now - last - 10);
      last = now;
    }, 10);
    const spinStart = performance.now();
    const spinning = pool.run(program("console.log('spinning');\nwhile (true) {}"), options(2_000));
    await sleep(100);
    const started = performance.now();
    const trivial = await pool.run(program('return 6 * 7;'), options(2_000));
    const trivialMs = performance.now() - started;
    const spun = await spinning;
    const spinMs = performance.now() - spinStart;
    clearInterval(ticker);
    console.log(`trivial run during a 2 s spin: ${trivialMs.toFixed(1)} ms; spin ended after ${spinMs.toFixed(0)} ms; main-thread lag ≤ ${lag.toFixed(1)} ms`);
    expect(valueFrom(trivial)).toBe(42);
    expect(trivialMs).toBeLessThan(500);
    expect(spun).toMatchObject({ ok: false, kind: 'timeout', message: 'execution exceeded 2000 ms', logs: [{ level: 'log', text: 'spinning' }] });
    expect(spinMs).toBeLessThan(2_000 + 500);
    expect(lag).toBeLessThan(200);
    expect(pool.workers).toBe(2); // the worker's own deadline ended the spin: nothing was killed
  });

  it('round-trips host calls through the worker: values, errors, non-JSON values, concurrency', async () => {
    const seen: unknown[][] = [];
    const host: Record<string, HostFunction> = {
      add: async (a, b) => {
        seen.push([a, b]);
        return { sum: (a as number) + (b as number), at: new Date(0) };
      },
      fail: async () => {
        throw new Error('no such thing');
      },
      big: async () => 10n,
      nothing: async () => undefined,
    };
    const outcome = await pool.run(
      program(`
        const one = await add(1, 2);
        const many = await Promise.all([...Array(50).keys()].map((i) => add(i, i)));
        let error, bigError;
        try { await fail(); } catch (e) { error = e instanceof Error ? e.message : 'not an Error'; }
        try { await big(); } catch (e) { bigError = e.message; }
        return { one, last: many[49], error, bigError, nothing: await nothing(), missing: typeof globalThis.other };
      `),
      options(2_000, host),
    );
    expect(valueFrom(outcome)).toEqual({
      one: { sum: 3, at: '1970-01-01T00:00:00.000Z' },
      last: { sum: 98, at: '1970-01-01T00:00:00.000Z' },
      error: 'no such thing',
      bigError: expect.stringMatching(/^the host function's value is not JSON: .*BigInt/),
      nothing: undefined,
      missing: 'undefined',
    });
    expect(seen).toHaveLength(51);

    // Cost of one host call through the worker (guest → worker → main → worker → guest).
    const calls = 1_000;
    const echo: Record<string, HostFunction> = { echo: async (x) => x };
    const loop = program(`let s = 0; for (let i = 0; i < ${calls}; i++) s += await echo(i); return s;`);
    await pool.run(loop, options(10_000, echo));
    const started = performance.now();
    const summed = await pool.run(loop, options(10_000, echo));
    const perCallUs = ((performance.now() - started) * 1000) / calls;
    console.log(`host call through the worker: ${perCallUs.toFixed(0)} µs per call (sequential, ${calls} calls)`);
    expect(valueFrom(summed)).toBe((calls * (calls - 1)) / 2);
  });

  it('queues runs when every worker is busy', async () => {
    const outcomes = await Promise.all([...Array(6).keys()].map((i) => pool.run(program(`return ${i} * 2;`), options(2_000))));
    expect(outcomes.map(valueFrom)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(pool.workers).toBeLessThanOrEqual(2);
  });
});

describe('hard kill', () => {
  // A negative grace puts the main thread's hard timer BEFORE the worker's own deadline: the worker
  // then looks exactly like one that is stuck and does not answer.
  const pool = new SandboxPool({ size: 1, graceMs: -1_500 });

  beforeAll(() => pool.warm());
  afterAll(() => pool.close());

  it('terminates a worker that does not answer, reports a timeout, and replaces the worker', async () => {
    const started = performance.now();
    const outcome = await pool.run(program('while (true) {}'), options(2_000));
    const elapsed = performance.now() - started;
    expect(outcome).toMatchObject({ ok: false, kind: 'timeout', message: 'execution exceeded 2000 ms' });
    expect(elapsed).toBeLessThan(1_500);
    expect(pool.workers).toBe(0);
    // The next run gets a fresh worker.
    expect(valueFrom(await pool.run(program('return 6 * 7;'), options(2_000)))).toBe(42);
    expect(pool.workers).toBe(1);
  });

  it('drops the answer of a host call that settles after the kill', async () => {
    let answered = false;
    const slow: HostFunction = async () => {
      await sleep(800);
      answered = true;
      return 'late';
    };
    const outcome = await pool.run(program('return await slow();'), options(2_000, { slow }));
    expect(outcome).toMatchObject({ ok: false, kind: 'timeout' });
    await sleep(600);
    expect(answered).toBe(true);
    expect(valueFrom(await pool.run(program('return 1;'), options(2_000)))).toBe(1);
  });
});
