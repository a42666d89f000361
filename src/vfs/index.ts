import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { functionDocLines } from '../codegen/tool-doc.js';
import { JailError, listInside, readInside } from './jail.js';
import { jailLocation, MODULES_DIR, modulePath, type JailLocation, type VfsRoots } from './roots.js';
import { compareStrings } from '../shared/values.js';

export { CODE_PATH, MODULES_DIR, modulePath, toHostPath, toVirtualPath, type VfsRoots } from './roots.js';
export { isInside, JailError, openInside, readInside, readInsideSync, resolveInside, statInsideSync, type Inside, type JailReason } from './jail.js';

/** A path the agent may not see: outside /servers and /workspace, or through a link that leaves them. */
export class VfsError extends Error {
  override readonly name = 'VfsError';
}

export interface ListOptions {
  withDescriptions?: boolean;
}

/** A module the agent imports by a bare name (`@runbyte/fs`), implemented by one of runbyte's own .ts files. */
export interface VfsModule {
  specifier: string;
  hostPath: string;
}

export interface VfsOptions {
  /**
   * Shown read-only at `/node_modules/<specifier>/index.ts` (modulePath in roots.ts), the file the
   * type-checker checks imports of it against, so the agent can read its functions and types.
   */
  modules?: readonly VfsModule[];
  /**
   * A note for a file of `/servers/<server>/` in listings (e.g. that the tool changed since the SDK
   * was reviewed and is not callable), by its virtual path; undefined for none.
   */
  mark?: (virtualPath: string) => string | undefined;
}

/**
 * The agent's view of the SDK and the workspace (README.md, "The four tools"). Every read
 * goes through the jail (jail.ts): the path is normalised, must map into one of the roots, and is
 * then resolved inside that root (`/servers` → `<generatedDir>/servers`, `/workspace` → the
 * workspace folder), links that lead out and hard-linked files refused, dotfiles listed.
 * `/node_modules` holds only the modules given (`@runbyte/fs`), read-only: runbyte's own files.
 */
export class Vfs {
  /** Host file of each module's virtual path. */
  private readonly modules = new Map<string, string>();
  /** Every folder above a module's file, with the names in it (`/node_modules` → `@runbyte/`). */
  private readonly moduleDirs = new Map<string, Set<string>>();
  private readonly specifiers: string[] = [];
  /** The tree's top folders, as the agent is told them in an error. */
  private readonly tops: string;
  private readonly mark?: (virtualPath: string) => string | undefined;

  constructor(
    readonly roots: VfsRoots,
    options: VfsOptions = {},
  ) {
    this.mark = options.mark;
    for (const { specifier, hostPath } of options.modules ?? []) {
      const path = modulePath(specifier);
      this.specifiers.push(specifier);
      this.modules.set(path, hostPath);
      for (let child = path, dir = posix.dirname(path); child !== MODULES_DIR; child = dir, dir = posix.dirname(dir)) {
        const names = this.moduleDirs.get(dir) ?? new Set<string>();
        names.add(child === path ? posix.basename(child) : `${posix.basename(child)}/`);
        this.moduleDirs.set(dir, names);
      }
    }
    this.tops = this.modules.size > 0 ? `/servers, /workspace or ${MODULES_DIR}` : '/servers or /workspace';
  }

  /** Normalises an agent path: relative paths are relative to `/`; `..` may not leave the tree. */
  normalize(path: string): string {
    const raw = path.trim() === '' ? '/' : path.trim().replace(/\\/g, '/');
    if (raw.includes('\0')) throw new VfsError(`invalid path: ${JSON.stringify(path)}`);
    const absolute = raw.startsWith('/') ? raw : `/${raw}`;
    const normalized = posix.normalize(absolute).replace(/(.)\/+$/, '$1');
    // normalize() keeps a leading `..` only when the path climbs above `/`.
    if (normalized.startsWith('/..') || (absolute.includes('..') && !isInsideTree(normalized) && !this.isModulePath(normalized))) {
      throw new VfsError(`${path}: outside the virtual filesystem; paths start with ${this.tops}`);
    }
    return normalized;
  }

