// The guest half of the sandbox: the code that runs INSIDE QuickJS before the agent's bundle.
//
// `installGuest` is never called on the host. The host evaluates its source text
// (`GUEST_SOURCE`) in each fresh QuickJS context and calls it with the natives. So it must stay
// self-contained: no imports, no references to anything outside its own body, and only syntax
// that TypeScript emits unchanged at our target (ES2022). Types are erased; they document the
// contract with run.ts.

/** Host functions the guest half is given (see run.ts). Only this file's closures can reach them. */
export interface GuestNatives {
  /** Records one console line; `length` is the length before the guest cut it to the budget. */
  log(level: string, text: string, length: number): void;
  /**
   * Starts host call `id` to host function `name` with JSON-encoded arguments. The host answers
   * later through `GuestEntry.settle`. (The guest makes its own promises: the host never holds a
   * view into guest memory across a call that may grow it.)
   */
  call(name: string, argsJson: string, id: number): void;
  /** Arms host timer `id`; false when the run has too many pending timers. */
  setTimer(id: number, delayMs: number): boolean;
  /** Disarms host timer `id`. */
  clearTimer(id: number): void;
  /** A line from the sandbox itself about the returned value; kept even when the console budget is spent. */
  note(text: string): void;
  /** `makeWalk`, evaluated now (its source is parsed only by the runs that need it). */
  loadWalk(): (deps: WalkDeps) => (value: unknown) => string | undefined;
}

/**
 * Host text coming in: one string, or consecutive pieces of at most `chunkChars` (never splitting
 * a surrogate pair), so that no single copy needs a large buffer in the heap. Long text going out
 * is read the same way, piece by piece, with `GuestEntry.slice`.
 */
export type Chunked = string | string[];

/** Settings the host passes as JSON. */
export interface GuestConfig {
  hostNames: string[];
  maxLogChars: number;
  chunkChars: number;
  /** Host calls started and not yet settled, at most; later calls wait here, in order. */
  maxCallsInFlight: number;
  /** Longest JSON of one host call's arguments; a longer one rejects before it leaves the guest. */
  maxArgChars: number;
}

/** What `installGuest` hands back to the host. */
export interface GuestEntry {
  /** Calls `globalThis.__runbyteMain` and resolves with the JSON text of its value (undefined for undefined). */
  start(): Promise<string | undefined>;
  /**
   * The piece of `text` starting at `at` that the host copies out next (see `Chunked`), ending at
   * `end` at the latest; empty when the next character is a surrogate pair that does not fit.
   */
  slice(text: string, at: number, end: number): string;
  /** Runs the callback of timer `id`, if it is still pending. */
  fire(id: number): void;
  /** Settles host call `id` with its value (ok) or its error message, and starts a waiting call. */
  settle(id: number, ok: boolean, value: Chunked | undefined): void;
  /** A thrown value that is not an Error, shown in at most `maxChars` characters (then ending with `…`). */
  show(value: unknown, maxChars: number): string;
}

/**
 * Installs console, timers and the host functions named in the config on the guest's global
 * object, and returns the entry points the host drives the run with.
 */
