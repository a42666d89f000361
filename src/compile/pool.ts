// A small pool of compiler processes (child.ts). Type-checking and bundling run on input the agent
// controls: a type that takes minutes, a heap that fills, or a native crash of Rspack must end one
// execution, not the server. So each compiler is a process of its own, started warm, given one
// compile at a time under a deadline and a memory ceiling, and replaced when it is killed or dies.

import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../shared/errors.js';
import { sourceHooksBootstrap } from '../shared/source-hooks.js';
import type { Compiled, CompilerSetup, FromCompiler, ToCompiler } from './protocol.js';

/** The stage a compile was in when it was stopped. */
export type CompileStage = 'waiting' | 'check' | 'bundle';

/**
 * A compile that did not finish: it ran out of time or memory, the compiler process died, or the
 * caller cancelled it (`CompileOptions.signal`).
 */
export interface CompileFault {
  ok: false;
  fault: 'timeout' | 'memory' | 'crash' | 'cancelled';
  stage: CompileStage;
  /** What happened, in a few words (`signal SIGABRT`, `1,024 MB`). */
  detail: string;
}

export type CompileOutcome = Compiled | CompileFault;

export interface CompilerPoolOptions extends Omit<CompilerSetup, 'prime'> {
  /** Compiler processes kept warm (default 2: one agent's slow compile leaves the other free). */
  size?: number;
  /** Ceiling of one compiler process: its V8 heap, and its resident memory as a whole. */
  memoryMb?: number;
}

export const DEFAULT_COMPILERS = 2;
export const DEFAULT_COMPILER_MEMORY_MB = 1024;
/** How often a busy compiler's resident memory is read (Linux: /proc/<pid>/statm). */
const MEMORY_POLL_MS = 100;
const PAGE_BYTES = 4096;

/** One compile's own settings. */
export interface CompileOptions {
  /** What the agent's code is called in type and bundle errors (default `code.ts`). */
  codeName?: string;
  /**
   * Cancels the compile: a queued one leaves the queue at once, a running one ends by killing its
   * compiler (replaced and primed at once, as after a timeout). Either way the outcome is
   * `{ ok: false, fault: 'cancelled', stage, detail: '' }`; already aborted: nothing is compiled.
   */
  signal?: AbortSignal;
}

interface Job {
  id: number;
  code: string;
  codeName: string;
  resolve(outcome: CompileOutcome): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
  /** Stops listening to the compile's signal. */
  release?: () => void;
  slot?: Slot;
  stage: CompileStage;
}

interface Slot {
  child: ChildProcess;
  state: 'starting' | 'idle' | 'busy' | 'gone';
  job?: Job;
  /** Settles when the process is ready, or has failed to start. */
  ready: Promise<void>;
  memoryTimer?: NodeJS.Timeout;
  /** The last few KB of its stderr: what a crash said. */
  stderr: string;
}

export class CompilerPool {
  readonly size: number;
  private readonly memoryMb: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private prime?: string;
  private closed = false;
  /** Why the last compiler could not start; jobs fail with it instead of respawning forever. */
  private startFailure?: Error;

  constructor(private readonly options: CompilerPoolOptions) {
    this.size = Math.max(1, options.size ?? DEFAULT_COMPILERS);
    this.memoryMb = options.memoryMb ?? DEFAULT_COMPILER_MEMORY_MB;
  }

  /** Starts every compiler and waits until each is ready (loaded, and primed when `prime()` was called). */
  async warm(): Promise<void> {
    this.fill();
    await Promise.all([...this.slots].map((slot) => slot.ready));
    if (this.startFailure) throw this.startFailure;
  }

  /**
   * Compiles this code once in every compiler, now and in each one started later, so that the
   * SDK is parsed before an agent asks (e.g. a script importing every server).
   */
  primeWith(code: string): void {
    this.prime = code;
    for (const slot of this.slots) if (slot.state !== 'starting') this.post(slot, { type: 'prime', code });
  }

