import type { RawSourceMap } from '../bundle/index.js';
import { toSourcePosition, WRAPPER_LINES, type SourceLayout } from '../check/prepare.js';
import type { Compiled, CompileFault, CompilerPool, ExtraModule } from '../compile/index.js';
import type { LogEntry, SandboxOutcome } from '../sandbox/index.js';
import { messageOf } from '../shared/errors.js';
import type { ToolCallResult } from '../shared/tool-spec.js';
import { toHostPath, type VfsRoots } from '../vfs/roots.js';
import { DEFAULT_MAX_MEDIA_BYTES, type MediaBlock, takeMedia } from './media.js';
import { BundleSourceMap } from './sourcemap.js';

/** An MCP `tools/call` result as the server sent it (the SDK runtime turns it into a value). */
export type { ToolCallResult } from '../shared/tool-spec.js';

/** Reaches a downstream tool. Injected: exec never imports hub/. */
export type ToolCallFn = (
  server: string,
  tool: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
  call?: { onProgress?: (progress: ProgressReport) => void },
) => Promise<ToolCallResult>;

/** A progress report, as MCP's `notifications/progress` carries it. */
export interface ProgressReport {
  progress: number;
  total?: number;
  message?: string;
}

/** What a run does, as it happens: for progress notifications and logging (README.md, "The four tools"). */
export type RunEvent =
  | { type: 'call-start'; server: string; tool: string; args: Record<string, unknown> }
  /** `ms` from its start; `error` is the message when it failed, `result` what the server sent when it did not. */
  | { type: 'call-end'; server: string; tool: string; args: Record<string, unknown>; ok: boolean; ms: number; error?: string; result?: ToolCallResult }
  /** A downstream server's progress on one call of the run. */
  | ({ type: 'call-progress'; server: string; tool: string } & ProgressReport)
  /** The script's own `progress('...')`. */
  | { type: 'milestone'; message: string };

/** The run a host function works for. */
export interface RunScope {
  /** Aborts when the run ends, whatever ended it. */
  signal: AbortSignal;
}

/** A host function of exec's: the sandbox's arguments, after the run they serve. */
export type RunHostFunction = (run: RunScope, ...args: unknown[]) => Promise<unknown>;

export interface ExecLimits {
  /** Wall-clock limit of one execution. */
  timeoutMs: number;
  /** Fixed WebAssembly memory of the sandbox. */
  memoryBytes: number;
  /** Longest value, console or error text returned before it is cut. */
  maxOutputChars: number;
  /** Longest code accepted, in characters (default `MAX_CODE_CHARS`). */
  maxCodeChars?: number;
  /** Ceiling of one compiler process (type-checker and bundler), in MB. */
  compilerMemoryMb?: number;
  /**
   * Decoded bytes of the images and audio one result sends as content blocks (default
   * `DEFAULT_MAX_MEDIA_BYTES`, 5 MB); they do not count against maxOutputChars.
   */
  maxMediaBytes?: number;
}

/**
 * The guest function a script reports its own milestones with: `progress('fetched 200 issues')`
 * (declared for the type-checker in check/checker.ts). Sent to the client as progress when it asked.
 */
export const PROGRESS_FUNCTION = 'progress';
const MAX_MILESTONE_CHARS = 1_000;

/** Agent code longer than this is refused before it is checked: 1 Mi characters. */
export const MAX_CODE_CHARS = 2 ** 20;

export type { ExtraModule } from '../compile/index.js';
export { DEFAULT_MAX_MEDIA_BYTES, formatBytes, type MediaBlock } from './media.js';

export interface ExecutorOptions {
  roots: VfsRoots;
  limits: ExecLimits;
  callTool: ToolCallFn;
  /**
   * More async host functions for the guest (globalThis[name]); arguments and results cross as JSON.
   * Each is told the run it serves: its signal aborts when that run ends (value, error, timeout), so
   * work it started on the run's behalf is cancelled or refused with it.
   */
  host?: Record<string, RunHostFunction>;
  modules?: ExtraModule[];
  /**
   * Called with the full JSON of a value longer than maxOutputChars, before it is cut; returns
   * where it was kept (a /workspace path), which the cut note then names.
   */
  keepOversized?: (json: string) => Promise<string | undefined>;
}

