import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { JailError, listInside, makeFoldersInside, readInside, removeInside, resolveInside, writeInside } from '../vfs/jail.js';
import { FsFault, toRel, toVirtual, WORKSPACE, type FsErrorCode } from './paths.js';
import { PathLocks } from './runs.js';
import { FOLDER_BYTES, footprintOf, Usage, type Footprint } from './usage.js';

/** One entry of a listing; mirrors `DirEntry` in templates/fs.ts. */
export interface DirEntry {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size: number;
  modified: string;
}

export interface WorkspaceOptions {
  /** The host folder behind /workspace (`config.workspaceDir`); created on the first write. */
  dir: string;
  /** Most bytes the folder may hold, folders counted at 4 KB each (`config.sandbox.workspaceQuotaMb` × 2^20). */
  quotaBytes: number;
  /** Most files, folders and links the folder may hold (default 10,000). */
  maxEntries?: number;
  /** Most workspace operations one run may have waiting or in progress; more are refused with EBUSY (default 1,000). */
  maxOperationsPerRun?: number;
  /** How long a walked usage total is trusted before the folder is walked again (default 5000 ms). */
  usageTtlMs?: number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_OPERATIONS_PER_RUN = 1_000;

/** Where oversized results are kept, and the names runbyte gives them (only these are ever evicted). */
const RESULTS = `${WORKSPACE}/results`;
const RESULT_NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.json$/;

/**
 * The workspace's host side (README.md, "The workspace and skills"): every operation of `@runbyte/fs` on the
 * real folder, each path through the jail (src/vfs/jail.ts), writes atomic (temp + rename) and
 * under the quota (bytes on disk, folders included, and a number of entries). Changes to the
 * same path (or one below the other) are serialised; nothing else is, so one run's work never
 * waits for another's (the per-run queues are in runs.ts). Each operation takes the signal of the
 * run it serves and stops at its next step when that run ends.
 */
export class Workspace {
  readonly dir: string;
  private readonly quotaBytes: number;
  private readonly maxEntries: number;
  private readonly usage: Usage;
  private readonly locks = new PathLocks();

  constructor(options: WorkspaceOptions) {
    this.dir = options.dir;
    this.quotaBytes = options.quotaBytes;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.usage = new Usage(options.dir, options.usageTtlMs ?? 5000);
  }

  /** The text of a file (UTF-8). */
  async readFile(path: unknown, signal?: AbortSignal): Promise<string> {
    const virtual = toVirtual(path);
    signal?.throwIfAborted();
    try {
      return (await readInside(this.dir, toRel(virtual))).toString('utf8');
    } catch (error) {
      throw jailFault(error, virtual, { ENOENT: `${virtual}: no such file`, EISDIR: `${virtual} is a folder; use listDir` });
    }
  }

  /** Replaces or creates a file (and the folders on the way), atomically and under the quota. */
  async writeFile(path: unknown, text: unknown, signal?: AbortSignal): Promise<void> {
    const virtual = toVirtual(path);
    if (typeof text !== 'string') throw new FsFault('EINVAL', `writeFile takes text, not ${typeof text}`);
    return this.locks.with(virtual, () => this.write(virtual, text, signal));
  }

