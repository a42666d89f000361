import type { Bundler } from '../bundle/index.js';
import type { PreparedCode, TypeChecker } from '../check/index.js';
import type { LogEntry, SandboxOutcome } from '../sandbox/index.js';
import { readFileSync } from 'node:fs';
import { messageOf } from '../shared/errors.js';
import type { VfsRoots } from '../vfs/roots.js';
import { SourceMap, type RawSourceMap } from './sourcemap.js';

/** An MCP `tools/call` result as the server sent it (the SDK runtime turns it into a value). */
export type RawToolResult = { content?: unknown[]; structuredContent?: unknown; isError?: boolean; [key: string]: unknown };

/** Reaches a downstream tool. Injected: exec never imports hub/. */
export type ToolCallFn = (server: string, tool: string, args: Record<string, unknown>, signal: AbortSignal) => Promise<RawToolResult>;

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
  /** More async host functions for the guest (globalThis[name]); arguments and results cross as JSON. */
  host?: Record<string, (...args: unknown[]) => Promise<unknown>>;
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
  | { ok: true; /** JSON of the returned value, cut to maxOutputChars. */ value: string; console: string; timings: Timings }
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
export class Executor {
  private checker?: TypeChecker;
  private bundler?: Bundler;
  private loading?: Promise<void>;

  constructor(private readonly options: ExecutorOptions) {}

  /** Loads TypeScript and Rspack now instead of on the first execution. */
  async warm(): Promise<void> {
    this.loading ??= (async () => {
      const [{ TypeChecker }, { Bundler }] = await Promise.all([import('../check/index.js'), import('../bundle/index.js')]);
      const modules = this.options.modules ?? [];
      const extraFiles: Record<string, string> = {};
      for (const module of modules) {
        extraFiles[`/node_modules/${module.specifier}/index.ts`] = readFileSync(module.hostPath, 'utf8');
      }
      this.checker = new TypeChecker(this.options.roots, { extraFiles });
      this.bundler = new Bundler(this.options.roots, {
        extraModules: Object.fromEntries(modules.map((module) => [module.specifier, module.hostPath])),
      });
    })();
    await this.loading;
  }

  /** Drops cached copies of these host files (or all): the SDK or the workspace changed on disk. */
  invalidate(hostPaths?: string[]): void {
    this.checker?.invalidate(hostPaths);
    this.bundler?.invalidate(hostPaths);
  }

  async execute(code: string): Promise<ExecOutcome> {
    await this.warm();
    const { prepareAgentCode, formatDiagnostic } = await import('../check/index.js');
    const { runInSandbox } = await import('../sandbox/index.js');
    const limits = this.options.limits;
    const timings: Timings = { checkMs: 0, bundleMs: 0, runMs: 0 };
    const cut = (text: string) => cutText(text, limits.maxOutputChars);

    let started = performance.now();
    const prepared = prepareAgentCode(code);
    const diagnostics = this.checker!.check(prepared.text);
    timings.checkMs = performance.now() - started;
    if (diagnostics.length > 0) {
      const lines = diagnostics.map((d) => formatDiagnostic(d, prepared.toSource));
      return { ok: false, phase: 'Type check failed', message: cut(['Type check failed', ...lines].join('\n')), console: '', timings };
    }

    started = performance.now();
    const bundled = await this.bundler!.bundle(prepared.text);
    timings.bundleMs = performance.now() - started;
    if (!bundled.ok) {
      return { ok: false, phase: 'Bundle failed', message: cut(`Bundle failed\n${bundled.message}`), console: '', timings };
    }

    started = performance.now();
    const abort = new AbortController();
    let outcome: SandboxOutcome;
    try {
      outcome = await runInSandbox(bundled.script, {
        limits: { memoryBytes: limits.memoryBytes, timeoutMs: limits.timeoutMs },
        filename: 'bundle.js',
        host: {
          ...this.options.host,
          __runbyteCallTool: (server, tool, args) =>
            this.options.callTool(String(server), String(tool), (args ?? {}) as Record<string, unknown>, abort.signal),
        },
      });
    } finally {
      // Whatever ended the run, calls still in flight downstream are abandoned with it.
      abort.abort();
    }
    timings.runMs = performance.now() - started;
    const consoleText = cut(formatConsole(outcome.logs));

    if (outcome.ok) {
      const json = outcome.json ?? 'null';
      if (json.length <= limits.maxOutputChars || !this.options.keepOversized) {
        return { ok: true, value: cut(json), console: consoleText, timings };
      }
      const kept = await this.options.keepOversized(json).catch(() => undefined);
      return { ok: true, value: cutText(json, limits.maxOutputChars, kept), console: consoleText, timings };
    }
    if (outcome.kind === 'timeout') {
      const seconds = Math.round((limits.timeoutMs / 1000) * 10) / 10;
      return { ok: false, phase: 'Timed out', message: `Timed out after ${seconds} s`, console: consoleText, timings };
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
    const frames = agentFrames(outcome.stack, bundled.map, prepared);
    const message = ['Runtime error', outcome.message, ...frames.map((frame) => `    at ${frame}`)].join('\n');
    return { ok: false, phase: 'Runtime error', message: cut(message), console: consoleText, timings };
  }

  async close(): Promise<void> {
    await this.bundler?.close();
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

/** The stack frames that fall in the agent's code or its workspace modules, in the agent's coordinates. */
function agentFrames(stack: string | undefined, map: RawSourceMap, prepared: PreparedCode): string[] {
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
      const original = prepared.toSource(position.line, position.column);
      frames.push(`code.ts:${original.line}:${original.column}`);
    } else {
      const workspace = /[/\\]workspace[/\\](.+)$/.exec(position.source);
      if (workspace) frames.push(`workspace/${workspace[1]!.replace(/\\/g, '/')}:${position.line}:${position.column}`);
    }
  }
  return [...new Set(frames)];
}
