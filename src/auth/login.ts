// `auth login`: the authorization code flow with PKCE, run by the SDK's `auth()`, from the
// server's 401 to tokens in the store. The user's browser (or the user, with the printed URL)
// brings the code back to the loopback listener.

import { spawn } from 'node:child_process';
import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { findServer } from '../config/index.js';
import type { RemoteServerConfig, RunbyteConfig } from '../config/types.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { ServerOAuth } from './provider.js';
import { listenForRedirect } from './redirect.js';

export interface LoginOptions {
  /** Open the user's browser at the authorization URL where one can be opened. */
  browser: boolean;
  timeoutMs: number;
  /** The loopback port of the redirect; 0 (default) lets the system choose. */
  port?: number;
  signal?: AbortSignal;
  /** Lines for the user while the login waits (the authorization URL among them). */
  say(line: string): void;
}

export interface LoginResult {
  server: string;
  /** The server's URL without credentials, query or fragment. */
  url: string;
  scopes: string[];
  /** ISO time the access token expires, when the server said. */
  expiresAt?: string;
  refreshable: boolean;
}

/** Logs in to one remote server and stores its tokens. */
export async function login(config: RemoteServerConfig, options: LoginOptions): Promise<LoginResult> {
  if (headerAuthorization(config)) {
    throw new RunbyteError('USAGE', `server "${config.name}" has an Authorization header in its config, which is sent instead of any login`, {
      suggestions: [`remove mcpServers.${config.name}.headers.Authorization to log in with OAuth`],
    });
  }
  const listener = await listenForRedirect(config.name, options.port ?? 0);
  try {
    const provider = new ServerOAuth(config, {
      redirectUrl: listener.redirectUrl,
      onAuthorizationUrl: (url) => {
        options.say(`Open this URL to log in to ${config.name}:`);
        options.say(`  ${url.href}`);
        if (options.browser && openBrowser(url.href)) options.say('(opening it in your browser)');
        options.say(`Waiting for the redirect to ${listener.redirectUrl} (up to ${Math.round(options.timeoutMs / 1000)} s; Ctrl-C stops)`);
      },
    });
    provider.startOver();
    const challenge = await probe(config);
    if (challenge.error !== undefined)
      throw new RunbyteError('SERVER_FAILED', `server "${config.name}": cannot reach ${shownUrl(config.url)}: ${challenge.error}`);
    if (challenge.status !== 401) {
      throw new RunbyteError('USAGE', `server "${config.name}" does not ask for a login: it answered HTTP ${challenge.status} without one`, {
        suggestions: [`runbyte list ${config.name}`],
      });
    }
    const flow = {
      serverUrl: config.url,
      ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
      // Scopes the user configured win over what the server suggests.
      ...(config.oauth?.scopes ? { scope: config.oauth.scopes.join(' ') } : challenge.scope ? { scope: challenge.scope } : {}),
    };
    const first = await authStep(config, () => auth(provider, flow));
    if (first !== 'REDIRECT') throw new RunbyteError('SERVER_FAILED', `server "${config.name}": the authorization server did not ask for a login`);
    const code = await listener.code(provider.state(), options.timeoutMs, options.signal);
    await authStep(config, () => auth(provider, { ...flow, authorizationCode: code }));
    const { tokens, expiresAt } = provider.stored;
    const scopes = (tokens?.scope ?? flow.scope ?? '').split(' ').filter(Boolean);
    return {
      server: config.name,
      url: shownUrl(config.url),
      scopes,
      ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
      refreshable: tokens?.refresh_token !== undefined,
    };
  } finally {
    await listener.close();
  }
}

/** One call of the SDK's auth(), its failure worded for the user. */
async function authStep<T>(config: RemoteServerConfig, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof RunbyteError) throw error;
    throw new RunbyteError('SERVER_FAILED', `server "${config.name}": login failed: ${oneLine(messageOf(error))}`, { cause: error });
  }
}

export interface Challenge {
  /** The HTTP status of an unauthenticated request, or undefined when the server could not be reached. */
  status?: number;
  resourceMetadataUrl?: URL;
  scope?: string;
  /** Why the server could not be reached. */
  error?: string;
}

/**
 * What the server answers a request without credentials: 401 with `WWW-Authenticate` means it
 * needs a login (and names its protected-resource metadata and scopes). A GET, so that no MCP
 * session is opened; an event stream is cancelled once its headers are read.
 */
export async function probe(config: RemoteServerConfig, timeoutMs = 10_000): Promise<Challenge> {
  const headers = new Headers(config.headers);
  headers.set('accept', 'text/event-stream');
  try {
    const response = await fetch(config.url, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel().catch(() => {});
    if (response.status !== 401) return { status: response.status };
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
    return { status: 401, ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}), ...(scope ? { scope } : {}) };
  } catch (error) {
    return { error: oneLine(messageOf((error as { cause?: unknown }).cause ?? error)) };
  }
}

/** True when the config sends its own Authorization header: that header wins, OAuth is off. */
export function headerAuthorization(config: RemoteServerConfig): boolean {
  return Object.keys(config.headers).some((name) => name.toLowerCase() === 'authorization');
}

/** Opens a URL in the user's browser when there is one to open; never fails. */
function openBrowser(url: string): boolean {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'linux' && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) ? 'xdg-open' : undefined;
  if (!command) return false;
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** A URL for output: no credentials, query or fragment (they may hold secrets). */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(the configured url)';
  }
}

function oneLine(text: string): string {
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** The configured remote server of that name; a usage error naming the remote servers otherwise. */
export function remoteServer(config: RunbyteConfig, name: string): RemoteServerConfig {
  const server = findServer(config, name);
  if (server.transport !== 'stdio') return server;
  const remote = config.servers.filter((candidate) => candidate.transport !== 'stdio').map((candidate) => candidate.name);
  throw new RunbyteError('USAGE', `server "${name}" is started by runbyte (stdio): only remote servers (a "url") log in`, {
    suggestions: [remote.length ? `remote servers: ${remote.join(', ')}` : `no server in ${config.path} has a "url"`],
  });
}
