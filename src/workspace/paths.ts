import { posix } from 'node:path';

/** The workspace's place in the virtual tree (docs/architecture.md, The virtual tree). */
export const WORKSPACE = '/workspace';

/** Why a call failed; mirrors `FsErrorCode` in templates/fs.ts. */
export type FsErrorCode = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'ENOTEMPTY' | 'EACCES' | 'EDQUOT' | 'EINVAL' | 'EBUSY' | 'EIO';

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

/** A normalised virtual path relative to the workspace folder, as the jail takes it ('' for /workspace). */
export function toRel(virtual: string): string {
  return virtual === WORKSPACE ? '' : virtual.slice(WORKSPACE.length + 1);
}
