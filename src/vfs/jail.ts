import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, rename, rmdir, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { compareStrings } from '../shared/values.js';

/**
 * The one path jail: every read and write of the generated SDK and of the workspace resolves its
 * path here, against the real file system: vfs/ (read_file, list_directory), workspace/, emit/,
 * check/ (the type-checker's reads) and bundle/ (the bundler's input file system and its guard).
 * Callers map agent paths to `(root, relPath)` first (vfs/roots.ts, workspace/paths.ts); the jail
 * answers where that really is, and refuses what is not inside `root`.
 *
 * The core, for any caller:
 * - `isInside(root, path)`: lexical; is `path` `root` or below it.
 * - `resolveInside(root, relPath, use)`: runs `use` with the entry named through its verified
 *   folder (`Inside.path`), for one fs call of the caller's own.
 * - `openInside(root, relPath)` / `readInside`: an existing regular file, opened safely.
 * - `statInsideSync` / `readInsideSync`: the same rules, synchronously, for check/'s TypeScript
 *   host and bundle/'s resolver hooks, which cannot wait.
 * Built on them, the operations workspace/ and emit/ need: `listInside`, `writeInside`
 * (temp + rename), `makeFoldersInside`, `removeInside`. Errors are `JailError` (refused) or a
 * Node error with its `code` (ENOENT, ENOTDIR, EISDIR, ENOTEMPTY, ...). No message names a host
 * path: callers add the virtual one.
 *
 * The rules below are written once, in `walk`, which asks for each system call it needs; a
 * driver makes those calls asynchronously (`resolveInside`) or synchronously (the `...Sync`
 * functions), so the two can never disagree.
 *
 * Names. `relPath` is split on `/`; empty parts and `.` are skipped and `..` is refused (callers
 * normalise agent paths first: a `..` left here is an escape). Every other part is a name:
 * `..notes`, `.env`, `...` are ordinary names, inside, readable, writable, and listed everywhere
 * (dotfiles are not hidden). One family is reserved: the temporary files of atomic writes,
 * `<name>.<pid>.<8 hex>.tmp` (`isTempName`), are never listed and cannot be named.
 *
 * Links. A symbolic link is followed while it stays inside `root` (its target is jailed again,
 * at most 40 times); one that leads out is refused as if the path were outside, and is not
 * listed. A regular file with more than one hard link is refused and not listed either: agent
 * code cannot make one, and one planted by hand may share its data with a file outside.
 *
 * No check-then-use window (Linux). The folder that holds the final name is opened, its real
 * path is read back from `/proc/self/fd/<fd>` and must be inside `root`'s; the operation then
 * names `/proc/self/fd/<fd>/<name>`, so the kernel looks the name up in that very folder, whatever
 * was renamed or swapped for a link since. The final name is never followed by the kernel: it is
 * lstat'ed and a link is resolved here, files are opened with O_NOFOLLOW, folders walked for a
 * removal with O_DIRECTORY | O_NOFOLLOW, temp files created with O_EXCL.
 * Elsewhere (no `/proc/self/fd`: macOS, Windows) the folder's real path is checked with realpath()
 * and the operation uses that real path: a process that swaps a folder for a link between the
 * check and the use can still win there.
 */

/** Why the jail refused a path. */
export type JailReason = 'invalid' | 'outside' | 'hard-link';

export class JailError extends Error {
  override readonly name = 'JailError';
  constructor(
    readonly reason: JailReason,
    message: string,
  ) {
    super(message);
  }
}

/** An entry inside the root, valid only while `resolveInside`'s `use` runs. */
export interface Inside {
  /**
   * The entry, named through its verified folder: pass it to one fs call (lstat, unlink, rename,
   * mkdir...). For the root itself (`name` ''), a link to its verified descriptor: use stat/readdir.
   */
  path: string;
  /** Its verified folder: `${parent}/${otherName}` names a sibling. */
  parent: string;
  /** The entry's own name; '' for the root itself. */
  name: string;
  /** The entry's lstat (links inside followed when `follow`); undefined when nothing is there. */
  stats: Stats | undefined;
  /** Where it really is, relative to the root (posix; '' for the root): inside links followed. */
  rel: string;
}

