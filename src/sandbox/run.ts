import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten-core';
import { messageOf } from '../shared/errors.js';
import { GUEST_SOURCE, type GuestConfig, WALK_SOURCE } from './guest.js';
import type { HeapGuard } from './heap.js';
import type { QuickJsInstance } from './quickjs.js';
import { CANCELLED_MESSAGE, type LogEntry, type SandboxOptions, type SandboxOutcome } from './types.js';

/** Name of the guest half (guest.ts) in stack traces; its frames are left out of outcomes. */
const GUEST_FILE = 'runbyte-guest.js';
const DEFAULT_FILENAME = 'bundle.js';
/** docs/decisions.md, trap 3: above ~256 KiB V8's own stack overflows before QuickJS notices. */
const DEFAULT_STACK_BYTES = 256 * 1024;
const DEFAULT_MAX_LOG_CHARS = 1_000_000;
/** Longest single string copied across the boundary (at most 3 bytes a char in the glue's buffer). */
const CHUNK_CHARS = 64 * 1024;
/** Pending guest timers, each one Node timer on the host. */
const MAX_TIMERS = 10_000;
const MAX_STACK_LINES = 40;
const MAX_THROWN_CHARS = 2_000;
/** A note of guest.ts about the returned value (a few paths and a sentence). */
const MAX_NOTE_CHARS = 2_000;
/**
 * What is copied out of a thrown Error, at most (characters): longer text is cut inside the guest
 * before the copy, so a huge message costs the host nothing (docs/architecture.md, sandbox/).
 */
const MAX_NAME_CHARS = 200;
const MAX_MESSAGE_CHARS = 10_000;
/** Enough for MAX_STACK_LINES frames of the script, with room for frames left out. */
const MAX_STACK_CHARS = 64 * 1024;
/** Defaults of the limits in SandboxLimits. */
export const DEFAULT_MAX_VALUE_CHARS = 16 * 1024 * 1024;
export const DEFAULT_MAX_ARG_CHARS = 16 * 1024 * 1024;
export const DEFAULT_MAX_CALLS_IN_FLIGHT = 1_000;
/** Node's own ceiling for timer delays; longer ones fire at once with a warning. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Prefix of the message for a thrown value that is not an Error (guest.ts says the same). */
const NON_ERROR = 'a non-Error value was thrown:';
/**
 * Names agents reach for that only Node.js or a browser has. When code that got past the type check
 * (`@ts-ignore`, `declare const fetch: any`) uses one, QuickJS says only that it is not defined;
 * the hint says what to use instead. (The type check says the same for the names it knows.)
 */
const HOST_API =
  /^ReferenceError: '(process|require|module|exports|Buffer|__dirname|__filename|global|fetch|XMLHttpRequest|WebSocket|EventSource|window|document|navigator|localStorage)' is not defined$/;
const NO_HOST_API_HINT =
  "The sandbox has no Node.js or browser APIs (no network, no file system, no require): reach the outside through the tools of the configured MCP servers (import them from './servers/<server>'; list_directory /servers shows them), and the workspace through '@runbyte/fs'.";
const LEVELS: ReadonlySet<string> = new Set<LogEntry['level']>(['log', 'info', 'warn', 'error', 'debug']);

/** A host function's value already encoded as JSON (undefined for undefined): crossed as is. */
export class EncodedJson {
  constructor(readonly json: string | undefined) {}
}

type Failure = { ok: false; kind: 'runtime' | 'timeout' | 'memory' | 'cancelled'; message: string; stack?: string };

/**
 * Where a worker's host calls go (worker.ts): the guest's JSON text of the arguments as it is, so
 * it is parsed once, where the host function runs, instead of parsed here and cloned across.
 */
export type HostBridge = (name: string, argsJson: string) => Promise<unknown>;

