// Messages between the main thread (pool.ts) and a sandbox worker (worker.ts). One worker runs one
// script at a time; `runId` tells a late message of an earlier run from the current one.

import type { SandboxLimits, SandboxOutcome } from './types.js';

export type ToWorker =
  | { type: 'run'; runId: number; script: string; limits: SandboxLimits; filename?: string; maxLogChars?: number; hostNames: string[] }
  /**
   * Answers to host calls, every one that settled in one turn of the main thread's event loop: one
   * message, and one host turn in the guest, for a `Promise.all`'s worth of them.
   */
  | { type: 'results'; runId: number; results: HostResult[] }
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

/** The answer to a host call: the value's JSON (undefined for undefined), or the error's message. */
export type HostResult = { callId: number; ok: true; json: string | undefined } | { callId: number; ok: false; message: string };

/**
 * A host call as the guest made it: its arguments are the JSON text the guest encoded, parsed once,
 * on the main thread, where the host function runs (not parsed, cloned and rebuilt on the way).
 */
export interface HostCall {
  callId: number;
  name: string;
  argsJson: string;
}

export type FromWorker =
  /** The WebAssembly module is compiled: the worker takes runs. */
  | { type: 'ready' }
  /** The host calls the guest started in one host turn (a `Promise.all` of 100 is one message). */
  | { type: 'calls'; runId: number; calls: HostCall[] }
  | { type: 'done'; runId: number; outcome: SandboxOutcome };
