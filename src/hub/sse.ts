// The SSE transport (the protocol's older HTTP transport): an event stream the server answers on,
// and a POST per message. Forced by `"type": "sse"`, and the fallback of http.ts.

import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { TransportAuth } from '../auth/index.js';
import type { RemoteServerConfig } from '../config/types.js';
import { RemoteDialer, RemoteLink, transportOptions } from './remote.js';
import type { Link } from './transport.js';

export class SseDialer extends RemoteDialer {
  async dial<S>(initialize: (link: Link) => Promise<S>): Promise<S> {
    return initialize(sseLink(this.config, await this.auth()));
  }
}

export function sseLink(config: RemoteServerConfig, auth: TransportAuth | undefined): Link {
  // In SDK 1.32 the SSE transport sends `requestInit.headers` on the GET that opens the event
  // stream as well as on every POST (see `_commonHeaders`), so one place is enough.
  return new RemoteLink(new SSEClientTransport(new URL(config.url), transportOptions(config, auth)));
}