/**
 * A fresh instance with its runtime and context made and the guest half (guest.ts) parsed, but not
 * yet installed: what a worker makes while idle for its next run (worker.ts), so a run starts at
 * installing its console, timers and host functions. Never one that ran anything.
 */
export interface PreparedGuest {
  instance: QuickJsInstance;
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  /** guest.ts `installGuest`, evaluated. */
  install: QuickJSHandle;
}

/** Makes the runtime and context of a fresh instance and evaluates the guest half in it. */
export function prepareGuest(instance: QuickJsInstance): PreparedGuest {
  const rt = instance.module.newRuntime();
  const ctx = rt.newContext();
  return { instance, rt, ctx, install: ctx.unwrapResult(ctx.evalCode(GUEST_SOURCE, GUEST_FILE, { type: 'global' })) };
}

/** How a run is told it is cancelled besides `options.signal` (the worker's shared cancel word, worker.ts). */
export interface CancelProbe {
  /** Read by the interrupt handler, so it must be cheap; true once the run is cancelled. */
  cancelled(): boolean;
}
type Ending = { ok: true; json: string | undefined; jsonLength: number } | Failure;

/** Guest text copied out: at most the characters asked for, and the length of the whole text. */
interface Copied {
  text: string;
  length: number;
}

/**
 * One execution in one fresh QuickJS instance. Every host entry point (the start, a settled host call, a
 * fired timer) is a "host turn": it drives the guest, pumps its jobs, and checks whether the
 * returned promise settled. Any exception the instance throws at the host (a trap, V8's own stack
 * overflow) ends the run as an outcome, and the instance is then left untouched.
 */
export class Run {
  private readonly heap: HeapGuard;
  private readonly filename: string;
  private readonly maxLogChars: number;
  private readonly maxValueChars: number;
  private readonly maxArgChars: number;
  private readonly logs: LogEntry[] = [];
  private logChars = 0;
  private droppedLogs = 0;
  /** Host calls in flight, by their guest id (guest.ts keeps their promises). */
  private readonly calls = new Set<number>();
  /** Answers waiting for the host turn that settles them all (settleCall). */
  private settling: { id: number; ok: boolean; payload: unknown }[] = [];
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private rt?: QuickJSRuntime;
  private ctx?: QuickJSContext;
  private startHandle?: QuickJSHandle;
  private fireHandle?: QuickJSHandle;
  private sliceHandle?: QuickJSHandle;
  private settleHandle?: QuickJSHandle;
  private showHandle?: QuickJSHandle;
  /** The promise `start()` returned. */
  private main?: QuickJSHandle;
  private deadline = Number.POSITIVE_INFINITY;
  private deadlineTimer?: NodeJS.Timeout;
  private interrupted = false;
  /** The run is cancelled: the next host turn ends it, and no host function is invoked meanwhile. */
  private cancelRequested = false;
  /** A host turn is driving the guest: the runtime must not be freed under its frames. */
  private driving = false;
  private readonly onAbort = () => this.cancel();
  private crashed = false;
  private finished = false;
  private report: (outcome: SandboxOutcome) => void = () => {};

  private readonly instance: QuickJsInstance;
  private prepared?: PreparedGuest;

  /** `from`: a fresh instance, or one prepared ahead (prepareGuest); either is used for this run only. */
  constructor(
    from: QuickJsInstance | PreparedGuest,
    private readonly options: SandboxOptions,
    private readonly probe?: CancelProbe,
    private readonly bridge?: HostBridge,
  ) {
    if ('install' in from) {
      this.prepared = from;
      this.instance = from.instance;
    } else {
      this.instance = from;
    }
    this.heap = this.instance.heap;
    this.filename = options.filename ?? DEFAULT_FILENAME;
    this.maxLogChars = Math.max(0, options.maxLogChars ?? DEFAULT_MAX_LOG_CHARS);
    this.maxValueChars = Math.max(0, options.limits.maxValueChars ?? DEFAULT_MAX_VALUE_CHARS);
    this.maxArgChars = Math.max(0, options.limits.maxArgChars ?? DEFAULT_MAX_ARG_CHARS);
  }

