import type { ServerConfig } from '../config/types.js';
import { StreamableHttpDialer } from './http.js';
import { SseDialer } from './sse.js';
import { StdioDialer } from './stdio.js';
import type { Dialer } from './transport.js';

/**
 * Each `transport` of runbyte.json (config/ resolves its spellings) and the dialer that reaches it:
 * the one place a new transport is registered. The type makes the list complete.
 */
const DIALERS: { [K in ServerConfig['transport']]: (config: ServerConfig & { transport: K }) => Dialer } = {
  stdio: (config) => new StdioDialer(config),
  http: (config) => new StreamableHttpDialer(config),
  sse: (config) => new SseDialer(config),
};

export function dialerFor(config: ServerConfig): Dialer {
  const dialer = DIALERS[config.transport] as (config: ServerConfig) => Dialer;
  return dialer(config);
}