  /** Whether a normalised path is a module's file or a folder above one. */
  private isModulePath(path: string): boolean {
    return this.modules.has(path) || this.moduleDirs.has(path);
  }

  /** The text listing of a folder, one entry per line, sorted (what is listed: see jail.ts). */
  async list(path: string, options: ListOptions = {}): Promise<string> {
    const virtual = this.normalize(path);
    if (virtual === '/') return ['servers/', 'workspace/', ...(this.modules.size > 0 ? [`${MODULES_DIR.slice(1)}/`] : [])].join('\n');
    const inModules = this.moduleDirs.get(virtual);
    if (inModules) return [...inModules].sort(compareStrings).join('\n');
    if (this.modules.has(virtual)) throw new VfsError(`${virtual}: not a directory; use read_file`);
    const { root, rel } = this.locate(virtual);
    const entries = (
      await listInside(root, rel).catch((error: unknown) => {
        throw refusal(error, virtual, { ENOENT: 'no such directory', ENOTDIR: 'not a directory; use read_file' });
      })
    ).sort((a, b) => listOrder(a.name, b.name, virtual.startsWith('/servers/')));

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
      const mark = virtual.startsWith('/servers/') ? this.mark?.(`${virtual}/${entry.name}`) : undefined;
      const marked = mark ? ` [${mark}]` : '';
      if (describe && entry.name !== 'index.ts' && entry.name.endsWith('.ts')) {
        // Through the jail like read_file: a link planted here that leads out is not read.
        const text = await readInside(root, `${rel}/${entry.name}`).then(
          (data) => data.toString('utf8'),
          () => '',
        );
        const summary = describeToolFile(text);
        lines.push(summary ? `${entry.name}${marked} - ${summary}` : `${entry.name}${marked}`);
      } else {
        lines.push(`${entry.name}${marked}`);
      }
    }
    return lines.length > 0 ? lines.join('\n') : '(empty)';
  }

  /** The text of a file under /servers or /workspace. */
  async read(path: string): Promise<string> {
    const virtual = this.normalize(path);
    const module = this.modules.get(virtual);
    // runbyte's own file, not the agent's: read as it is, like the type-checker does.
    if (module !== undefined) return readFile(module, 'utf8');
    if (this.moduleDirs.has(virtual)) throw new VfsError(`${virtual}: is a directory; use list_directory`);
    const { root, rel } = this.locate(virtual);
    const data = await readInside(root, rel).catch((error: unknown) => {
      throw refusal(error, virtual, { ENOENT: 'no such file', ENOTDIR: 'no such file', EISDIR: 'is a directory; use list_directory' });
    });
    return data.toString('utf8');
  }

  /** The jail's root and relative path behind a normalised virtual path under /servers or /workspace. */
  private locate(virtual: string): JailLocation {
    if (this.modules.size > 0 && virtual.startsWith(`${MODULES_DIR}/`)) {
      throw new VfsError(`${virtual}: no such file or directory; ${MODULES_DIR} holds only ${this.specifiers.join(', ')}`);
    }
    const location = virtual === '/runtime.ts' ? undefined : jailLocation(this.roots, virtual);
    if (!location) throw new VfsError(`${virtual}: outside the virtual filesystem; paths start with ${this.tops}`);
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

/**
 * In a server's folder README.md first (what the server says about itself is read before its
 * tools); index.ts last, then by name: the tools come first, as an agent wants them.
 */
function listOrder(a: string, b: string, server = false): number {
  if (server && a === 'README.md') return -1;
  if (server && b === 'README.md') return 1;
  if (a === 'index.ts') return 1;
  if (b === 'index.ts') return -1;
  return compareStrings(a, b);
}

/** The first sentence of the JSDoc on a tool file's exported function, at most 100 characters. */
export function describeToolFile(text: string): string {
  const first = functionDocLines(text).find((line) => !line.startsWith('@'));
  if (!first) return '';
  // One sentence is enough to pick a file; the whole description is one read_file away.
  const sentence = /^(.+?[.!?])(?:\s|$)/.exec(first)?.[1] ?? first;
  return sentence.length > 100 ? `${sentence.slice(0, 99)}…` : sentence;
}