export function installGuest(natives: GuestNatives, configJson: string): GuestEntry {
  const global = globalThis as unknown as Record<string, unknown>;
  const config = JSON.parse(configJson) as GuestConfig;
  // Captured now so that agent code that replaces these globals only breaks itself.
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const GuestError = Error;
  const GuestPromise = Promise;
  const apply = Reflect.apply;
  const sliceString = String.prototype.slice;
  const GuestMap = Map;
  const GuestSet = Set;
  const GuestTypeError = TypeError;
  const isArray = Array.isArray;
  const objectKeys = Object.keys;
  const fromEntries = Object.fromEntries;
  const defineProperty = Object.defineProperty;
  const ownDescriptor = Object.getOwnPropertyDescriptor;
  const TIMER_CALLBACKS = new Map<number, () => void>();
  let nextTimerId = 1;
  let logBudget = config.maxLogChars;

  // Console: roughly Node's formatting. Strings print raw; everything else as compact JSON.
  const describeFunction = (fn: { name?: string }) => (fn.name ? `[Function: ${fn.name}]` : '[Function (anonymous)]');
  const formatOne = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value === undefined) return 'undefined';
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return describeFunction(value);
    if (value instanceof GuestError) return value.message ? `${value.name}: ${value.message}` : value.name;
    if (typeof value !== 'object' || value === null) return String(value);
    const seen = new Set<unknown>();
    try {
      const text = stringify(value, (_key, inner: unknown) => {
        if (typeof inner === 'bigint') return `${inner}n`;
        if (typeof inner === 'function') return describeFunction(inner);
        if (typeof inner === 'symbol') return inner.toString();
        if (inner instanceof Map) return { [`Map(${inner.size})`]: Object.fromEntries(inner) };
        if (inner instanceof Set) return { [`Set(${inner.size})`]: [...inner] };
        if (inner instanceof GuestError) return `${inner.name}: ${inner.message}`;
        if (typeof inner === 'object' && inner !== null) {
          if (seen.has(inner)) return '[Circular]';
          seen.add(inner);
        }
        return inner;
      });
      return text ?? String(value);
    } catch {
      return String(value);
    }
  };
  const consoleMethod =
    (level: string) =>
    (...args: unknown[]): void => {
      // Cut here, piece by piece, before the copy to the host: a huge line costs the host nothing,
      // and the guest never builds the whole line either.
      if (logBudget <= 0) return natives.log(level, '', 0);
      const parts: string[] = [];
      let length = 0;
      let room = logBudget;
      for (let index = 0; index < args.length; index++) {
        const text = formatOne(args[index]);
        const piece = index > 0 ? ' ' : '';
        length += piece.length + text.length;
        for (const part of [piece, text]) {
          if (room <= 0 || part.length === 0) continue;
          const kept = part.length > room ? (apply(sliceString, part, [0, room]) as string) : part;
          parts.push(kept);
          room -= kept.length;
        }
      }
      const kept = parts.join('');
      logBudget -= kept.length;
      natives.log(level, kept, length);
    };
  global.console = {
    log: consoleMethod('log'),
    info: consoleMethod('info'),
    warn: consoleMethod('warn'),
    error: consoleMethod('error'),
    debug: consoleMethod('debug'),
  };

  // Timers: the callbacks stay here; the host only keeps one Node timer per pending id.
  global.setTimeout = function setTimeout(callback: unknown, delay?: unknown, ...args: unknown[]): number {
    if (typeof callback !== 'function') throw new TypeError('setTimeout: the callback must be a function');
    const id = nextTimerId++;
    const ms = Number(delay);
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; a missing or odd delay must mean 0
    if (!natives.setTimer(id, ms > 0 ? ms : 0)) throw new RangeError('setTimeout: too many pending timers');
    TIMER_CALLBACKS.set(id, () => {
      (callback as (...callbackArgs: unknown[]) => unknown)(...args);
    });
    return id;
  };
  global.clearTimeout = function clearTimeout(id?: unknown): void {
    if (typeof id === 'number' && TIMER_CALLBACKS.delete(id)) natives.clearTimer(id);
  };

  // Host functions: arguments and values cross as JSON text; a host rejection becomes an Error here.
  // At most maxCallsInFlight calls are out on the host at once; later ones wait in `waiting`.
  const CALLS = new Map<number, { resolve(value: Chunked | undefined): void; reject(error: unknown): void }>();
  const waiting: (() => void)[] = [];
  let waitingHead = 0;
  let inFlight = 0;
  let nextCallId = 1;
  const decode = (json: Chunked | undefined): unknown => (json === undefined ? undefined : parse(typeof json === 'string' ? json : json.join('')));
  for (const name of config.hostNames) {
    global[name] = (...args: unknown[]): Promise<unknown> => {
      let argsJson: string;
      try {
        argsJson = stringify(args);
      } catch (error) {
        return GuestPromise.reject(error);
      }
      if (argsJson.length > config.maxArgChars) {
        return GuestPromise.reject(
          new RangeError(`the arguments of this call are too long to leave the sandbox: ${argsJson.length} chars as JSON (the limit is ${config.maxArgChars})`),
        );
      }
      return new GuestPromise<Chunked | undefined>((resolve, reject) => {
        const id = nextCallId++;
        CALLS.set(id, { resolve, reject });
        const begin = () => {
          inFlight++;
          natives.call(name, argsJson, id);
        };
        if (inFlight < config.maxCallsInFlight) begin();
        else waiting.push(begin);
      }).then(decode);
    };
  }

  // The returned value as JSON: the rules and why they run in two steps are above `makeWalk`.
  // (Comments in this function are parsed by every fresh instance: the long ones live outside it.)
  let walk: ((value: unknown) => string | undefined) | undefined;
  const WALK = {};
  const walkInstead = function toJSON(): never {
    throw WALK;
  };
  const exotic = [GuestMap.prototype, GuestSet.prototype, GuestError.prototype, GuestPromise.prototype, BigInt.prototype];
  const toJson = (value: unknown): string | undefined => {
    if ((typeof value !== 'object' || value === null) && typeof value !== 'bigint') return stringify(value);
    const installed: object[] = [];
    try {
      for (const prototype of exotic) {
        // A toJSON of the agent's own on these prototypes is the agent's choice: it is kept.
        if (ownDescriptor(prototype, 'toJSON')) continue;
        defineProperty(prototype, 'toJSON', { value: walkInstead, configurable: true, writable: true });
        installed.push(prototype);
      }
      return stringify(value);
    } catch (error) {
      // A cycle of plain objects: walk again to name where it is.
      if (error !== WALK && !(error instanceof GuestTypeError && /circular/i.test(error.message))) throw error;
    } finally {
      for (const prototype of installed) delete (prototype as { toJSON?: unknown }).toJSON;
    }
    walk ??= natives.loadWalk()({
      stringify,
      note: natives.note,
      GuestMap,
      GuestSet,
      GuestError,
      GuestPromise,
      GuestTypeError,
      isArray,
      objectKeys,
      fromEntries,
    });
    return walk(value);
  };

  return {
    async start(): Promise<string | undefined> {
      const main = global.__runbyteMain;
      if (typeof main !== 'function') {
        throw new TypeError('the script did not set globalThis.__runbyteMain to a function');
      }
      let value: unknown;
      try {
        value = await (main as () => unknown)();
      } catch (error) {
        if (error instanceof GuestError) throw error;
        let shown: string;
        try {
          shown = typeof error === 'string' ? stringify(error) : formatOne(error);
        } catch {
          shown = typeof error;
        }
        throw new GuestError(`a non-Error value was thrown: ${shown}`);
      }
      return toJson(value);
    },
    slice(text: string, at: number, limit: number): string {
      let end = Math.min(at + config.chunkChars, text.length, limit);
      const last = text.charCodeAt(end - 1);
      if (end > at && end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      return apply(sliceString, text, [at, end]) as string;
    },
    fire(id: number): void {
      const callback = TIMER_CALLBACKS.get(id);
      if (!callback) return;
      TIMER_CALLBACKS.delete(id);
      callback();
    },
    settle(id: number, ok: boolean, value: Chunked | undefined): void {
      const call = CALLS.get(id);
      if (!call) return;
      CALLS.delete(id);
      inFlight--;
      if (ok) call.resolve(value);
      else call.reject(new GuestError(String(value)));
      if (waitingHead < waiting.length) {
        const next = waiting[waitingHead];
        waiting[waitingHead++] = undefined as unknown as () => void;
        if (waitingHead === waiting.length) {
          waiting.length = 0;
          waitingHead = 0;
        }
        next();
      }
    },
    show(value: unknown, maxChars: number): string {
      let shown: string;
      try {
        // A long string is cut before it is quoted, so a huge one is never copied here either.
        if (typeof value === 'string' && value.length > maxChars) return `${stringify(apply(sliceString, value, [0, maxChars]))}…`;
        shown = typeof value === 'string' ? stringify(value) : formatOne(value);
      } catch {
        shown = typeof value;
      }
      return shown.length > maxChars ? `${apply(sliceString, shown, [0, maxChars]) as string}…` : shown;
    },
  };
}

