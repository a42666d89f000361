import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TypeChecker } from '../../src/check/index.js';
import {
  createWorkspace,
  FS_HOST_FUNCTION,
  FS_SPECIFIER,
  FS_TEMPLATE,
  type DirEntry,
  type FsErrorCode,
  type FsReply,
  type WorkspaceOptions,
} from '../../src/workspace/index.js';
import type { DirEntry as GuestEntry, FsErrorCode as GuestCode } from '../../templates/fs.js';

const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A temp folder holding `workspace/` (not created) and `outside/` with a secret in it. */
function makeRoot(): { root: string; dir: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), 'runbyte-workspace-'));
  temps.push(root);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'outside the workspace');
  return { root, dir: join(root, 'workspace'), outside };
}

/** The workspace's host function, called as templates/fs.ts calls it. */
function open(options: Partial<WorkspaceOptions> & { dir: string }) {
  const hooks = createWorkspace({ quotaBytes: 1024 * 1024, ...options });
  const host = hooks.host[FS_HOST_FUNCTION]!;
  const run = { signal: new AbortController().signal };
  const call = (op: string, ...args: unknown[]) => host(run, op, ...args) as Promise<FsReply>;
  return { ...hooks, call };
}

/** Every file under a folder, relative, sorted (temp files included: there must be none left). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('createWorkspace', () => {
  it('names @runbyte/fs and the real templates/fs.ts behind it', () => {
    const { modules, host } = open({ dir: makeRoot().dir });
    expect(modules).toEqual([{ specifier: FS_SPECIFIER, hostPath: FS_TEMPLATE }]);
    expect(readFileSync(FS_TEMPLATE, 'utf8')).toContain('export function readFile(path: string): Promise<string>');
    expect(Object.keys(host)).toEqual(['__runbyteFs']);
  });

  it('creates the folder on the first write, and lists a missing one as empty', async () => {
    const { dir } = makeRoot();
    const { call } = open({ dir });
    expect(await call('listDir', '/workspace', false)).toEqual({ ok: true, value: [] });
    expect(existsSync(dir)).toBe(false);
    expect(await call('writeFile', 'a/b/c.txt', 'deep')).toEqual({ ok: true });
    expect(readFileSync(join(dir, 'a/b/c.txt'), 'utf8')).toBe('deep');
  });

  it('writes, reads, stats, lists and removes', async () => {
    const { dir } = makeRoot();
    const { call } = open({ dir });
    await call('writeFile', '/workspace/notes.txt', 'héllo');
    await call('writeFile', 'skills/math.ts', 'export const triple = (n: number) => n * 3;\n');
    expect(await call('readFile', 'notes.txt')).toEqual({ ok: true, value: 'héllo' });
    expect(await call('readFile', './workspace/notes.txt')).toEqual({ ok: true, value: 'héllo' });

    const stat = (await call('stat', 'notes.txt')) as { ok: true; value: Record<string, unknown> };
    expect(stat.value).toMatchObject({ name: 'notes.txt', path: '/workspace/notes.txt', type: 'file', size: 6 });
    expect(new Date(stat.value.modified as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await call('stat', 'nothing.txt')).toEqual({ ok: true, value: null });

    const listed = (await call('listDir', undefined, false)) as { ok: true; value: { path: string; type: string; size: number }[] };
    expect(listed.value.map(({ path, type, size }) => [path, type, size])).toEqual([
      ['/workspace/notes.txt', 'file', 6],
      ['/workspace/skills', 'directory', 0],
    ]);
    const deep = (await call('listDir', '/workspace', true)) as { ok: true; value: { path: string }[] };
    expect(deep.value.map((entry) => entry.path)).toEqual(['/workspace/notes.txt', '/workspace/skills', '/workspace/skills/math.ts']);

    expect(await call('remove', 'skills', false)).toMatchObject({ ok: false, code: 'ENOTEMPTY' });
    expect(await call('remove', 'skills', true)).toEqual({ ok: true, value: true });
    expect(await call('remove', 'skills', true)).toEqual({ ok: true, value: false });
    expect(await call('remove', '/workspace', true)).toMatchObject({ ok: false, code: 'EINVAL' });
    expect(filesUnder(dir)).toEqual(['notes.txt']);
  });

  it.each([
    ['readFile', ['missing.txt'], 'ENOENT', '@runbyte/fs: /workspace/missing.txt: no such file'],
    ['readFile', ['sub'], 'EISDIR', '@runbyte/fs: /workspace/sub is a folder; use listDir'],
    ['writeFile', ['sub', 'x'], 'EISDIR', '@runbyte/fs: /workspace/sub is a folder; name a file in it'],
    ['writeFile', ['/workspace', 'x'], 'EISDIR', '@runbyte/fs: /workspace is a folder; name a file in it'],
    ['writeFile', ['file.txt/below.txt', 'x'], 'ENOTDIR', '@runbyte/fs: /workspace/file.txt/below.txt: a part of the path is a file, not a folder'],
    ['writeFile', ['x.txt', 42], 'EINVAL', '@runbyte/fs: writeFile takes text, not number'],
    ['listDir', ['nowhere', false], 'ENOENT', '@runbyte/fs: /workspace/nowhere: no such folder'],
    ['listDir', ['file.txt', false], 'ENOTDIR', '@runbyte/fs: /workspace/file.txt is a file; use readFile'],
    ['format', ['/'], 'EINVAL', '@runbyte/fs: unknown operation "format"'],
  ])('%s %j fails with %s', async (op, args, code, message) => {
    const { dir } = makeRoot();
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'file.txt'), 'a file');
    const { call } = open({ dir });
    expect(await call(op, ...args)).toEqual({ ok: false, code, message });
  });
});

describe('the jail', () => {
  it.each([
    ['../x.txt', '@runbyte/fs: ../x.txt is outside /workspace'],
    ['/etc/passwd', '@runbyte/fs: /etc/passwd is outside /workspace'],
    ['a/../../x.txt', '@runbyte/fs: a/../../x.txt is outside /workspace'],
  ])('refuses %s for every operation and writes nothing', async (path, message) => {
    const { root, dir } = makeRoot();
    const { call } = open({ dir });
    const before = filesUnder(root);
    for (const [op, args] of [
      ['readFile', [path]],
      ['writeFile', [path, 'pwned']],
      ['stat', [path]],
      ['listDir', [path, false]],
      ['remove', [path, true]],
    ] as const) {
      expect(await call(op, ...args)).toEqual({ ok: false, code: 'EACCES', message });
    }
    expect(filesUnder(root)).toEqual(before);
  });

  it('refuses links planted inside that lead out, whether their target exists or not, and writes nothing', async () => {
    const { root, dir, outside } = makeRoot();
    mkdirSync(dir);
    symlinkSync(outside, join(dir, 'escape'));
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'secret-link.txt'));
    symlinkSync(join(outside, 'not-yet.txt'), join(dir, 'dangling.txt'));
    symlinkSync(join(dir, 'dangling.txt'), join(dir, 'chained.txt'));
    const { call } = open({ dir });
    const before = filesUnder(root);

    const cases: [string, unknown[], string][] = [
      ['readFile', ['escape/secret.txt'], '/workspace/escape/secret.txt'],
      ['readFile', ['secret-link.txt'], '/workspace/secret-link.txt'],
      ['writeFile', ['escape/new.txt', 'pwned'], '/workspace/escape/new.txt'],
      ['writeFile', ['escape/deeper/new.txt', 'pwned'], '/workspace/escape/deeper/new.txt'],
      ['writeFile', ['escape/secret.txt', 'pwned'], '/workspace/escape/secret.txt'],
      ['writeFile', ['dangling.txt', 'pwned'], '/workspace/dangling.txt'],
      ['writeFile', ['chained.txt', 'pwned'], '/workspace/chained.txt'],
      ['listDir', ['escape', false], '/workspace/escape'],
      ['stat', ['escape/secret.txt'], '/workspace/escape/secret.txt'],
      ['remove', ['escape/secret.txt', false], '/workspace/escape/secret.txt'],
      ['remove', ['escape', true], '/workspace/escape'],
    ];
    for (const [op, args, virtual] of cases) {
      expect(await call(op, ...args), `${op} ${args[0]}`).toEqual({
        ok: false,
        code: 'EACCES',
        message: `@runbyte/fs: ${virtual} is outside /workspace (a link on the way leads out of it)`,
      });
    }
    expect(filesUnder(root)).toEqual(before);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside the workspace');
    expect(existsSync(join(outside, 'not-yet.txt'))).toBe(false);
    // Links that lead out are not listed; nothing below them is walked.
    expect(await call('listDir', '/workspace', true)).toEqual({ ok: true, value: [] });
  });

  it('follows links that stay inside, and lists them as what they lead to', async () => {
    const { dir } = makeRoot();
    mkdirSync(join(dir, 'real'), { recursive: true });
    writeFileSync(join(dir, 'real/data.txt'), 'inside');
    symlinkSync(join(dir, 'real'), join(dir, 'alias'));
    symlinkSync(dir, join(dir, 'real/loop'));
    const { call } = open({ dir });
    expect(await call('readFile', 'alias/data.txt')).toEqual({ ok: true, value: 'inside' });
    expect(await call('writeFile', 'alias/more.txt', 'through the link')).toEqual({ ok: true });
    expect(readFileSync(join(dir, 'real/more.txt'), 'utf8')).toBe('through the link');
    const listed = (await call('listDir', '/workspace', true)) as { ok: true; value: { path: string; type: string }[] };
    // A link to a folder is listed as a folder but not walked into (real/loop would never end).
    expect(listed.value.map((entry) => `${entry.path} ${entry.type}`)).toEqual([
      '/workspace/alias directory',
      '/workspace/real directory',
      '/workspace/real/data.txt file',
      '/workspace/real/loop directory',
      '/workspace/real/more.txt file',
    ]);
  });

  it('works when the workspace folder itself is reached through a link', async () => {
    const { root } = makeRoot();
    mkdirSync(join(root, 'real-workspace'));
    symlinkSync(join(root, 'real-workspace'), join(root, 'linked'));
    const { call } = open({ dir: join(root, 'linked') });
    expect(await call('writeFile', 'x.txt', 'ok')).toEqual({ ok: true });
    expect(readFileSync(join(root, 'real-workspace/x.txt'), 'utf8')).toBe('ok');
  });
});

describe('the quota', () => {
  it('refuses a write that would not fit, with a clear error, and writes nothing', async () => {
    const { dir } = makeRoot();
    const { call, workspace } = open({ dir, quotaBytes: 1000 });
    expect(await call('writeFile', 'a.txt', 'a'.repeat(600))).toEqual({ ok: true });
    const before = filesUnder(dir);
    expect(await call('writeFile', 'b.txt', 'b'.repeat(500))).toEqual({
      ok: false,
      code: 'EDQUOT',
      message:
        '@runbyte/fs: writing /workspace/b.txt (500 bytes) would exceed the workspace quota of 1000 bytes (600 bytes in use); ' +
        'remove files you no longer need first (fs.remove)',
    });
    expect(filesUnder(dir)).toEqual(before);
    expect(await workspace.usedBytes()).toBe(600);

    // Replacing a file counts only the difference; multi-byte characters count as their UTF-8 bytes.
    expect(await call('writeFile', 'a.txt', 'é'.repeat(500))).toEqual({ ok: true });
    expect(await workspace.usedBytes()).toBe(1000);
    expect(await call('writeFile', 'c.txt', 'c')).toMatchObject({ ok: false, code: 'EDQUOT' });
    expect(await call('remove', 'a.txt', false)).toEqual({ ok: true, value: true });
    expect(await workspace.usedBytes()).toBe(0);
    expect(await call('writeFile', 'c.txt', 'c'.repeat(1000))).toEqual({ ok: true });
  });

  it('counts files that were there before it started, and files changed behind its back once its total is stale', async () => {
    const { dir } = makeRoot();
    mkdirSync(join(dir, 'old'), { recursive: true });
    writeFileSync(join(dir, 'old/big.txt'), 'x'.repeat(900));
    // The folder `old` costs FOLDER_BYTES (4096) on its own.
    const { call, workspace } = open({ dir, quotaBytes: 4096 + 1000, usageTtlMs: 0 });
    expect(await call('writeFile', 'new.txt', 'y'.repeat(200))).toMatchObject({ ok: false, code: 'EDQUOT' });
    rmSync(join(dir, 'old/big.txt'));
    expect(await call('writeFile', 'new.txt', 'y'.repeat(200))).toEqual({ ok: true });
    expect(await workspace.usedBytes()).toBe(4096 + 200);
  });

  it('stays exact under many concurrent writes', async () => {
    const { dir } = makeRoot();
    const { call, workspace } = open({ dir, quotaBytes: 10_000, usageTtlMs: 60_000 });
    const replies = await Promise.all(Array.from({ length: 40 }, (_, index) => call('writeFile', `f${index % 30}.txt`, 'z'.repeat(400))));
    // 30 distinct files of 400 bytes would be 12,000: exactly the first 25 distinct ones fit.
    expect(replies.filter((reply) => reply.ok)).toHaveLength(35);
    expect(await workspace.usedBytes()).toBe(10_000);
    expect(filesUnder(dir)).toHaveLength(25);
  });
});

describe('the quota counts what is on disk', () => {
  /** Bytes the folder really takes: every entry's blocks (a folder is at least one 4 KB block on ext4). */
  function onDisk(dir: string): number {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).reduce(
      (sum, entry) => sum + lstatSync(join(entry.parentPath, entry.name)).blocks * 512,
      0,
    );
  }

  it('counts folders: empty files in 1,000 new folders cannot fill the disk past the quota', async () => {
    const { dir } = makeRoot();
    const quotaBytes = 256 * 1024;
    const { call, workspace } = open({ dir, quotaBytes });
    const replies: FsReply[] = [];
    for (let index = 0; index < 1000; index++) replies.push(await call('writeFile', `many/d${index}/f`, ''));
    const accepted = replies.filter((reply) => reply.ok).length;
    // `many` and 63 folders below it: 64 × 4 KB = 256 KB.
    expect(accepted).toBe(63);
    expect(replies[63]).toEqual({
      ok: false,
      code: 'EDQUOT',
      message:
        '@runbyte/fs: writing /workspace/many/d63/f (0 bytes, and 1 new folder at 4 KB each) would exceed the workspace quota of ' +
        '256.0 KB (256.0 KB in use); remove files you no longer need first (fs.remove)',
    });
    expect(await workspace.usedBytes()).toBe(64 * 4096);
    expect(onDisk(dir)).toBeLessThanOrEqual(quotaBytes);
    // Removing gives the folders back.
    expect(await call('remove', 'many', true)).toEqual({ ok: true, value: true });
    expect(await workspace.usedBytes()).toBe(0);
    expect(await workspace.usedEntries()).toBe(0);
  });

  it('limits the number of files and folders', async () => {
    const { dir } = makeRoot();
    const { call, workspace } = open({ dir, quotaBytes: 100 * 2 ** 20, maxEntries: 50 });
    const replies: FsReply[] = [];
    for (let index = 0; index < 60; index++) replies.push(await call('writeFile', `e${index}`, ''));
    expect(replies.filter((reply) => reply.ok)).toHaveLength(50);
    expect(replies[50]).toEqual({
      ok: false,
      code: 'EDQUOT',
      message:
        '@runbyte/fs: writing /workspace/e50 would exceed the workspace limit of 50 files and folders (50 in use); ' +
        'remove files or folders you no longer need first (fs.remove)',
    });
    // A new folder is an entry too; replacing a file is not a new one.
    expect(await call('writeFile', 'e0', 'replaced')).toEqual({ ok: true });
    expect(await call('writeFile', 'e1/below', '')).toMatchObject({ ok: false, code: 'ENOTDIR' });
    expect(await call('remove', 'e2', false)).toEqual({ ok: true, value: true });
    expect(await call('writeFile', 'sub/x', '')).toMatchObject({ ok: false, code: 'EDQUOT' });
    expect(await call('writeFile', 'x', '')).toEqual({ ok: true });
    expect(await workspace.usedEntries()).toBe(50);
    expect(readdirSync(dir)).toHaveLength(50);
  });
});

