import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { posix, relative, sep } from 'node:path';
import { toHostPath, type VfsRoots } from './roots.js';

export { CODE_PATH, toHostPath, toVirtualPath, type VfsRoots } from './roots.js';

/** A path the agent may not see: outside /servers and /workspace, or through a link that leaves them. */
export class VfsError extends Error {
  override readonly name = 'VfsError';
}

export interface ListOptions {
  withDescriptions?: boolean;
}

/**
 * The agent's view of the SDK and the workspace (SPEC.md, list_directory / read_file). Every read
 * goes through the jail: the path is normalised, must map into one of the roots, and its real
 * path (links resolved) must still be inside that root.
 */
export class Vfs {
  constructor(readonly roots: VfsRoots) {}

  /** Normalises an agent path: relative paths are relative to `/`; `..` may not leave the tree. */
  normalize(path: string): string {
    const raw = path.trim() === '' ? '/' : path.trim().replace(/\\/g, '/');
    if (raw.includes('\0')) throw new VfsError(`invalid path: ${JSON.stringify(path)}`);
    const absolute = raw.startsWith('/') ? raw : `/${raw}`;
    const normalized = posix.normalize(absolute).replace(/(.)\/+$/, '$1');
    // normalize() keeps a leading `..` only when the path climbs above `/`.
    if (normalized.startsWith('/..') || (absolute.includes('..') && !isInsideTree(normalized))) {
      throw new VfsError(`${path}: outside the virtual filesystem; paths start with /servers or /workspace`);
    }
    return normalized;
  }

  /** The text listing of a folder, one entry per line, sorted. */
  async list(path: string, options: ListOptions = {}): Promise<string> {
    const virtual = this.normalize(path);
    if (virtual === '/') return ['servers/', 'workspace/'].join('\n');
    const host = await this.jail(virtual);
    const info = await stat(host).catch(() => undefined);
    if (!info) throw new VfsError(`${virtual}: no such directory`);
    if (!info.isDirectory()) throw new VfsError(`${virtual}: not a directory; use read_file`);
    const entries = (await readdir(host, { withFileTypes: true }))
      .filter((entry) => !entry.name.endsWith('.tmp') && !entry.name.startsWith('.'))
      .sort((a, b) => listOrder(a.name, b.name));

    if (virtual === '/servers') {
      const lines: string[] = [];
      for (const entry of entries) {
        if (entry.isDirectory()) {
          const tools = (await readdir(`${host}/${entry.name}`)).filter((name) => name.endsWith('.ts') && name !== 'index.ts');
          lines.push(`${entry.name}/ (${tools.length} ${tools.length === 1 ? 'function' : 'functions'})`);
        } else if (entry.name === 'index.ts') {
          lines.push('index.ts');
        }
      }
      return lines.join('\n');
    }

    const lines: string[] = [];
    const describe = options.withDescriptions && virtual.startsWith('/servers/');
    for (const entry of entries) {
      if (entry.isDirectory()) {
        lines.push(`${entry.name}/`);
        continue;
      }
      if (describe && entry.name !== 'index.ts' && entry.name.endsWith('.ts')) {
        const summary = describeToolFile(await readFile(`${host}/${entry.name}`, 'utf8').catch(() => ''));
        lines.push(summary ? `${entry.name} - ${summary}` : entry.name);
      } else {
        lines.push(entry.name);
      }
    }
    return lines.length > 0 ? lines.join('\n') : '(empty)';
  }

  /** The text of a file under /servers or /workspace. */
  async read(path: string): Promise<string> {
    const virtual = this.normalize(path);
    const host = await this.jail(virtual);
    const info = await stat(host).catch(() => undefined);
    if (!info) throw new VfsError(`${virtual}: no such file`);
    if (info.isDirectory()) throw new VfsError(`${virtual}: is a directory; use list_directory`);
    return readFile(host, 'utf8');
  }

  /**
   * The host path behind a virtual path, after checking that neither the path nor any link on
   * the way leaves its root. Missing files are allowed (the caller reports them).
   */
  async jail(virtual: string): Promise<string> {
    const host = toHostPath(this.roots, virtual);
    if (!host || virtual === '/runtime.ts') {
      throw new VfsError(`${virtual}: outside the virtual filesystem; paths start with /servers or /workspace`);
    }
    const root = virtual.startsWith('/workspace') ? this.roots.workspaceDir : `${this.roots.generatedDir}${sep}servers`;
    const realRoot = await realpath(root).catch(() => root);
    const realTarget = await realExisting(host);
    const rel = relative(realRoot, realTarget);
    if (rel.startsWith('..') || rel.startsWith(sep)) {
      throw new VfsError(`${virtual}: refused: it links outside ${virtual.startsWith('/workspace') ? '/workspace' : '/servers'}`);
    }
    return host;
  }
}

function isInsideTree(path: string): boolean {
  return path === '/' || path === '/servers' || path.startsWith('/servers/') || path === '/workspace' || path.startsWith('/workspace/');
}

/** The real path of the deepest existing ancestor, plus the rest: links are resolved where they exist. */
async function realExisting(host: string): Promise<string> {
  let current = host;
  const rest: string[] = [];
  for (;;) {
    const found = await lstat(current).catch(() => undefined);
    if (found) {
      const real = await realpath(current).catch(() => current);
      return rest.length ? `${real}${sep}${rest.reverse().join(sep)}` : real;
    }
    const parent = posix.dirname(current);
    if (parent === current) return host;
    rest.push(posix.basename(current));
    current = parent;
  }
}

/** index.ts last, then by name: the tools come first, as an agent wants them. */
function listOrder(a: string, b: string): number {
  if (a === 'index.ts') return 1;
  if (b === 'index.ts') return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first sentence of the JSDoc on a tool file's exported function, at most 100 characters. */
export function describeToolFile(text: string): string {
  const fn = text.search(/^export (?:async )?function /m);
  const start = fn < 0 ? -1 : text.lastIndexOf('/**', fn);
  const end = start < 0 ? -1 : text.indexOf('*/', start);
  if (end < 0 || text.slice(end + 2, fn).trim() !== '') return '';
  const first = text
    .slice(start + 3, end)
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .find((line) => line && !line.startsWith('@'));
  if (!first) return '';
  // One sentence is enough to pick a file; the whole description is one read_file away.
  const sentence = /^(.+?[.!?])(?:\s|$)/.exec(first)?.[1] ?? first;
  return sentence.length > 100 ? `${sentence.slice(0, 99)}…` : sentence;
}
