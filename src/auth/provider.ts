// runbyte's OAuthClientProvider: the SDK's `auth()` runs the protocol (discovery, registration,
// PKCE, the code exchange, refresh); this class keeps what it hands over in the token store and
// decides what may happen where. Under `auth login` it may send the user to the authorization
// page; under serve, generate, run and list it never does: a server that needs the user is a
// `LoginRequired`, worded for the user, and the connection fails at once.

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { auth, type OAuthClientProvider, type OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { RemoteServerConfig } from '../config/types.js';
import { readLogin, type StoredLogin, writeLogin } from './store.js';

/** A server needs a login by the user before it can be reached; `reason` is the line to show. */
export class LoginRequired extends Error {
  readonly reason: string;

  constructor(
    readonly server: string,
    readonly expired: boolean,
  ) {
    const reason = `${expired ? 'login expired' : 'needs a login'}; run runbyte auth login ${server}`;
    super(`${server}: ${reason}`);
    this.reason = reason;
  }
}

/** What `auth login` adds: where the authorization server sends the user back, and how the user gets there. */
export interface Interactive {
  redirectUrl: string;
  onAuthorizationUrl(url: URL): void | Promise<void>;
}

/** At most this long before expiry an access token is refreshed; a short-lived token at a tenth of its life. */
const REFRESH_MARGIN_MS = 30_000;

/** Set while the SDK's `auth()` runs for us: `tokens()` then hands over what is stored, as it is. */
const insideAuth = new AsyncLocalStorage<true>();

export class ServerOAuth implements OAuthClientProvider {
  private login: StoredLogin;
  private verifier?: string;
  private readonly stateValue = randomBytes(16).toString('base64url');
  private refreshing?: Promise<void>;

  constructor(
    readonly config: RemoteServerConfig,
    private readonly interactive?: Interactive,
  ) {
    this.login = { server: config.name, url: config.url };
  }

  /** Re-reads the server's file; a login made for another URL counts as none. */
  async load(): Promise<void> {
    const stored = await readLogin(this.config.name);
    this.login = stored && stored.url === this.config.url ? stored : { server: this.config.name, url: this.config.url };
  }

  /**
   * Forgets what is stored: `auth login` asks the user again, and registers anew (a client
   * registered for another redirect port may not be accepted with this one).
   */
  startOver(): void {
    this.login = { server: this.config.name, url: this.config.url };
  }

  get stored(): StoredLogin {
    return this.login;
  }

  /** True when tokens for this URL are stored. */
  get hasTokens(): boolean {
    return this.login.tokens !== undefined;
  }

  // -- OAuthClientProvider ----------------------------------------------------------------------

  get redirectUrl(): string | undefined {
    return this.interactive?.redirectUrl ?? this.login.redirectUri;
  }

  get clientMetadata(): OAuthClientMetadata {
    const oauth = this.config.oauth;
    return {
      client_name: 'runbyte',
      redirect_uris: this.redirectUrl ? [this.redirectUrl] : [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: oauth?.clientSecret ? 'client_secret_post' : 'none',
      ...(oauth?.scopes ? { scope: oauth.scopes.join(' ') } : {}),
    };
  }

  state(): string {
    return this.stateValue;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    const oauth = this.config.oauth;
    if (oauth?.clientId) return { client_id: oauth.clientId, ...(oauth.clientSecret ? { client_secret: oauth.clientSecret } : {}) };
    // Outside `auth login` a client is never registered: that is the first step of a login.
    if (!this.login.client && !this.interactive) throw new LoginRequired(this.config.name, this.hasTokens || this.login.expired === true);
    return this.login.client;
  }

  async saveClientInformation(client: OAuthClientInformationMixed): Promise<void> {
    // A pre-registered client lives in runbyte.json; the SDK only stamps its issuer here.
    if (this.config.oauth?.clientId) return;
    this.login = { ...this.login, client, ...(this.interactive ? { redirectUri: this.interactive.redirectUrl } : {}) };
    // A login writes its file once, with its tokens: one that stops half way leaves the old file as it was.
    if (!this.interactive) await writeLogin(this.login);
  }

  /** The access token to send, refreshed first when it is about to expire. */
  async tokens(): Promise<OAuthTokens | undefined> {
    if (!insideAuth.getStore() && !this.interactive && this.login.tokens?.refresh_token && this.expiresSoon()) await this.refresh();
    return this.login.tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const now = Date.now();
    this.login = {
      ...this.login,
      tokens,
      issuedAt: now,
      expiresAt: tokens.expires_in === undefined ? undefined : now + tokens.expires_in * 1000,
      expired: undefined,
      ...(this.interactive ? { redirectUri: this.interactive.redirectUrl } : {}),
    };
    await writeLogin(this.login);
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    // Outside `auth login` nobody is there to follow it: auth() then returns 'REDIRECT', which
    // refresh() and the transports turn into a LoginRequired.
    if (this.interactive) await this.interactive.onAuthorizationUrl(url);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('no authorization was started');
    return this.verifier;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier') {
      this.verifier = undefined;
      return;
    }
    const login = { ...this.login };
    if (scope === 'all' || scope === 'client') login.client = undefined;
    if (scope === 'all' || scope === 'discovery') login.discovery = undefined;
    if ((scope === 'all' || scope === 'tokens') && login.tokens) {
      // Kept as "expired" so that status and the next failure say so.
      login.tokens = undefined;
      login.expired = true;
    }
    this.login = login;
    await writeLogin(login);
  }

  async saveDiscoveryState(discovery: OAuthDiscoveryState): Promise<void> {
    this.login = { ...this.login, discovery };
    if (!this.interactive && this.login.tokens) await writeLogin(this.login);
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.login.discovery;
  }

  // -- refresh ----------------------------------------------------------------------------------

  /**
   * Refreshes the access token with the refresh token, once however many calls ask at the same
   * time. Rejects with LoginRequired when the authorization server refuses it.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.runRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async runRefresh(): Promise<void> {
    // Another runbyte (a second terminal, `auth login`) may have refreshed or logged in since.
    const held = this.login.tokens?.access_token;
    await this.load();
    if (this.login.tokens && this.login.tokens.access_token !== held && !this.expiresSoon()) return;
    if (!this.login.tokens?.refresh_token) throw new LoginRequired(this.config.name, true);
    const result = await insideAuth.run(true, () => auth(this, { serverUrl: this.config.url }));
    if (result !== 'AUTHORIZED') throw new LoginRequired(this.config.name, true);
  }

  private expiresSoon(): boolean {
    const { expiresAt, issuedAt } = this.login;
    if (expiresAt === undefined) return false;
    const margin = Math.min(REFRESH_MARGIN_MS, (expiresAt - (issuedAt ?? expiresAt)) / 10);
    return Date.now() >= expiresAt - margin;
  }

  /**
   * The fetch the transports use with this provider: a request whose bearer token the server
   * rejects (401) is sent again once after a refresh, so a token the server expired early costs
   * one refresh however many calls were in flight.
   */
  readonly fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    if (response.status !== 401) return response;
    const sent = bearerOf(init?.headers);
    if (sent === undefined || this.interactive) return response;
    await response.body?.cancel();
    if (sent === this.login.tokens?.access_token) {
      if (!this.login.tokens.refresh_token) throw new LoginRequired(this.config.name, true);
      await this.refresh();
    }
    const current = this.login.tokens?.access_token;
    if (current === undefined) throw new LoginRequired(this.config.name, true);
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${current}`);
    return fetch(url, { ...init, headers });
  };
}

/** The bearer token of a request's headers, if it has one. */
function bearerOf(headers: RequestInit['headers']): string | undefined {
  const value = new Headers(headers).get('authorization');
  const match = value ? /^Bearer (.+)$/i.exec(value) : null;
  return match?.[1];
}
