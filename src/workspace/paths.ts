import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { posix } from 'node:path';

/** The workspace's place in the virtual tree (docs/architecture.md, The virtual tree). */
export const WORKSPACE = '/workspace';

/** Why a call failed; mirrors `FsErrorCode` in templates/fs.ts. */
export type FsErrorCode = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'ENOTEMPTY' | 'EACCES' | 'EDQUOT' | 'EINVAL' | 'EIO';

/** A refusal the agent should read: its message goes to the guest as it is (`@runbyte/fs: …`). */
export class FsFault extends Error {
  override readonly name = 'FsFault';
  constructor(
    readonly code: FsErrorCode,
    message: string,
  ) {
    super(`@runbyte/fs: ${message}`);
  }
}

/**
 * The virtual path of an agent path, lexically: `/workspace/...` as it is, anything relative
 * relative to /workspace. `workspace/x` and `./workspace/x` are `/workspace/x`, the path code
 * imports a skill by, rather than `/workspace/workspace/x`. Whatever normalises to a place outside
 * /workspace (`../x`, `/etc/passwd`, `/workspace/../etc`) is refused.
 */
export function toVirtual(input: unknown): string {
  if (typeof input !== 'string') throw new FsFault('EINVAL', `a path must be a string, not ${input === null ? 'null' : typeof input}`);
  if (input.includes('\0')) throw new FsFault('EINVAL', `${JSON.stringify(input)} is not a valid path`);
  let path = input.replace(/\\/g, '/');
  if (path === '' || path === '.' || path === './') return WORKSPACE;
  if (!path.startsWith('/')) {
    path = path.replace(/^(?:\.\/+)+/, '');
    path = path === 'workspace' || path.startsWith('workspace/') ? `/${path}` : `${WORKSPACE}/${path}`;
  }
  const normalized = posix.normalize(path).replace(/\/+$/, '') || '/';
  if (normalized !== WORKSPACE && !normalized.startsWith(`${WORKSPACE}/`)) {
    throw new FsFault('EACCES', `${input} is outside ${WORKSPACE}`);
  }
  return normalized;
}

/** The host path behind a normalised virtual path, lexically. */
export function toHost(dir: string, virtual: string): string {
  const rest = virtual.slice(WORKSPACE.length + 1);
  return rest ? join(dir, ...rest.split('/')) : dir;
}

/**
 * The host path behind a virtual path, once its real location is known to be inside the
 * workspace: a link anywhere on the way (planted by hand: agent code cannot make links) that
 * leads out is refused, even when its target does not exist yet, since a write would create it.
 */
export async function jail(dir: string, virtual: string): Promise<string> {
  const host = toHost(dir, virtual);
  const [realRoot, real] = await Promise.all([realLocation(dir), realLocation(host)]);
  if (!isInside(realRoot, real)) {
    throw new FsFault('EACCES', `${virtual} is outside ${WORKSPACE} (a link on the way leads out of it)`);
  }
  return host;
}

/** Whether `path` is `root` or below it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

const MAX_LINKS = 40;

/**
 * Where `path` really is: links resolved where they exist, a missing tail appended to the real
 * location of its deepest existing ancestor, and a dangling link followed to where it points.
 */
async function realLocation(path: string, links = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // missing (or a dangling link): resolve the parent, then this one name
  }
  const parent = dirname(path);
  if (parent === path) return path;
  const candidate = join(await realLocation(parent, links), basename(path));
  const info = await lstat(candidate).catch(() => undefined);
  if (!info?.isSymbolicLink()) return candidate;
  if (links >= MAX_LINKS) throw new FsFault('EACCES', `${basename(path)}: too many levels of links`);
  return realLocation(resolve(dirname(candidate), await readlink(candidate)), links + 1);
}