export interface ResolveOptions {
  /** Follow a link in the final name (when it stays inside). Default true; false acts on the link itself. */
  follow?: boolean;
}

/** One entry of `listInside`: what it is, with a link inside described by what it leads to. */
export interface Listed {
  name: string;
  stats: Stats;
  /** It is a link (to a place inside). */
  link: boolean;
}

const PROC_FD = '/proc/self/fd';
const MAX_LINKS = 40;
const TEMP_NAME = /\.\d+\.[0-9a-f]{8}\.tmp$/;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
/** Files are opened without following a link in the final name, and so that a planted FIFO cannot hang the read. */
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | NONBLOCK;

let procChecked: boolean | undefined;
function useProc(): boolean {
  procChecked ??= process.platform === 'linux' && existsSync(PROC_FD);
  return procChecked;
}

/** Whether `path` is `root` or below it, lexically (both absolute, or both relative to the same place). */
export function isInside(root: string, path: string): boolean {
  return insideRel(root, path) !== undefined;
}

/** Whether a name is one of the reserved temporary files of atomic writes (never listed). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Resolves `relPath` under `root` and runs `use` with the entry, named through its verified
 * folder; that folder stays open until `use` settles. Refuses (JailError) a path through a link
 * that leads out, and (when following) a regular file with more than one hard link. A missing
 * folder on the way rejects with ENOENT, a file on the way with ENOTDIR.
 */
export function resolveInside<T>(root: string, relPath: string, use: (inside: Inside) => Promise<T>, options: ResolveOptions = {}): Promise<T> {
  return driveAsync(walk(root, relPath, options.follow ?? true), use) as Promise<T>;
}

/** `resolveInside`, synchronously: the same walk, each step a synchronous call. */
function resolveInsideSync<T>(root: string, relPath: string, use: (inside: Inside) => T, options: ResolveOptions = {}): T {
  return driveSync(walk(root, relPath, options.follow ?? true), use) as T;
}

/**
 * What is at `relPath` under `root`, synchronously, for callers that cannot wait (check/'s
 * TypeScript host, bundle/'s resolver hooks): its stats, a link inside described by what it
 * leads to; undefined when nothing is there (also a missing folder or a file on the way).
 * Refuses (JailError) exactly what `resolveInside` refuses: a link out, a hard-linked file, a
 * reserved or invalid name. Five system calls or so on Linux: cheap enough to run on every check.
 */
