// Messages between the main thread (pool.ts) and a sandbox worker (worker.ts). One worker runs one
// script at a time; `runId` tells a late message of an earlier run from the current one.

import type { SandboxLimits, SandboxOutcome } from './types.js';

export type ToWorker =
  | { type: 'run'; runId: number; script: string; limits: SandboxLimits; filename?: string; maxLogChars?: number; hostNames: string[] }
  /** The answer to a host call: the value's JSON (undefined for undefined), or the error's message. */
  | { type: 'result'; runId: number; callId: number; ok: true; json: string | undefined }
  | { type: 'result'; runId: number; callId: number; ok: false; message: string }
  /**
   * Stop run `runId` now. Heard only between host turns; a spinning guest is stopped through the
   * shared cancel word instead (WorkerData).
   */
  | { type: 'cancel'; runId: number };

/**
 * What a worker is started with. `cancel` is one shared Int32: the main thread stores there the id
 * of a run it cancels, and the guest's interrupt handler reads it, since a guest spinning in
 * `while (true) {}` never lets the worker read a message.
 */
export interface WorkerData {
  cancel: Int32Array;
}

export type FromWorker =
  /** The WebAssembly module is compiled: the worker takes runs. */
  { type: 'ready' } | { type: 'call'; runId: number; callId: number; name: string; args: unknown[] } | { type: 'done'; runId: number; outcome: SandboxOutcome };
