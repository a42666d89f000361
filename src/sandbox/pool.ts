// A small pool of sandbox worker threads (worker.ts), so that a guest spinning in `while (true) {}`
// blocks only its own thread, never the main thread that serves every session. Workers start
// lazily, compile the WebAssembly module once each, and take one run at a time; runs wait in a
// queue when all are busy. The worker enforces the limits itself (run.ts); the main thread keeps a
// hard timer a little past the deadline and terminates a worker that has not answered by then.
// A cancelled run (SandboxOptions.signal) is interrupted inside its worker, which then takes the
// next run: abort to the next run's start measured ~3 ms (bench/sandbox.js), where terminating
// and starting a worker until it is ready measured ~160 ms built (~0.6 s from sources); a worker
// that does not stop within CANCEL_GRACE_MS is terminated and replaced.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { messageOf } from '../shared/errors.js';
import { sourceHooksBootstrap } from '../shared/source-hooks.js';
import type { FromWorker, HostCall, HostResult, ToWorker, WorkerData } from './protocol.js';
import { cancelledOutcome, type SandboxOptions, type SandboxOutcome } from './types.js';

/** How long after its deadline a worker that has not answered is terminated. */
export const HARD_KILL_GRACE_MS = 1_000;
/**
 * How long a cancelled run's worker may take to stop before it is terminated. Its guest's interrupt
 * handler or its message loop stops it in about a millisecond; only a guest stuck where QuickJS
 * checks for no interrupt gets near this, and the whole cancel stays within 200 ms.
 */
export const CANCEL_GRACE_MS = 100;

interface Job {
  script: string;
  options: SandboxOptions;
  resolve(outcome: SandboxOutcome): void;
  reject(error: unknown): void;
  /** Stops listening to `options.signal`. */
  release(): void;
}

interface Slot {
  worker: Worker;
  state: 'starting' | 'idle' | 'busy' | 'gone';
  job?: Job;
  runId: number;
  hardTimer?: NodeJS.Timeout;
  /** Its job was cancelled: the worker is stopping it, and nothing more of that run reaches the host. */
  cancelling: boolean;
  /** Shared with the worker: the id of the run cancelled last (protocol.ts, WorkerData). */
  cancelWord: Int32Array;
  /** Settles when the worker is ready, or has failed to start. */
  ready: Promise<void>;
  /** Answers of the current run not yet sent: every one that settles in a turn of the event loop goes in one message. */
  answers: HostResult[];
  /** Host calls of the current run started and not yet answered. */
  outstanding: number;
}

export interface PoolOptions {
  size?: number;
  /** Milliseconds past the deadline before a silent worker is terminated. */
  graceMs?: number;
}

export class SandboxPool {
  readonly size: number;
  private readonly graceMs: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextRunId = 1;

  constructor(options: PoolOptions = {}) {
    this.size = options.size ?? Math.min(4, Math.max(2, availableParallelism()));
    this.graceMs = options.graceMs ?? HARD_KILL_GRACE_MS;
  }

