import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What a folder costs the quota, whatever is in it: on most file systems (ext4, APFS, NTFS) a
 * folder takes at least one 4 KB block, so 10,000 empty folders are 40 MB on disk, not 0.
 */
export const FOLDER_BYTES = 4096;

/** What the workspace holds, as the quota counts it: file sizes plus FOLDER_BYTES a folder; entries are files, folders and links. */
export interface Footprint {
  bytes: number;
  entries: number;
}

/**
 * The workspace's footprint, for the quota. The folder is walked on first use and then kept as a
 * running total that every write and removal adjusts; the total is walked again when it is older
 * than `ttlMs` (or after `stale()`), so that files changed behind runbyte's back (by hand, or by a
 * second `runbyte serve` sharing the folder) are counted again within that time.
 *
 * Exact as long as callers check and `add` without an `await` between (workspace.ts reserves
 * before it writes, and serialises changes to the same path).
 */
export class Usage {
  private total?: Footprint;
  private walkedAt = 0;
  private walking?: Promise<Footprint>;

  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
  ) {}

  /** The footprint now. */
  async current(): Promise<Footprint> {
    if (this.total === undefined || performance.now() - this.walkedAt > this.ttlMs) {
      this.walking ??= footprintOf(this.dir, false).finally(() => (this.walking = undefined));
      const walked = await this.walking;
      if (this.total === undefined || performance.now() - this.walkedAt > this.ttlMs) {
        this.total = walked;
        this.walkedAt = performance.now();
      }
    }
    return this.total!;
  }

  /** A change added (or, negative, removed) this much. */
  add(bytes: number, entries: number): void {
    if (!this.total) return;
    this.total = { bytes: Math.max(0, this.total.bytes + bytes), entries: Math.max(0, this.total.entries + entries) };
  }

  /** A change failed half-way: walk again before the next check. */
  stale(): void {
    this.walkedAt = -Infinity;
  }
}

/**
 * The footprint of a file, or of a folder and everything under it (`self`: the folder itself
 * counted too): files (temporary files of writes in flight too) by size, folders at FOLDER_BYTES,
 * links as links (their own few bytes, not their target's). Nothing when nothing is there.
 */
export async function footprintOf(path: string, self = true): Promise<Footprint> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return { bytes: 0, entries: 0 };
  if (!info.isDirectory()) return { bytes: info.size, entries: 1 };
  const entries: Dirent[] = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => []);
  let bytes = self ? FOLDER_BYTES : 0;
  const sizes = await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? FOLDER_BYTES
        : lstat(join(entry.parentPath, entry.name)).then(
            (found) => found.size,
            () => 0,
          ),
    ),
  );
  for (const size of sizes) bytes += size;
  return { bytes, entries: entries.length + (self ? 1 : 0) };
}
