// The in-thread sandbox: one fresh QuickJS instance on the calling thread. The worker (worker.ts)
// runs exactly this; index.ts only decides where it runs.

import { compileQuickJs, newQuickJsInstance } from './quickjs.js';
import { type CancelProbe, type HostBridge, type PreparedGuest, Run } from './run.js';
import { cancelledOutcome, type SandboxOptions, type SandboxOutcome } from './types.js';

/** What a worker adds to a run on its thread (worker.ts). */
export interface RunExtras {
  /** Another way the run learns it is cancelled, read by the interrupt handler (the worker's shared word). */
  probe?: CancelProbe;
  /** Where host calls go instead of `options.host` (whose names the guest still gets). */
  bridge?: HostBridge;
  /** A fresh instance prepared ahead for this run (never one that ran anything). */
  prepared?: Promise<PreparedGuest>;
}

/**
 * Runs `script` on this thread (see index.ts `runInSandbox` for the contract).
 *
 * On this thread, `options.signal` is heard between host turns (a guest awaiting the host, a timer)
 * and, through the interrupt handler, when a host function aborts it during its call. A guest spinning
 * without a host call holds this thread, so no abort can even be delivered: only its deadline stops it.
 */
export async function runHere(script: string, options: SandboxOptions, extras: RunExtras = {}): Promise<SandboxOutcome> {
  if (options.signal?.aborted || extras.probe?.cancelled()) return cancelledOutcome([]);
  const instance = await (extras.prepared ?? newQuickJsInstance(options.limits.memoryBytes));
  return new Run(instance, options, extras.probe, extras.bridge).execute(script);
}

/** Compiles this thread's copy of the WebAssembly module. */
export async function warmHere(): Promise<void> {
  await compileQuickJs();
}
