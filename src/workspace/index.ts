// workspace/: the host side of `@runbyte/fs` (README.md, "The workspace and skills"): a real folder behind
// /workspace, reached from the sandbox through one host function, jailed, atomic, under a quota.

import { fileURLToPath } from 'node:url';
import type { ExtraModule, RunHostFunction } from '../exec/index.js';
import { FsFault, toVirtual, WORKSPACE } from './paths.js';
import { RunQueues } from './runs.js';
import { DEFAULT_MAX_OPERATIONS_PER_RUN, hostFault, Workspace, type WorkspaceOptions } from './workspace.js';

export { FsFault, toVirtual, WORKSPACE, type FsErrorCode } from './paths.js';
export {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_OPERATIONS_PER_RUN,
  formatBytes,
  Workspace,
  type DirEntry,
  type WorkspaceOptions,
} from './workspace.js';

/** The module agents import: `import * as fs from '@runbyte/fs'`. */
export const FS_SPECIFIER = '@runbyte/fs';
/** The guest global templates/fs.ts calls: `__runbyteFs(op, ...args)`. */
export const FS_HOST_FUNCTION = '__runbyteFs';
/** The real TypeScript file behind `@runbyte/fs`: type-checked and bundled like the SDK. */
export const FS_TEMPLATE = fileURLToPath(new URL('../../templates/fs.ts', import.meta.url));
/** `@runbyte/fs` → templates/fs.ts: what the compilers check and bundle, and what read_file shows (src/serve/server.ts). */
export const FS_MODULE: ExtraModule = { specifier: FS_SPECIFIER, hostPath: FS_TEMPLATE };

/** What exec needs to give agent code a workspace: pass each to the `Executor` option of the same name. */
export interface WorkspaceHooks {
  /** `{ __runbyteFs }`: the host function behind templates/fs.ts. */
  host: Record<string, RunHostFunction>;
  /** `@runbyte/fs` → templates/fs.ts. */
  modules: ExtraModule[];
  /** Saves an oversized result under /workspace/results/ and returns its virtual path. */
  keepOversized: (json: string) => Promise<string>;
  /** The operations themselves, for tests and for callers outside the sandbox. */
  workspace: Workspace;
}

/**
 * How many of one run's operations run at once: enough to overlap a few file system calls, few
 * enough that one run cannot fill libuv's thread pool (4 threads) ahead of every other run.
 */
const RUN_CONCURRENCY = 4;

/** A reply of the host function; mirrors `Reply` in templates/fs.ts. */
export type FsReply = { ok: true; value?: unknown } | { ok: false; code: FsFault['code']; message: string };

/**
 * The workspace behind `@runbyte/fs` for one folder. The folder is created on the first write;
 * a missing one lists as empty.
 *
 * Guest faults (a missing file, a path outside /workspace, the quota) are replies, never
 * rejections: templates/fs.ts throws them as an `FsError` with a `code` the agent can test.
 */
export function createWorkspace(options: WorkspaceOptions): WorkspaceHooks {
  const workspace = new Workspace(options);
  // Each run's operations wait in its own queue and end with it (runs.ts).
  const runs = new RunQueues(options.maxOperationsPerRun ?? DEFAULT_MAX_OPERATIONS_PER_RUN, RUN_CONCURRENCY);
  const operations: Record<string, (signal: AbortSignal, ...args: unknown[]) => Promise<unknown>> = {
    readFile: (signal, path) => workspace.readFile(path, signal),
    writeFile: (signal, path, text) => workspace.writeFile(path, text, signal),
    listDir: (signal, path, recursive) => workspace.listDir(path, recursive, signal),
    stat: (signal, path) => workspace.stat(path, signal),
    remove: (signal, path, recursive) => workspace.remove(path, recursive, signal),
  };
  const fsHost: RunHostFunction = async (run, op, ...args) => {
    const operation = typeof op === 'string' && Object.hasOwn(operations, op) ? operations[op] : undefined;
    if (!operation) return fault(new FsFault('EINVAL', `unknown operation ${JSON.stringify(op)}`));
    try {
      const value = await runs.run(run.signal, (signal) => operation(signal, ...args));
      return (value === undefined ? { ok: true } : { ok: true, value }) satisfies FsReply;
    } catch (error) {
      return fault(error instanceof FsFault ? error : hostFault(error, pathForMessage(args[0])));
    }
  };
  return {
    host: { [FS_HOST_FUNCTION]: fsHost },
    modules: [FS_MODULE],
    keepOversized: (json) => workspace.keepOversized(json),
    workspace,
  };
}

function fault(error: FsFault): FsReply {
  return { ok: false, code: error.code, message: error.message };
}

function pathForMessage(path: unknown): string {
  try {
    return toVirtual(path ?? WORKSPACE);
  } catch {
    return String(path);
  }
}
