// The process's peak resident memory while a piece of work runs, sampled every millisecond from a
// separate thread: RSS counts every thread (the sandbox's worker and the calling thread alike), and
// the sampler keeps sampling while the calling thread is busy copying out of the sandbox.
import { Worker } from 'node:worker_threads';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const peak = new Float64Array(workerData);
setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peak[0]) peak[0] = rss;
}, 1);
`;

/** Runs `work` and returns its value with how far RSS rose above where it was at the start, in bytes. */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ value: T; grownBytes: number }> {
  const shared = new SharedArrayBuffer(8);
  const peak = new Float64Array(shared);
  const sampler = new Worker(SAMPLER, { eval: true, workerData: shared });
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the sampler start
  const before = process.memoryUsage.rss();
  peak[0] = before;
  try {
    const value = await work();
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { value, grownBytes: Math.max(peak[0], process.memoryUsage.rss()) - before };
  } finally {
    await sampler.terminate();
  }
}
