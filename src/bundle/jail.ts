import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

/**
 * Where a host file reached through one of the tree's roots really is:
 * - `inside`: its real path (every link resolved) is under the root's real path, and it is not a
 *   regular file with a second hard link (a hard link is a copy of a file from anywhere on the
 *   host that no real path gives away);
 * - `outside`: a link on the way leads out of the root;
 * - `hard-linked`: a regular file with more than one link;
 * - `missing`: it does not exist (or cannot be resolved, e.g. a link loop).
 */
export type Confinement = 'inside' | 'outside' | 'hard-linked' | 'missing';

/**
 * The bundler's one check of a path against the real file system. input-fs.ts runs it on every
 * workspace path Rspack touches and guard.ts on every SDK file it resolves or builds, so that both
 * roots keep the same rule: what vfs/ lets the agent read is what may be bundled, and nothing else.
 * Synchronous on purpose: two system calls, cheaper than a round of callbacks.
 */
export function confinement(hostPath: string, root: string): Confinement {
  let real: string;
  let realRoot: string;
  try {
    real = realpathSync.native(hostPath);
    realRoot = realpathSync.native(root);
  } catch {
    return 'missing';
  }
  const rel = relative(realRoot, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return 'outside';
  const info = statSync(real, { throwIfNoEntry: false });
  if (info === undefined) return 'missing';
  return info.isFile() && info.nlink > 1 ? 'hard-linked' : 'inside';
}
