// The in-thread sandbox: one fresh QuickJS instance on the calling thread. The worker (worker.ts)
// runs exactly this; index.ts only decides where it runs.

import { compileQuickJs, newQuickJsInstance } from './quickjs.js';
import { Run } from './run.js';
import type { SandboxOptions, SandboxOutcome } from './types.js';

/** Runs `script` on this thread (see index.ts `runInSandbox` for the contract). */
export async function runHere(script: string, options: SandboxOptions): Promise<SandboxOutcome> {
  const instance = await newQuickJsInstance(options.limits.memoryBytes);
  return new Run(instance, options).execute(script);
}

/** Compiles this thread's copy of the WebAssembly module. */
export async function warmHere(): Promise<void> {
  await compileQuickJs();
}
