import type { Bundler } from '../bundle/index.js';
import type { PreparedCode, TypeChecker } from '../check/index.js';
import type { LogEntry, SandboxOutcome } from '../sandbox/index.js';
import { readFileSync } from 'node:fs';
import { messageOf } from '../shared/errors.js';
import type { ToolCallResult } from '../shared/tool-spec.js';
import { CODE_PATH, type VfsRoots } from '../vfs/roots.js';
import { SourceMap, type RawSourceMap } from './sourcemap.js';

/** An MCP `tools/call` result as the server sent it (the SDK runtime turns it into a value). */
export type { ToolCallResult } from '../shared/tool-spec.js';

/** Reaches a downstream tool. Injected: exec never imports hub/. */
export type ToolCallFn = (server: string, tool: string, args: Record<string, unknown>, signal: AbortSignal) => Promise<ToolCallResult>;

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
}

/** A module the agent can import by a bare name (e.g. `@runbyte/fs`), implemented by a real .ts file. */
export interface ExtraModule {
  specifier: string;
  /** The .ts file that implements it; it is type-checked and bundled like the SDK. */
  hostPath: string;
}

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

/** The phases a failure is named by (SPEC.md, execute_code). */
export type FailurePhase = 'Type check failed' | 'Bundle failed' | 'Runtime error' | 'Timed out' | 'Memory limit exceeded';

export type ExecOutcome =
  | {
      ok: true;
      /** JSON of the returned value, cut to maxOutputChars (then no longer JSON: see `truncated`). */
      value: string;
      /** The JSON was longer than maxOutputChars: `value` is its first part followed by a note giving its full size. */
      truncated: boolean;
      console: string;
      timings: Timings;
    }
  | { ok: false; phase: FailurePhase; /** Full text: the phase line first. */ message: string; console: string; timings: Timings };

export interface Timings {
  checkMs: number;
  bundleMs: number;
  runMs: number;
}

/**
 * Runs agent TypeScript: prepare → type-check → bundle → sandbox, mapping every failure to a
 * value named by its phase. One Executor keeps the type-checker and bundler warm; it is shared by
 * `serve` (all sessions) and `run`.
 */
/** The three heavy stages, loaded once (lazily: `run` of a command that never executes pays nothing). */
interface Stages {
  check: typeof import('../check/index.js');
  bundle: typeof import('../bundle/index.js');
  sandbox: typeof import('../sandbox/index.js');
  checker: TypeChecker;
  bundler: Bundler;
}

export class Executor {
  private stages?: Stages;
  private loading?: Promise<Stages>;

  constructor(private readonly options: ExecutorOptions) {}

  /** Loads TypeScript, Rspack and the sandbox now instead of on the first execution. */
  async warm(): Promise<void> {
    await this.load();
  }

  private load(): Promise<Stages> {
    this.loading ??= (async () => {
      const [check, bundle, sandbox] = await Promise.all([
        import('../check/index.js'),
        import('../bundle/index.js'),
        import('../sandbox/index.js'),
      ]);
      const modules = this.options.modules ?? [];
      const extraFiles: Record<string, string> = {};
      for (const module of modules) {
        extraFiles[`/node_modules/${module.specifier}/index.ts`] = readFileSync(module.hostPath, 'utf8');
      }
      const checker = new check.TypeChecker(this.options.roots, { extraFiles });
      const bundler = new bundle.Bundler(this.options.roots, {
        extraModules: Object.fromEntries(modules.map((module) => [module.specifier, module.hostPath])),
      });
      check.loadTypeScript();
      await Promise.all([bundler.warm(), sandbox.warmSandbox()]);
      this.stages = { check, bundle, sandbox, checker, bundler };
      return this.stages;
    })();
    return this.loading;
  }

  /** Drops cached copies of these host files (or all): the SDK or the workspace changed on disk. */
  invalidate(hostPaths?: string[]): void {
    this.stages?.checker.invalidate(hostPaths);
    this.stages?.bundler.invalidate(hostPaths);
  }

