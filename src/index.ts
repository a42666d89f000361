/**
 * runbyte as a library: bind a generated SDK to live servers from your own Node program.
 *
 * ```ts
 * import { connect } from 'runbyte';
 * import { setToolCaller } from './generated/runtime.js';
 * import { readTextFile } from './generated/servers/filesystem/index.js';
 *
 * const servers = await connect();          // reads runbyte.json like the CLI does
 * setToolCaller(servers.callTool);
 * console.log(await readTextFile({ path: 'notes.md' }));
 * await servers.close();
 * ```
 */
import { loadConfig } from './config/index.js';
import { Hub, hubOptions, type ToolCallResult } from './hub/index.js';
import { RunbyteError } from './shared/errors.js';

export { loadConfig, type RunbyteConfig, type ServerConfig } from './config/index.js';
export { RunbyteError } from './shared/errors.js';

export interface ConnectOptions {
  /** Path of runbyte.json; default: the CLI's lookup order. */
  config?: string;
  /** Connect only these servers. */
  servers?: string[];
}

export interface Servers {
  /** A `ToolCaller` for the SDK runtime's `setToolCaller`. */
  callTool: (server: string, tool: string, args: object) => Promise<ToolCallResult>;
  close(): Promise<void>;
}

/** Connects to the configured servers. Throws a RunbyteError naming the servers that failed. */
export async function connect(options: ConnectOptions = {}): Promise<Servers> {
  const config = loadConfig({ configPath: options.config });
  const chosen = options.servers ? config.servers.filter((server) => options.servers!.includes(server.name)) : config.servers;
  const hub = new Hub(chosen, hubOptions(config));
  const failures = await hub.start();
  if (failures.length > 0) {
    await hub.close();
    throw new RunbyteError('SERVER_FAILED', failures.map((failure) => failure.message).join('; '));
  }
  return {
    callTool: (server, tool, args) => hub.callTool(server, tool, args as Record<string, unknown>),
    close: () => hub.close(),
  };
}
