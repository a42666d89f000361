import type { RunbyteConfig } from '../config/index.js';
import type { HubOptions } from './types.js';

/**
 * The hub's limits from runbyte.json: `server.connectTimeout` for start-up, and `server.timeout`
 * for each request (a tool call can never usefully outlive the execution that made it), named so in
 * timeout messages. A server's own `mcpServers.<name>.timeout` is in its ServerConfig and replaces
 * `server.timeout` for that server (connection.ts).
 */
export function hubOptions(config: RunbyteConfig): HubOptions {
  return {
    connectTimeoutMs: config.server.connectTimeout * 1000,
    callTimeoutMs: config.server.timeout * 1000,
    callTimeoutName: 'server.timeout',
  };
}
