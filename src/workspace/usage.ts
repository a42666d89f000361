import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes in use in the workspace, for the quota. The folder is walked on first use and then kept
 * as a running total that every write and removal adjusts; the total is walked again when it is
 * older than `ttlMs`, so that files changed behind runbyte's back (by hand, or by a second
 * `runbyte serve` sharing the folder) are counted again within that time.
 *
 * Not safe for concurrent writers on its own: the caller serialises the changes it reports.
 */
export class Usage {
  private bytes?: number;
  private walkedAt = 0;

  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
  ) {}

  /** The bytes in use now. */
  async current(): Promise<number> {
    if (this.bytes === undefined || performance.now() - this.walkedAt > this.ttlMs) {
      this.bytes = await sizeOf(this.dir);
      this.walkedAt = performance.now();
    }
    return this.bytes;
  }

  /** A write or a removal changed the total by `delta` bytes. */
  add(delta: number): void {
    if (this.bytes !== undefined) this.bytes = Math.max(0, this.bytes + delta);
  }
}

/**
 * The apparent size of a file, or of everything under a folder: files, temporary files of writes
 * in flight, and links (as links: one that leads elsewhere costs its own few bytes, not its
 * target's). 0 when nothing is there.
 */
export async function sizeOf(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(
    entries
      .filter((entry) => !entry.isDirectory())
      .map((entry) => lstat(join(entry.parentPath, entry.name)).then((found) => found.size, () => 0)),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
