// workspace/: the host side of `@runbyte/fs` (SPEC.md, The workspace): a real folder behind
// /workspace, reached from the sandbox through one host function, jailed, atomic, under a quota.

import { fileURLToPath } from 'node:url';
import type { ExtraModule, RunHostFunction } from '../exec/index.js';
import { FsFault, toVirtual, WORKSPACE } from './paths.js';
import { hostFault, Workspace, type WorkspaceOptions } from './workspace.js';

export { FsFault, toVirtual, WORKSPACE, type FsErrorCode } from './paths.js';
export { formatBytes, Workspace, type DirEntry, type WorkspaceOptions } from './workspace.js';

/** The module agents import: `import * as fs from '@runbyte/fs'`. */
export const FS_SPECIFIER = '@runbyte/fs';
/** The guest global templates/fs.ts calls: `__runbyteFs(op, ...args)`. */
export const FS_HOST_FUNCTION = '__runbyteFs';
/** The real TypeScript file behind `@runbyte/fs`: type-checked and bundled like the SDK. */
export const FS_TEMPLATE = fileURLToPath(new URL('../../templates/fs.ts', import.meta.url));

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
  const operations: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    readFile: (path) => workspace.readFile(path),
    writeFile: (path, text) => workspace.writeFile(path, text),
    listDir: (path, recursive) => workspace.listDir(path, recursive),
    stat: (path) => workspace.stat(path),
    remove: (path, recursive) => workspace.remove(path, recursive),
  };
  const fsHost: RunHostFunction = async (_run, op, ...args) => {
    const operation = typeof op === 'string' && Object.hasOwn(operations, op) ? operations[op] : undefined;
    if (!operation) return fault(new FsFault('EINVAL', `unknown operation ${JSON.stringify(op)}`));
    try {
      const value = await operation(...args);
      return (value === undefined ? { ok: true } : { ok: true, value }) satisfies FsReply;
    } catch (error) {
      return fault(error instanceof FsFault ? error : hostFault(error, pathForMessage(args[0])));
    }
  };
  return {
    host: { [FS_HOST_FUNCTION]: fsHost },
    modules: [{ specifier: FS_SPECIFIER, hostPath: FS_TEMPLATE }],
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