/** The source text the host evaluates: an expression whose value is `installGuest`. */
export const GUEST_SOURCE = `(${installGuest.toString()})`;

/** What `makeWalk` is given: what installGuest captured before the agent's code ran. */
export interface WalkDeps {
  stringify: typeof JSON.stringify;
  note(text: string): void;
  GuestMap: MapConstructor;
  GuestSet: SetConstructor;
  GuestError: ErrorConstructor;
  GuestPromise: PromiseConstructor;
  GuestTypeError: TypeErrorConstructor;
  isArray: typeof Array.isArray;
  objectKeys: typeof Object.keys;
  fromEntries: typeof Object.fromEntries;
}

/**
 * The returned value as JSON (README.md, execute_code, says the same to agents). Where JSON has an
 * obvious form, the value takes it: a Map whose keys are all strings becomes an object, any other
 * Map a list of [key, value] pairs, a Set a list, an Error { name, message, ...its own fields }. A
 * BigInt becomes its exact decimal string, and a note (a `warn` console line) says where, since the
 * agent may have meant a number. `undefined` in a list becomes null, as JSON says, without a note:
 * that is what every JSON encoder does, and a null reads the same. A cycle or a Promise (a
 * forgotten `await`) has no JSON at all: a TypeError names the path.
 *
 * Two steps. `toJson` in installGuest tries plain JSON.stringify, with a toJSON on the prototypes
 * of those kinds that only says "walk instead" (JSON.stringify calls toJSON on objects and BigInts,
 * so plain values never reach it). Only a value holding one of them, or a cycle, is encoded again
 * by this walk, whose replacer runs on every property and costs about twice as much (getters and
 * toJSON methods of such a value run twice). The toJSON stand-ins cannot convert by themselves: a
 * Map inside itself would recurse until V8's own stack ran out (docs/decisions.md, trap 3), which
 * no guest code sees. Every fresh instance parses installGuest (about 50 µs a KB), so the walk's
 * source (`WALK_SOURCE`) is evaluated by the host only when a run needs it; like installGuest, it
 * runs only inside QuickJS and must be self-contained.
 */
