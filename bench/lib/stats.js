// Small numeric helpers shared by the benchmark sections.
import { performance } from 'node:perf_hooks';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `{ median, min, max, runs }` of a list of samples (milliseconds unless the caller says otherwise). */
export function summarize(samples, digits = 2) {
  if (samples.length === 0) throw new Error('summarize: no samples');
  return {
    median: round(median(samples), digits),
    min: round(Math.min(...samples), digits),
    max: round(Math.max(...samples), digits),
    runs: samples.length,
  };
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed; returns the samples in ms. */
export async function sample(fn, { runs, warmup = 0 }) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Times one call; returns [ms, value]. */
export async function timed(fn) {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}
