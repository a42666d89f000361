import { mkdir, readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile } from '../codegen/index.js';
import { RunbyteError } from '../shared/errors.js';
import { JailError, listInside, makeFoldersInside, readInside, removeInside, writeInside } from '../vfs/jail.js';

/** What a write or a check found, each list sorted by path. */
export interface SdkDiff {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

/** The folders under the output folder that runbyte owns; `scope` narrows pruning to some servers. */
export interface PruneScope {
  /** Only files under these `servers/<name>/` folders (plus the root files) may be removed. */
  servers?: string[];
}

const RUNTIME_TEMPLATE = fileURLToPath(new URL('../../templates/runtime.ts', import.meta.url));

/** The runtime every tool file imports, copied verbatim from templates/. */
export async function runtimeFile(): Promise<GeneratedFile> {
  return { path: 'runtime.ts', text: await readFile(RUNTIME_TEMPLATE, 'utf8') };
}

/** Compares the wanted files with the output folder without touching it. */
export async function diffSdk(outDir: string, files: GeneratedFile[], scope: PruneScope = {}): Promise<SdkDiff> {
  const diff: SdkDiff = { added: [], changed: [], removed: [], unchanged: 0 };
  const wanted = new Set<string>();
  for (const file of files) {
    const path = sdkPath(outDir, file.path);
    wanted.add(file.path);
    // Through the jail: a link planted in the output folder is not read, it is replaced.
    const current = await readSdkFile(outDir, path);
    if (current === undefined) diff.added.push(file.path);
    else if (current !== file.text) diff.changed.push(file.path);
    else diff.unchanged++;
  }
  for (const existing of await ownedFiles(outDir, scope)) {
    if (!wanted.has(existing)) diff.removed.push(existing);
  }
  diff.added.sort();
  diff.changed.sort();
  diff.removed.sort();
  return diff;
}

/**
 * Brings the output folder to exactly `files`: each changed file is written to a temporary name
 * and renamed over the old one (a reader never sees half a file), then files of tools that
 * disappeared are removed, and folders left empty with them. Every path goes through the jail
 * (src/vfs/jail.ts): a link planted in the output folder is replaced, never written through, and
 * a folder on the way that is a link leading out stops the write.
 */
export async function writeSdk(outDir: string, files: GeneratedFile[], scope: PruneScope = {}): Promise<SdkDiff> {
  const diff = await diffSdk(outDir, files, scope);
  await applySdk(outDir, files, diff);
  return diff;
}

/** Writes and removes what `diff` (from `diffSdk` over the same `files`) says, as `writeSdk` does. */
export async function applySdk(outDir: string, files: GeneratedFile[], diff: SdkDiff): Promise<void> {
  const byPath = new Map(files.map((file) => [file.path, file.text]));
  await mkdir(outDir, { recursive: true });
  for (const path of [...diff.added, ...diff.changed]) {
    const rel = sdkPath(outDir, path);
    try {
      const folder = posix.dirname(rel);
      if (folder !== '.') await makeFoldersInside(outDir, folder);
      await writeInside(outDir, rel, byPath.get(path)!, { follow: false });
    } catch (error) {
      throw writeError(outDir, path, error);
    }
  }
  for (const path of diff.removed) {
    const rel = sdkPath(outDir, path);
    // A file that is a link leading out, or a hard link, is left alone: the jail never touches what it leads to.
    await removeInside(outDir, rel).catch(() => false);
    await removeEmptyParents(outDir, posix.dirname(rel));
  }
}

/** The text of one SDK file (a path relative to the output folder), read through the jail; undefined when there is none. */
export async function readSdkFile(outDir: string, path: string): Promise<string | undefined> {
  return readInside(outDir, sdkPath(outDir, path)).then(
    (data) => data.toString('utf8'),
    () => undefined,
  );
}

/** An SDK path, checked: posix, relative, and inside the output folder lexically. */
function sdkPath(outDir: string, path: string): string {
  const rel = posix.normalize(path);
  if (rel === '.' || rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel) || path.includes('\0') || path.includes('\\')) {
    throw new RunbyteError('INTERNAL', `refusing to write outside ${outDir}: ${path}`);
  }
  return rel;
}

function writeError(outDir: string, path: string, error: unknown): Error {
  if (error instanceof JailError) {
    return new RunbyteError(
      'INTERNAL',
      `refusing to write ${path} in ${outDir}: ${error.reason === 'outside' ? 'a link on the way leads out of the folder' : error.message}`,
      {
        suggestions: [`Remove the link from ${outDir} (runbyte writes only real files and folders there), then generate again`],
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Files runbyte may prune in the output folder: everything under `servers/` (or under the
 * `servers/<name>/` folders of `scope`), as posix paths relative to it. Temp files are left out.
 */
export async function ownedFiles(outDir: string, scope: PruneScope = {}): Promise<string[]> {
  const roots = scope.servers ? scope.servers.map((server) => `servers/${server}`) : ['servers'];
  const found: string[] = [];
  for (const root of roots) {
    await walk(outDir, root, found);
  }
  return found;
}

/**
 * The `.ts` files directly in `servers/<server>/` (index.ts included) and its README.md, read
 * through the jail; what cannot be read is left out. Empty when there is no such folder.
 */
export async function readServerFiles(outDir: string, server: string): Promise<GeneratedFile[]> {
  const folder = sdkPath(outDir, `servers/${server}`);
  const entries = await listInside(outDir, folder).catch(() => []);
  const files: GeneratedFile[] = [];
  for (const entry of entries) {
    if (entry.link || !entry.stats.isFile() || !(entry.name.endsWith('.ts') || entry.name === 'README.md')) continue;
    const path = `${folder}/${entry.name}`;
    const text = await readInside(outDir, path).then(
      (data) => data.toString('utf8'),
      () => undefined,
    );
    if (text !== undefined) files.push({ path, text });
  }
  return files;
}

async function walk(outDir: string, prefix: string, found: string[]): Promise<void> {
  const entries = await listInside(outDir, prefix).catch(() => []);
  for (const entry of entries) {
    const path = `${prefix}/${entry.name}`;
    if (entry.stats.isDirectory()) {
      if (!entry.link) await walk(outDir, path, found);
    } else if (!entry.name.endsWith('.tmp')) {
      found.push(path);
    }
  }
}

async function removeEmptyParents(outDir: string, folder: string): Promise<void> {
  for (let current = folder; current !== '.' && current !== ''; current = posix.dirname(current)) {
    try {
      await removeInside(outDir, current);
    } catch {
      return;
    }
  }
}