  run(script: string, options: SandboxOptions): Promise<SandboxOutcome> {
    const { signal } = options;
    if (signal?.aborted) return Promise.resolve(cancelledOutcome([]));
    return new Promise((resolve, reject) => {
      const onAbort = () => this.cancel(job);
      const release = () => signal?.removeEventListener('abort', onAbort);
      const job: Job = {
        script,
        options,
        resolve: (outcome) => {
          release();
          resolve(outcome);
        },
        reject: (error) => {
          release();
          reject(error);
        },
        release,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Starts workers until `count` (at most the pool's size) are alive, and waits until they are ready. */
  async warm(count = 1): Promise<void> {
    while (this.slots.size < Math.min(count, this.size)) this.spawn();
    await Promise.all([...this.slots].map((slot) => slot.ready));
  }

  /** Workers alive now (for tests). */
  get workers(): number {
    return this.slots.size;
  }

  /** Terminates every worker; queued and running jobs end as runtime faults. */
  async close(): Promise<void> {
    const slots = [...this.slots];
    for (const job of this.queue.splice(0)) job.resolve(failure('runtime', 'the sandbox pool was closed'));
    await Promise.all(slots.map((slot) => this.retire(slot, failure('runtime', 'the sandbox pool was closed'))));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const idle = [...this.slots].find((slot) => slot.state === 'idle');
      if (idle) {
        this.dispatch(idle, this.queue.shift()!);
        continue;
      }
      const starting = [...this.slots].filter((slot) => slot.state === 'starting').length;
      if (starting < this.queue.length && this.slots.size < this.size) {
        this.spawn();
        continue;
      }
      return;
    }
  }

  /** `job`'s signal aborted: drop it from the queue, or stop its run (see the top of this file). */
  private cancel(job: Job): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      job.resolve(cancelledOutcome([]));
      return;
    }
    const slot = [...this.slots].find((candidate) => candidate.job === job);
    if (!slot || slot.cancelling) return;
    slot.cancelling = true;
    // The word reaches a spinning guest's interrupt handler; the message, a worker waiting on the host.
    Atomics.store(slot.cancelWord, 0, slot.runId);
    slot.worker.postMessage({ type: 'cancel', runId: slot.runId } satisfies ToWorker);
    clearTimeout(slot.hardTimer);
    slot.hardTimer = setTimeout(() => void this.retire(slot, cancelledOutcome([])), CANCEL_GRACE_MS);
  }

  private spawn(): Slot {
    const cancelWord = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerUrl(), { workerData: { cancel: cancelWord } satisfies WorkerData });
    let markReady!: () => void;
    const slot: Slot = {
      worker,
      state: 'starting',
      runId: 0,
      cancelling: false,
      cancelWord,
      ready: new Promise((resolve) => (markReady = resolve)),
      answers: [],
      outstanding: 0,
    };
    this.slots.add(slot);
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message, markReady));
    worker.on('error', (error) => this.onCrash(slot, error, markReady));
    worker.on('exit', (code) => this.onCrash(slot, new Error(`the sandbox worker exited (code ${code})`), markReady));
    return slot;
  }

  private dispatch(slot: Slot, job: Job): void {
    const runId = this.nextRunId++;
    slot.state = 'busy';
    slot.job = job;
    slot.runId = runId;
    slot.cancelling = false;
    slot.answers = [];
    slot.outstanding = 0;
    slot.worker.ref();
    const { limits, filename, maxLogChars, host } = job.options;
    slot.hardTimer = setTimeout(
      () => {
        // The worker did not answer by the deadline and the grace after it: its thread is stuck.
        void this.retire(slot, failure('timeout', `execution exceeded ${limits.timeoutMs} ms`));
      },
      clampDelay(limits.timeoutMs + this.graceMs),
    );
    const message: ToWorker = { type: 'run', runId, script: job.script, limits, filename, maxLogChars, hostNames: Object.keys(host) };
    slot.worker.postMessage(message);
  }

  private onMessage(slot: Slot, message: FromWorker, markReady: () => void): void {
    if (slot.state === 'gone') return;
    if (message.type === 'ready') {
      slot.state = 'idle';
      slot.worker.unref();
      markReady();
      this.pump();
      return;
    }
    if (message.runId !== slot.runId || !slot.job) return;
    if (message.type === 'done') {
      const job = slot.job;
      const cancelled = slot.cancelling;
      clearTimeout(slot.hardTimer);
      slot.job = undefined;
      slot.state = 'idle';
      slot.cancelling = false;
      slot.worker.unref();
      // Cancelled before this arrived: the client asked for no value; the console is kept.
      job.resolve(cancelled ? cancelledOutcome(message.outcome.logs) : message.outcome);
      this.pump();
      return;
    }
    // A call the guest made before it heard of the cancel is never invoked.
    if (slot.cancelling) return;
    slot.outstanding += message.calls.length;
    for (const call of message.calls) this.callHost(slot, slot.job, message.runId, call);
  }

  private callHost(slot: Slot, job: Job, runId: number, call: HostCall): void {
    const { callId, name, argsJson } = call;
    const fn = Object.hasOwn(job.options.host, name) ? job.options.host[name] : undefined;
    const answer = (result: HostResult) => {
      // A late answer for a run that has ended (or a worker that is gone) is dropped.
      if (slot.state !== 'busy' || slot.runId !== runId || slot.cancelling) return;
      slot.outstanding -= 1;
      slot.answers.push(result);
      // The run waits on nothing else (code calling tools one after another): sent at once. Else
      // once this turn of the event loop is over, with every other answer that settled in it.
      if (slot.outstanding === 0) this.sendAnswers(slot, runId);
      else if (slot.answers.length === 1) setImmediate(() => this.sendAnswers(slot, runId));
    };
    void (async () => {
      if (!fn) throw new Error(`no host function named ${name}`);
      return fn(...(JSON.parse(argsJson) as unknown[]));
    })().then(
      (value) => {
        let json: string | undefined;
        try {
          json = JSON.stringify(value);
        } catch (error) {
          return answer({ callId, ok: false, message: `the host function's value is not JSON: ${messageOf(error)}` });
        }
        answer({ callId, ok: true, json });
      },
      (error: unknown) => answer({ callId, ok: false, message: shortMessage(error) }),
    );
  }

  private sendAnswers(slot: Slot, runId: number): void {
    // The run has ended (its answers were dropped with it at the next dispatch): nothing of it is sent.
    if (slot.runId !== runId) return;
    const results = slot.answers;
    slot.answers = [];
    if (results.length > 0 && slot.state === 'busy' && !slot.cancelling) slot.worker.postMessage({ type: 'results', runId, results } satisfies ToWorker);
  }

  private onCrash(slot: Slot, error: Error, markReady: () => void): void {
    if (slot.state === 'gone') return;
    const wasStarting = slot.state === 'starting';
    void this.retire(slot, crashOutcome(error));
    markReady();
    if (wasStarting) {
      // The worker could not even load QuickJS: the runs waiting for it cannot run either.
      for (const job of this.queue.splice(0)) job.reject(error);
    }
    this.pump();
  }

  /** Takes `slot` out of the pool, ends its job (if any) with `outcome`, and terminates its thread. */
  private async retire(slot: Slot, outcome: SandboxOutcome): Promise<void> {
    if (slot.state === 'gone') return;
    slot.state = 'gone';
    this.slots.delete(slot);
    clearTimeout(slot.hardTimer);
    const job = slot.job;
    slot.job = undefined;
    job?.resolve(outcome);
    await slot.worker.terminate().catch(() => undefined);
    this.pump();
  }
}

