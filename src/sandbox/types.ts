/** Limits of one sandbox run. */
export interface SandboxLimits {
  /**
   * Ceiling of the guest's WebAssembly memory, in bytes (rounded down to 64 KiB pages, at least
   * 20 MiB: QuickJS's 16 MiB initial heap plus the host's reserve; at most 2 GiB). The guest gets
   * about 15/16 of it; the rest is kept for copying values in and out.
   */
  memoryBytes: number;
  /** Wall-clock limit of the run, in milliseconds, from the start of the script. */
  timeoutMs: number;
  /** Guest stack limit in bytes (default 256 KiB; more lets V8's own stack overflow first). */
  stackBytes?: number;
  /**
   * Longest JSON of the returned value copied out of the guest, in characters (default 16 MiB of
   * them). A longer one is cut inside the guest before the copy; `jsonLength` tells its length.
   */
  maxValueChars?: number;
  /**
   * Host calls (tool calls, workspace calls) out at once, at most (default 1,000). Calls past it
   * wait inside the guest, in order, and start as earlier ones settle.
   */
  maxCallsInFlight?: number;
  /**
   * Longest JSON of one host call's arguments, in characters (default 16 MiB of them). A longer
   * call rejects inside the guest (a RangeError) and never reaches the host.
   */
  maxArgChars?: number;
}

/**
 * A function the guest may call as `globalThis[name](...args)`. Arguments arrive as the JSON
 * round trip of what the guest passed; the value is sent back as JSON.
 */
export type HostFunction = (...args: unknown[]) => Promise<unknown>;

/** One console call of the guest. */
export interface LogEntry {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  text: string;
}

/** How a run ended. Guest faults are outcomes, never exceptions. */
export type SandboxOutcome =
  | {
      ok: true;
      /**
       * The value as JSON, encoded inside the guest (guest.ts `toJson`: `JSON.stringify`, with Map,
       * Set, Error and BigInt given their JSON form; README.md, execute_code); undefined when it
       * gives undefined.
       * Only its first `limits.maxValueChars` characters when it is longer (then it is not JSON):
       * compare with `jsonLength`.
       */
      json: string | undefined;
      /** The length of the whole JSON text in the guest (0 for undefined); above `json.length` when it was cut. */
      jsonLength: number;
      logs: LogEntry[];
    }
  | {
      ok: false;
      /**
       * `cancelled`: `options.signal` aborted before the outcome was ready (message
       * `cancelled by the client`, no stack); the guest was stopped and made no host call after it.
       */
      kind: 'runtime' | 'timeout' | 'memory' | 'cancelled';
      /** One line, e.g. `TypeError: x is not a function`. */
      message: string;
      /** Guest stack frames (`    at fn (bundle.js:LINE:COL)`, COL 1-based), when there are any. */
      stack?: string;
      logs: LogEntry[];
    };

/** Options of `runInSandbox`. */
export interface SandboxOptions {
  limits: SandboxLimits;
  /** Functions exposed as `globalThis[name]` in the guest. */
  host: Record<string, HostFunction>;
  /** Name of the script in stack traces (default `bundle.js`). */
  filename?: string;
  /**
   * Console text kept for the outcome, in characters (default 1,000,000). Later lines are dropped
   * and counted in a final `warn` entry, so a chatty loop cannot grow the host without bound.
   */
  maxLogChars?: number;
  /**
   * Cancels the run: within 200 ms the guest stops (on the worker pool even one spinning in
   * `while (true) {}`; on the calling thread only between host turns, as a spinning guest holds
   * that thread), no host function is invoked after the abort, answers still pending are dropped,
   * and the outcome is `{ ok: false, kind: 'cancelled', message: CANCELLED_MESSAGE, logs }`. Already
   * aborted: nothing runs.
   */
  signal?: AbortSignal;
}

/** The message of a `cancelled` outcome. */
export const CANCELLED_MESSAGE = 'cancelled by the client';

/** The outcome of a run cancelled through `SandboxOptions.signal`. */
export function cancelledOutcome(logs: LogEntry[]): SandboxOutcome {
  return { ok: false, kind: 'cancelled', message: CANCELLED_MESSAGE, logs };
}