/** One execution's own settings. */
export interface ExecuteOptions {
  /**
   * What the agent's code is called in type errors, bundle errors and stack frames (default
   * `code.ts`, as execute_code shows it): `runbyte run FILE` passes the file's own name.
   */
  codeName?: string;
  /**
   * Cancels the run: the guest stops, tool calls in flight are cancelled downstream, and nothing
   * the code would do later happens. The outcome is `Cancelled`.
   */
  signal?: AbortSignal;
  /** Hears what the run does while it runs. */
  onEvent?: (event: RunEvent) => void;
  /**
   * Decides, once the code is bundled and before anything runs, which tools it may call: given the
   * SDK files the bundle holds (virtual paths, `/servers/<server>/<file>.ts`), it resolves with the
   * tools (`server.tool`) those files call, or refuses the run. A call outside that set is refused
   * in the sandbox. Without it, every tool may be called.
   */
  authorize?: (files: string[], signal: AbortSignal | undefined) => Promise<Authorization>;
}

/** What `ExecuteOptions.authorize` decided. */
export type Authorization = { ok: true; tools: string[] } | { ok: false; message: string; tools: string[] };

/** The agent's code in diagnostics and frames unless the caller names it (README.md, "The four tools"). */
export const DEFAULT_CODE_NAME = 'code.ts';

/** A value longer than maxOutputChars: how long it was, and where the whole of it is. */
export interface Oversized {
  /** Length of the whole JSON, in characters. */
  chars: number;
  /**
   * The whole JSON, when it reached the host whole (not past the sandbox's copy-out cap, 16 Mi
   * characters); `run` prints it, execute_code never does.
   */
  json?: string;
  /** Where keepOversized saved it: the /workspace path the cut note names, and the file on the host. */
  kept?: { path: string; hostPath: string };
}

/** The phases a failure is named by (README.md, "The four tools"). */
export type FailurePhase = 'Type check failed' | 'Bundle failed' | 'Not allowed' | 'Runtime error' | 'Timed out' | 'Memory limit exceeded' | 'Cancelled';

export type ExecOutcome =
  | {
      ok: true;
      /** JSON of the returned value, cut to maxOutputChars (then no longer JSON: see `truncated`). */
      value: string;
      /** The JSON was longer than maxOutputChars: `value` is its first part followed by a note giving its full size. */
      truncated: boolean;
      /** When `truncated`: the whole value's size, text and saved copy. */
      oversized?: Oversized;
      /**
       * Images and audio taken out of the value, in order (README.md, "The four tools"): `value`
       * holds a placeholder where each was. Absent when the value had none.
       */
      media?: MediaBlock[];
      console: string;
      timings: Timings;
      /** The tools the code could call (`server.tool`, sorted), when `authorize` was given. */
      tools?: string[];
    }
  | {
      ok: false;
      phase: FailurePhase;
      /** Full text: the phase line first. */
      message: string;
      console: string;
      timings: Timings;
      /** As on success; absent when the code failed before it was bundled. */
      tools?: string[];
    };

export interface Timings {
  checkMs: number;
  bundleMs: number;
  runMs: number;
}

/** The heavy stages, loaded once (lazily: a command that never executes pays nothing). */
interface Stages {
  sandbox: typeof import('../sandbox/index.js');
  /** Type-checking and bundling, in warm compiler processes (compile/). */
  compilers: CompilerPool;
}

/**
 * Runs agent TypeScript: prepare → type-check → bundle (in a compiler process: compile/) →
 * sandbox (a worker thread), mapping every failure to a value named by its phase. One Executor
 * keeps its compilers warm; it is shared by `serve` (all sessions) and `run`. `limits.timeoutMs`
 * covers the whole execution: time spent checking and bundling is not given to the run again.
 */
