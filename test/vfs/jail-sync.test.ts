import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JailError, readInside, readInsideSync, resolveInside, statInsideSync } from '../../src/vfs/jail.js';

// The synchronous functions (check/, bundle/) must answer exactly as the asynchronous ones (vfs/,
// workspace/, emit/): one walk holds the rules, and this table keeps it that way.

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'runbyte-jail-sync-'));
  root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'dir/deep'), { recursive: true });
  mkdirSync(join(outside, 'dir'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'outside');
  writeFileSync(join(outside, 'dir/secret.txt'), 'outside');
  writeFileSync(join(root, 'file.txt'), 'inside');
  writeFileSync(join(root, 'dir/deep/file.txt'), 'deep');
  writeFileSync(join(root, '..notes'), 'dots');
  writeFileSync(join(root, 'x.123.0123abcd.tmp'), 'temp');
  symlinkSync('file.txt', join(root, 'link-in'));
  symlinkSync('../file.txt', join(root, 'dir/link-up'));
  symlinkSync('dir/deep', join(root, 'folder-in'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out'));
  symlinkSync('../outside/dir', join(root, 'folder-out'));
  symlinkSync('link-out', join(root, 'link-to-link-out'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  linkSync(join(outside, 'secret.txt'), join(root, 'hard.txt'));
  try {
    execFileSync('mkfifo', [join(root, 'fifo')]);
  } catch {
    // no mkfifo here: that row answers ENOENT both ways
  }
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

/** What a call came to: the text read, the kind of thing stat'ed, or the refusal / error code. */
function outcome(run: () => unknown): string {
  try {
    const value = run();
    if (Buffer.isBuffer(value)) return `read ${value.toString('utf8')}`;
    if (value === undefined) return 'nothing';
    const stats = value as { isFile(): boolean; isDirectory(): boolean };
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other';
  } catch (error) {
    return error instanceof JailError ? `refused ${error.reason}` : `error ${(error as NodeJS.ErrnoException).code}`;
  }
}

async function outcomeAsync(run: () => Promise<unknown>): Promise<string> {
  let value: unknown;
  try {
    value = await run();
  } catch (error) {
    return outcome(() => {
      throw error;
    });
  }
  return outcome(() => value);
}

describe('statInsideSync and readInsideSync answer as resolveInside and readInside do', () => {
  const rows: [string, string, string][] = [
    // path, stat, read
    ['file.txt', 'file', 'read inside'],
    ['dir/deep/file.txt', 'file', 'read deep'],
    ['', 'folder', 'error EISDIR'],
    ['dir', 'folder', 'error EISDIR'],
    ['..notes', 'file', 'read dots'],
    ['link-in', 'file', 'read inside'],
    ['dir/link-up', 'file', 'read inside'],
    ['folder-in/file.txt', 'file', 'read deep'],
    ['link-out', 'refused outside', 'refused outside'],
    ['link-to-link-out', 'refused outside', 'refused outside'],
    ['folder-out/secret.txt', 'refused outside', 'refused outside'],
    ['loop-a', 'refused outside', 'refused outside'],
    ['hard.txt', 'refused hard-link', 'refused hard-link'],
    ['x.123.0123abcd.tmp', 'refused invalid', 'refused invalid'],
    ['dir/../file.txt', 'refused invalid', 'refused invalid'],
    ['missing.txt', 'nothing', 'error ENOENT'],
    ['missing/file.txt', 'nothing', 'error ENOENT'],
    ['file.txt/below', 'nothing', 'error ENOTDIR'],
  ];

  it.each(rows)('%s', async (path, stat, read) => {
    expect(outcome(() => statInsideSync(root, path))).toBe(stat);
    // The asynchronous walk, for the same path: "nothing" is a missing folder's ENOENT/ENOTDIR there.
    const asyncStat = await outcomeAsync(() => resolveInside(root, path, async (at) => at.stats));
    expect(asyncStat.startsWith('error ENO') ? 'nothing' : asyncStat).toBe(stat);
    expect(outcome(() => readInsideSync(root, path))).toBe(read);
    expect(await outcomeAsync(() => readInside(root, path))).toBe(read);
  });

  it('does not hang on a FIFO and refuses it as not a regular file', async () => {
    const read = outcome(() => readInsideSync(root, 'fifo'));
    expect(['error EINVAL', 'error ENOENT']).toContain(read);
    expect(await outcomeAsync(() => readInside(root, 'fifo'))).toBe(read);
  });

  it('leaves no folder open behind it', () => {
    // Descriptors of this process that lead into the test folder (others come and go with vitest).
    const open = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(base);
        } catch {
          return false;
        }
      }).length;
    if (process.platform !== 'linux') return;
    const before = open();
    for (let i = 0; i < 200; i++) {
      outcome(() => statInsideSync(root, 'folder-out/secret.txt'));
      outcome(() => readInsideSync(root, 'dir/deep/file.txt'));
      outcome(() => readInsideSync(root, 'hard.txt'));
    }
    expect(open()).toBe(before);
  });
});
