import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Compilation, Compiler, InputFileSystem, OutputFileSystem } from '@rspack/core';
import { CODE_PATH, toVirtualPath, type VfsRoots } from '../vfs/roots.js';
import { formatBundleDiagnostic, toDiagnostics, type BundleDiagnostic, type RspackErrorLike } from './diagnostics.js';
import { Guard } from './guard.js';
import { VirtualInputFs } from './input-fs.js';
import { MAP_ASSET, rspackOptions, SCRIPT_ASSET } from './options.js';
import { SerialQueue } from '../shared/values.js';

/** A source map v3 as Rspack writes it; sources are virtual paths (`/code.ts`, `/servers/…`, `/workspace/…`). */
export interface RawSourceMap {
  version: number;
  file?: string;
  sourceRoot?: string;
  sources: string[];
  sourcesContent?: (string | null)[];
  names: string[];
  mappings: string;
}

export type BundleResult =
  | { ok: true /** A classic script that sets `globalThis.__runbyteMain`. */; script: string; map: RawSourceMap }
  | {
      ok: false;
      /** One error per line: `code.ts:LINE:COL: message` (coordinates of the prepared module). */
      message: string;
      /** The same errors as values, for callers that map positions back to the agent's own lines. */
      errors: BundleDiagnostic[];
    };

export interface BundlerOptions {
  /** Bare specifiers the agent may import, each to a host file (e.g. `'@runbyte/fs'`). */
  extraModules?: Record<string, string>;
}

type RspackModule = typeof import('@rspack/core');

/** What a build leaves: its errors, or the script and its map (in memory: nothing is emitted). */
interface Captured {
  errors: RspackErrorLike[];
  script?: string;
  map?: string;
}

/**
 * Bundles prepared agent code (`/code.ts`, docs/architecture.md, exec/) with the SDK and workspace
 * modules it imports into one classic script for the sandbox, plus its source map.
 *
 * Input: a virtual tree rather than a stage folder on disk. `/code.ts` lives in memory and the
 * workspace is read through a small JS file system (input-fs.ts) under a root that exists nowhere,
 * so the agent's code never touches the disk, a skill's `../../servers/x` resolves exactly as it
 * does in check/, the workspace keeps vfs/'s jail, and there are no temp folders or links to clean
 * up or to port to Windows. The generated SDK, the bulk of the files, is aliased to its host folder
 * and read natively (options.ts). Errors and source maps name files by their virtual paths.
 *
 * Jail: the agent's code is untrusted here too (a `@ts-ignore` silences the type-checker, not the
 * bundler). guard.ts refuses every import that does not name the tree or an extra module, every
 * file that leaves its root through a link, raw-data imports and folder listings, as build errors.
 *
 * Speed: one compiler, created on first use and reused (development mode, memory cache,
 * incremental). Each build names what changed in `modifiedFiles`: the code, the files given to
 * `invalidate()`, and workspace files whose mtime or size moved; without that Rspack returns the
 * last bundle (docs/decisions.md, trap 7). Builds are serialised: one compiler runs one build at a time.
 * Output stays in memory: nothing is emitted.
 */
export class Bundler {
  private readonly fs: VirtualInputFs;
  private readonly extraModules: Record<string, string>;
  /** The extra modules' host files: the only files outside the tree whose text an error report may read. */
  private readonly extraFiles: Set<string>;
  private readonly guard: Guard;
  private compiler?: Compiler;
  private rspack?: Promise<RspackModule>;
  private readonly queue = new SerialQueue();
  /** Rspack paths to name as modified on the next build. */
  private pending = new Set<string>();
  private closed = false;

  constructor(
    private readonly roots: VfsRoots,
    options: BundlerOptions = {},
  ) {
    this.fs = new VirtualInputFs(roots);
    this.extraModules = { ...options.extraModules };
    this.extraFiles = new Set(Object.values(this.extraModules).map((path) => resolve(path)));
    this.guard = new Guard(roots, this.extraModules);
  }

  /**
   * Bundles the prepared agent code as `/code.ts`. Its default export (an async function) becomes
   * `globalThis.__runbyteMain`. Unresolvable imports and syntax errors are a value (`ok: false`);
   * a failure of Rspack itself rejects.
   */
  bundle(preparedCode: string): Promise<BundleResult> {
    if (this.closed) return Promise.reject(new Error('runbyte: the bundler is closed'));
    return this.queue.run(() => this.build(preparedCode));
  }

  /**
   * The SDK or the workspace changed on disk: these host files or folders (or everything, when
   * omitted) are read again on the next bundle.
   */
  invalidate(hostPaths?: string[]): void {
    const paths = hostPaths ?? [this.roots.generatedDir, this.roots.workspaceDir, ...Object.values(this.extraModules)];
    for (const hostPath of paths) {
      const virtual = toVirtualPath(this.roots, resolve(hostPath));
      if (virtual === '/workspace' || virtual?.startsWith('/workspace/')) {
        // The workspace is read through the virtual tree: Rspack knows its files by virtual path.
        this.pending.add(VirtualInputFs.rspackPath(virtual));
        for (const path of this.fs.readFiles(virtual)) this.pending.add(VirtualInputFs.rspackPath(path));
      } else {
        // The SDK and extra modules are read natively, by host path; a folder stands for its files.
        for (const path of filesUnder(resolve(hostPath))) this.pending.add(path);
      }
    }
  }

