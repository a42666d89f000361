import { join, relative, sep } from 'node:path';
import { posix } from 'node:path';

/**
 * The agent's world is a small virtual tree rooted at `/`:
 *
 *   /code.ts          the agent's own code (never on disk)
 *   /runtime.ts       the SDK runtime            → <generatedDir>/runtime.ts
 *   /servers/...      the generated SDK          → <generatedDir>/servers/...
 *   /workspace/...    files that outlive a run   → <workspaceDir>/...
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

/**
 * The host path behind a virtual path, or undefined when the path is outside the tree.
 * Purely lexical: it normalises `..` first, so `/servers/../../etc` is outside. Symlinks are
 * checked by the jail in vfs/ before any read.
 */
export function toHostPath(roots: VfsRoots, virtualPath: string): string | undefined {
  if (!virtualPath.startsWith('/')) return undefined;
  const path = posix.normalize(virtualPath);
  if (path === '/runtime.ts') return join(roots.generatedDir, 'runtime.ts');
  if (path === '/servers' || path.startsWith('/servers/')) return join(roots.generatedDir, path);
  if (path === '/workspace') return roots.workspaceDir;
  if (path.startsWith('/workspace/')) return join(roots.workspaceDir, path.slice('/workspace/'.length));
  return undefined;
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
