// The in-thread sandbox: one fresh QuickJS instance on the calling thread. The worker (worker.ts)
// runs exactly this; index.ts only decides where it runs.

import { compileQuickJs, newQuickJsInstance } from './quickjs.js';
import { type CancelProbe, Run } from './run.js';
import { cancelledOutcome, type SandboxOptions, type SandboxOutcome } from './types.js';

/**
 * Runs `script` on this thread (see index.ts `runInSandbox` for the contract). `probe`: another way
 * the run learns it is cancelled, read by the interrupt handler (the worker's shared word).
 *
 * On this thread, `options.signal` is heard between host turns (a guest awaiting the host, a timer)
 * and, through the interrupt handler, when a host function aborts it during its call. A guest spinning
 * without a host call holds this thread, so no abort can even be delivered: only its deadline stops it.
 */
export async function runHere(script: string, options: SandboxOptions, probe?: CancelProbe): Promise<SandboxOutcome> {
  if (options.signal?.aborted || probe?.cancelled()) return cancelledOutcome([]);
  const instance = await newQuickJsInstance(options.limits.memoryBytes);
  return new Run(instance, options, probe).execute(script);
}

/** Compiles this thread's copy of the WebAssembly module. */
export async function warmHere(): Promise<void> {
  await compileQuickJs();
}