export function statInsideSync(root: string, relPath: string): Stats | undefined {
  try {
    return resolveInsideSync(root, relPath, (at) => at.stats);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** `readInside`, synchronously: the bytes of an existing regular file inside `root` (see `openInside`). */
export function readInsideSync(root: string, relPath: string): Buffer {
  const fd = resolveInsideSync(root, relPath, (at) => {
    checkReadable(at.stats);
    return openSync(at.path, READ_FLAGS);
  });
  try {
    checkOpened(fstatSync(fd), relPath);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens an existing regular file inside `root` for reading (O_NOFOLLOW, and O_NONBLOCK so a
 * planted FIFO cannot hang the read). Refuses links out and hard-linked files; ENOENT when it
 * is missing, EISDIR for a folder, EINVAL for anything that is not a regular file.
 */
export function openInside(root: string, relPath: string): Promise<FileHandle> {
  return resolveInside(root, relPath, async (at) => {
    checkReadable(at.stats);
    const handle = await open(at.path, READ_FLAGS);
    try {
      checkOpened(await handle.stat(), relPath);
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  });
}

/** The bytes of an existing regular file inside `root` (see `openInside`). */
export async function readInside(root: string, relPath: string): Promise<Buffer> {
  const handle = await openInside(root, relPath);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * A folder's entries, sorted by name: files and folders, links that stay inside (described by
 * what they lead to), and nothing else (no links out, hard-linked files, temp files, sockets).
 * ENOENT when it is missing, ENOTDIR for a file.
 */
export function listInside(root: string, relPath: string): Promise<Listed[]> {
  return resolveInside(root, relPath, async (at) => {
    if (!at.stats) throw errno('ENOENT');
    if (!at.stats.isDirectory()) throw errno('ENOTDIR');
    // A folder swapped for a link since the lstat fails here (O_NOFOLLOW); the root's own link is its verified descriptor.
    const folder = await openFolder(at.path, !at.name);
    try {
      const names = (await readdir(folder.base)).filter((name) => !isTempName(name)).sort(compareStrings);
      const listed: Listed[] = [];
      for (const name of names) {
        let info = await lstat(`${folder.base}/${name}`).catch(missing);
        const link = info?.isSymbolicLink() === true;
        if (link) {
          const childRel = at.rel ? `${at.rel}/${name}` : name;
          info = await resolveInside(root, childRel, async (target) => target.stats).catch(() => undefined);
        }
        if (!info || !(info.isFile() || info.isDirectory()) || (info.isFile() && info.nlink > 1)) continue;
        listed.push({ name, stats: info, link });
      }
      return listed;
    } finally {
      await folder.close();
    }
  });
}

export interface WriteOptions extends ResolveOptions {
  /** Stops the write before its next step (before the temp file, before the rename). */
  signal?: AbortSignal;
}

/**
 * Replaces or creates a file atomically: a temp file created (O_EXCL) next to it in its verified
 * folder, then renamed over it; a reader sees the old data or the new. The folder must exist
 * (`makeFoldersInside`). EISDIR when the name is a folder.
 */
export function writeInside(root: string, relPath: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const { signal } = options;
  return resolveInside(
    root,
    relPath,
    async (at) => {
      if (!at.name || at.stats?.isDirectory()) throw errno('EISDIR');
      signal?.throwIfAborted();
      const temp = `${at.parent}/${at.name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(temp, data, { flag: 'wx', signal });
        signal?.throwIfAborted();
        await rename(temp, at.path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    },
    options,
  );
}

/**
 * Creates the folder at `relPath` and the missing ones on the way (like `mkdir -p`), each in its
 * verified parent; returns how many it created (a folder another writer made first is not counted).
 */
export async function makeFoldersInside(root: string, relPath: string, options: { signal?: AbortSignal } = {}): Promise<number> {
  const names = splitNames(relPath);
  const exists = await resolveInside(root, relPath, async (at) => at.stats?.isDirectory() === true).catch(() => false);
  if (exists) return 0;
  let created = 0;
  for (let depth = 1; depth <= names.length; depth++) {
    created += await resolveInside(root, names.slice(0, depth).join('/'), async (at) => {
      if (at.stats?.isDirectory()) return 0;
      if (at.stats) throw errno('ENOTDIR');
      options.signal?.throwIfAborted();
      try {
        await mkdir(at.path);
        return 1;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 0;
        throw error;
      }
    });
  }
  return created;
}

export interface RemoveOptions {
  /** Remove a folder with everything in it; without it only an empty folder goes (else ENOTEMPTY). */
  recursive?: boolean;
  /** Stops a recursive removal before its next entry. */
  signal?: AbortSignal;
}

/**
 * Removes a file, a link (the link itself, never what it leads to), or a folder; false when
 * nothing was there. A link that leads out is refused like any path through it. A recursive
 * removal opens each folder without following links, so a folder swapped for a link meanwhile is
 * unlinked, not walked into.
 */
export async function removeInside(root: string, relPath: string, options: RemoveOptions = {}): Promise<boolean> {
  if (splitNames(relPath).length === 0) throw errno('EINVAL');
  // The same refusals as every other operation (links out, hard links)...
  await resolveInside(root, relPath, async () => undefined).catch((error: unknown) => {
    if (error instanceof JailError) throw error;
  });
  // ...then the name itself is removed, in its verified folder.
  return resolveInside(
    root,
    relPath,
    async (at) => {
      if (!at.stats) return false;
      if (!at.stats.isDirectory()) await unlink(at.path);
      else if (options.recursive) await removeTree(at.path, options.signal);
      else await rmdir(at.path);
      return true;
    },
    { follow: false },
  );
}

async function removeTree(path: string, signal: AbortSignal | undefined): Promise<void> {
  let folder: Folder;
  try {
    folder = await openFolder(path, false);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ELOOP' || code === 'ENOTDIR') return unlink(path);
    throw error;
  }
  try {
    for (const name of await readdir(folder.base)) {
      signal?.throwIfAborted();
      const child = `${folder.base}/${name}`;
      const info = await lstat(child).catch(missing);
      if (info?.isDirectory()) await removeTree(child, signal);
      else if (info) await unlink(child).catch(ignoreMissing);
    }
  } finally {
    await folder.close();
  }
  await rmdir(path).catch(ignoreMissing);
}

// ---- The walk: one implementation of the rules, run asynchronously or synchronously ----

/** One file-system call the walk asks its driver for, and what the driver answers. */
type Step =
  | { call: 'open'; path: string; follow: boolean } // → Folder
  | { call: 'close'; folder: Folder } // → nothing
  | { call: 'stat'; path: string } // → Stats
  | { call: 'lstat'; path: string } // → Stats, or undefined when nothing is there
  | { call: 'readlink'; path: string } // → string
  | { call: 'use'; inside: Inside }; // → the caller's result, which the walk returns

/**
 * How `relPath` is resolved under `root` (see the module comment): the rules, written once. It
 * yields each file-system call it needs; `driveAsync` and `driveSync` perform them (a failure is
 * thrown back in, so every folder opened is closed), which keeps the rules of `resolveInside` and
 * of the synchronous functions one and the same.
 */
function* walk(root: string, relPath: string, follow: boolean): Generator<Step, unknown, unknown> {
  let names = splitNames(relPath);
  const top = (yield { call: 'open', path: root, follow: true }) as Folder;
  try {
    for (let links = 0; ; ) {
      if (names.length === 0) {
        // The root itself: `path` is its descriptor's link, which only stat() (following) reads right.
        const stats = (yield { call: 'stat', path: top.base }) as Stats;
        return yield { call: 'use', inside: { path: top.base, parent: top.base, name: '', stats, rel: '' } };
      }
      const name = names[names.length - 1]!;
      const folder = names.length > 1 ? ((yield { call: 'open', path: `${top.base}/${names.slice(0, -1).join('/')}`, follow: true }) as Folder) : top;
      try {
        const folderRel = insideRel(top.real, folder.real);
        if (folderRel === undefined) throw outside(relPath);
        const path = `${folder.base}/${name}`;
        const stats = (yield { call: 'lstat', path }) as Stats | undefined;
        if (follow && stats?.isSymbolicLink()) {
          if (++links > MAX_LINKS) throw new JailError('outside', `${relPath}: too many levels of links`);
          const target = resolve(folder.real, (yield { call: 'readlink', path }) as string);
          const next = insideRel(top.real, target) ?? insideRel(resolve(root), target);
          if (next === undefined) throw outside(relPath);
          names = next === '' ? [] : next.split('/');
          continue;
        }
        if (follow && stats?.isFile() && stats.nlink > 1) throw hardLink(relPath);
        return yield { call: 'use', inside: { path, parent: folder.base, name, stats, rel: folderRel ? `${folderRel}/${name}` : name } };
      } finally {
        if (folder !== top) yield { call: 'close', folder };
      }
    }
  } finally {
    yield { call: 'close', folder: top };
  }
}

async function driveAsync(steps: Generator<Step, unknown, unknown>, use: (inside: Inside) => Promise<unknown>): Promise<unknown> {
  let step = steps.next();
  while (!step.done) {
    let answer: unknown;
    try {
      const { value } = step;
      if (value.call === 'open') answer = await openFolder(value.path, value.follow);
      else if (value.call === 'close') answer = await value.folder.close();
      else if (value.call === 'stat') answer = await stat(value.path);
      else if (value.call === 'lstat') answer = await lstat(value.path).catch(missing);
      else if (value.call === 'readlink') answer = await readlink(value.path);
      else answer = await use(value.inside);
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(answer);
  }
  return step.value;
}

function driveSync(steps: Generator<Step, unknown, unknown>, use: (inside: Inside) => unknown): unknown {
  let step = steps.next();
  while (!step.done) {
    let answer: unknown;
    try {
      const { value } = step;
      if (value.call === 'open') answer = openFolderSync(value.path, value.follow);
      else if (value.call === 'close') answer = value.folder.close();
      else if (value.call === 'stat') answer = statSync(value.path);
      else if (value.call === 'lstat') answer = lstatSync(value.path, { throwIfNoEntry: false });
      else if (value.call === 'readlink') answer = readlinkSync(value.path);
      else answer = use(value.inside);
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(answer);
  }
  return step.value;
}

// ---- Folders held open ----

interface Folder {
  /** What the caller puts before `/<name>`: `/proc/self/fd/<fd>`, or the real path without /proc. */
  base: string;
  /** Its real path. */
  real: string;
  /** Synchronous for a folder opened by `openFolderSync`. */
  close(): void | Promise<void>;
}

const NO_CLOSE = () => undefined;

async function openFolder(path: string, follow: boolean): Promise<Folder> {
  if (useProc()) {
    const handle = await open(path, constants.O_RDONLY | DIRECTORY | (follow ? 0 : NOFOLLOW));
    try {
      const base = `${PROC_FD}/${handle.fd}`;
      return { base, real: await readlink(base), close: () => handle.close() };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  // Without /proc: a real path, checked now and used later (see the module comment).
  if (!follow && (await lstat(path)).isSymbolicLink()) throw errno('ELOOP');
  const real = await realpath(path);
  if (!(await stat(real)).isDirectory()) throw errno('ENOTDIR');
  return { base: real, real, close: NO_CLOSE };
}

/** `openFolder`, synchronously (for `driveSync`). */
function openFolderSync(path: string, follow: boolean): Folder {
  if (useProc()) {
    const fd = openSync(path, constants.O_RDONLY | DIRECTORY | (follow ? 0 : NOFOLLOW));
    try {
      const base = `${PROC_FD}/${fd}`;
      return { base, real: readlinkSync(base), close: () => closeSync(fd) };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
  if (!follow && lstatSync(path).isSymbolicLink()) throw errno('ELOOP');
  const real = realpathSync.native(path);
  if (!statSync(real).isDirectory()) throw errno('ENOTDIR');
  return { base: real, real, close: NO_CLOSE };
}

// ---- Helpers ----

/** An entry `openInside` may open: an existing regular file (else ENOENT, EISDIR, EINVAL). */
function checkReadable(stats: Stats | undefined): void {
  if (!stats) throw errno('ENOENT');
  if (stats.isDirectory()) throw errno('EISDIR');
  if (!stats.isFile()) throw errno('EINVAL');
}

/** What was opened, checked again: it may have been replaced since the lstat (an atomic write). */
function checkOpened(info: Stats, relPath: string): void {
  if (info.isDirectory()) throw errno('EISDIR');
  if (!info.isFile()) throw errno('EINVAL');
  if (info.nlink > 1) throw hardLink(relPath);
}

function splitNames(relPath: string): string[] {
  if (relPath.includes('\0')) throw new JailError('invalid', `${JSON.stringify(relPath)} is not a valid path`);
  const names = relPath.split('/').filter((name) => name !== '' && name !== '.');
  for (const name of names) {
    if (name === '..') throw new JailError('invalid', `${relPath}: ".." may not appear here`);
    if (isTempName(name)) throw new JailError('invalid', `${relPath}: names ending in .<pid>.<hex>.tmp are reserved for atomic writes`);
  }
  return names;
}

/** `path` relative to `root` (posix, '' for root itself) when it is inside, else undefined. */
function insideRel(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

function outside(relPath: string): JailError {
  return new JailError('outside', `${relPath}: a link on the way leads out`);
}

function hardLink(relPath: string): JailError {
  return new JailError('hard-link', `${relPath}: a file with more than one hard link`);
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

function missing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
