// Sandbox benchmark: fresh-instance run cost and bridged host call cost.
// Runs against the build: `npm run build && node bench/sandbox.js`.

import { pathToFileURL } from 'node:url';
import { runInSandbox, warmSandbox } from '../dist/sandbox/index.js';

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

  return {
    compileMs: round(compileMs),
    firstRunMs: round(firstRunMs),
    trivialMedianMs: round(median(trivial)),
    trivialMinMs: round(Math.min(...trivial)),
    hostCallMicros: round(((sequential - baseline) * 1000) / calls),
    parallelHostCallMicros: round(((parallel - baseline) * 1000) / calls),
    timeoutOverheadMs: round(timeoutOverheadMs),
  };
}

function round(value) {
  return Math.round(value * 100) / 100;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchSandbox();
  console.log(JSON.stringify(result, null, 2));
}