export class Executor {
  private stages?: Stages;
  private loading?: Promise<Stages>;

  constructor(private readonly options: ExecutorOptions) {}

  /** Starts the compilers and loads the sandbox now instead of on the first execution; waits for compilers that are restarting. */
  async warm(): Promise<void> {
    const { compilers } = await this.load();
    await compilers.warm();
  }

  private load(): Promise<Stages> {
    this.loading ??= (async () => {
      const [compile, sandbox] = await Promise.all([import('../compile/index.js'), import('../sandbox/index.js')]);
      const compilers = new compile.CompilerPool({
        roots: this.options.roots,
        modules: this.options.modules ?? [],
        memoryMb: this.options.limits.compilerMemoryMb,
      });
      await Promise.all([compilers.warm(), sandbox.warmSandbox()]);
      this.stages = { sandbox, compilers };
      return this.stages;
    })();
    return this.loading;
  }

  /**
   * Compiles this code in every compiler, now and after each restart, so that the SDK it imports
   * is parsed before an agent asks. Nothing runs.
   */
  async prime(code: string): Promise<void> {
    const { compilers } = await this.load();
    compilers.primeWith(code);
  }

  /** Drops cached copies of these host files (or all): the SDK or the workspace changed on disk. */
  invalidate(hostPaths?: string[]): void {
    this.stages?.compilers.invalidate(hostPaths);
  }

  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecOutcome> {
    const codeName = options.codeName ?? DEFAULT_CODE_NAME;
    const limits = this.options.limits;
    const timings: Timings = { checkMs: 0, bundleMs: 0, runMs: 0 };
    const cut = (text: string) => cutText(text, limits.maxOutputChars);
    const begun = performance.now();
    let deadline = begun + limits.timeoutMs;

    const maxCode = limits.maxCodeChars ?? MAX_CODE_CHARS;
    if (code.length > maxCode) {
      const message = `Type check failed\n${codeName}: the code is ${formatChars(code.length)} long; at most ${formatChars(maxCode)} is accepted`;
      return { ok: false, phase: 'Type check failed', message, console: '', timings };
    }

    const { compilers } = this.stages ?? (await this.load());
    const compiled = await compilers.compile(code, deadline, { codeName, signal: options.signal });
    if ('fault' in compiled) {
      timings.checkMs = performance.now() - begun;
      return { ok: false, ...this.compileFault(compiled), console: '', timings };
    }
    timings.checkMs = compiled.checkMs;
    timings.bundleMs = compiled.bundleMs;
    if (!compiled.ok) {
      const phase = compiled.stage === 'check' ? 'Type check failed' : 'Bundle failed';
      return { ok: false, phase, message: cut([phase, ...compiled.lines].join('\n')), console: '', timings };
    }

    // What the code may call, decided before it runs (a wait for the user's approval is not taken
    // from the run's time).
    let allowed: Set<string> | undefined;
    let manifest: { tools?: string[] } = {};
    if (options.authorize) {
      const files = [...new Set(compiled.map.sources.filter((source) => source.startsWith('/servers/')))].sort();
      const asked = performance.now();
      const verdict = await options.authorize(files, options.signal);
      deadline += performance.now() - asked;
      manifest = { tools: verdict.tools };
      if (options.signal?.aborted) return { ok: false, phase: 'Cancelled', message: 'Cancelled by the client', console: '', timings, ...manifest };
      if (!verdict.ok) return { ok: false, phase: 'Not allowed', message: cut(`Not allowed\n${verdict.message}`), console: '', timings, ...manifest };
      allowed = new Set(verdict.tools);
    }
    const outcome = await this.run(compiled, code, codeName, deadline, allowed, options);
    return { ...outcome, timings: { ...timings, runMs: outcome.timings.runMs }, ...manifest };
  }