describe('keepOversized', () => {
  it('saves the JSON under /workspace/results and returns its path', async () => {
    const { dir } = makeRoot();
    const { keepOversized, call } = open({ dir });
    const json = JSON.stringify({ rows: Array.from({ length: 100 }, (_, index) => index) });
    const path = await keepOversized(json);
    expect(path).toMatch(/^\/workspace\/results\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.json$/);
    expect(await call('readFile', path)).toEqual({ ok: true, value: json });
  });

  it('makes room by dropping the oldest results it saved, never other files', async () => {
    const { dir } = makeRoot();
    // 2,500 bytes for files, plus the folder results/.
    const { keepOversized, call } = open({ dir, quotaBytes: 4096 + 2500 });
    await call('writeFile', 'results/mine.json', `${'"'.padEnd(999, 'm')}"`);
    const first = await keepOversized(JSON.stringify('a'.repeat(700)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await keepOversized(JSON.stringify('b'.repeat(700)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const third = await keepOversized(JSON.stringify('c'.repeat(700)));
    expect(await call('stat', first)).toEqual({ ok: true, value: null });
    expect(await call('stat', second)).toMatchObject({ ok: true, value: { type: 'file' } });
    expect(await call('stat', third)).toMatchObject({ ok: true, value: { type: 'file' } });
    expect(await call('stat', 'results/mine.json')).toMatchObject({ ok: true, value: { size: 1000 } });
    // More than dropping every result would free: refused, and nothing is dropped for it.
    await expect(keepOversized(JSON.stringify('d'.repeat(2000)))).rejects.toThrow('would exceed the workspace quota');
    for (const path of [second, third, 'results/mine.json']) expect(await call('stat', path)).toMatchObject({ ok: true, value: { type: 'file' } });
  });
});

describe('atomic writes', () => {
  it('never shows a reader half a file, and the last of concurrent writers wins whole', async () => {
    const { dir } = makeRoot();
    const { call } = open({ dir, quotaBytes: 100 * 2 ** 20 });
    const contents = ['a', 'b', 'c', 'd'].map((letter) => letter.repeat(4 * 2 ** 20));
    await call('writeFile', 'big.txt', contents[0]);
    const seen = new Set<string>();
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const reply = (await call('readFile', 'big.txt')) as { ok: true; value: string };
        seen.add(reply.value.length === contents[0]!.length && contents.includes(reply.value) ? 'whole' : 'torn');
      }
    })();
    await Promise.all(contents.map((text) => call('writeFile', 'big.txt', text)));
    writing = false;
    await reader;
    expect([...seen]).toEqual(['whole']);
    expect(contents).toContain(readFileSync(join(dir, 'big.txt'), 'utf8'));
    expect(filesUnder(dir)).toEqual(['big.txt']);
  });
});

describe('templates/fs.ts', () => {
  it("type-checks under the sandbox's own compiler options (ES2025, no DOM, no Node)", () => {
    const { dir } = makeRoot();
    const checker = new TypeChecker({ generatedDir: join(dir, 'none'), workspaceDir: dir });
    expect(checker.check(readFileSync(FS_TEMPLATE, 'utf8'))).toEqual([]);
  });

  it('agrees with the host on the shapes that cross the bridge', () => {
    // Compile-time: each side's types are assignable to the other's.
    const same = <A, B>(check: [A] extends [B] ? ([B] extends [A] ? true : false) : false) => check;
    expect(same<GuestEntry, DirEntry>(true)).toBe(true);
    expect(same<GuestCode, FsErrorCode>(true)).toBe(true);
  });
});
