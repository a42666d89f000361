// The sandbox stage: runs a bundled script in a fresh QuickJS (WebAssembly) instance with a
// fixed memory, a stack limit and a wall-clock limit, and bridges console, timers and host
// functions. Guest faults come back as outcomes, never as exceptions (docs/architecture.md).

import { runHere, warmHere } from './local.js';
import { SandboxPool } from './pool.js';
import type { SandboxOptions, SandboxOutcome } from './types.js';

export { CANCELLED_MESSAGE, type HostFunction, type LogEntry, type SandboxLimits, type SandboxOptions, type SandboxOutcome } from './types.js';

/**
 * Runs `script` (a classic script, e.g. a bundle) in a FRESH QuickJS instance, on a worker thread of
 * a small pool (pool.ts), so a guest that never yields blocks only its own thread. The script must set
 * `globalThis.__runbyteMain` to an async function; the sandbox calls it, awaits its promise
 * (pumping jobs, timers and host calls), and JSON-stringifies the value inside the guest.
 *
 * The guest has console (captured as `logs`), `setTimeout`/`clearTimeout`, and each `host`
 * function as `globalThis[name]`, which returns a promise; arguments and values cross as JSON,
 * and a host rejection rejects with an Error carrying its message. There is no `process`,
 * `require`, `fetch` or `WebAssembly`.
 *
 * Never throws for guest faults: an exception, a syntax error or a promise that can no longer
 * settle is `runtime`; the wall-clock limit is `timeout`; a full heap is `memory`; an abort of
 * `options.signal` is `cancelled` (types.ts, SandboxOptions.signal). It rejects only
 * when QuickJS itself cannot be loaded.
 */
export async function runInSandbox(script: string, options: SandboxOptions): Promise<SandboxOutcome> {
  return useWorkers ? sharedPool().run(script, options) : runHere(script, options);
}

/**
 * Starts two sandbox workers (each compiles its QuickJS WebAssembly module), so that neither the
 * first run nor a run beside a busy one pays for a worker's start.
 */
export async function warmSandbox(): Promise<void> {
  await (useWorkers ? sharedPool().warm(WARM_WORKERS) : warmHere());
}

const WARM_WORKERS = 2;

/**
 * Where runs go. Built (dist/): worker threads. From TypeScript sources (vitest runs src/*.ts
 * directly): on this thread, as a worker cannot load .ts without a loader hook, and the hook
 * (pool.ts) makes a worker's start ~0.6 s instead of ~50 ms. test/sandbox/worker.test.ts drives
 * the pool itself. RUNBYTE_SANDBOX=worker|thread overrides the choice.
 */
const useWorkers = process.env.RUNBYTE_SANDBOX === 'worker' || (process.env.RUNBYTE_SANDBOX !== 'thread' && !import.meta.url.endsWith('.ts'));

let pool: SandboxPool | undefined;

/** The process's pool of sandbox worker threads (pool.ts); created on first use. */
function sharedPool(): SandboxPool {
  pool ??= new SandboxPool();
  return pool;
}

// exec/ imports this module at the start of an execution, before type-checking and bundling: the
// first workers boot (~50 ms) meanwhile. Idle workers are unref'd: they never keep a process alive.
if (useWorkers)
  sharedPool()
    .warm(WARM_WORKERS)
    .catch(() => undefined);
