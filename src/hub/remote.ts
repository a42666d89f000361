// What the transports to a remote server (http.ts, sse.ts) share: the headers they send, how a
// failed start or a lost server is worded, and how a session ends.

import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { RemoteServerConfig } from '../config/types.js';
import { describeHttpError, displayUrl, isClosedError, mcpErrorText } from './describe.js';
import { type Dialer, type Link, type LinkSession, within } from './transport.js';

/** A remote server: no child process, so no stderr; a failed HTTP exchange means it is gone. */
export abstract class RemoteDialer implements Dialer {
  readonly ended = 'closed the connection';

  constructor(protected readonly config: RemoteServerConfig) {}

  abstract dial<S>(initialize: (link: Link) => Promise<S>): Promise<S>;

  startFailure(error: unknown): string {
    if (error instanceof McpError && !isClosedError(error)) return `initialize failed: ${mcpErrorText(error)}`;
    return `cannot connect to ${displayUrl(this.config.url)}: ${describeHttpError(error)}`;
  }

  endedDuring(what: string): string {
    return `closed the connection during ${what}`;
  }

  unreachable(error: unknown): { cause: string; message: string } {
    // The HTTP exchange itself failed (server gone, session expired): reconnect next time.
    const cause = describeHttpError(error);
    return { cause, message: `cannot reach ${displayUrl(this.config.url)}: ${cause}` };
  }
}

/** The request options of every request to the server: the configured headers. */
export function requestInit(config: RemoteServerConfig): RequestInit {
  return { headers: { ...config.headers } };
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
