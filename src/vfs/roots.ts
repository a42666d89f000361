import { join, relative, sep } from 'node:path';
import { posix } from 'node:path';

/**
 * The agent's world is a small virtual tree rooted at `/`:
 *
 *   /code.ts          the agent's own code (never on disk)
 *   /runtime.ts       the SDK runtime            → <generatedDir>/runtime.ts
 *   /servers/...      the generated SDK          → <generatedDir>/servers/...
 *   /workspace/...    files that outlive a run   → <workspaceDir>/...
 *   /node_modules/... modules imported by a bare name (`@runbyte/fs`), runbyte's own files (modulePath)
 *
 * Type-checker, bundler and list_directory/read_file all go through this one mapping, so what the
 * agent reads is exactly what is checked and bundled.
 */
export interface VfsRoots {
  generatedDir: string;
  workspaceDir: string;
}

/** The virtual path of the agent's code. */
export const CODE_PATH = '/code.ts';

/** Where modules imported by a bare name (`@runbyte/fs`) live in the tree. */
export const MODULES_DIR = '/node_modules';

/**
 * The virtual path of a module imported by a bare name: `@runbyte/fs` → `/node_modules/@runbyte/fs/index.ts`.
 * The type-checker is given the module's source at this path (src/compile/child.ts) and resolves the
 * import to it the way TypeScript resolves any package; list_directory and read_file show the same
 * file there (vfs/index.ts), so what the agent reads is what its code is checked against.
 */
export function modulePath(specifier: string): string {
  return `${MODULES_DIR}/${specifier}/index.ts`;
}

/**
 * The host path behind a virtual path, or undefined when the path is outside the tree.
 * Purely lexical: it normalises `..` first, so `/servers/../../etc` is outside. Symlinks are
 * checked by the jail in vfs/ before any read.
 */
export function toHostPath(roots: VfsRoots, virtualPath: string): string | undefined {
  const location = jailLocation(roots, virtualPath);
  return location && (location.rel === '' ? location.root : join(location.root, ...location.rel.split('/')));
}

/** The virtual path of a host file inside one of the roots, or undefined. */
export function toVirtualPath(roots: VfsRoots, hostPath: string): string | undefined {
  const inside = (root: string) => {
    const rel = relative(root, hostPath);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel)) ? rel : undefined;
  };
  const workspace = inside(roots.workspaceDir);
  if (workspace !== undefined) return posix.join('/workspace', workspace.split(sep).join('/'));
  const generated = inside(roots.generatedDir);
  if (generated === undefined) return undefined;
  const virtual = posix.join('/', generated.split(sep).join('/'));
  return virtual === '/runtime.ts' || virtual === '/servers' || virtual.startsWith('/servers/') ? virtual : undefined;
}

/**
 * The tree path a workspace file means by an import it spells the way agent code does
 * (README.md, "The workspace and skills"): in `/workspace/skills/x.ts`, `./servers/memory` is
 * `/servers/memory` and `./workspace/skills/math` is `/workspace/skills/math`, as in execute_code,
 * because agents save the code they ran as a skill and should not have to count `../`. Undefined
 * for every other import, which resolves relative to the file as usual (`./near`, `../../servers/x`).
 * Only `./servers` and `./workspace` are read this way, and always: a folder of that name beside a
 * skill is reached through `/workspace/...`. Check and bundle both ask here, so they agree.
 */
export function rootAnchored(specifier: string, importer: string): string | undefined {
  if (!importer.startsWith('/workspace/')) return undefined;
  return /^\.\/(?:servers|workspace)(?:\/|$)/.test(specifier) ? specifier.slice(1) : undefined;
}

/** Where a virtual path lives for the jail (vfs/jail.ts): the root it may not leave, and the path under it. */
export interface JailLocation {
  root: string;
  /** Posix, relative to `root`; '' for the root itself. */
  rel: string;
}

/**
 * The jail's root and relative path behind a virtual path of the tree, the one mapping read_file,
 * list_directory, check/ and bundle/ use: `/servers/…` stays inside the generated servers/ folder,
 * `/runtime.ts` is the one file taken from the generated folder itself, `/workspace/…` stays inside
 * the workspace. Undefined for any other path (`..` is normalised first).
 */
export function jailLocation(roots: VfsRoots, virtualPath: string): JailLocation | undefined {
  if (!virtualPath.startsWith('/')) return undefined;
  const path = posix.normalize(virtualPath);
  if (path === '/runtime.ts') return { root: roots.generatedDir, rel: 'runtime.ts' };
  if (path === '/servers' || path.startsWith('/servers/')) return { root: join(roots.generatedDir, 'servers'), rel: path.slice('/servers/'.length) };
  if (path === '/workspace' || path.startsWith('/workspace/')) return { root: roots.workspaceDir, rel: path.slice('/workspace/'.length) };
  return undefined;
}