/** A host error's message for the guest; run.ts cuts it to this length anyway, so a longer one is not sent. */
function shortMessage(error: unknown): string {
  const message = messageOf(error);
  return message.length > MAX_REJECTION_CHARS ? `${message.slice(0, MAX_REJECTION_CHARS)}…` : message;
}

const MAX_REJECTION_CHARS = 64 * 1024;

function failure(kind: 'runtime' | 'timeout' | 'memory', message: string): SandboxOutcome {
  return { ok: false, kind, message, logs: [] };
}

function crashOutcome(error: Error): SandboxOutcome {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return failure('memory', 'out of memory (the sandbox thread ran out)');
  return failure('runtime', `the sandbox failed: ${messageOf(error)}`);
}

function clampDelay(ms: number): number {
  return Number.isFinite(ms) ? Math.min(2 ** 31 - 1, Math.max(0, ms)) : 2 ** 31 - 1;
}

/**
 * The worker's entry. Built (dist/): worker.js next to this file. From TypeScript sources (vitest
 * runs src/*.ts directly, and a worker cannot load .ts): a small bootstrap that registers the loader
 * hooks of shared/source-hooks.ts, then imports worker.ts.
 */
function workerUrl(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url);
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `await import(${JSON.stringify(sourceHooksBootstrap())});\nawait import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}