  /** The entry at a path (links that stay inside followed), or null when there is none. */
  async stat(path: unknown, signal?: AbortSignal): Promise<DirEntry | null> {
    const virtual = toVirtual(path);
    signal?.throwIfAborted();
    const info = await resolveInside(this.dir, toRel(virtual), async (at) => at.stats).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw jailFault(error, virtual);
    });
    return info ? entryOf(virtual, info) : null;
  }

  /** A folder's entries sorted by name; `recursive` adds everything below, depth first (links to folders are not walked into). */
  async listDir(path: unknown, recursive: unknown, signal?: AbortSignal): Promise<DirEntry[]> {
    const virtual = toVirtual(path ?? WORKSPACE);
    const entries: DirEntry[] = [];
    try {
      await this.list(virtual, recursive === true, entries, signal);
    } catch (error) {
      // Before the first write the workspace is empty, not missing.
      if (virtual === WORKSPACE && isMissing(error)) return [];
      throw jailFault(error, virtual, { ENOENT: `${virtual}: no such folder`, ENOTDIR: `${virtual} is a file; use readFile` });
    }
    return entries;
  }

  /** Removes a file, an empty folder, or with `recursive` a whole folder; false when nothing was there. */
  async remove(path: unknown, recursive: unknown, signal?: AbortSignal): Promise<boolean> {
    const virtual = toVirtual(path);
    if (virtual === WORKSPACE) throw new FsFault('EINVAL', `${WORKSPACE} itself cannot be removed; remove what is in it`);
    return this.locks.with(virtual, async () => {
      signal?.throwIfAborted();
      const rel = toRel(virtual);
      let gone: Footprint | undefined;
      try {
        // What goes (a link as a link), measured before it goes; links out are refused by removeInside.
        gone = await resolveInside(this.dir, rel, async (at) => (at.stats ? footprintOf(at.path) : undefined), { follow: false }).catch((error: unknown) => {
          if (isMissing(error)) return undefined;
          throw error;
        });
        const removed = await removeInside(this.dir, rel, { recursive: recursive === true, signal });
        if (removed && gone) this.usage.add(-gone.bytes, -gone.entries);
        return removed;
      } catch (error) {
        if (gone) this.usage.stale();
        if (isMissing(error)) return false;
        throw jailFault(error, virtual, {
          ENOTEMPTY: `${virtual} is a folder with files in it; pass { recursive: true } to remove it all`,
        });
      }
    });
  }

  /**
   * Saves the full JSON of an oversized result as `/workspace/results/<time>-<hash>.json` and
   * returns that path. When it does not fit in the quota, the oldest results runbyte saved are
   * removed to make room (never other files); when it still does not fit, it throws.
   */
  keepOversized(json: string): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const hash = createHash('sha256').update(json).digest('hex').slice(0, 8);
    const virtual = `${RESULTS}/${stamp}-${hash}.json`;
    return this.locks.with(RESULTS, async () => {
      const needed = Buffer.byteLength(json);
      if ((await this.usage.current()).bytes + needed > this.quotaBytes) await this.evictResults(needed);
      await this.write(virtual, json, undefined);
      return virtual;
    });
  }

  /** The bytes in use, as the quota counts them (folders at 4 KB each). */
  async usedBytes(): Promise<number> {
    return (await this.usage.current()).bytes;
  }

  /** The files, folders and links in the workspace, as the entry limit counts them. */
  async usedEntries(): Promise<number> {
    return (await this.usage.current()).entries;
  }

  /** One write, inside its path lock: what is there, the quota (reserved before writing), folders, temp file + rename. */
  private async write(virtual: string, text: string, signal: AbortSignal | undefined): Promise<void> {
    if (virtual === WORKSPACE) throw new FsFault('EISDIR', `${WORKSPACE} is a folder; name a file in it`);
    signal?.throwIfAborted();
    const rel = toRel(virtual);
    const folder = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    let existing: Stats | undefined;
    let missingFolders = 0;
    try {
      existing = await resolveInside(this.dir, rel, async (at) => at.stats).catch(async (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        // The workspace folder itself is made on the first write (it is the operator's path, not the agent's).
        await mkdir(this.dir, { recursive: true });
        missingFolders = folder ? await this.missingFolders(folder) : 0;
        return undefined;
      });
    } catch (error) {
      throw jailFault(error, virtual);
    }
    if (existing?.isDirectory()) throw new FsFault('EISDIR', `${virtual} is a folder; name a file in it`);

    const bytes = Buffer.byteLength(text, 'utf8');
    const fileDelta = bytes - (existing?.size ?? 0);
    const entries = (existing ? 0 : 1) + missingFolders;
    await this.reserve(virtual, bytes, fileDelta + missingFolders * FOLDER_BYTES, entries, missingFolders);
    let created = 0;
    let written = false;
    try {
      if (missingFolders > 0) created = await makeFoldersInside(this.dir, folder, { signal });
      await writeInside(this.dir, rel, text, { signal });
      written = true;
    } catch (error) {
      // Some folders may have been made: count again rather than guess.
      this.usage.stale();
      throw jailFault(error, virtual);
    } finally {
      // Give back what was reserved and did not happen: folders another writer made first, a failed write.
      const unused = missingFolders - created;
      this.usage.add(-unused * FOLDER_BYTES - (written ? 0 : fileDelta), -unused - (written || existing ? 0 : 1));
    }
  }

  /** How many folders of `folder` (relative) do not exist yet. */
  private async missingFolders(folder: string): Promise<number> {
    const names = folder.split('/');
    for (let depth = 1; depth <= names.length; depth++) {
      const info = await resolveInside(this.dir, names.slice(0, depth).join('/'), async (at) => at.stats);
      if (!info) return names.length - depth + 1;
      if (!info.isDirectory()) throw Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' });
    }
    return 0;
  }

  /** Checks the quota and counts the change in it, with no await between: concurrent writers cannot both fit in the same room. */
  private async reserve(virtual: string, size: number, bytes: number, entries: number, folders: number): Promise<void> {
    const used = await this.usage.current();
    if (bytes > 0 && used.bytes + bytes > this.quotaBytes) {
      const what = folders > 0 ? `${formatBytes(size)}, and ${folders} new ${folders === 1 ? 'folder' : 'folders'} at 4 KB each` : formatBytes(size);
      throw new FsFault(
        'EDQUOT',
        `writing ${virtual} (${what}) would exceed the workspace quota of ${formatBytes(this.quotaBytes)} ` +
          `(${formatBytes(used.bytes)} in use); remove files you no longer need first (fs.remove)`,
      );
    }
    if (entries > 0 && used.entries + entries > this.maxEntries) {
      throw new FsFault(
        'EDQUOT',
        `writing ${virtual} would exceed the workspace limit of ${this.maxEntries.toLocaleString('en-US')} files and folders ` +
          `(${used.entries.toLocaleString('en-US')} in use); remove files or folders you no longer need first (fs.remove)`,
      );
    }
    this.usage.add(bytes, entries);
  }

  private async evictResults(needed: number): Promise<void> {
    const rel = toRel(RESULTS);
    const listed = await listInside(this.dir, rel).catch(() => []);
    const results = listed.filter((entry) => !entry.link && entry.stats.isFile() && RESULT_NAME.test(entry.name));
    let used = (await this.usage.current()).bytes;
    // Nothing is dropped for a value that would not fit even then.
    if (used - results.reduce((sum, result) => sum + result.stats.size, 0) + needed > this.quotaBytes) return;
    for (const { name, stats } of results) {
      if (used + needed <= this.quotaBytes) return;
      if (await removeInside(this.dir, `${rel}/${name}`).catch(() => false)) {
        this.usage.add(-stats.size, -1);
        used -= stats.size;
      }
    }
  }

  private async list(virtual: string, recursive: boolean, into: DirEntry[], signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    for (const { name, stats, link } of await listInside(this.dir, toRel(virtual))) {
      const child = `${virtual}/${name}`;
      into.push(entryOf(child, stats));
      // A link to a folder is listed but not walked into: a link to a parent would never end.
      if (recursive && !link && stats.isDirectory()) await this.list(child, true, into, signal);
    }
  }
}

