import { posix } from 'node:path';
import { JailError, listInside, readInside } from './jail.js';
import { jailLocation, type JailLocation, type VfsRoots } from './roots.js';
import { compareStrings } from '../shared/values.js';

export { CODE_PATH, toHostPath, toVirtualPath, type VfsRoots } from './roots.js';
export { isInside, JailError, openInside, readInside, readInsideSync, resolveInside, statInsideSync, type Inside, type JailReason } from './jail.js';

/** A path the agent may not see: outside /servers and /workspace, or through a link that leaves them. */
export class VfsError extends Error {
  override readonly name = 'VfsError';
}

export interface ListOptions {
  withDescriptions?: boolean;
}

/**
 * The agent's view of the SDK and the workspace (README.md, "The three tools"). Every read
 * goes through the jail (jail.ts): the path is normalised, must map into one of the roots, and is
 * then resolved inside that root (`/servers` → `<generatedDir>/servers`, `/workspace` → the
 * workspace folder), links that lead out and hard-linked files refused, dotfiles listed.
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

  /** The text listing of a folder, one entry per line, sorted (what is listed: see jail.ts). */
  async list(path: string, options: ListOptions = {}): Promise<string> {
    const virtual = this.normalize(path);
    if (virtual === '/') return ['servers/', 'workspace/'].join('\n');
    const { root, rel } = this.locate(virtual);
    const entries = (
      await listInside(root, rel).catch((error: unknown) => {
        throw refusal(error, virtual, { ENOENT: 'no such directory', ENOTDIR: 'not a directory; use read_file' });
      })
    ).sort((a, b) => listOrder(a.name, b.name));

    if (virtual === '/servers') {
      const lines: string[] = [];
      for (const entry of entries) {
        if (entry.stats.isDirectory()) {
          const files = await listInside(root, entry.name).catch(() => []);
          const tools = files.filter((file) => file.stats.isFile() && file.name.endsWith('.ts') && file.name !== 'index.ts');
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
      if (entry.stats.isDirectory()) {
        lines.push(`${entry.name}/`);
        continue;
      }
      if (describe && entry.name !== 'index.ts' && entry.name.endsWith('.ts')) {
        // Through the jail like read_file: a link planted here that leads out is not read.
        const text = await readInside(root, `${rel}/${entry.name}`).then(
          (data) => data.toString('utf8'),
          () => '',
        );
        const summary = describeToolFile(text);
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
    const { root, rel } = this.locate(virtual);
    const data = await readInside(root, rel).catch((error: unknown) => {
      throw refusal(error, virtual, { ENOENT: 'no such file', ENOTDIR: 'no such file', EISDIR: 'is a directory; use list_directory' });
    });
    return data.toString('utf8');
  }

  /** The jail's root and relative path behind a normalised virtual path under /servers or /workspace. */
  private locate(virtual: string): JailLocation {
    const location = virtual === '/runtime.ts' ? undefined : jailLocation(this.roots, virtual);
    if (!location) throw new VfsError(`${virtual}: outside the virtual filesystem; paths start with /servers or /workspace`);
    return location;
  }
}

function isInsideTree(path: string): boolean {
  return path === '/' || path === '/servers' || path.startsWith('/servers/') || path === '/workspace' || path.startsWith('/workspace/');
}

/** A refusal of the jail, or a Node error, as the agent reads it: with the virtual path, never a host path. */
function refusal(error: unknown, virtual: string, messages: Partial<Record<string, string>>): VfsError {
  const top = virtual.startsWith('/workspace') ? '/workspace' : '/servers';
  if (error instanceof JailError) {
    if (error.reason === 'outside') return new VfsError(`${virtual}: refused: it links outside ${top}`);
    if (error.reason === 'hard-link') {
      return new VfsError(`${virtual}: refused: a file with more than one hard link (it may share its data with a file outside ${top})`);
    }
    return new VfsError(`${virtual}: ${error.message.slice(error.message.indexOf(': ') + 2)}`);
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = code ? messages[code] : undefined;
  return new VfsError(`${virtual}: ${message ?? `cannot be read${code ? ` (${code})` : ''}`}`);
}

/** index.ts last, then by name: the tools come first, as an agent wants them. */
function listOrder(a: string, b: string): number {
  if (a === 'index.ts') return 1;
  if (b === 'index.ts') return -1;
  return compareStrings(a, b);
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
