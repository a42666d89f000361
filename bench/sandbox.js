// Sandbox benchmark: fresh-instance run cost and bridged host call cost.
// Runs against the build: `npm run build && node bench/sandbox.js`.

import { pathToFileURL } from 'node:url';
import { runInSandbox, warmSandbox } from '../dist/sandbox/index.js';
import { SandboxPool } from '../dist/sandbox/pool.js';

const LIMITS = { memoryBytes: 64 * 1024 * 1024, timeoutMs: 10_000 };

function program(body) {
  return `globalThis.__runbyteMain = async function main() {\n${body}\n};`;
}

async function run(body, host = {}) {
  const outcome = await runInSandbox(program(body), { limits: LIMITS, host });
  if (!outcome.ok) throw new Error(`bench script failed (${outcome.kind}): ${outcome.message}`);
  return outcome;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeRuns(body, host, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run(body, host);
    times.push(performance.now() - started);
  }
  return times;
}

/**
 * Measures the sandbox. Returns medians:
 * - `trivialMedianMs`: fresh instance + eval + call + teardown of `return 1`.
 * - `hostCallMicros`: one sequential guest → host → guest call (awaited one after another).
 * - `parallelHostCallMicros`: per call, for 1000 calls under one `Promise.all`.
 * - `timeoutOverheadMs`: how late an endless loop is stopped past a 100 ms limit.
 * - `cancelSlotFree*`: from the abort of a guest spinning in `while (true) {}` to the start of the
 *   next run queued behind it on a pool of one worker (its first host call); `cancelStop*`: from
 *   the abort to the cancelled outcome.
 */
export async function benchSandbox({ rounds = 30 } = {}) {
  let started = performance.now();
  await warmSandbox();
  const compileMs = performance.now() - started;

  started = performance.now();
  await run('return 1;');
  const firstRunMs = performance.now() - started;

  await timeRuns('return 1;', {}, 10);
  const trivial = await timeRuns('return 1;', {}, rounds);

  const host = { echo: async (value) => value };
  const calls = 2000;
  const baseline = median(await timeRuns('let x = 0; for (let i = 0; i < 2000; i++) x = await Promise.resolve(i); return x;', host, 7));
  const sequential = median(await timeRuns(`let x = 0; for (let i = 0; i < ${calls}; i++) x = await echo(i); return x;`, host, 7));
  const parallel = median(await timeRuns(`const xs = await Promise.all(Array.from({ length: ${calls} }, (_, i) => echo(i))); return xs.length;`, host, 7));

  const loopStarted = performance.now();
  const looped = await runInSandbox(program('while (true) {}'), { limits: { ...LIMITS, timeoutMs: 100 }, host: {} });
  const timeoutOverheadMs = performance.now() - loopStarted - 100;
  if (looped.ok || looped.kind !== 'timeout') throw new Error('the endless loop was not stopped as a timeout');

  const cancel = await benchCancel(20);

  return {
    compileMs: round(compileMs),
    firstRunMs: round(firstRunMs),
    trivialMedianMs: round(median(trivial)),
    trivialMinMs: round(Math.min(...trivial)),
    hostCallMicros: round(((sequential - baseline) * 1000) / calls),
    parallelHostCallMicros: round(((parallel - baseline) * 1000) / calls),
    timeoutOverheadMs: round(timeoutOverheadMs),
    cancelSlotFreeMedianMs: round(median(cancel.slotFree)),
    cancelSlotFreeMinMs: round(Math.min(...cancel.slotFree)),
    cancelSlotFreeMaxMs: round(Math.max(...cancel.slotFree)),
    cancelStopMedianMs: round(median(cancel.stop)),
    cancels: cancel.slotFree.length,
  };
}

/** `count` cancels of a spinning guest on a pool of one worker (after two that warm it up). */
async function benchCancel(count) {
  const pool = new SandboxPool({ size: 1 });
  await pool.warm(1);
  const slotFree = [];
  const stop = [];
  const signalled = () => {
    let mark = () => {};
    const reached = new Promise((resolve) => (mark = resolve));
    return { fn: async () => mark(performance.now()), reached };
  };
  try {
    for (let i = 0; i < count + 2; i++) {
      const abort = new AbortController();
      const spinning = signalled();
      const cancelled = pool.run(program('await spinning(); while (true) {}'), { limits: LIMITS, host: { spinning: spinning.fn }, signal: abort.signal });
      await spinning.reached;
      await new Promise((resolve) => setTimeout(resolve, 10)); // in the loop by now
      const started = signalled();
      const next = pool.run(program('await started(); return 1;'), { limits: LIMITS, host: { started: started.fn } });
      const abortedAt = performance.now();
      abort.abort();
      const outcome = await cancelled;
      const stoppedAt = performance.now();
      if (outcome.ok || outcome.kind !== 'cancelled') throw new Error(`the spinning guest was not cancelled: ${JSON.stringify(outcome)}`);
      const startedAt = await started.reached;
      if (!(await next).ok) throw new Error('the run after a cancel failed');
      if (i < 2) continue;
      slotFree.push(startedAt - abortedAt);
      stop.push(stoppedAt - abortedAt);
    }
  } finally {
    await pool.close();
  }
  return { slotFree, stop };
}

function round(value) {
  return Math.round(value * 100) / 100;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchSandbox();
  console.log(JSON.stringify(result, null, 2));
}
