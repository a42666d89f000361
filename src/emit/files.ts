import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunbyteError } from '../shared/errors.js';

/** A file of the SDK: `path` is posix and relative to the output folder. */
export interface SdkFile {
  path: string;
  text: string;
}

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
export async function runtimeFile(): Promise<SdkFile> {
  return { path: 'runtime.ts', text: await readFile(RUNTIME_TEMPLATE, 'utf8') };
}

/** Compares the wanted files with the output folder without touching it. */
export async function diffSdk(outDir: string, files: SdkFile[], scope: PruneScope = {}): Promise<SdkDiff> {
  const diff: SdkDiff = { added: [], changed: [], removed: [], unchanged: 0 };
  const wanted = new Set<string>();
  for (const file of files) {
    const target = hostPath(outDir, file.path);
    wanted.add(file.path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
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
 * disappeared are removed, and folders left empty with them.
 */
export async function writeSdk(outDir: string, files: SdkFile[], scope: PruneScope = {}): Promise<SdkDiff> {
  const diff = await diffSdk(outDir, files, scope);
  const byPath = new Map(files.map((file) => [file.path, file.text]));
  for (const path of [...diff.added, ...diff.changed]) {
    await writeAtomic(hostPath(outDir, path), byPath.get(path)!);
  }
  for (const path of diff.removed) {
    const target = hostPath(outDir, path);
    await rm(target, { force: true });
    await removeEmptyParents(dirname(target), outDir);
  }
  return diff;
}

/** Writes `text` to `path` through a temporary file in the same folder and a rename. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The host path of an SDK file; refuses anything that would land outside the output folder. */
function hostPath(outDir: string, path: string): string {
  const target = resolve(outDir, path);
  const rel = relative(outDir, target);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || path.includes('\0')) {
    throw new RunbyteError('INTERNAL', `refusing to write outside ${outDir}: ${path}`);
  }
  return target;
}

/** Files runbyte owns in the output folder: the root files and everything under `servers/`. */
async function ownedFiles(outDir: string, scope: PruneScope): Promise<string[]> {
  const roots = scope.servers ? scope.servers.map((server) => `servers/${server}`) : ['servers'];
  const found: string[] = [];
  for (const root of roots) {
    await walk(join(outDir, ...root.split('/')), root, found);
  }
  return found;
}

async function walk(dir: string, prefix: string, found: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) await walk(join(dir, entry.name), path, found);
    else if (!entry.name.endsWith('.tmp')) found.push(path);
  }
}

async function removeEmptyParents(dir: string, stop: string): Promise<void> {
  let current = dir;
  while (current !== stop && current.startsWith(stop + sep)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}
