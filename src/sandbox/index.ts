// The sandbox stage: runs a bundled script in a fresh QuickJS (WebAssembly) instance with a
// fixed memory, a stack limit and a wall-clock limit, and bridges console, timers and host
// functions. Guest faults come back as outcomes, never as exceptions (docs/architecture.md).

import { newEngine, warmEngine } from './engine.js';
import { Run } from './run.js';
import type { SandboxOptions, SandboxOutcome } from './types.js';

export type { HostFunction, LogEntry, SandboxLimits, SandboxOptions, SandboxOutcome } from './types.js';

/**
 * Runs `script` (a classic script, e.g. a bundle) in a FRESH QuickJS instance. The script must set
 * `globalThis.__runbyteMain` to an async function; the sandbox calls it, awaits its promise
 * (pumping jobs, timers and host calls), and JSON-stringifies the value inside the guest.
 *
 * The guest has console (captured as `logs`), `setTimeout`/`clearTimeout`, and each `host`
 * function as `globalThis[name]`, which returns a promise; arguments and values cross as JSON,
 * and a host rejection rejects with an Error carrying its message. There is no `process`,
 * `require`, `fetch` or `WebAssembly`.
 *
 * Never throws for guest faults: an exception, a syntax error or a promise that can no longer
 * settle is `runtime`; the wall-clock limit is `timeout`; a full heap is `memory`. It rejects only
 * when the engine itself cannot be loaded.
 */
export async function runInSandbox(script: string, options: SandboxOptions): Promise<SandboxOutcome> {
  const engine = await newEngine(options.limits.memoryBytes);
  return new Run(engine, options).execute(script);
}

/** Compiles the QuickJS WebAssembly module now, so that the first run does not pay for it. */
export async function warmSandbox(): Promise<void> {
  await warmEngine();
}
