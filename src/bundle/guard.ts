import { join, posix, relative, resolve, sep } from 'node:path';
import type { Compiler, Module, NormalModule, NormalModuleFactory, ResolveData } from '@rspack/core';
import { JailError, statInsideSync } from '../vfs/jail.js';
import { CODE_PATH, jailLocation, rootAnchored, type VfsRoots } from '../vfs/roots.js';
import type { RspackErrorLike } from './diagnostics.js';
import { ENTRY_PATH, VIRTUAL_ROOT, VirtualInputFs } from './input-fs.js';

const NAME = 'runbyte-guard';

/** What `createModule` is told: the dependency's kind, the request as written, the resolved file. */
type CreateData = Parameters<Parameters<NormalModuleFactory['hooks']['createModule']['tap']>[1]>[0];

/**
 * The dependency kinds a bundle is made of (`dependencyType` in Rspack). Everything else, above all
 * `new URL()` and `new Worker()` (files as assets or chunks), is refused: an allow-list, so a kind a
 * later Rspack adds is refused until someone decides otherwise.
 */
const KINDS = new Set([
  'entry',
  'esm import',
  'esm import specifier',
  'esm export import',
  'esm export import specifier',
  'import()',
  'import() eager',
  'cjs require',
  'cjs full require',
]);

/** Virtual paths an import may name: the SDK, the workspace, and the runtime. */
const TREE = /^\/(?:(?:servers|workspace)(?:\/|$)|runtime(?:\.ts|\.js)?$)/;
/** The same, relative to the generated folder on the host (the SDK is read natively). */
const GENERATED = /^(?:servers(?:\/|$)|runtime(?:\.ts|\.js)?$)/;

/**
 * The bundler's jail, as an Rspack plugin: the bundle is made of the virtual tree
 * (docs/architecture.md, The virtual tree) and the extra modules, and of nothing else of the host,
 * whatever the type-checker was told (`@ts-ignore`, a template literal, `any`). Each refusal is a
 * build error that names the specifier as written, never a host path.
 *
 * Four checks, each before anything is read (two Rspack hooks: each costs a call into JS per dependency):
 * 1. the request, as text, before it is resolved: `./…` and `../…` must stay in the tree, `/…`
 *    must start with /servers, /workspace or /runtime, a bare name must be an extra module; no
 *    loaders, queries or fragments (`!`, `?`, `#`), so no URL scheme (`file:`, `data:`, `node:`) and
 *    no node_modules. Import attributes: only `{ type: 'json' }` (see below);
 * 2. the resolved file: under the SDK's servers/, the runtime, the workspace, `/code.ts` or an extra
 *    module, and for the roots on disk, what the one path jail lets through (src/vfs/jail.ts: no
 *    link out of its root, no hard-linked file, no reserved name);
 * 3. the dependency kind (`KINDS`);
 * 4. every folder listing (a context module: `require.context`, `import.meta.webpackContext`,
 *    `import()`/`require()` of a computed path) is refused before the folder is read.
 * And once more after an SDK file is built, since a file can become a link after it was resolved;
 * such a file stays suspect (rebuilt on every bundle, see the Bundler) until it passes.
 *
 * `{ type: 'json' }` is allowed: it is the standard way to import JSON, the file must pass the same
 * checks as any other import, and Rspack's JSON parser refuses anything that is not JSON. Every other
 * attribute (`text`, `bytes`, …) would load a file as raw data and is refused.
 */
export class Guard {
  private readonly servers: string;
  private readonly runtime: string;
  private readonly extraFiles: Set<string>;
  private readonly allowed: string;
  /** SDK files refused after their build: named as modified on every bundle until they pass. */
  readonly suspects = new Set<string>();
  private refused: RspackErrorLike[] = [];

  constructor(
    private readonly roots: VfsRoots,
    private readonly extraModules: Record<string, string>,
  ) {
    this.servers = join(roots.generatedDir, 'servers');
    this.runtime = join(roots.generatedDir, 'runtime.ts');
    this.extraFiles = new Set(Object.values(extraModules).map((path) => resolve(path)));
    const names = ['./servers/...', './workspace/...', ...Object.keys(extraModules).sort()];
    this.allowed = names.length > 2 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join(' and ');
  }

  apply(compiler: Compiler): void {
    compiler.hooks.compilation.tap(NAME, (compilation, { normalModuleFactory, contextModuleFactory }) => {
      this.refused = [];
      normalModuleFactory.hooks.beforeResolve.tap(NAME, (data) => this.checkRequest(data));
      // Kind and resolved file in one hook: each hook is a call from Rust into JS per dependency.
      normalModuleFactory.hooks.createModule.tap(NAME, (data) => this.checkModule(data));
      contextModuleFactory.hooks.beforeResolve.tap(NAME, (data) => {
        const request = data === false ? '' : data.request;
        if (request === '' || request === '.') {
          refuse('import() or require() of a computed path refused: name each file with a literal string');
        }
        refuse(
          `listing ${quote(request)} refused: folders cannot be listed (require.context, import.meta.webpackContext, a computed path); import each file by its literal path`,
        );
      });
      compilation.hooks.succeedModule.tap(NAME, (module) => this.checkBuilt(module));
    });
  }

  /** The refusals of SDK files found after their build in the last bundle, as Rspack-like errors. */
  takeRefused(): RspackErrorLike[] {
    const refused = this.refused;
    this.refused = [];
    return refused;
  }

