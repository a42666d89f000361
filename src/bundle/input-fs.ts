import * as fs from 'node:fs';
import { resolve, sep } from 'node:path';
import { JailError, listInside, readInside, readInsideSync, statInsideSync } from '../vfs/jail.js';
import { jailLocation, type VfsRoots } from '../vfs/roots.js';

/**
 * Where the virtual tree (docs/architecture.md, The virtual tree) sits in Rspack's eyes: `/code.ts`
 * is `<VIRTUAL_ROOT>/code.ts`, `/workspace/x.ts` is `<VIRTUAL_ROOT>/workspace/x.ts`. A folder that
 * exists on no host: only `VirtualInputFs` answers for paths under it. (`<VIRTUAL_ROOT>/servers/…`
 * is aliased to the generated folder before anything is read: see options.ts.)
 */
export const VIRTUAL_ROOT = resolve('/__runbyte__');

/** The entry module: imports the agent's code and publishes its default export. */
export const ENTRY_PATH = '/__runbyte_entry__.js';
const ENTRY_TEXT = "import main from './code.ts';\nglobalThis.__runbyteMain = main;\n";

/** Keeps description-file lookups inside the tree: without it Rspack reads the host's `/package.json`. */
const PACKAGE_PATH = '/package.json';
const PACKAGE_TEXT = '{ "private": true }\n';

type Callback<T> = (error: NodeJS.ErrnoException | null, value?: T) => void;

/** The few fields of `fs.Stats` that Rspack reads (`__to_binding_stat`), for files held in memory. */
interface StatsLike {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  size: number;
  mode: number;
}

interface MemoryFile {
  data: Buffer;
  stats: StatsLike;
}

/**
 * The input file system Rspack is given for paths under `VIRTUAL_ROOT` (`experiments.useInputFileSystem`;
 * other paths, such as the generated SDK and extra modules, are read natively). It serves `/code.ts`
 * and the entry from memory and reads everything else through the one path jail (src/vfs/jail.ts),
 * under the root its virtual path belongs to (`jailLocation` in vfs/roots.ts), as read_file and check/ do.
 *
 * What the jail refuses (a link that leads out of its root, a hard-linked file, a reserved name) is
 * never read or listed here; `stat` shows it as an empty stand-in, so that guard.ts can tell the
 * agent why its import is refused.
 * It remembers every file it handed out, so `invalidate()` can name them to Rspack, and the
 * `mtime:size` of workspace files, which the agent's own runs rewrite without telling anyone.
 */
export class VirtualInputFs {
  private readonly memory = new Map<string, MemoryFile>();
  /** Virtual paths of host files read so far (the candidates for `modifiedFiles`). */
  private readonly read = new Set<string>();
  /** `mtimeMs:size` of each workspace file when it was last read. */
  private readonly stamps = new Map<string, string>();
  private clock = Date.now();

  constructor(private readonly roots: VfsRoots) {
    this.setMemory(ENTRY_PATH, ENTRY_TEXT);
    this.setMemory(PACKAGE_PATH, PACKAGE_TEXT);
  }

  /** Replaces the text of an in-memory file such as `/code.ts`. */
  setMemory(virtualPath: string, text: string): void {
    const data = Buffer.from(text, 'utf8');
    // A fresh mtime per version: Rspack is told through modifiedFiles anyway, but a snapshot
    // check that compares times must never see two versions as one.
    const time = Math.max(Date.now(), ++this.clock);
    this.clock = time;
    this.memory.set(virtualPath, { data, stats: fileStats(data.length, time) });
  }

  /** The text of an in-memory file. */
  memoryText(virtualPath: string): string | undefined {
    return this.memory.get(virtualPath)?.data.toString('utf8');
  }

