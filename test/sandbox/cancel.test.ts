// Cancellation (SandboxOptions.signal; docs/architecture.md, sandbox/): an abort stops the guest
// within 200 ms, whatever it is doing, no host function is invoked after it, the outcome is
// `cancelled`, and on the worker pool the slot takes the next run at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostFunction, SandboxOptions, SandboxOutcome } from '../../src/sandbox/index.js';
import { runHere } from '../../src/sandbox/local.js';
import { SandboxPool } from '../../src/sandbox/pool.js';

const MiB = 2 ** 20;
/** Far past every wait below: a run that is not cancelled fails the test by its outcome, not by hanging. */
const TIMEOUT_MS = 3_000;

function program(body: string): string {
  return `globalThis.__runbyteMain = async function main() {\n${body}\n};`;
}

function options(host: Record<string, HostFunction>, signal?: AbortSignal): SandboxOptions {
  return { limits: { memoryBytes: 64 * MiB, timeoutMs: TIMEOUT_MS }, host, ...(signal ? { signal } : {}) };
}

function valueFrom(outcome: SandboxOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.kind}: ${outcome.message}`);
  return outcome.json === undefined ? undefined : JSON.parse(outcome.json);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host function that tells when the guest reached it (and answers at once). */
function signalled(): { fn: HostFunction; reached: Promise<number> } {
  let mark: (at: number) => void = () => {};
  const reached = new Promise<number>((resolve) => (mark = resolve));
  return {
    fn: async () => {
      mark(performance.now());
      return null;
    },
    reached,
  };
}

const never: HostFunction = () => new Promise(() => {});

describe('cancel on the worker pool', () => {
  const pool = new SandboxPool({ size: 1 });

  beforeAll(() => pool.warm(1));
  afterAll(() => pool.close());

  /**
   * Starts `body` (which calls `ready()` once it is where it should be cancelled), queues a second
   * run behind it on the one worker, aborts, and times the outcome and the second run's start.
   */
  async function cancelAndFollow(body: string, host: Record<string, HostFunction> = {}) {
    const abort = new AbortController();
    const ready = signalled();
    const cancelled = pool.run(program(body), options({ ...host, ready: ready.fn }, abort.signal));
    await ready.reached;
    await sleep(50);
    const next = signalled();
    const following = pool.run(program('await started(); return 6 * 7;'), options({ started: next.fn }));
    const abortedAt = performance.now();
    abort.abort();
    const outcome = await cancelled;
    const cancelMs = performance.now() - abortedAt;
    const nextStartMs = (await next.reached) - abortedAt;
    expect(valueFrom(await following)).toBe(42);
    return { outcome, cancelMs, nextStartMs };
  }

  it('stops a guest spinning in while (true) {} within 200 ms, and the next run starts at once', async () => {
    const { outcome, cancelMs, nextStartMs } = await cancelAndFollow("console.log('spinning');\nawait ready();\nwhile (true) {}");
    console.log(`worker, spinning guest: cancelled after ${cancelMs.toFixed(1)} ms; next run started ${nextStartMs.toFixed(1)} ms after the abort`);
    expect(outcome).toEqual({ ok: false, kind: 'cancelled', message: 'cancelled by the client', logs: [{ level: 'log', text: 'spinning' }] });
    expect(cancelMs).toBeLessThan(200);
    expect(nextStartMs).toBeLessThan(200);
    expect(pool.workers).toBe(1);
  });

  it('stops a guest awaiting a host function that never answers within 200 ms, and the next run starts at once', async () => {
    const { outcome, cancelMs, nextStartMs } = await cancelAndFollow("await ready();\nconsole.log('waiting');\nawait never();\nreturn 1;", { never });
    console.log(`worker, guest awaiting the host: cancelled after ${cancelMs.toFixed(1)} ms; next run started ${nextStartMs.toFixed(1)} ms after the abort`);
    expect(outcome).toEqual({ ok: false, kind: 'cancelled', message: 'cancelled by the client', logs: [{ level: 'log', text: 'waiting' }] });
    expect(cancelMs).toBeLessThan(200);
    expect(nextStartMs).toBeLessThan(200);
  });

  it('never invokes a host function after the abort, though the guest was calling one in a loop', async () => {
    const abort = new AbortController();
    let calls = 0;
    let callsAfterAbort = 0;
    const tick: HostFunction = async () => {
      calls++;
      if (abort.signal.aborted) callsAfterAbort++;
      return calls;
    };
    // Many calls out at once and a stream of new ones: some are on their way to the main thread when it aborts.
    const running = pool.run(program('for (;;) await Promise.all([tick(), tick(), tick(), tick()]);'), options({ tick }, abort.signal));
    while (calls < 200) await sleep(5);
    abort.abort();
    expect(await running).toMatchObject({ ok: false, kind: 'cancelled' });
    await sleep(200);
    expect(callsAfterAbort).toBe(0);
  });

  it('drops the late answer of a host call that was pending at the abort', async () => {
    const abort = new AbortController();
    const ready = signalled();
    let answered = false;
    const slow: HostFunction = async () => {
      await sleep(300);
      answered = true;
      return 'late';
    };
    const running = pool.run(program('await ready(); return await slow();'), options({ ready: ready.fn, slow }, abort.signal));
    await ready.reached;
    await sleep(20);
    abort.abort();
    expect(await running).toMatchObject({ ok: false, kind: 'cancelled' });
    // The next run is on the worker when the late answer comes; it must not see it.
    const next = pool.run(
      program('return await wait();'),
      options({
        wait: async () => {
          await sleep(500);
          return 'mine';
        },
      }),
    );
    expect(valueFrom(await next)).toBe('mine');
    expect(answered).toBe(true);
  });

  it('does not run a script whose signal aborted before it started, nor one aborted while it waited in the queue', async () => {
    let invoked = 0;
    const host = { hit: async () => ++invoked };
    const before = await pool.run(program('await hit(); return 1;'), options(host, AbortSignal.abort()));
    expect(before).toEqual({ ok: false, kind: 'cancelled', message: 'cancelled by the client', logs: [] });

    const ready = signalled();
    const blocker = new AbortController();
    const blocking = pool.run(program('await ready(); while (true) {}'), options({ ready: ready.fn }, blocker.signal));
    await ready.reached;
    const queued = new AbortController();
    const waiting = pool.run(program('await hit(); return 1;'), options(host, queued.signal));
    const abortedAt = performance.now();
    queued.abort();
    expect(await waiting).toEqual({ ok: false, kind: 'cancelled', message: 'cancelled by the client', logs: [] });
    expect(performance.now() - abortedAt).toBeLessThan(50);
    blocker.abort();
    expect(await blocking).toMatchObject({ ok: false, kind: 'cancelled' });
    expect(invoked).toBe(0);
  });
});

// From TypeScript sources the sandbox runs on the calling thread (src/sandbox/index.ts): a spinning
// guest blocks that thread, so nothing can abort it there; everything else is cancelled.
describe('cancel on the calling thread', () => {
  it('stops a guest awaiting a host promise, keeping its console', async () => {
    const abort = new AbortController();
    const ready = signalled();
    const running = runHere(program("console.log('waiting');\nawait ready();\nawait never();\nreturn 1;"), options({ ready: ready.fn, never }, abort.signal));
    await ready.reached;
    await sleep(20);
    const abortedAt = performance.now();
    abort.abort();
    const outcome = await running;
    expect(performance.now() - abortedAt).toBeLessThan(200);
    expect(outcome).toEqual({ ok: false, kind: 'cancelled', message: 'cancelled by the client', logs: [{ level: 'log', text: 'waiting' }] });
  });

  it('stops the guest at once when a host function aborts during its call: the next host call is never invoked', async () => {
    const abort = new AbortController();
    let after = 0;
    const host: Record<string, HostFunction> = {
      stop: async () => {
        abort.abort();
        return 1;
      },
      next: async () => ++after,
    };
    const outcome = await runHere(program('stop();\nawait next();\nreturn 2;'), options(host, abort.signal));
    expect(outcome).toMatchObject({ ok: false, kind: 'cancelled', message: 'cancelled by the client' });
    expect(after).toBe(0);
  });

  it('does not run a script whose signal aborted before it started', async () => {
    let invoked = 0;
    const outcome = await runHere(program('await hit(); return 1;'), options({ hit: async () => ++invoked }, AbortSignal.abort()));
    expect(outcome).toEqual({ ok: false, kind: 'cancelled', message: 'cancelled by the client', logs: [] });
    expect(invoked).toBe(0);
  });
});