  private checkRequest(data: ResolveData): void {
    const { request, contextInfo, attributes } = data;
    // A skill's `./servers/x` names the SDK, as it does in the type-checker (rootAnchored in
    // src/vfs/roots.ts): it is resolved from the tree's root, where code.ts is.
    const importer = VirtualInputFs.virtualPath(contextInfo.issuer);
    if (importer !== undefined && rootAnchored(request, importer) !== undefined) data.context = VIRTUAL_ROOT;
    const { context } = data;
    if (/[!?#\0]/.test(request)) refuse(`import of ${quote(request)} refused: loaders, queries and fragments (!, ?, #) cannot be used in an import`);
    if (!this.inTree(request, context, contextInfo.issuer)) refuse(`import of ${quote(request)} refused: only ${this.allowed} can be imported`);
    for (const [key, value] of Object.entries(attributes ?? {})) {
      if (key !== 'type' || value !== 'json') {
        refuse(`import of ${quote(request)} with { ${key}: ${quote(value)} } refused: the only import attribute is { type: 'json' }`);
      }
    }
  }

  /** Whether a request, as written, names the virtual tree or an extra module (nothing is resolved yet). */
  private inTree(request: string, context: string, issuer: string): boolean {
    if (Object.hasOwn(this.extraModules, request)) return true;
    if (request.startsWith('/')) return TREE.test(posix.normalize(request));
    if (!/^\.\.?(?:\/|$)/.test(request)) return false;
    const target = resolve(context, request);
    const virtual = VirtualInputFs.virtualPath(target);
    if (virtual !== undefined) return TREE.test(virtual) || virtual === CODE_PATH || (virtual === ENTRY_PATH && issuer === '');
    // From an SDK file on the host (`../../runtime.js`, `./readGraph.js`).
    return GENERATED.test(posixRelative(this.roots.generatedDir, target));
  }

  private checkModule({ dependencyType, rawRequest, resourceResolveData }: CreateData): void {
    if (!KINDS.has(dependencyType))
      refuse(`${dependencyType} of ${quote(rawRequest)} refused: files are bundled only through import, export … from and require`);
    const resource = resourceResolveData.path ?? resourceResolveData.resource;
    const where = this.rootOf(resource);
    if (where === undefined) refuse(`import of ${quote(rawRequest)} refused: it leads outside /servers and /workspace`);
    const refusal = jailRefusal(where);
    if (refusal !== undefined) refuse(`import of ${quote(rawRequest)} refused: ${refusal}`);
  }

  private checkBuilt(module: Module): void {
    const resource = (module as NormalModule).resource;
    if (typeof resource !== 'string' || VirtualInputFs.virtualPath(resource) !== undefined) return; // the workspace is checked on every read (input-fs.ts)
    const where = this.rootOf(resource);
    if (where === undefined) return;
    const refusal = jailRefusal(where);
    if (refusal === undefined) {
      this.suspects.delete(resource);
      return;
    }
    this.suspects.add(resource);
    this.refused.push({ message: `refused: ${refusal}`, module: { identifier: () => resource } });
  }

  /**
   * Where a resolved file belongs: the jail's root and path for a file of the tree on disk (none for
   * files held in memory and for extra modules, which are runbyte's own), or undefined when it is
   * not in the tree.
   */
  private rootOf(resource: string): Where | undefined {
    const virtual = VirtualInputFs.virtualPath(resource);
    if (virtual !== undefined) {
      if (virtual === CODE_PATH || virtual === ENTRY_PATH) return { name: '/' };
      const at = virtual.startsWith('/workspace/') ? jailLocation(this.roots, virtual) : undefined;
      return at === undefined ? undefined : { ...at, name: '/workspace' };
    }
    if (this.extraFiles.has(resource)) return { name: '/' };
    if (resource === this.runtime) return { ...jailLocation(this.roots, '/runtime.ts')!, name: '/servers' };
    if (isInside(this.servers, resource)) return { root: this.servers, rel: posixRelative(this.servers, resource), name: '/servers' };
    return undefined;
  }
}

/** A resolved file: the jail's root and path when it is on disk, and the top folder an agent knows it by. */
interface Where {
  root?: string;
  rel?: string;
  name: string;
}

/** Why the jail (src/vfs/jail.ts) refuses a file, as the agent reads it; undefined when it may be bundled. */
function jailRefusal({ root, rel, name }: Where): string | undefined {
  if (root === undefined || rel === undefined) return undefined;
  try {
    return statInsideSync(root, rel) === undefined ? 'it cannot be read' : undefined;
  } catch (error) {
    if (!(error instanceof JailError)) return 'it cannot be read';
    if (error.reason === 'outside') return `it is a link to a file outside ${name}`;
    if (error.reason === 'hard-link') return 'it is a file with more than one hard link';
    // A reserved or invalid name: the jail's own words, without the path (it names the rule).
    return error.message.slice(error.message.indexOf(': ') + 2);
  }
}

/** Whether `path` is strictly under the folder `root`, lexically. */
function isInside(root: string, path: string): boolean {
  const rel = posixRelative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith('../') && !rel.startsWith('/');
}

/** `path` relative to `from`, with `/` separators; starts with `..` when outside. */
function posixRelative(from: string, path: string): string {
  return relative(from, path).split(sep).join('/');
}

const quote = (text: string) => JSON.stringify(text);

/**
 * Fails the dependency at hand: Rspack reports the error on the importing module. The stack is the
 * message itself, so that what reaches the agent is one sentence, not runbyte's file names.
 */
function refuse(message: string): never {
  const error = new Error(message);
  error.stack = message;
  throw error;
}