  /** The text of a file of the tree, through the jail (for error positions); undefined when there is none. */
  treeText(virtualPath: string): string | undefined {
    const at = jailLocation(this.roots, virtualPath);
    if (at === undefined) return undefined;
    try {
      return readInsideSync(at.root, at.rel).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** Rspack's path of a virtual path. */
  static rspackPath(virtualPath: string): string {
    return VIRTUAL_ROOT + virtualPath.split('/').join(sep);
  }

  /** The virtual path of one of Rspack's paths, or undefined when it is not under `VIRTUAL_ROOT`. */
  static virtualPath(rspackPath: string): string | undefined {
    if (rspackPath === VIRTUAL_ROOT) return '/';
    if (!rspackPath.startsWith(VIRTUAL_ROOT + sep) && !rspackPath.startsWith(`${VIRTUAL_ROOT}/`)) return undefined;
    return rspackPath.slice(VIRTUAL_ROOT.length).split(sep).join('/');
  }

  /** Virtual paths of the host files read so far, at or under `virtualPath` (all of them when omitted). */
  readFiles(virtualPath?: string): string[] {
    if (virtualPath === undefined || virtualPath === '/') return [...this.read];
    return [...this.read].filter((path) => path === virtualPath || path.startsWith(`${virtualPath}/`));
  }

  /**
   * Workspace files changed on disk since they were read, by `mtime:size`: the agent's runs save
   * skills, and nobody else tells the bundler. A handful of `stat` calls per bundle.
   */
  changedWorkspaceFiles(): string[] {
    const changed: string[] = [];
    for (const [path, stamp] of this.stamps) {
      const now = stampOf(this.statOf(path));
      if (now !== stamp) {
        changed.push(path);
        if (now === undefined) this.stamps.delete(path);
        else this.stamps.set(path, now);
      }
    }
    return changed;
  }

  // ---- The methods Rspack calls (node's callback style) ----

  readFile = (path: string, ...rest: unknown[]): void => {
    const callback = rest[rest.length - 1] as Callback<Buffer>;
    const virtual = VirtualInputFs.virtualPath(path);
    if (virtual === undefined) return void fs.readFile(path, callback);
    const memory = this.memory.get(virtual);
    if (memory) return callback(null, memory.data);
    const at = jailLocation(this.roots, virtual);
    if (at === undefined) return callback(notFound(path));
    // The stamp is taken before the read: a write racing the read makes the next bundle re-read.
    const stamp = virtual.startsWith('/workspace/') ? stampOf(this.statOf(virtual)) : undefined;
    readInside(at.root, at.rel).then(
      (data) => {
        this.read.add(virtual);
        if (stamp !== undefined) this.stamps.set(virtual, stamp);
        callback(null, data);
      },
      (error: unknown) => callback(failure(error, path)),
    );
  };

  stat = (path: string, ...rest: unknown[]): void => {
    const callback = rest[rest.length - 1] as Callback<fs.Stats | StatsLike>;
    const virtual = VirtualInputFs.virtualPath(path);
    if (virtual === undefined) return void fs.stat(path, callback);
    const memory = this.memory.get(virtual);
    if (memory) return callback(null, memory.stats);
    if (virtual === '/') return callback(null, DIRECTORY);
    const at = jailLocation(this.roots, virtual);
    let info: fs.Stats | undefined;
    try {
      info = at === undefined ? undefined : statInsideSync(at.root, at.rel);
    } catch (error) {
      // What the jail refuses is there, but as an empty stand-in: the resolver finds it, so
      // guard.ts can tell the agent why it is refused, and nothing of the real file shows.
      if (error instanceof JailError) return callback(null, STAND_IN);
      return callback(failure(error, path));
    }
    if (info === undefined) return callback(notFound(path));
    callback(null, info);
  };

  // Links inside the roots are followed (the jail has checked where they lead), so no path here is a link.
  lstat = this.stat;

  readdir = (path: string, ...rest: unknown[]): void => {
    const callback = rest[rest.length - 1] as Callback<string[]>;
    const virtual = VirtualInputFs.virtualPath(path);
    if (virtual === undefined) return void fs.readdir(path, callback);
    if (virtual === '/') {
      const names = new Set(['servers', 'workspace', 'runtime.ts', ...[...this.memory.keys()].map((key) => key.slice(1))]);
      return callback(null, [...names].sort());
    }
    const at = jailLocation(this.roots, virtual);
    if (at === undefined) return callback(notFound(path));
    // What the jail lists: no links out, hard-linked files or temp files.
    listInside(at.root, at.rel).then(
      (entries) =>
        callback(
          null,
          entries.map((entry) => entry.name),
        ),
      (error: unknown) => callback(failure(error, path)),
    );
  };

  readlink = (path: string, ...rest: unknown[]): void => {
    const callback = rest[rest.length - 1] as Callback<string>;
    const virtual = VirtualInputFs.virtualPath(path);
    if (virtual === undefined) return void fs.readlink(path, callback);
    const error: NodeJS.ErrnoException = new Error(`EINVAL: invalid argument, readlink '${path}'`);
    error.code = 'EINVAL';
    callback(error);
  };

  realpath = (path: string, ...rest: unknown[]): void => {
    const callback = rest[rest.length - 1] as Callback<string>;
    const virtual = VirtualInputFs.virtualPath(path);
    if (virtual === undefined) return void fs.realpath(path, callback);
    // Paths keep their virtual form: what Rspack names in errors and source maps is the agent's tree.
    this.stat(path, (error: NodeJS.ErrnoException | null) => (error ? callback(error) : callback(null, path)));
  };

  purge = (): void => {};

  /** What is at a virtual path of the tree, through the jail; undefined when nothing is there or it is refused. */
  private statOf(virtual: string): fs.Stats | undefined {
    const at = jailLocation(this.roots, virtual);
    try {
      return at === undefined ? undefined : statInsideSync(at.root, at.rel);
    } catch {
      return undefined;
    }
  }
}

const STAND_IN: StatsLike = fileStats(0, 0);

const DIRECTORY: StatsLike = {
  isFile: () => false,
  isDirectory: () => true,
  isSymbolicLink: () => false,
  atimeMs: 0,
  mtimeMs: 0,
  ctimeMs: 0,
  birthtimeMs: 0,
  size: 0,
  mode: 0o40755,
};

function fileStats(size: number, time: number): StatsLike {
  return {
    isFile: () => true,
    isDirectory: () => false,
    isSymbolicLink: () => false,
    atimeMs: time,
    mtimeMs: time,
    ctimeMs: time,
    birthtimeMs: time,
    size,
    mode: 0o100644,
  };
}

/**
 * A failed read as Rspack is told it: refused or missing is "not found"; any other error keeps its
 * code. The message names the path Rspack asked for, never a host path.
 */
function failure(error: unknown, path: string): NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof JailError || code === undefined || code === 'ENOENT' || code === 'ENOTDIR') return notFound(path);
  return Object.assign(new Error(`${code}: cannot be read, '${path}'`), { code, path });
}

function notFound(path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, '${path}'`);
  error.code = 'ENOENT';
  error.path = path;
  return error;
}

function stampOf(stats: fs.Stats | undefined): string | undefined {
  return stats?.isFile() ? `${stats.mtimeMs}:${stats.size}` : undefined;
}