  /** Evaluates `script`, calls its `__runbyteMain`, and settles with the outcome. Never rejects. */
  execute(script: string): Promise<SandboxOutcome> {
    const outcome = new Promise<SandboxOutcome>((resolve) => {
      this.report = resolve;
    });
    const { signal } = this.options;
    if (signal?.aborted || this.probe?.cancelled()) {
      this.cancelRequested = true;
      this.finish(this.cancelled());
      return outcome;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.hostTurn(() => {
      const ctx = this.setUp();
      const { timeoutMs } = this.options.limits;
      this.deadline = performance.now() + timeoutMs;
      // The interrupt handler does not run while the guest waits on the host (docs/decisions.md, trap 2).
      this.deadlineTimer = setTimeout(() => this.finish(this.timedOut()), clampDelay(timeoutMs));
      const evaluated = this.heap.asGuest(() => ctx.evalCode(script, this.filename, { type: 'global' }));
      if (evaluated.error) return this.fail(evaluated.error);
      evaluated.value.dispose();
      const started = this.heap.asGuest(() => ctx.callFunction(this.startHandle!, ctx.undefined));
      if (started.error) return this.fail(started.error);
      this.main = started.value;
      this.pump();
    });
    return outcome;
  }

  private setUp(): QuickJSContext {
    const { rt, ctx, install } = this.prepared ?? prepareGuest(this.instance);
    this.prepared = undefined;
    this.rt = rt;
    this.ctx = ctx;
    rt.setMaxStackSize(this.options.limits.stackBytes ?? DEFAULT_STACK_BYTES);
    rt.setInterruptHandler(() => this.shouldInterrupt());
    const natives = this.newNatives(ctx);
    const config: GuestConfig = {
      hostNames: Object.keys(this.options.host),
      maxLogChars: this.maxLogChars,
      chunkChars: CHUNK_CHARS,
      maxCallsInFlight: Math.max(1, this.options.limits.maxCallsInFlight ?? DEFAULT_MAX_CALLS_IN_FLIGHT),
      maxArgChars: this.maxArgChars,
    };
    const configHandle = ctx.newString(JSON.stringify(config));
    const entry = ctx.unwrapResult(ctx.callFunction(install, ctx.undefined, natives, configHandle));
    for (const handle of [install, natives, configHandle]) handle.dispose();
    this.startHandle = ctx.getProp(entry, 'start');
    this.fireHandle = ctx.getProp(entry, 'fire');
    this.sliceHandle = ctx.getProp(entry, 'slice');
    this.settleHandle = ctx.getProp(entry, 'settle');
    this.showHandle = ctx.getProp(entry, 'show');
    entry.dispose();
    return ctx;
  }

  /** The host functions of guest.ts's `GuestNatives`. They run as host work (heap reserve usable). */
  private newNatives(ctx: QuickJSContext): QuickJSHandle {
    const natives = ctx.newObject();
    const define = (name: string, body: (...args: QuickJSHandle[]) => QuickJSHandle | undefined) => {
      const fn = ctx.newFunction(name, (...args) => this.heap.asHost(() => body(...args)));
      ctx.setProp(natives, name, fn);
      fn.dispose();
    };
    define('log', (level, text, length) => {
      // The guest cut the line to what is left of the budget; the copy is bounded by it all the same.
      const copied = this.copyString(text, Math.max(0, this.maxLogChars - this.logChars));
      if (copied) this.log(ctx.getString(level), copied.text, Math.max(ctx.getNumber(length), copied.length));
    });
    define('call', (name, argsJson, id) => {
      this.startCall(ctx.getString(name), argsJson, ctx.getNumber(id));
    });
    define('setTimer', (id, delay) => (this.setTimer(ctx.getNumber(id), ctx.getNumber(delay)) ? ctx.true : ctx.false));
    define('clearTimer', (id) => {
      this.clearTimer(ctx.getNumber(id));
    });
    // Returned to the guest, which takes the handle over.
    define('loadWalk', () => ctx.unwrapResult(ctx.evalCode(WALK_SOURCE, GUEST_FILE, { type: 'global' })));
    define('note', (text) => {
      // Outside the console budget: a spent budget must not hide what happened to the value.
      const copied = this.copyString(text, MAX_NOTE_CHARS);
      if (copied) this.logs.push({ level: 'warn', text: cutNote(copied, '') });
    });
    return natives;
  }

  private shouldInterrupt(): boolean {
    // A signal aborted by a host function while the guest is in its call is seen here, not in onAbort's turn.
    if (!this.cancelRequested && (this.options.signal?.aborted || this.probe?.cancelled())) this.cancelRequested = true;
    if (this.finished || this.cancelRequested || this.heap.exhausted || performance.now() > this.deadline) {
      this.interrupted = true;
      return true;
    }
    return false;
  }

  /** Runs `body` as one host turn; ends the run if the instance threw or the heap reserve was touched. */
  private hostTurn(body: () => void): void {
    if (this.finished) return;
    this.driving = true;
    try {
      body();
      if (!this.finished && this.heap.exhausted) this.finish(this.outOfMemory());
    } catch (error) {
      this.crash(error);
    } finally {
      this.driving = false;
    }
    // Cancelled during the turn (a host function aborted the signal): ended now that no guest frame is left.
    if (!this.finished && this.cancelRequested) this.finish(this.cancelled());
  }

  /**
   * Stops the run as `cancelled`. Between host turns it ends at once; inside one (a host function
   * aborted the signal during its call) the interrupt handler stops the guest and the turn ends it.
   */
  private cancel(): void {
    if (this.finished) return;
    this.cancelRequested = true;
    if (!this.driving) this.finish(this.cancelled());
  }

  /** Runs the guest's pending jobs, then looks at the returned promise. */
  private pump(): void {
    const rt = this.rt!;
    const result = this.heap.asGuest(() => rt.executePendingJobs());
    if (result.error) return this.fail(result.error);
    this.check();
  }

  private check(): void {
    if (this.finished || !this.main) return;
    const ctx = this.ctx!;
    const state = ctx.getPromiseState(this.main);
    if (state.type === 'pending') {
      if (this.calls.size === 0 && this.timers.size === 0) {
        // Out of memory, QuickJS drops promise jobs it cannot allocate.
        if (this.heap.nearCeiling()) return this.finish(this.outOfMemory());
        this.finish({
          ok: false,
          kind: 'runtime',
          message: 'the returned promise never settled (nothing was left to wait for: no timers, no host calls)',
        });
      }
      return;
    }
    if (state.type === 'rejected') return this.fail(state.error);
    let copied: Copied | undefined;
    try {
      if (ctx.typeof(state.value) !== 'string') return this.finish({ ok: true, json: undefined, jsonLength: 0 });
      // At most maxValueChars cross; exec cuts far shorter and reports the whole length.
      copied = this.copyString(state.value, this.maxValueChars);
    } finally {
      state.value.dispose();
    }
    if (!copied) return this.finish(this.heap.exhausted || this.heap.nearCeiling() ? this.outOfMemory() : this.unreadable('the returned value'));
    this.finish({ ok: true, json: copied.text, jsonLength: copied.length });
  }

  // ---- host calls -------------------------------------------------------------------------

  /** Starts host call `id`; its answer comes back in a later host turn (settleCall). */
  private startCall(name: string, argsHandle: QuickJSHandle, id: number): void {
    // Cancelled in this very turn: the guest is stopped at its next interrupt check; this call never leaves.
    if (this.cancelRequested || this.options.signal?.aborted || this.probe?.cancelled()) {
      this.cancelRequested = true;
      return;
    }
    this.calls.add(id);
    const fn = Object.hasOwn(this.options.host, name) ? this.options.host[name] : undefined;
    // guest.ts refuses longer arguments; the host copies at most that much all the same.
    const args = this.copyString(argsHandle, this.maxArgChars);
    const bridge = this.bridge;
    // Started now, settled in a later turn: many calls from one `Promise.all` run concurrently.
    void (async () => {
      if (!fn) throw new Error(`no host function named ${name}`);
      if (!args || args.length > args.text.length) throw new Error(`the arguments of this call could not be copied out of the sandbox`);
      return bridge ? bridge(name, args.text) : fn(...(JSON.parse(args.text) as unknown[]));
    })().then(
      (value) => this.settleCall(id, true, value),
      (error: unknown) => this.settleCall(id, false, error),
    );
  }

  /**
   * Queues host call `id`'s answer. Answers that arrive together (a `Promise.all` of calls, a batch
   * from the main thread) are settled in one host turn, with one pass of the guest's jobs after
   * them all, instead of a turn each.
   */
  private settleCall(id: number, ok: boolean, payload: unknown): void {
    // After the end, the late answer is dropped.
    if (this.finished) return;
    this.settling.push({ id, ok, payload });
    if (this.settling.length === 1) queueMicrotask(() => this.settleQueued());
  }

  private settleQueued(): void {
    const answers = this.settling;
    this.settling = [];
    this.hostTurn(() => {
      for (const { id, ok, payload } of answers) if (!this.settleOne(id, ok, payload)) return;
      this.pump();
    });
  }

  /** Hands one answer to the guest; false when that ended the run. */
  private settleOne(id: number, ok: boolean, payload: unknown): boolean {
    if (this.finished) return false;
    const ctx = this.ctx!;
    let json: string | undefined;
    let rejection: string | undefined;
    if (ok) {
      try {
        // A worker's host function hands over the JSON the main thread already encoded.
        json = payload instanceof EncodedJson ? payload.json : JSON.stringify(payload);
      } catch (error) {
        rejection = `the host function's value is not JSON: ${messageOf(error)}`;
      }
    } else {
      rejection = messageOf(payload);
    }
    let value: QuickJSHandle | undefined;
    if (rejection !== undefined) {
      value = ctx.newString(rejection.length > CHUNK_CHARS ? `${rejection.slice(0, CHUNK_CHARS)}…` : rejection);
    } else {
      // A value larger than the whole heap cannot fit (a QuickJS string takes a byte a char at least).
      if (json !== undefined && json.length > this.instance.maxBytes) {
        this.finish(this.outOfMemory());
        return false;
      }
      value = json === undefined ? ctx.undefined : this.newChunked(ctx, json);
      if (!value) return false; // the heap ran out while copying: hostTurn ends the run
    }
    const idHandle = ctx.newNumber(id);
    const settled = this.heap.asGuest(() =>
      ctx.callFunction(this.settleHandle!, ctx.undefined, idHandle, rejection === undefined ? ctx.true : ctx.false, value),
    );
    idHandle.dispose();
    value.dispose();
    // Settled: `check` no longer waits for it.
    this.calls.delete(id);
    if (settled.error) {
      this.fail(settled.error);
      return false;
    }
    settled.value.dispose();
    return !this.heap.exhausted;
  }

  /** A guest string, or an array of pieces for long text (guest.ts `Chunked`). */
  private newChunked(ctx: QuickJSContext, text: string): QuickJSHandle | undefined {
    if (text.length <= CHUNK_CHARS) return ctx.newString(text);
    const array = ctx.newArray();
    let index = 0;
    for (const piece of chunks(text)) {
      if (this.heap.exhausted) {
        array.dispose();
        return undefined;
      }
      const handle = ctx.newString(piece);
      ctx.setProp(array, index++, handle);
      handle.dispose();
    }
    return array;
  }

  /**
   * Copies at most `max` characters of a guest string out (never splitting a surrogate pair), piece
   * by piece through guest.ts `slice` when it is long, so no copy is larger than CHUNK_CHARS.
   * Undefined when a piece could not be cut (the guest ran out of memory or time).
   */
  private copyString(handle: QuickJSHandle, max: number): Copied | undefined {
    const ctx = this.ctx!;
    const length = this.lengthOf(handle);
    if (length <= CHUNK_CHARS && length <= max) return { text: ctx.getString(handle), length };
    const limit = Math.min(length, max);
    const parts: string[] = [];
    for (let at = 0; at < limit; ) {
      const atHandle = ctx.newNumber(at);
      const limitHandle = ctx.newNumber(limit);
      const sliced = this.heap.asGuest(() => ctx.callFunction(this.sliceHandle!, ctx.undefined, handle, atHandle, limitHandle));
      atHandle.dispose();
      limitHandle.dispose();
      if (sliced.error) {
        sliced.error.dispose();
        return undefined;
      }
      const text = ctx.getString(sliced.value);
      sliced.value.dispose();
      if (text.length === 0) break; // a surrogate pair that would end past `limit`
      parts.push(text);
      at += text.length;
    }
    return { text: parts.join(''), length };
  }

  // ---- timers and console ---------------------------------------------------------------

  private setTimer(id: number, delayMs: number): boolean {
    if (this.timers.size >= MAX_TIMERS) return false;
    this.timers.set(
      id,
      setTimeout(() => this.fireTimer(id), clampDelay(delayMs)),
    );
    return true;
  }

  private clearTimer(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  private fireTimer(id: number): void {
    if (!this.timers.delete(id)) return;
    this.hostTurn(() => {
      const ctx = this.ctx!;
      const idHandle = ctx.newNumber(id);
      const fired = this.heap.asGuest(() => ctx.callFunction(this.fireHandle!, ctx.undefined, idHandle));
      idHandle.dispose();
      if (fired.error) return this.fail(fired.error);
      fired.value.dispose();
      this.pump();
    });
  }

  private log(level: string, text: string, length: number): void {
    const room = this.maxLogChars - this.logChars;
    if (room <= 0) {
      this.droppedLogs++;
      return;
    }
    const kept = text.length > room ? text.slice(0, room) : text;
    this.logChars += kept.length;
    const cut = Math.max(length, text.length) > kept.length;
    this.logs.push({
      level: LEVELS.has(level) ? (level as LogEntry['level']) : 'log',
      text: cut ? `${kept}… [line cut: ${Math.max(length, text.length)} chars]` : kept,
    });
  }

  // ---- endings ----------------------------------------------------------------------------

  /** Ends the run with the guest value `error` (consumed). */
  private fail(error: QuickJSHandle): void {
    let thrown: { message: string; stack?: string };
    try {
      thrown = this.describe(error);
    } finally {
      error.dispose();
    }
    this.finish(this.classify(thrown));
  }

  private classify(thrown: { message: string; stack?: string }): Failure {
    if (this.heap.exhausted) return this.outOfMemory();
    if (this.interrupted) return this.timedOut();
    if (/\bout of memory\b/i.test(thrown.message)) return { ok: false, kind: 'memory', message: 'out of memory', ...withStack(thrown.stack) };
    // Out of memory, QuickJS may throw `null` when it cannot even allocate the error.
    if (thrown.message.endsWith(`${NON_ERROR} null`) && this.heap.nearCeiling()) return this.outOfMemory();
    return { ok: false, kind: 'runtime', message: withHint(thrown.message), ...withStack(thrown.stack) };
  }

  /**
   * `Name: message` and the stack of a thrown Error; a short description of anything else. Each
   * part is cut inside the guest before it is copied out (MAX_MESSAGE_CHARS and the like).
   */
  private describe(error: QuickJSHandle): { message: string; stack?: string } {
    const ctx = this.ctx!;
    if (ctx.typeof(error) === 'object') {
      const name = this.stringProp(error, 'name', MAX_NAME_CHARS);
      const message = this.stringProp(error, 'message', MAX_MESSAGE_CHARS);
      if (name !== undefined || message !== undefined) {
        const nameText = name && cutNote(name, '');
        const messageText = message && cutNote(message, 'message');
        const text = nameText && messageText ? `${nameText}: ${messageText}` : messageText || nameText || 'Error';
        const stack = this.stringProp(error, 'stack', MAX_STACK_CHARS);
        return { message: text, stack: cleanStack(stack, this.filename) };
      }
    }
    let shown: string;
    const maxHandle = ctx.newNumber(MAX_THROWN_CHARS);
    // Formatting runs guest code (toJSON, getters): it is cut there, before the copy.
    const formatted = this.heap.asGuest(() => ctx.callFunction(this.showHandle!, ctx.undefined, error, maxHandle));
    maxHandle.dispose();
    if (formatted.error) {
      formatted.error.dispose();
      shown = ctx.typeof(error);
    } else {
      shown = this.copyString(formatted.value, MAX_THROWN_CHARS + 16)?.text ?? ctx.typeof(error);
      formatted.value.dispose();
    }
    return { message: `${NON_ERROR} ${shown}` };
  }

  /** The length of a guest string. */
  private lengthOf(handle: QuickJSHandle): number {
    const ctx = this.ctx!;
    // Not ctx.getLength: it reads through a view of guest memory that a growth of that memory detaches.
    const lengthHandle = ctx.getProp(handle, 'length');
    const length = ctx.getNumber(lengthHandle);
    lengthHandle.dispose();
    return length;
  }

  /** A string property of a guest object, at most `max` characters of it; undefined when it is not a string. */
  private stringProp(handle: QuickJSHandle, key: string, max: number): Copied | undefined {
    const ctx = this.ctx!;
    // A getter is guest code.
    const value = this.heap.asGuest(() => ctx.getProp(handle, key));
    try {
      if (ctx.typeof(value) !== 'string') return undefined;
      // When even a piece cannot be cut (the guest is out of memory or time), only the length is told.
      return this.copyString(value, max) ?? { text: '', length: this.lengthOf(value) };
    } finally {
      value.dispose();
    }
  }

  private unreadable(what: string): Failure {
    return { ok: false, kind: 'runtime', message: `${what} could not be copied out of the sandbox` };
  }

  private cancelled(): Failure {
    return { ok: false, kind: 'cancelled', message: CANCELLED_MESSAGE };
  }

  private timedOut(): Failure {
    return { ok: false, kind: 'timeout', message: `execution exceeded ${this.options.limits.timeoutMs} ms` };
  }

  private outOfMemory(): Failure {
    return { ok: false, kind: 'memory', message: 'out of memory (the sandbox heap is full)' };
  }

  /** The instance threw at the host: a WebAssembly trap, an abort, or V8's own stack overflow. */
  private crash(error: unknown): void {
    this.crashed = true;
    const message = messageOf(error);
    const heapFull = this.instance.memory.buffer.byteLength >= this.heap.softPages * 64 * 1024;
    if (this.heap.exhausted || heapFull) return this.finish(this.outOfMemory());
    if (error instanceof RangeError && /call stack/i.test(message)) {
      return this.finish({ ok: false, kind: 'runtime', message: 'InternalError: stack overflow (the host stack ran out)' });
    }
    const printed = this.instance.printed.length > 0 ? ` (${this.instance.printed.join(' | ')})` : '';
    this.finish({ ok: false, kind: 'runtime', message: `the sandbox failed: ${message}${printed}` });
  }

  private finish(ending: Ending): void {
    if (this.finished) return;
    this.finished = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    // Once cancelled, whatever the guest did after (an interrupt read as a fault, a value) is not its outcome.
    if (this.cancelRequested) ending = this.cancelled();
    clearTimeout(this.deadlineTimer);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.droppedLogs > 0) {
      this.logs.push({
        level: 'warn',
        text: `[${this.droppedLogs} more console lines dropped: the sandbox keeps ${this.maxLogChars} chars of console output]`,
      });
    }
    this.report({ ...ending, logs: this.logs });
    // Freed once the outcome is on its way (the awaiting code runs first): not part of the run's time.
    setImmediate(() => this.teardown());
  }

  /** Frees the guest: its handles before the runtime; never an instance that trapped (docs/decisions.md, trap 4). */
  private teardown(): void {
    if (this.crashed) return;
    this.calls.clear();
    // Ended before it started (cancelled at once): the prepared guest was never set up.
    if (this.prepared) {
      const { rt, ctx, install } = this.prepared;
      this.prepared = undefined;
      quietly(() => install.dispose());
      this.ctx = ctx;
      this.rt = rt;
    }
    const handles = [this.main, this.startHandle, this.fireHandle, this.sliceHandle, this.settleHandle, this.showHandle];
    for (const handle of handles) {
      if (handle?.alive) quietly(() => handle.dispose());
    }
    quietly(() => this.ctx?.dispose());
    quietly(() => this.rt?.dispose());
  }
}

/** Consecutive pieces of at most CHUNK_CHARS, never splitting a surrogate pair (mirrors guest.ts). */
function* chunks(text: string): Generator<string> {
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + CHUNK_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield text.slice(at, end);
    at = end;
  }
}