  /** The SDK or the workspace changed on disk: every compiler reads these host paths (or all) again. */
  invalidate(hostPaths?: string[]): void {
    for (const slot of this.slots) this.post(slot, { type: 'invalidate', hostPaths });
  }

  /**
   * Type-checks and bundles agent code, ending by `deadline` (a `performance.now()` time) at the
   * latest. Never rejects for what the code does; rejects only when no compiler can be started.
   */
  compile(code: string, deadline: number, options: CompileOptions = {}): Promise<CompileOutcome> {
    if (this.closed) return Promise.reject(new Error('runbyte: the compiler pool is closed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.resolve({ ok: false, fault: 'cancelled', stage: 'waiting', detail: '' });
    this.startFailure = undefined;
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, code, codeName: options.codeName ?? 'code.ts', resolve, reject, stage: 'waiting' };
      job.timer = setTimeout(() => this.stop(job, 'timeout'), Math.max(0, deadline - performance.now()));
      if (signal) {
        const onAbort = () => this.stop(job, 'cancelled');
        signal.addEventListener('abort', onAbort, { once: true });
        job.release = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.fill();
      this.pump();
    });
  }

  /** Processes alive now (for tests). */
  get processes(): number[] {
    return [...this.slots].flatMap((slot) => (slot.child.pid === undefined ? [] : [slot.child.pid]));
  }

  /** Ends every compiler; compiles still waiting or running reject. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new Error('runbyte: the compiler pool is closed');
    for (const job of this.queue.splice(0)) this.settle(job, () => job.reject(error));
    await Promise.all([...this.slots].map((slot) => this.retire(slot, (job) => job.reject(error))));
  }

  private fill(): void {
    while (!this.closed && !this.startFailure && this.slots.size < this.size) this.spawn();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const idle = [...this.slots].find((slot) => slot.state === 'idle');
      if (!idle) return;
      this.dispatch(idle, this.queue.shift()!);
    }
  }

  private spawn(): void {
    const { path, execArgv } = entry();
    // Primed with at least a trivial program: TypeScript's lib files are parsed before it is called ready.
    const setup: CompilerSetup = { roots: this.options.roots, modules: this.options.modules, prime: this.prime ?? 'return 0;' };
    const child = fork(path, [JSON.stringify(setup)], {
      execArgv: [...execArgv, `--max-old-space-size=${this.memoryMb}`],
      // Nothing of the server's environment (tokens, the config's ${VAR} secrets) reaches a process
      // that reads agent input.
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let markReady!: () => void;
    const slot: Slot = { child, state: 'starting', ready: new Promise((resolve) => (markReady = resolve)), stderr: '' };
    this.slots.add(slot);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => (slot.stderr = (slot.stderr + text).slice(-4096)));
    child.on('message', (message: FromCompiler) => {
      if (message.type === 'ready') markReady();
      this.onMessage(slot, message);
    });
    child.on('error', () => undefined); // 'exit' follows and says what happened
    child.on('exit', (code, signal) => {
      markReady();
      this.onExit(slot, code, signal);
    });
    // A starting compiler keeps the process alive (`run` awaits it); an idle one does not (idle()).
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.state = 'busy';
    slot.job = job;
    job.slot = slot;
    job.stage = 'check';
    slot.child.ref();
    (slot.child.channel as { ref?: () => void } | undefined)?.ref?.();
    this.watchMemory(slot);
    this.post(slot, { type: 'compile', id: job.id, code: job.code, codeName: job.codeName });
  }

  private onMessage(slot: Slot, message: FromCompiler): void {
    if (slot.state === 'gone') return;
    if (message.type === 'ready') {
      slot.state = 'idle';
      this.idle(slot);
      this.pump();
      return;
    }
    const job = slot.job;
    if (!job || message.id !== job.id) return;
    if (message.type === 'stage') {
      job.stage = message.stage;
      return;
    }
    slot.job = undefined;
    slot.state = 'idle';
    clearInterval(slot.memoryTimer);
    this.idle(slot);
    if (message.type === 'done') this.settle(job, () => job.resolve(message.result));
    else this.settle(job, () => job.reject(new Error(`runbyte: the compiler failed: ${message.message}`)));
    this.pump();
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.state === 'gone') return;
    const starting = slot.state === 'starting';
    const outOfMemory = /heap out of memory|Reached heap limit/i.test(slot.stderr);
    void this.retire(slot, (job) =>
      job.resolve({
        ok: false,
        fault: outOfMemory ? 'memory' : 'crash',
        stage: job.stage,
        detail: outOfMemory ? `${this.memoryMb.toLocaleString('en-US')} MB` : signal ? `signal ${signal}` : `exit code ${code}`,
      }),
    );
    if (starting) {
      // It could not even load: the compiles waiting for it would fail the same way.
      const tail = slot.stderr.trim().split('\n').slice(-3).join(' ');
      this.startFailure = new Error(`runbyte: the compiler process could not start (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}`);
      for (const job of this.queue.splice(0)) this.settle(job, () => job.reject(this.startFailure!));
      return;
    }
    this.fill();
  }

  /** Ends `job` at its deadline or its cancel: out of the queue, or its compiler killed and replaced. */
  private stop(job: Job, fault: 'timeout' | 'cancelled'): void {
    const outcome: CompileFault = { ok: false, fault, stage: job.stage, detail: '' };
    if (job.slot) {
      void this.retire(job.slot, (running) => running.resolve(outcome));
      this.fill();
      return;
    }
    const index = this.queue.indexOf(job);
    if (index < 0) return; // already settled
    this.queue.splice(index, 1);
    this.settle(job, () => job.resolve(outcome));
  }

