// `auth status` and `auth logout`: what the token store holds for each remote server, read
// without ever showing a token.

import type { RemoteServerConfig } from '../config/types.js';
import { messageOf } from '../shared/errors.js';
import { headerAuthorization, probe, shownUrl } from './login.js';
import { readLogin, removeLogin, type StoredLogin } from './store.js';

export type LoginState = 'logged in' | 'expired' | 'not logged in' | 'not needed';

export interface ServerLoginStatus {
  server: string;
  /** The server's URL without credentials, query or fragment. */
  url: string;
  state: LoginState;
  /** ISO time the access token expires (or expired). */
  expiresAt?: string;
  /** A refresh token is stored: an expired access token is renewed at the next call. */
  refreshable?: boolean;
  scopes?: string[];
  /** Why, when the state needs a reason: `login is for another URL`, `Authorization header configured`, ... */
  note?: string;
}

/**
 * The login state of each remote server. Without a stored login the server is asked (a GET
 * without credentials) whether it needs one.
 */
export async function loginStatus(servers: RemoteServerConfig[]): Promise<ServerLoginStatus[]> {
  return Promise.all(servers.map((server) => statusOf(server)));
}

async function statusOf(config: RemoteServerConfig): Promise<ServerLoginStatus> {
  const base = { server: config.name, url: shownUrl(config.url) };
  if (headerAuthorization(config)) return { ...base, state: 'not needed', note: 'an Authorization header is configured' };
  const stored = await readLogin(config.name);
  if (stored && stored.url === config.url && (stored.tokens || stored.expired)) return { ...base, ...described(stored) };
  const note = stored && stored.url !== config.url ? 'the stored login is for another URL' : undefined;
  const challenge = await probe(config);
  if (challenge.status === 401) return { ...base, state: 'not logged in', ...(note ? { note } : {}) };
  if (challenge.status !== undefined) return { ...base, state: 'not needed', note: `answers HTTP ${challenge.status} without a login` };
  return { ...base, state: 'not logged in', note: note ?? `cannot reach it: ${challenge.error}` };
}

function described(stored: StoredLogin): Omit<ServerLoginStatus, 'server' | 'url'> {
  const expiresAt = stored.expiresAt === undefined ? {} : { expiresAt: new Date(stored.expiresAt).toISOString() };
  const scopes = stored.tokens?.scope ? { scopes: stored.tokens.scope.split(' ').filter(Boolean) } : {};
  if (!stored.tokens) return { state: 'expired', note: 'the authorization server refused the refresh token' };
  const refreshable = stored.tokens.refresh_token !== undefined;
  const lapsed = stored.expiresAt !== undefined && stored.expiresAt <= Date.now();
  return { state: lapsed && !refreshable ? 'expired' : 'logged in', ...expiresAt, refreshable, ...scopes };
}

export interface LogoutResult {
  server: string;
  /** A stored login was deleted. */
  removed: boolean;
  /** What the authorization server's revocation endpoint said, when it has one. */
  revoked?: 'revoked' | string;
}

/** Deletes a server's stored login, revoking its tokens first where the server offers revocation. */
export async function logout(config: RemoteServerConfig): Promise<LogoutResult> {
  const stored = await readLogin(config.name);
  let revoked: string | undefined;
  // OIDC metadata may not name one; OAuth metadata (RFC 8414) does when the server revokes.
  const metadata = stored?.discovery?.authorizationServerMetadata as { revocation_endpoint?: unknown } | undefined;
  const endpoint = typeof metadata?.revocation_endpoint === 'string' ? metadata.revocation_endpoint : undefined;
  if (stored?.tokens && endpoint) revoked = await revoke(stored, config, endpoint);
  const removed = await removeLogin(config.name);
  return { server: config.name, removed, ...(revoked === undefined ? {} : { revoked }) };
}

/** RFC 7009: the refresh token (which ends the grant), then the access token. */
async function revoke(stored: StoredLogin, config: RemoteServerConfig, endpoint: string): Promise<string> {
  const client = config.oauth?.clientId ? { client_id: config.oauth.clientId, client_secret: config.oauth.clientSecret } : stored.client;
  const tokens = stored.tokens!;
  const attempts: [string, string | undefined][] = [
    ['refresh_token', tokens.refresh_token],
    ['access_token', tokens.access_token],
  ];
  try {
    for (const [hint, token] of attempts) {
      if (!token) continue;
      const body = new URLSearchParams({ token, token_type_hint: hint });
      if (client?.client_id) body.set('client_id', client.client_id);
      if (client?.client_secret) body.set('client_secret', client.client_secret);
      const response = await fetch(endpoint, { method: 'POST', body, redirect: 'error', signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel().catch(() => {});
      if (!response.ok) return `the revocation endpoint answered HTTP ${response.status}`;
    }
    return 'revoked';
  } catch (error) {
    return `the revocation endpoint could not be reached: ${messageOf((error as { cause?: unknown }).cause ?? error)}`;
  }
}
