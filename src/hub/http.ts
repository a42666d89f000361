// The streamable HTTP transport, falling back to SSE (sse.ts) when the URL does not speak it.

import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RemoteServerConfig } from '../config/types.js';
import { debug } from '../shared/log.js';
import { describeHttpError, displayUrl } from './describe.js';
import type { TransportAuth } from '../auth/index.js';
import { RemoteDialer, RemoteLink, transportOptions } from './remote.js';
import { sseLink } from './sse.js';
import { type Link, type LinkSession, within } from './transport.js';

/** Streamable HTTP first; SSE when the answer says this URL does not speak it. */
export class StreamableHttpDialer extends RemoteDialer {
  async dial<S>(initialize: (link: Link) => Promise<S>): Promise<S> {
    const auth = await this.auth();
    try {
      return await initialize(new HttpLink(this.config, auth));
    } catch (error) {
      if (!suggestsSse(error)) throw error;
      debug(`server "${this.config.name}": streamable HTTP failed (${describeHttpError(error)}); trying SSE`);
      try {
        return await initialize(sseLink(this.config, auth));
      } catch (sseError) {
        throw new FallbackFailed(error, sseError);
      }
    }
  }

  override startFailure(error: unknown): string {
    if (!(error instanceof FallbackFailed)) return super.startFailure(error);
    return `cannot connect to ${displayUrl(this.config.url)}: ${describeHttpError(error.http)}; the SSE fallback failed too: ${describeHttpError(error.sse)}`;
  }
}

/** One streamable HTTP session; a graceful end tells the server the session is over. */
class HttpLink extends RemoteLink<StreamableHTTPClientTransport> {
  constructor(config: RemoteServerConfig, auth: TransportAuth | undefined) {
    super(new StreamableHTTPClientTransport(new URL(config.url), transportOptions(config, auth)));
  }

  override async end(session: LinkSession, graceful: boolean): Promise<void> {
    if (graceful && !session.isClosed && this.transport.sessionId) {
      await within(
        this.transport.terminateSession().catch(() => {}),
        1000,
      );
    }
    await super.end(session);
  }
}

/** The SSE fallback failed as well: both causes are reported. */
class FallbackFailed extends Error {
  constructor(
    readonly http: unknown,
    readonly sse: unknown,
  ) {
    super('streamable HTTP and SSE both failed');
  }
}

/** An HTTP status that means "this URL does not speak streamable HTTP", so SSE is worth a try. */
function suggestsSse(error: unknown): boolean {
  if (!(error instanceof StreamableHTTPError)) return false;
  const status = error.code ?? 0;
  return status >= 400 && status < 500 && ![401, 403, 407, 429].includes(status);
}