  private watchMemory(slot: Slot): void {
    const pid = slot.child.pid;
    if (process.platform !== 'linux' || pid === undefined) return;
    const limit = this.memoryMb * 2 ** 20;
    slot.memoryTimer = setInterval(() => {
      readFile(`/proc/${pid}/statm`, 'utf8').then(
        (statm) => {
          const resident = Number(statm.split(' ')[1]) * PAGE_BYTES;
          if (slot.state !== 'busy' || resident <= limit) return;
          void this.retire(slot, (job) => job.resolve({ ok: false, fault: 'memory', stage: job.stage, detail: `${this.memoryMb.toLocaleString('en-US')} MB` }));
          this.fill();
        },
        () => undefined,
      );
    }, MEMORY_POLL_MS);
  }

  /** An idle compiler keeps nothing alive: `run` exits when its work is done. */
  private idle(slot: Slot): void {
    slot.child.unref();
    (slot.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  private post(slot: Slot, message: ToCompiler): void {
    if (slot.state === 'gone' || !slot.child.connected) return;
    slot.child.send(message, (error) => {
      if (error && slot.state !== 'gone') slot.stderr += `\n${messageOf(error)}`;
    });
  }

  /** Takes `slot` out of the pool, ends its job (if any) with `end`, and kills its process. */
  private async retire(slot: Slot, end: (job: Job) => void): Promise<void> {
    if (slot.state === 'gone') return;
    slot.state = 'gone';
    this.slots.delete(slot);
    clearInterval(slot.memoryTimer);
    const job = slot.job;
    slot.job = undefined;
    if (job) this.settle(job, () => end(job));
    if (slot.child.exitCode === null && slot.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => slot.child.once('exit', () => resolve()));
      slot.child.ref(); // an idle compiler is unref'd: waiting for its exit must keep the process alive
      slot.child.kill('SIGKILL');
      await exited;
    }
  }

  private settle(job: Job, end: () => void): void {
    clearTimeout(job.timer);
    job.release?.();
    job.slot = undefined;
    end();
  }
}

/**
 * The compiler's entry. Built (dist/): child.js next to this file. From TypeScript sources
 * (vitest runs src/*.ts directly): child.ts, with hooks that load .ts.
 */
function entry(): { path: string; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts')) return { path: fileURLToPath(new URL('./child.js', import.meta.url)), execArgv: [] };
  return { path: fileURLToPath(new URL('./child.ts', import.meta.url)), execArgv: ['--import', sourceHooksBootstrap()] };
}
