// The token store: one user-private file per server under $XDG_STATE_HOME/runbyte/auth/ (default
// ~/.local/state/runbyte/auth/), folder 0700, file 0600, written by temp file + rename. A login is
// bound to the URL it was made for: a file whose URL is not the configured one is never used.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { debug } from '../shared/log.js';
import { isObject } from '../shared/values.js';

/** What one server's file holds. */
export interface StoredLogin {
  server: string;
  /** The MCP URL this login is for: its tokens are sent there and nowhere else. */
  url: string;
  /** The loopback redirect URI the client was registered with. */
  redirectUri?: string;
  /** A dynamically registered client (a pre-registered one comes from runbyte.json). */
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  /** When the access token was received and when it expires, ms since the epoch. */
  issuedAt?: number;
  expiresAt?: number;
  /** Set when the authorization server refused the refresh token: only a new login helps. */
  expired?: boolean;
  /** The metadata found at login, so a refresh needs no discovery. */
  discovery?: OAuthDiscoveryState;
}

/** The folder of the token files. */
export function authDir(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec ignores a relative XDG_STATE_HOME.
  const state = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local/state');
  return join(state, 'runbyte', 'auth');
}

/** The file of one server (server names are letters, digits, `-` and `_`: config/ checks them). */
export function loginPath(server: string): string {
  return join(authDir(), `${server}.json`);
}

/** The stored login of a server, whatever URL it is for; undefined when there is none or it cannot be read. */
export async function readLogin(server: string): Promise<StoredLogin | undefined> {
  const path = loginPath(server);
  let text: string;
  try {
    await tighten(path, 0o600);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') debug(`auth: cannot read the login of "${server}": ${(error as Error).message}`);
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed) && parsed.server === server && typeof parsed.url === 'string') return parsed as unknown as StoredLogin;
  } catch {}
  debug(`auth: the login file of "${server}" is not a runbyte login; ignored`);
  return undefined;
}

/** Writes a server's login atomically, in a 0700 folder, as a 0600 file. */
export async function writeLogin(login: StoredLogin): Promise<void> {
  const dir = authDir();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await tighten(dir, 0o700);
  const path = loginPath(login.server);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(login, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Deletes a server's login; false when there was none. */
export async function removeLogin(server: string): Promise<boolean> {
  const path = loginPath(server);
  try {
    await stat(path);
  } catch {
    return false;
  }
  await rm(path, { force: true });
  return true;
}

/** Takes group and other permissions away from a file or folder that has them. */
async function tighten(path: string, mode: number): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) await chmod(path, mode);
}
