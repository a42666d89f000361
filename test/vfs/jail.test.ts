import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSdk } from '../../src/emit/files.js';
import { Vfs, VfsError } from '../../src/vfs/index.js';
import { createWorkspace, FS_HOST_FUNCTION, type FsReply } from '../../src/workspace/index.js';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A temp folder with `generated/servers/memory/`, `workspace/` and `outside/` (holding secret.txt). */
function makeRoot() {
  const root = mkdtempSync(join(tmpdir(), 'runbyte-jail-'));
  temps.push(root);
  const generatedDir = join(root, 'generated');
  const workspaceDir = join(root, 'workspace');
  const outside = join(root, 'outside');
  mkdirSync(join(generatedDir, 'servers/memory'), { recursive: true });
  mkdirSync(workspaceDir);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'outside');
  return { root, generatedDir, workspaceDir, outside, vfs: new Vfs({ generatedDir, workspaceDir }) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

async function vfsError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VfsError);
  return (error as Error).message;
}

/**
 * A second process that swaps `<workspace>/d` between the real folder and a link to `outside`
 * as fast as it can, for `ms`; it leaves the real folder in place when it stops.
 */
function swapper(workspaceDir: string, outside: string, ms: number): Promise<number> {
  const script = `
    const fs = require('node:fs');
    const [d, real, out, ms] = process.argv.slice(1);
    const end = Date.now() + Number(ms);
    let swaps = 0;
    while (Date.now() < end) {
      try {
        fs.renameSync(d, real);
      } catch {
        // A write re-created d while it was away: drop the old copy and go on swapping.
        try { fs.rmSync(real, { recursive: true, force: true }); fs.renameSync(d, real); } catch {}
      }
      try { fs.symlinkSync(out, d); swaps++; } catch {}
      try { fs.unlinkSync(d); } catch {}
      try { fs.renameSync(real, d); } catch {}
    }
    try { fs.unlinkSync(d); } catch {}
    try { fs.renameSync(real, d); } catch {}
    console.log(swaps);
  `;
  const child = spawn(process.execPath, ['-e', script, join(workspaceDir, 'd'), join(workspaceDir, 'd.real'), outside, String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => child.on('close', () => resolve(Number(out.trim()))));
}

describe('a folder swapped for a link during writes', () => {
  it('never lets a write land outside, nor a read see outside data', async () => {
    const { workspaceDir, outside } = makeRoot();
    mkdirSync(join(workspaceDir, 'd'));
    writeFileSync(join(workspaceDir, 'd/secret.txt'), 'inside');
    const call = createWorkspace({ dir: workspaceDir, quotaBytes: 100 * 2 ** 20 }).host[FS_HOST_FUNCTION]!;
    const run = { signal: new AbortController().signal };
    const before = filesUnder(outside);

    const swapping = swapper(workspaceDir, outside, 2_000);
    const seen = new Set<string>();
    let writes = 0;
    const deadline = performance.now() + 1_800;
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let round = 0; performance.now() < deadline; round++) {
          await call(run, 'writeFile', `d/w${worker}-${round}.txt`, 'pwned');
          writes++;
          const read = (await call(run, 'readFile', 'd/secret.txt')) as FsReply;
          if (read.ok) seen.add(String(read.value));
        }
      }),
    );
    const swaps = await swapping;
    expect(filesUnder(outside)).toEqual(before);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside');
    expect([...seen].filter((text) => text !== 'inside')).toEqual([]);
    // The race really ran.
    expect(swaps).toBeGreaterThan(100);
    expect(writes).toBeGreaterThan(100);
  });
});

describe('hard links', () => {
  it('a hard link planted in the workspace or the SDK is not read, nor listed', async () => {
    const { generatedDir, workspaceDir, outside, vfs } = makeRoot();
    linkSync(join(outside, 'secret.txt'), join(workspaceDir, 'hard.txt'));
    linkSync(join(outside, 'secret.txt'), join(generatedDir, 'servers/memory/hard.ts'));
    const call = createWorkspace({ dir: workspaceDir, quotaBytes: 2 ** 20 }).host[FS_HOST_FUNCTION]!;
    const run = { signal: new AbortController().signal };

    expect(await call(run, 'readFile', 'hard.txt')).toEqual({
      ok: false,
      code: 'EACCES',
      message: '@runbyte/fs: /workspace/hard.txt is a file with more than one hard link (it may share its data with a file outside /workspace); refused',
    });
    expect(await call(run, 'listDir', '/workspace', true)).toEqual({ ok: true, value: [] });
    expect(await vfsError(vfs.read('/workspace/hard.txt'))).toMatch(/^\/workspace\/hard\.txt: refused: a file with more than one hard link/);
    expect(await vfsError(vfs.read('/servers/memory/hard.ts'))).toMatch(/^\/servers\/memory\/hard\.ts: refused: a file with more than one hard link/);
    expect(await vfs.list('/workspace')).toBe('(empty)');
  });
});