  /** Waits for the bundles already asked for, then shuts the compiler down; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    const compiler = this.compiler;
    this.compiler = undefined;
    if (compiler) await new Promise<void>((resolve) => compiler.close(() => resolve()));
  }

  private async build(code: string): Promise<BundleResult> {
    this.fs.setMemory(CODE_PATH, code);
    const fresh = this.compiler === undefined;
    const compiler = this.compiler ?? (await this.createCompiler());

    const modified = new Set(this.pending);
    this.pending = new Set();
    modified.add(VirtualInputFs.rspackPath(CODE_PATH));
    for (const path of this.fs.changedWorkspaceFiles()) modified.add(VirtualInputFs.rspackPath(path));
    // An SDK file refused after its build is read again until it passes: Rspack's cache must never serve it.
    for (const path of this.guard.suspects) modified.add(path);

    let captured: Captured;
    try {
      captured = await new Promise<Captured>((resolve, reject) =>
        compiler.run(
          (error, stats) => (error || !stats ? reject(error ?? new Error('runbyte: Rspack gave no result')) : resolve(capture(stats.compilation))),
          fresh ? undefined : { modifiedFiles: modified },
        ),
      );
    } catch (error) {
      // Rspack itself failed: start over with a new compiler next time rather than trust its state.
      this.compiler = undefined;
      compiler.close(() => {});
      throw error;
    }

    const refused = this.guard.takeRefused();
    if (captured.errors.length > 0 || refused.length > 0) {
      const errors = toDiagnostics([...captured.errors, ...refused], {
        virtualPath: (path) => this.virtualPath(path),
        sourceText: (path) => this.sourceText(path),
      });
      return { ok: false, message: errors.map((error) => formatBundleDiagnostic(error)).join('\n'), errors };
    }
    if (captured.script === undefined || captured.map === undefined) throw new Error('runbyte: Rspack produced no script');
    const map = JSON.parse(captured.map) as RawSourceMap;
    const sources = map.sources.map((path) => this.virtualPath(path) ?? (isAbsolute(path) ? resolve(path) : path));
    return { ok: true, script: captured.script, map: { ...map, names: map.names ?? [], sources } };
  }

  /** Loads Rspack now, so the first bundle does not pay for it (e.g. while servers start). */
  async warm(): Promise<void> {
    this.rspack ??= import('@rspack/core');
    await this.rspack;
  }

  private async createCompiler(): Promise<Compiler> {
    // Loaded on first use: commands that never bundle do not pay ~100–250 ms for it (docs/decisions.md, trap 5).
    this.rspack ??= import('@rspack/core');
    const { rspack } = await this.rspack;
    const compiler = rspack({ ...rspackOptions(this.roots, this.extraModules), plugins: [this.guard] });
    compiler.inputFileSystem = this.fs as unknown as InputFileSystem;
    // Never used (shouldEmit below says no), but if it were, nothing would reach the disk.
    compiler.outputFileSystem = REFUSING_OUTPUT;
    // The script and its map are taken from the compilation (capture()); emitting would only copy them.
    compiler.hooks.shouldEmit.tap('runbyte', () => false);
    this.compiler = compiler;
    return compiler;
  }

  /** The agent's name for one of Rspack's paths: `/code.ts`, `/servers/…`, `/workspace/…`; undefined for other host files. */
  private virtualPath(rspackPath: string): string | undefined {
    // Source map names of host files come relative to the root (`<root>/../host/…`).
    const path = isAbsolute(rspackPath) ? resolve(rspackPath) : rspackPath;
    return VirtualInputFs.virtualPath(path) ?? toVirtualPath(this.roots, path);
  }

  /**
   * The text of a module, for error positions: the code from memory, files of the tree through the
   * jail (src/vfs/jail.ts), extra modules (runbyte's own) from disk, and nothing else of the host.
   */
  private sourceText(rspackPath: string): string | undefined {
    const virtual = this.virtualPath(rspackPath);
    if (virtual !== undefined) return this.fs.memoryText(virtual) ?? this.fs.treeText(virtual);
    const host = isAbsolute(rspackPath) ? resolve(rspackPath) : rspackPath;
    return this.extraFiles.has(host) ? readOrUndefined(host) : undefined;
  }
}

function capture(compilation: Compilation): Captured {
  const errors = compilation.errors as unknown as RspackErrorLike[];
  if (errors.length > 0) return { errors: [...errors] };
  return {
    errors: [],
    script: compilation.getAsset(SCRIPT_ASSET)?.source.source().toString(),
    map: compilation.getAsset(MAP_ASSET)?.source.source().toString(),
  };
}

function readOrUndefined(hostPath: string): string | undefined {
  try {
    return readFileSync(hostPath, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file itself, or every file under a folder (for `modifiedFiles`); a missing path as it is. */
function filesUnder(hostPath: string): string[] {
  let info: Stats;
  try {
    info = statSync(hostPath);
  } catch {
    return [hostPath]; // removed: Rspack must still hear of it
  }
  if (!info.isDirectory()) return [hostPath];
  const entries = readdirSync(hostPath, { recursive: true, withFileTypes: true });
  return [hostPath, ...entries.filter((entry) => !entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name))];
}

const refuse = (...args: unknown[]) => {
  const callback = args[args.length - 1];
  if (typeof callback === 'function') callback(new Error('runbyte: the bundler writes nothing to disk'));
};

const REFUSING_OUTPUT: OutputFileSystem = {
  writeFile: refuse,
  mkdir: refuse,
  readdir: refuse,
  rmdir: refuse,
  unlink: refuse,
  stat: refuse,
  readFile: refuse,
  chmod: refuse,
};