  /** The sandbox stage of `execute`: runs the bundle, bridging tool calls, and maps its end to an outcome. */
  private async run(
    compiled: Extract<Compiled, { ok: true }>,
    code: string,
    codeName: string,
    deadline: number,
    allowed: Set<string> | undefined,
    options: ExecuteOptions,
  ): Promise<ExecOutcome> {
    const { sandbox } = this.stages!;
    const limits = this.options.limits;
    const timings: Timings = { checkMs: 0, bundleMs: 0, runMs: 0 };
    const cut = (text: string) => cutText(text, limits.maxOutputChars);
    const started = performance.now();
    const abort = new AbortController();
    // The client's cancel ends the run's own signal: tool calls in flight are cancelled downstream,
    // workspace work still queued is refused, and no later call of the code goes out.
    const cancel = () => abort.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', cancel, { once: true });
    const inFlight = new CallCounter();
    const emit = options.onEvent ?? (() => {});
    let outcome: SandboxOutcome;
    let pendingCalls: string;
    try {
      outcome = await sandbox.runInSandbox(compiled.script, {
        limits: { memoryBytes: limits.memoryBytes, timeoutMs: Math.max(1, deadline - started) },
        filename: 'bundle.js',
        signal: options.signal,
        host: {
          ...bindRun(this.options.host ?? {}, { signal: abort.signal }),
          [PROGRESS_FUNCTION]: async (message) => {
            if (!abort.signal.aborted) emit({ type: 'milestone', message: String(message).slice(0, MAX_MILESTONE_CHARS) });
          },
          __runbyteCallTool: (server, tool, args) => {
            const [name, toolName] = [String(server), String(tool)];
            if (abort.signal.aborted) return Promise.reject(new Error(`${name}.${toolName} was not called: the run has ended`));
            if (allowed && !allowed.has(`${name}.${toolName}`)) return Promise.reject(new Error(notImported(name, toolName, allowed)));
            const callArgs = (args ?? {}) as Record<string, unknown>;
            emit({ type: 'call-start', server: name, tool: toolName, args: callArgs });
            const callStarted = performance.now();
            const call = this.options.callTool(name, toolName, callArgs, abort.signal, {
              onProgress: options.onEvent ? (report) => emit({ type: 'call-progress', server: name, tool: toolName, ...report }) : undefined,
            });
            const ms = () => Math.round((performance.now() - callStarted) * 10) / 10;
            call.then(
              (result) => emit({ type: 'call-end', server: name, tool: toolName, args: callArgs, ok: !result.isError, ms: ms(), result }),
              (error: unknown) => emit({ type: 'call-end', server: name, tool: toolName, args: callArgs, ok: false, ms: ms(), error: messageOf(error) }),
            );
            return inFlight.track(`${name}.${toolName}`, call);
          },
        },
      });
      // Read before the abort below settles them: what the run was still waiting for when it ended.
      pendingCalls = inFlight.describe();
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      // Whatever ended the run, calls still in flight downstream are abandoned with it.
      abort.abort();
    }
    timings.runMs = performance.now() - started;
    const consoleText = cut(formatConsole(outcome.logs));

    if (outcome.ok) {
      let json = outcome.json ?? 'null';
      let jsonLength = outcome.jsonLength;
      // A value past the sandbox's copy-out cap arrives cut already: there is no whole value to keep,
      // nor JSON to take media out of.
      const whole = json.length >= jsonLength;
      // Media leave the JSON before it is measured: their bytes count against maxMediaBytes, not maxOutputChars.
      const taken = whole ? takeMedia(json, limits.maxMediaBytes ?? DEFAULT_MAX_MEDIA_BYTES) : undefined;
      if (taken) {
        json = taken.json;
        jsonLength = json.length;
      }
      const media = taken && taken.media.length > 0 ? { media: taken.media } : {};
      if (json.length <= limits.maxOutputChars) return { ok: true, value: json, truncated: false, ...media, console: consoleText, timings };
      const kept = whole ? await this.options.keepOversized?.(json).catch(() => undefined) : undefined;
      const value = cutText(json, limits.maxOutputChars, kept, jsonLength);
      const hostPath = kept === undefined ? undefined : toHostPath(this.options.roots, kept);
      const oversized: Oversized = {
        chars: jsonLength,
        ...(whole ? { json } : {}),
        ...(kept !== undefined && hostPath !== undefined ? { kept: { path: kept, hostPath } } : {}),
      };
      return { ok: true, value, truncated: true, oversized, ...media, console: consoleText, timings };
    }
    if (outcome.kind === 'cancelled') {
      return { ok: false, phase: 'Cancelled', message: 'Cancelled by the client', console: consoleText, timings };
    }
    if (outcome.kind === 'timeout') {
      // A hung downstream server and the agent's own endless loop look alike from outside.
      const waiting = pendingCalls ? `\nstill waiting on ${pendingCalls}` : '';
      return { ok: false, phase: 'Timed out', message: cut(`${this.timedOut()}${waiting}`), console: consoleText, timings };
    }
    if (outcome.kind === 'memory') {
      const mb = Math.round(limits.memoryBytes / 2 ** 20);
      return {
        ok: false,
        phase: 'Memory limit exceeded',
        message: `Memory limit exceeded (${mb} MB): ${outcome.message}`,
        console: consoleText,
        timings,
      };
    }
    const frames = agentFrames(outcome.stack, compiled.map, compiled.layout, WRAPPER_LINES + lineCount(code), codeName);
    const message = ['Runtime error', outcome.message, ...frames.map((frame) => `    at ${frame}`)].join('\n');
    return { ok: false, phase: 'Runtime error', message: cut(message), console: consoleText, timings };
  }