export function makeWalk(deps: WalkDeps): (value: unknown) => string | undefined {
  const { stringify, GuestMap, GuestSet, GuestError, GuestPromise, GuestTypeError, isArray, objectKeys, fromEntries } = deps;
  /** `.name`, `["odd key"]` or `[3]`: one step of a path, as the agent would write it. */
  const step = (holder: unknown, key: string): string => (isArray(holder) ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${stringify(key)}]`);
  const typeError = (message: string): Error => {
    const error = new GuestTypeError(message);
    // Its frames are this file's and JSON.stringify's, never the agent's.
    error.stack = '';
    return error;
  };
  return (value: unknown): string | undefined => {
    // The objects on the path from the root to the property being encoded: `holders[i]` is what
    // JSON.stringify walks (after conversion), `sources[i]` the agent's object it came from (what a
    // cycle returns to), `keys[i]` its key in `holders[i - 1]`.
    const holders: unknown[] = [];
    const sources: unknown[] = [];
    const keys: string[] = [];
    const onPath = new GuestSet<unknown>();
    const bigints: string[] = [];
    const pathTo = (depth: number): string => {
      let text = 'value';
      for (let index = 1; index <= depth; index++) text += step(holders[index - 1], keys[index]!);
      return text;
    };
    const replacer = function (this: unknown, key: string, inner: unknown): unknown {
      if ((typeof inner !== 'object' || inner === null) && typeof inner !== 'bigint') return inner;
      // Leave the branches JSON.stringify has finished: the holder is the deepest object still open.
      let depth = holders.length;
      while (depth > 0 && holders[depth - 1] !== this) onPath.delete(sources[--depth]);
      holders.length = depth;
      sources.length = depth;
      keys.length = depth + 1;
      keys[depth] = key;
      if (typeof inner === 'bigint') {
        bigints.push(pathTo(depth));
        return `${inner}`;
      }
      if (onPath.has(inner)) {
        throw typeError(
          `the returned value has a cycle: ${pathTo(depth)} refers back to ${pathTo(sources.indexOf(inner))}, and JSON cannot hold one. Return a copy without the back reference (e.g. an id in its place).`,
        );
      }
      if (inner instanceof GuestPromise) {
        throw typeError(
          `the returned value holds a Promise at ${pathTo(depth)}, which has no JSON: await it first (for a list of promises, await Promise.all(list)).`,
        );
      }
      let converted: unknown = inner;
      if (inner instanceof GuestMap) {
        const entries = [...(inner as Map<unknown, unknown>)];
        converted = entries.every((entry) => typeof entry[0] === 'string') ? fromEntries(entries) : entries;
      } else if (inner instanceof GuestSet) {
        converted = [...(inner as Set<unknown>)];
      } else if (inner instanceof GuestError) {
        const fields = objectKeys(inner).map((field) => [field, (inner as unknown as Record<string, unknown>)[field]]);
        converted = fromEntries([['name', inner.name], ['message', inner.message], ...fields]);
      }
      holders.push(converted);
      sources.push(inner);
      onPath.add(inner);
      return converted;
    };
    const json = stringify(value, replacer);
    if (bigints.length > 0) {
      const shown = bigints.length > 5 ? `${bigints.slice(0, 5).join(', ')} and ${bigints.length - 5} more` : bigints.join(', ');
      const what = bigints.length === 1 ? `${shown} is a BigInt` : `${shown} are BigInts`;
      const how = bigints.length === 1 ? 'it was returned as a decimal string' : 'they were returned as decimal strings';
      deps.note(`[${what}, which JSON cannot hold: ${how}. Return String(x), or Number(x) when it fits, to choose yourself.]`);
    }
    return json;
  };
}

/** The source text of `makeWalk`, evaluated by the host on the guest's first `loadWalk()`. */
export const WALK_SOURCE = `(${makeWalk.toString()})`;
