// What the transports to a remote server (http.ts, sse.ts) share: the headers they send, the
// OAuth login they use (auth/), how a failed start or a lost server is worded, and how a session
// ends.

import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { type ServerLogin, serverLogin, type TransportAuth } from '../auth/index.js';
import type { RemoteServerConfig } from '../config/types.js';
import { describeHttpError, displayUrl, httpStatus, isClosedError, mcpErrorText } from './describe.js';
import { type Dialer, type Link, type LinkSession, within } from './transport.js';

/** A remote server: no child process, so no stderr; a failed HTTP exchange means it is gone. */
export abstract class RemoteDialer implements Dialer {
  readonly ended = 'closed the connection';

  /** The server's OAuth login; none when the config sends an Authorization header. */
  private readonly login: ServerLogin | undefined;

  constructor(protected readonly config: RemoteServerConfig) {
    this.login = serverLogin(config);
  }

  abstract dial<S>(initialize: (link: Link) => Promise<S>): Promise<S>;

  /** The transport's OAuth options for one attempt: the token file is read again each time. */
  protected auth(): Promise<TransportAuth | undefined> {
    return this.login?.prepare() ?? Promise.resolve(undefined);
  }

  /** `needs a login; run runbyte auth login x` when a login would fix `error`. */
  private loginFailure(error: unknown): string | undefined {
    return this.login?.failure(error, httpStatus(error) === 401);
  }

  needsUser(error: unknown): boolean {
    return this.loginFailure(error) !== undefined;
  }

  startFailure(error: unknown): string {
    const login = this.loginFailure(error);
    if (login) return login;
    if (error instanceof McpError && !isClosedError(error)) return `initialize failed: ${mcpErrorText(error)}`;
    return `cannot connect to ${displayUrl(this.config.url)}: ${describeHttpError(error)}`;
  }

  endedDuring(what: string): string {
    return `closed the connection during ${what}`;
  }

  unreachable(error: unknown): { cause: string; message: string } {
    // The HTTP exchange itself failed (server gone, session expired, login refused): reconnect next time.
    const login = this.loginFailure(error);
    if (login) return { cause: login, message: login };
    const cause = describeHttpError(error);
    return { cause, message: `cannot reach ${displayUrl(this.config.url)}: ${cause}` };
  }
}

/** The options of a transport to the server: the configured headers, and the OAuth login when there is one. */
export function transportOptions(config: RemoteServerConfig, auth: TransportAuth | undefined): { requestInit: RequestInit } & Partial<TransportAuth> {
  return { requestInit: { headers: { ...config.headers } }, ...auth };
}

/** A link with nothing to end but its client, gracefully or not. */
export class RemoteLink<T extends Transport = Transport> implements Link {
  constructor(readonly transport: T) {}

  async end(session: LinkSession, _graceful?: boolean): Promise<void> {
    await within(
      session.client.close().catch(() => {}),
      1000,
    );
  }
}