  /** `Timed out after 30 s`. */
  private timedOut(): string {
    return `Timed out after ${Math.round((this.options.limits.timeoutMs / 1000) * 10) / 10} s`;
  }

  /** A compile that was stopped, as the agent reads it: the phase it was in, and why. */
  private compileFault(fault: CompileFault): { phase: FailurePhase; message: string } {
    const what = fault.stage === 'bundle' ? 'bundle' : fault.stage === 'check' ? 'type check' : 'waiting for a free compiler';
    if (fault.fault === 'timeout') return { phase: 'Timed out', message: `${this.timedOut()} (${what})` };
    if (fault.fault === 'cancelled') return { phase: 'Cancelled', message: 'Cancelled by the client' };
    const phase: FailurePhase = fault.stage === 'bundle' ? 'Bundle failed' : 'Type check failed';
    const tool = fault.stage === 'bundle' ? 'the bundler' : 'the type checker';
    const why =
      fault.fault === 'memory'
        ? `${tool} ran out of memory (limit ${fault.detail}) on this code; simplify its types or split it`
        : `${tool} crashed on this code (${fault.detail}); nothing else was affected, and the next execution gets a fresh one`;
    return { phase, message: `${phase}\n${why}` };
  }

  async close(): Promise<void> {
    await this.stages?.compilers.close();
  }
}

/** Why a call the script's imports do not cover was refused, with what it may call. */
function notImported(server: string, tool: string, allowed: Set<string>): string {
  const may = allowed.size === 0 ? 'it imports no tools' : `it may call ${describeTools([...allowed])}`;
  return `${server}.${tool} was not called: this script does not import it (${may}); import it from './servers/${server}'`;
}

/**
 * `server.tool` names, compactly: `memory.{create_entities, read_graph}, github.search_code`;
 * past `max` names, the rest are counted.
 */
export function describeTools(tools: string[], max = 20): string {
  const byServer = new Map<string, string[]>();
  for (const tool of [...tools].sort().slice(0, max)) {
    const dot = tool.indexOf('.');
    const server = tool.slice(0, dot);
    byServer.set(server, [...(byServer.get(server) ?? []), tool.slice(dot + 1)]);
  }
  const parts = [...byServer].map(([server, names]) => (names.length === 1 ? `${server}.${names[0]}` : `${server}.{${names.join(', ')}}`));
  const left = tools.length - max;
  return `${parts.join(', ')}${left > 0 ? ` and ${left} more` : ''}`;
}

