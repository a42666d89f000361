// Messages between the main process (pool.ts) and a compiler process (child.ts). Plain data: they
// cross an IPC channel.

import type { RawSourceMap } from '../bundle/index.js';
import type { SourceLayout } from '../check/index.js';
import type { ExtraModule } from './types.js';
import type { VfsRoots } from '../vfs/roots.js';

/** What a compiler process is started with (its one command-line argument, as JSON). */
export interface CompilerSetup {
  roots: VfsRoots;
  modules: ExtraModule[];
  /** Code compiled once before the process says it is ready, so it starts warm. */
  prime?: string;
}

export type ToCompiler =
  /** `codeName`: what the agent's code is called in the diagnostics (`code.ts`, or `runbyte run`'s file). */
  { type: 'compile'; id: number; code: string; codeName: string } | { type: 'prime'; code: string } | { type: 'invalidate'; hostPaths?: string[] };

/** A finished compile: a script to run, or the diagnostics that stop it (already in the agent's lines). */
export type Compiled =
  | { ok: true; script: string; map: RawSourceMap; layout: SourceLayout; checkMs: number; bundleMs: number }
  | { ok: false; stage: 'check' | 'bundle'; lines: string[]; checkMs: number; bundleMs: number };

export type FromCompiler =
  | { type: 'ready' }
  | { type: 'stage'; id: number; stage: 'bundle' }
  | { type: 'done'; id: number; result: Compiled }
  | { type: 'failed'; id: number; message: string };