function entryOf(virtual: string, info: Stats): DirEntry {
  const directory = info.isDirectory();
  return {
    name: virtual === WORKSPACE ? 'workspace' : virtual.slice(virtual.lastIndexOf('/') + 1),
    path: virtual,
    type: directory ? 'directory' : 'file',
    size: directory ? 0 : info.size,
    modified: info.mtime.toISOString(),
  };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A refusal of the jail, or a Node error, as the agent should read it; `messages` word some codes for the operation. */
function jailFault(error: unknown, virtual: string, messages: Partial<Record<string, string>> = {}): FsFault {
  if (error instanceof JailError) {
    if (error.reason === 'outside') return new FsFault('EACCES', `${virtual} is outside ${WORKSPACE} (a link on the way leads out of it)`);
    if (error.reason === 'hard-link') {
      return new FsFault('EACCES', `${virtual} is a file with more than one hard link (it may share its data with a file outside ${WORKSPACE}); refused`);
    }
    return new FsFault('EINVAL', `${virtual}: ${error.message.slice(error.message.indexOf(': ') + 2)}`);
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = code ? messages[code] : undefined;
  if (message) return new FsFault(code as FsErrorCode, message);
  return hostFault(error, virtual);
}

/** A Node error as the agent should read it: its code and the virtual path, never a host path. */
export function hostFault(error: unknown, virtual: string): FsFault {
  if (error instanceof FsFault) return error;
  if (error instanceof JailError) return jailFault(error, virtual);
  if ((error as Error | undefined)?.name === 'AbortError') {
    return new FsFault('EIO', `${virtual}: the run that started this operation ended before it finished`);
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known: Partial<Record<string, [FsErrorCode, string]>> = {
    ENOENT: ['ENOENT', `${virtual}: no such file or folder`],
    ENOTDIR: ['ENOTDIR', `${virtual}: a part of the path is a file, not a folder`],
    // mkdir -p says EEXIST when a part of the path is a file.
    EEXIST: ['ENOTDIR', `${virtual}: a part of the path is a file, not a folder`],
    EISDIR: ['EISDIR', `${virtual} is a folder`],
    ENOTEMPTY: ['ENOTEMPTY', `${virtual} is a folder with files in it`],
    ENAMETOOLONG: ['EINVAL', `${virtual}: the name is too long`],
    ELOOP: ['EACCES', `${virtual}: too many levels of links`],
    ENOSPC: ['EDQUOT', `${virtual}: the disk is full`],
    EDQUOT: ['EDQUOT', `${virtual}: the disk quota is exceeded`],
  };
  const [faultCode, message] = (code && known[code]) || ['EIO', `${virtual}: the operation failed${code ? ` (${code})` : ''}`];
  return new FsFault(faultCode, message);
}

/** `512 bytes`, `1.5 KB`, `2.0 MB` (powers of 1024, as the quota is configured). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}