/**
 * The frames in the script (and native ones, which carry no position), at most MAX_STACK_LINES of
 * them (a stack overflow has thousands). Frames of guest.ts or of `eval`ed text (`<input>`) are
 * left out: their line numbers would be read as the script's.
 */
function cleanStack(stack: Copied | undefined, filename: string): string | undefined {
  if (!stack?.text) return undefined;
  const cut = stack.length > stack.text.length;
  const all = stack.text.split('\n');
  if (cut) all.pop(); // the last line may be a piece of a frame
  const inScript = new RegExp(`[ (]${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d`);
  const lines = all.filter((line) => inScript.test(line) || line.trimEnd().endsWith('(native)'));
  if (lines.length === 0) return undefined;
  if (lines.length > MAX_STACK_LINES || cut) {
    const more = lines.length - Math.min(lines.length, MAX_STACK_LINES);
    lines.length = Math.min(lines.length, MAX_STACK_LINES);
    lines.push(cut ? `    ... ${more} more frames and more past them (the stack was cut at ${MAX_STACK_CHARS} chars)` : `    ... ${more} more frames`);
  }
  return lines.join('\n');
}

/**
 * Copied text with a note when it was cut: `text… [message cut: 157,286,400 chars in all]`, or
 * `text…` when `what` is empty.
 */
function cutNote(copied: Copied, what: string): string {
  if (copied.length <= copied.text.length) return copied.text;
  return what ? `${copied.text}… [${what} cut: ${copied.length.toLocaleString('en-US')} chars in all]` : `${copied.text}…`;
}

/** The message, with NO_HOST_API_HINT when it is about a Node.js or browser global. */
function withHint(message: string): string {
  return HOST_API.test(message) ? `${message}. ${NO_HOST_API_HINT}` : message;
}

function withStack(stack: string | undefined): { stack?: string } {
  return stack === undefined ? {} : { stack };
}

function clampDelay(ms: number): number {
  return Number.isFinite(ms) ? Math.min(MAX_DELAY_MS, Math.max(0, ms)) : MAX_DELAY_MS;
}

function quietly(body: () => void): void {
  try {
    body();
  } catch {
    // Disposing a runtime that was interrupted or ran out of memory can abort; the instance is
    // dropped either way and its memory goes with it.
  }
}