function bindRun(host: Record<string, RunHostFunction>, run: RunScope): Record<string, (...args: unknown[]) => Promise<unknown>> {
  return Object.fromEntries(Object.entries(host).map(([name, fn]) => [name, (...args: unknown[]) => fn(run, ...args)]));
}

/** `3.8 MB`-style sizes of text (a character counted as a byte: agent code is mostly ASCII). */
function formatChars(chars: number): string {
  return chars >= 2 ** 20 ? `${(chars / 2 ** 20).toFixed(1)} MB` : `${Math.ceil(chars / 1024)} KB`;
}

/** Tool calls in flight, by `server.tool`. */
class CallCounter {
  private readonly counts = new Map<string, number>();

  track<T>(name: string, call: Promise<T>): Promise<T> {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    const done = () => {
      const left = this.counts.get(name)! - 1;
      if (left > 0) this.counts.set(name, left);
      else this.counts.delete(name);
    };
    call.then(done, done);
    return call;
  }

  /** E.g. `3 tool calls: github.search_code (2), memory.read_graph`; empty when none. */
  describe(): string {
    const total = [...this.counts.values()].reduce((sum, count) => sum + count, 0);
    if (total === 0) return '';
    const names = [...this.counts].map(([name, count]) => (count > 1 ? `${name} (${count})` : name));
    return `${total} tool call${total === 1 ? '' : 's'}: ${names.join(', ')}`;
  }
}

/** Cuts text longer than `max`, saying how long it was (README.md: output is cut with a note). */
export function cutText(text: string, max: number, keptAt?: string, fullLength = text.length): string {
  if (text.length <= max) return text;
  const where = keptAt ? `; the full value is in ${keptAt}` : '';
  return `${text.slice(0, max)}\n… [output cut: ${fullLength.toLocaleString('en-US')} chars in all, the first ${max.toLocaleString('en-US')} shown${where}]`;
}

function formatConsole(logs: LogEntry[]): string {
  return logs.map((entry) => (entry.level === 'log' || entry.level === 'info' ? entry.text : `[${entry.level}] ${entry.text}`)).join('\n');
}

const FRAME = /([^\s()]+?):(\d+)(?::(\d+))?\)?\s*$/;

/** Lines of the agent's code, counted as TypeScript (and so `prepareAgentCode`) counts them. */
function lineCount(code: string): number {
  return code.split(/\r\n|[\r\n\u2028\u2029]/).length;
}

/**
 * The stack frames that fall in the agent's code or its workspace modules, in the agent's
 * coordinates. `lastAgentLine` is the agent's last line in the prepared text: the wrapper's lines
 * after it (the `return await exec();` it appends) are left out, as no line the agent wrote made
 * that call.
 */
function agentFrames(stack: string | undefined, map: RawSourceMap, layout: SourceLayout, lastAgentLine: number, codeName: string): string[] {
  if (!stack) return [];
  let sourceMap: BundleSourceMap;
  try {
    sourceMap = new BundleSourceMap(map);
  } catch (error) {
    return [`(no source map: ${messageOf(error)})`];
  }
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line.trim());
    if (!match) continue;
    const position = sourceMap.originalPosition(Number(match[2]), match[3] ? Number(match[3]) : 0);
    if (!position) continue;
    if (/(^|[/\\])code\.ts$/.test(position.source)) {
      if (position.line > lastAgentLine) continue;
      const original = toSourcePosition(layout, position.line, position.column);
      frames.push(`${codeName}:${original.line}:${original.column}`);
    } else {
      const workspace = /[/\\]workspace[/\\](.+)$/.exec(position.source);
      if (workspace) frames.push(`workspace/${workspace[1]!.replace(/\\/g, '/')}:${position.line}:${position.column}`);
    }
  }
  return [...new Set(frames)];
}
