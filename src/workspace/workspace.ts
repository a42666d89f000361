import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '../emit/files.js';
import { FsFault, jail, toHost, toVirtual, WORKSPACE, type FsErrorCode } from './paths.js';
import { sizeOf, Usage } from './usage.js';

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
  /** Most bytes the folder may hold (`config.sandbox.workspaceQuotaMb` × 2^20). */
  quotaBytes: number;
  /** How long a walked usage total is trusted before the folder is walked again (default 5000 ms). */
  usageTtlMs?: number;
}

/** Where oversized results are kept, and the names runbyte gives them (only these are ever evicted). */
const RESULTS = `${WORKSPACE}/results`;
const RESULT_NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.json$/;
/** The temporary files of writeAtomic (`<name>.<pid>.<hex>.tmp`): never listed. */
const TEMP_NAME = /\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * The workspace's host side (SPEC.md, The workspace): every operation of `@runbyte/fs` on the
 * real folder, each path through the jail (paths.ts), writes atomic (temp + rename) and under the
 * size quota. Writes and removals are serialised, so the quota total stays exact however many
 * executions run at once; reads are not.
 */
export class Workspace {
  readonly dir: string;
  private readonly quotaBytes: number;
  private readonly usage: Usage;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WorkspaceOptions) {
    this.dir = options.dir;
    this.quotaBytes = options.quotaBytes;
    this.usage = new Usage(options.dir, options.usageTtlMs ?? 5000);
  }

  /** The text of a file (UTF-8). */
  async readFile(path: unknown): Promise<string> {
    const virtual = toVirtual(path);
    const host = await jail(this.dir, virtual);
    const info = await stat(host).catch(() => undefined);
    if (!info) throw new FsFault('ENOENT', `${virtual}: no such file`);
    if (info.isDirectory()) throw new FsFault('EISDIR', `${virtual} is a folder; use listDir`);
    return readFile(host, 'utf8').catch((error: unknown) => Promise.reject(hostFault(error, virtual)));
  }

  /** Replaces or creates a file (and the folders on the way), atomically and under the quota. */
  async writeFile(path: unknown, text: unknown): Promise<void> {
    const virtual = toVirtual(path);
    if (typeof text !== 'string') throw new FsFault('EINVAL', `writeFile takes text, not ${typeof text}`);
    return this.serial(() => this.write(virtual, text));
  }

  /** The entry at a path (links that stay inside followed), or null when there is none. */
  async stat(path: unknown): Promise<DirEntry | null> {
    const virtual = toVirtual(path);
    const host = await jail(this.dir, virtual);
    const info = await stat(host).catch(() => undefined);
    if (!info) return null;
    return entryOf(virtual, info);
  }

  /** A folder's entries sorted by name; `recursive` adds everything below, depth first. */
  async listDir(path: unknown, recursive: unknown): Promise<DirEntry[]> {
    const virtual = toVirtual(path ?? WORKSPACE);
    const host = await jail(this.dir, virtual);
    const info = await stat(host).catch(() => undefined);
    if (!info) {
      // Before the first write the workspace is empty, not missing.
      if (virtual === WORKSPACE) return [];
      throw new FsFault('ENOENT', `${virtual}: no such folder`);
    }
    if (!info.isDirectory()) throw new FsFault('ENOTDIR', `${virtual} is a file; use readFile`);
    const entries: DirEntry[] = [];
    await this.list(virtual, host, recursive === true, entries);
    return entries;
  }

  /** Removes a file, an empty folder, or with `recursive` a whole folder; false when nothing was there. */
  async remove(path: unknown, recursive: unknown): Promise<boolean> {
    const virtual = toVirtual(path);
    if (virtual === WORKSPACE) throw new FsFault('EINVAL', `${WORKSPACE} itself cannot be removed; remove what is in it`);
    return this.serial(async () => {
      const host = await jail(this.dir, virtual);
      const info = await lstat(host).catch(() => undefined);
      if (!info) return false;
      let bytes = info.size;
      if (info.isDirectory()) {
        if (recursive !== true && (await readdir(host)).length > 0) {
          throw new FsFault('ENOTEMPTY', `${virtual} is a folder with files in it; pass { recursive: true } to remove it all`);
        }
        bytes = await sizeOf(host);
      }
      await rm(host, { recursive: true, force: true });
      this.usage.add(-bytes);
      return true;
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
    return this.serial(async () => {
      const needed = Buffer.byteLength(json);
      if ((await this.usage.current()) + needed > this.quotaBytes) await this.evictResults(needed);
      await this.write(virtual, json);
      return virtual;
    });
  }

  /** The bytes in use, as the quota counts them. */
  usedBytes(): Promise<number> {
    return this.serial(() => this.usage.current());
  }

  /** Runs changes one at a time; a failed change does not stop the next. */
  private serial<T>(change: () => Promise<T>): Promise<T> {
    const result = this.queue.then(change);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** One write, inside serial(): jail, quota, temp file + rename. */
  private async write(virtual: string, text: string): Promise<void> {
    if (virtual === WORKSPACE) throw new FsFault('EISDIR', `${WORKSPACE} is a folder; name a file in it`);
    await mkdir(this.dir, { recursive: true });
    const host = await jail(this.dir, virtual);
    const existing = await lstat(host).catch(() => undefined);
    if (existing?.isDirectory()) throw new FsFault('EISDIR', `${virtual} is a folder; name a file in it`);
    const bytes = Buffer.byteLength(text, 'utf8');
    const replaced = existing?.size ?? 0;
    const used = await this.usage.current();
    if (used - replaced + bytes > this.quotaBytes) {
      throw new FsFault(
        'EDQUOT',
        `writing ${virtual} (${formatBytes(bytes)}) would exceed the workspace quota of ${formatBytes(this.quotaBytes)} ` +
          `(${formatBytes(used)} in use); remove files you no longer need first (fs.remove)`,
      );
    }
    try {
      await writeAtomic(host, text);
    } catch (error) {
      throw hostFault(error, virtual);
    }
    this.usage.add(bytes - replaced);
  }

  private async evictResults(needed: number): Promise<void> {
    const folder = toHost(this.dir, RESULTS);
    const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => RESULT_NAME.test(name)).sort();
    const results: { host: string; size: number }[] = [];
    for (const name of names) {
      const host = join(folder, name);
      const info = await lstat(host).catch(() => undefined);
      if (info?.isFile()) results.push({ host, size: info.size });
    }
    let used = await this.usage.current();
    // Nothing is dropped for a value that would not fit even then.
    if (used - results.reduce((sum, result) => sum + result.size, 0) + needed > this.quotaBytes) return;
    for (const { host, size } of results) {
      if (used + needed <= this.quotaBytes) return;
      await rm(host, { force: true });
      this.usage.add(-size);
      used -= size;
    }
  }

  private async list(virtual: string, host: string, recursive: boolean, into: DirEntry[]): Promise<void> {
    const dirents = (await readdir(host, { withFileTypes: true })).filter((entry) => !TEMP_NAME.test(entry.name));
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const childVirtual = `${virtual}/${dirent.name}`;
      const childHost = join(host, dirent.name);
      if (dirent.isSymbolicLink()) {
        // Listed as what it leads to, when that is inside the workspace; links that leave it are not shown.
        const inside = await jail(this.dir, childVirtual).then(
          () => true,
          () => false,
        );
        const info = inside ? await stat(childHost).catch(() => undefined) : undefined;
        // Not descended into: a link to a parent folder would never end.
        if (info) into.push(entryOf(childVirtual, info));
        continue;
      }
      const info = await lstat(childHost).catch(() => undefined);
      if (!info || !(info.isFile() || info.isDirectory())) continue;
      into.push(entryOf(childVirtual, info));
      if (recursive && info.isDirectory()) await this.list(childVirtual, childHost, true, into);
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

/** A Node error as the agent should read it: its code and the virtual path, never a host path. */
export function hostFault(error: unknown, virtual: string): FsFault {
  if (error instanceof FsFault) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known: Partial<Record<string, [FsErrorCode, string]>> = {
    ENOENT: ['ENOENT', `${virtual}: no such file or folder`],
    ENOTDIR: ['ENOTDIR', `${virtual}: a part of the path is a file, not a folder`],
    // mkdir -p says EEXIST when a part of the path is a file.
    EEXIST: ['ENOTDIR', `${virtual}: a part of the path is a file, not a folder`],
    EISDIR: ['EISDIR', `${virtual} is a folder`],
    ENAMETOOLONG: ['EINVAL', `${virtual}: the name is too long`],
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

