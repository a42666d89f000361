// @runbyte/fs: the workspace, a folder that outlives executions and restarts.
//
//   import * as fs from '@runbyte/fs';
//   await fs.writeFile('notes/todo.md', '- call the API');
//   const todo = await fs.readFile('/workspace/notes/todo.md');
//
// Paths are `/workspace/...`, or relative to /workspace (`notes/todo.md`; `./workspace/notes/todo.md`,
// the path code imports it by, is the same file). Nothing outside /workspace can be reached. Files
// are UTF-8 text. A `.ts` file saved here is a skill: later code can
// `import { f } from './workspace/skills/f'`.

/** One entry of a folder listing. */
export interface DirEntry {
  /** The name, e.g. `math.ts`. */
  name: string;
  /** The full path, e.g. `/workspace/skills/math.ts`: pass it straight to `readFile`. */
  path: string;
  type: 'file' | 'directory';
  /** Bytes for a file, 0 for a folder. */
  size: number;
  /** When it last changed, ISO 8601 (UTC). */
  modified: string;
}

/**
 * Why a workspace call failed, as `FsError.code`:
 * `ENOENT` no such file or folder; `EISDIR` a folder where a file was expected; `ENOTDIR` a file
 * where a folder was expected; `ENOTEMPTY` the folder is not empty; `EACCES` the path is outside
 * /workspace; `EDQUOT` the workspace quota (bytes or number of files and folders) would be exceeded;
 * `EINVAL` a bad argument; `EBUSY` too many operations started at once without awaiting them;
 * `EIO` any other failure.
 */
export type FsErrorCode = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'ENOTEMPTY' | 'EACCES' | 'EDQUOT' | 'EINVAL' | 'EBUSY' | 'EIO';

/** Thrown by every function here; `code` says why (`if (error.code === 'ENOENT') ...`). */
export class FsError extends Error {
  readonly code: FsErrorCode;

  constructor(code: FsErrorCode, message: string) {
    super(message);
    this.name = 'FsError';
    this.code = code;
  }
}

/**
 * Reads a text file.
 * @example const csv = await readFile('/workspace/data/users.csv');
 * @throws {FsError} `ENOENT` when it does not exist, `EISDIR` for a folder.
 */
export function readFile(path: string): Promise<string> {
  return call<string>('readFile', path);
}

/**
 * Writes a text file, replacing it when it exists and creating missing folders on the way. The
 * write is atomic: a reader sees the old text or the new, never a mix.
 * @example await writeFile('skills/triple.ts', 'export const triple = (n: number) => n * 3;\n');
 * @throws {FsError} `EDQUOT` when it would not fit in the workspace quota (nothing is written).
 */
export function writeFile(path: string, text: string): Promise<void> {
  if (typeof text !== 'string') {
    return Promise.reject(new FsError('EINVAL', `@runbyte/fs: writeFile takes text, not ${describe(text)}; use writeJson for other values`));
  }
  return call<void>('writeFile', path, text);
}

/**
 * Reads a JSON file and parses it.
 * @example const { rows } = await readJson<{ rows: string[] }>('results/2026-01-01T00-00-00-000Z-1a2b3c4d.json');
 * @throws {FsError} `EINVAL` when the file is not valid JSON.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson<T = any>(path: string): Promise<T> {
  const text = await readFile(path);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new FsError('EINVAL', `@runbyte/fs: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Writes `value` as JSON (indented by two spaces, a newline at the end), atomically like `writeFile`.
 * @example await writeJson('state/cursor.json', { page: 3 });
 */
export function writeJson(path: string, value: unknown): Promise<void> {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    return Promise.reject(new FsError('EINVAL', `@runbyte/fs: cannot write ${path} as JSON: ${(error as Error).message}`));
  }
  if (text === undefined) return Promise.reject(new FsError('EINVAL', `@runbyte/fs: ${describe(value)} has no JSON form`));
  return writeFile(path, `${text}\n`);
}

/**
 * Lists a folder (default `/workspace`), sorted by name. `recursive` lists everything below it
 * too, each entry with its full `path`. The workspace itself is empty, not missing, before the
 * first write.
 * @example const skills = (await listDir('skills')).filter((entry) => entry.name.endsWith('.ts'));
 * @throws {FsError} `ENOENT` when the folder does not exist, `ENOTDIR` for a file.
 */
export function listDir(path = '/workspace', options: { recursive?: boolean } = {}): Promise<DirEntry[]> {
  return call<DirEntry[]>('listDir', path, options.recursive === true);
}

/** The entry of a file or folder, or `null` when nothing is there. */
export function stat(path: string): Promise<DirEntry | null> {
  return call<DirEntry | null>('stat', path);
}

/** Whether a file or folder exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  return (await stat(path)) !== null;
}

/**
 * Removes a file, or a folder: an empty one, or with `recursive` everything in it. Resolves to
 * `false` when there was nothing to remove.
 * @example await remove('scratch', { recursive: true });
 * @throws {FsError} `ENOTEMPTY` for a folder with files in it and no `recursive`.
 */
export function remove(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
  return call<boolean>('remove', path, options.recursive === true);
}

// ---- The bridge to the host (src/workspace/): arguments and replies cross as JSON. ----

type Reply = { ok: true; value?: unknown } | { ok: false; code: FsErrorCode; message: string };
type Bridge = (op: string, ...args: unknown[]) => Promise<Reply>;

async function call<T>(op: string, ...args: unknown[]): Promise<T> {
  const bridge = (globalThis as { __runbyteFs?: Bridge }).__runbyteFs;
  if (typeof bridge !== 'function') throw new FsError('EIO', '@runbyte/fs: the workspace is only reachable from code run by runbyte');
  const reply = await bridge(op, ...args);
  if (!reply.ok) throw new FsError(reply.code, reply.message);
  return reply.value as T;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