describe('one rule for odd names', () => {
  it('what @runbyte/fs writes, read_file and list_directory see: `..notes`, dotfiles, `...`', async () => {
    const { workspaceDir, vfs } = makeRoot();
    const call = createWorkspace({ dir: workspaceDir, quotaBytes: 2 ** 20 }).host[FS_HOST_FUNCTION]!;
    const run = { signal: new AbortController().signal };
    for (const name of ['..notes', '.env', '...', 'a..b']) {
      expect(await call(run, 'writeFile', `/workspace/${name}`, name)).toEqual({ ok: true });
      expect(await vfs.read(`/workspace/${name}`)).toBe(name);
    }
    expect(await vfs.list('/workspace')).toBe(['...', '..notes', '.env', 'a..b'].join('\n'));
    const listed = (await call(run, 'listDir', '/workspace', false)) as { ok: true; value: { name: string }[] };
    expect(listed.value.map((entry) => entry.name)).toEqual(['...', '..notes', '.env', 'a..b']);
  });

  it('the temporary names of atomic writes are reserved everywhere', async () => {
    const { workspaceDir, vfs } = makeRoot();
    writeFileSync(join(workspaceDir, 'x.txt.123.0badcafe.tmp'), 'half a write');
    const call = createWorkspace({ dir: workspaceDir, quotaBytes: 2 ** 20 }).host[FS_HOST_FUNCTION]!;
    const run = { signal: new AbortController().signal };
    expect(await vfs.list('/workspace')).toBe('(empty)');
    expect(await call(run, 'listDir', '/workspace', false)).toEqual({ ok: true, value: [] });
    expect(await call(run, 'readFile', 'x.txt.123.0badcafe.tmp')).toMatchObject({ ok: false, code: 'EINVAL' });
    expect(await vfsError(vfs.read('/workspace/x.txt.123.0badcafe.tmp'))).toMatch(/reserved/);
  });
});

describe('links planted in the generated folder', () => {
  it('list_directory withDescriptions does not read through a link that leads out', async () => {
    const { generatedDir, outside, vfs } = makeRoot();
    writeFileSync(join(outside, 'leak.ts'), '/** The secret outside. */\nexport function leak() {}\n');
    writeFileSync(join(generatedDir, 'servers/memory/readGraph.ts'), '/** Read the graph. */\nexport function readGraph() {}\n');
    symlinkSync(join(outside, 'leak.ts'), join(generatedDir, 'servers/memory/leak.ts'));
    const listing = await vfs.list('/servers/memory', { withDescriptions: true });
    expect(listing).not.toContain('secret');
    expect(listing).toBe('readGraph.ts - Read the graph.');
  });

  it('emit never writes through a link planted in the generated folder', async () => {
    const { generatedDir, outside } = makeRoot();
    rmSync(join(generatedDir, 'servers/memory'), { recursive: true });
    symlinkSync(outside, join(generatedDir, 'servers/memory'));
    symlinkSync(join(outside, 'secret.txt'), join(generatedDir, 'runtime.ts'));
    const before = filesUnder(outside);
    await expect(
      writeSdk(generatedDir, [
        { path: 'runtime.ts', text: '// runtime\n' },
        { path: 'servers/memory/readGraph.ts', text: 'export function readGraph() {}\n' },
      ]),
    ).rejects.toThrow(/servers\/memory\/readGraph\.ts.*a link on the way leads out/);
    expect(filesUnder(outside)).toEqual(before);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside');
    // The planted file link was replaced by a real file, not written through.
    expect(readFileSync(join(generatedDir, 'runtime.ts'), 'utf8')).toBe('// runtime\n');
    expect(existsSync(join(outside, 'readGraph.ts'))).toBe(false);
  });
});
