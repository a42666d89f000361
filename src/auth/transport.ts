// What hub/ needs from auth/ to reach a server that needs a login: the provider and fetch to
// give the SDK transport when tokens are stored for the server's URL, re-read at every connect
// attempt (a login from another terminal is used without restarting serve), and the line that
// names the fix when the server refuses the request.

import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RemoteServerConfig } from '../config/types.js';
import { headerAuthorization } from './login.js';
import { LoginRequired, ServerOAuth } from './provider.js';

/** The options an SDK transport takes for OAuth. */
export interface TransportAuth {
  authProvider: OAuthClientProvider;
  fetch: FetchLike;
}

/** One remote server's login, as the hub uses it; one per connection, for its whole life. */
export class ServerLogin {
  private readonly provider: ServerOAuth;

  constructor(config: RemoteServerConfig) {
    this.provider = new ServerOAuth(config);
  }

  /** Reads the token file again: the transport options when tokens for this URL are stored, else undefined. */
  async prepare(): Promise<TransportAuth | undefined> {
    await this.provider.load();
    return this.provider.hasTokens ? { authProvider: this.provider, fetch: this.provider.fetch } : undefined;
  }

  /**
   * The line for a failure that a login fixes (`needs a login; run runbyte auth login x`), else
   * undefined. `refused`: the server answered HTTP 401.
   */
  failure(error: unknown, refused: boolean): string | undefined {
    if (error instanceof LoginRequired) return error.reason;
    if (!(error instanceof UnauthorizedError) && !refused) return undefined;
    const stored = this.provider.stored;
    return new LoginRequired(stored.server, stored.tokens !== undefined || stored.expired === true).reason;
  }
}

/** The login of a remote server, or undefined when its config sends an Authorization header (which wins over OAuth). */
export function serverLogin(config: RemoteServerConfig): ServerLogin | undefined {
  return headerAuthorization(config) ? undefined : new ServerLogin(config);
}