  async execute(code: string): Promise<ExecOutcome> {
    const { check, bundle, sandbox, checker, bundler } = this.stages ?? (await this.load());
    const { prepareAgentCode, formatDiagnostic, WRAPPER_LINES } = check;
    const limits = this.options.limits;
    const timings: Timings = { checkMs: 0, bundleMs: 0, runMs: 0 };
    const cut = (text: string) => cutText(text, limits.maxOutputChars);

    let started = performance.now();
    const prepared = prepareAgentCode(code);
    const diagnostics = checker.check(prepared.text);
    timings.checkMs = performance.now() - started;
    if (diagnostics.length > 0) {
      const lines = diagnostics.map((d) => formatDiagnostic(d, prepared.toSource));
      return { ok: false, phase: 'Type check failed', message: cut(['Type check failed', ...lines].join('\n')), console: '', timings };
    }

    started = performance.now();
    const bundled = await bundler.bundle(prepared.text);
    timings.bundleMs = performance.now() - started;
    if (!bundled.ok) {
      // The bundler speaks in the prepared module's lines; the agent wants its own.
      const lines = bundled.errors.map((error) =>
        bundle.formatDiagnostic(
          error.file === CODE_PATH && error.line > 0 ? { ...error, ...prepared.toSource(error.line, Math.max(1, error.column)) } : error,
        ),
      );
      return { ok: false, phase: 'Bundle failed', message: cut(['Bundle failed', ...lines].join('\n')), console: '', timings };
    }

    started = performance.now();
    const abort = new AbortController();
    const inFlight = new CallCounter();
    let outcome: SandboxOutcome;
    let pendingCalls: string;
    try {
      outcome = await sandbox.runInSandbox(bundled.script, {
        limits: { memoryBytes: limits.memoryBytes, timeoutMs: limits.timeoutMs },
        filename: 'bundle.js',
        host: {
          ...bindRun(this.options.host ?? {}, { signal: abort.signal }),
          __runbyteCallTool: (server, tool, args) =>
            inFlight.track(
              `${String(server)}.${String(tool)}`,
              this.options.callTool(String(server), String(tool), (args ?? {}) as Record<string, unknown>, abort.signal),
            ),
        },
      });
      // Read before the abort below settles them: what the run was still waiting for when it ended.
      pendingCalls = inFlight.describe();
    } finally {
      // Whatever ended the run, calls still in flight downstream are abandoned with it.
      abort.abort();
    }
    timings.runMs = performance.now() - started;
    const consoleText = cut(formatConsole(outcome.logs));

    if (outcome.ok) {
      const json = outcome.json ?? 'null';
      if (json.length <= limits.maxOutputChars) return { ok: true, value: json, truncated: false, console: consoleText, timings };
      const kept = await this.options.keepOversized?.(json).catch(() => undefined);
      return { ok: true, value: cutText(json, limits.maxOutputChars, kept), truncated: true, console: consoleText, timings };
    }
    if (outcome.kind === 'timeout') {
      const seconds = Math.round((limits.timeoutMs / 1000) * 10) / 10;
      // A hung downstream server and the agent's own endless loop look alike from outside.
      const waiting = pendingCalls ? `\nstill waiting on ${pendingCalls}` : '';
      return { ok: false, phase: 'Timed out', message: cut(`Timed out after ${seconds} s${waiting}`), console: consoleText, timings };
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
    const frames = agentFrames(outcome.stack, bundled.map, prepared, WRAPPER_LINES + lineCount(code));
    const message = ['Runtime error', outcome.message, ...frames.map((frame) => `    at ${frame}`)].join('\n');
    return { ok: false, phase: 'Runtime error', message: cut(message), console: consoleText, timings };
  }

  async close(): Promise<void> {
    await this.stages?.bundler.close();
  }
}

function bindRun(host: Record<string, RunHostFunction>, run: RunScope): Record<string, (...args: unknown[]) => Promise<unknown>> {
  return Object.fromEntries(Object.entries(host).map(([name, fn]) => [name, (...args: unknown[]) => fn(run, ...args)]));
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

/** Cuts text longer than `max`, saying how long it was (SPEC.md: output is cut with a note). */
export function cutText(text: string, max: number, keptAt?: string): string {
  if (text.length <= max) return text;
  const where = keptAt ? `; the full value is in ${keptAt}` : '';
  return `${text.slice(0, max)}\n… [output cut: ${text.length.toLocaleString('en-US')} chars in all, the first ${max.toLocaleString('en-US')} shown${where}]`;
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
function agentFrames(stack: string | undefined, map: RawSourceMap, prepared: PreparedCode, lastAgentLine: number): string[] {
  if (!stack) return [];
  let sourceMap: SourceMap;
  try {
    sourceMap = new SourceMap(map);
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
      const original = prepared.toSource(position.line, position.column);
      frames.push(`code.ts:${original.line}:${original.column}`);
    } else {
      const workspace = /[/\\]workspace[/\\](.+)$/.exec(position.source);
      if (workspace) frames.push(`workspace/${workspace[1]!.replace(/\\/g, '/')}:${position.line}:${position.column}`);
    }
  }
  return [...new Set(frames)];
}
