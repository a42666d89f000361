import type { ServerConfig } from '../config/types.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';
import { debug, log } from '../shared/log.js';
import type { ServerTools, ToolSpec } from '../shared/tool-spec.js';
import { VERSION } from '../shared/version.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { logLine } from './describe.js';
import type { CallOptions, ClientRequestHandler, HubOptions, LogEvent, OfferingRequest, ServerFailure, ToolCallResult, ToolsChangedReason } from './types.js';
import { ResultChecks } from './validate.js';

/** Where each listing keeps its entries. */
const LIST_KEYS = { 'resources/list': 'resources', 'resources/templates/list': 'resourceTemplates', 'prompts/list': 'prompts' } as const;

/** The SDK's default request timeout, kept as runbyte's default for one call or one list page. */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/**
 * The downstream MCP servers: one SDK `Client` per server over stdio, streamable HTTP (falling
 * back to SSE) or SSE. Every failure names its server; a server that dies is restarted on the
 * next request to it; close() ends every child process.
 */
export class Hub {
  private readonly connections = new Map<string, Connection>();
  private readonly listeners = new Set<(server: string, reason: ToolsChangedReason) => void>();
  private readonly logListeners = new Set<(event: LogEvent) => void>();
  private readonly connectionOptions: ConnectionOptions;
  private readonly checks = new ResultChecks();
  /** Each server's latest listing, by tool name. */
  private readonly listings = new Map<string, Map<string, ToolSpec>>();
  private closing?: Promise<void>;
  private clientRequests?: ClientRequestHandler;

  /** Nothing starts until `start()`. Server names must be unique (config/ guarantees it). */
  constructor(servers: ServerConfig[], options: HubOptions) {
    this.connectionOptions = {
      connectTimeoutMs: options.connectTimeoutMs,
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      callTimeoutName: options.callTimeoutName,
      clientInfo: { name: options.clientName ?? 'runbyte', version: options.clientVersion ?? VERSION },
      onToolsChanged: (server, reason) => this.toolsChanged(server, reason),
      onLog: (event) => this.logged(event),
      onClientRequest: (server, request, signal) => {
        if (!this.clientRequests) throw new Error(`no execution is running that could ask runbyte's client (${request.method})`);
        return this.clientRequests(server, request, signal);
      },
    };
    for (const config of servers) this.add(config);
  }

  /**
   * Connects to every server not connected yet, all at once. Never throws for a server failure:
   * it returns the failures (sorted by server) and the other servers stay connected.
   */
  async start(): Promise<ServerFailure[]> {
    return this.connectAll([...this.connections.values()].filter((connection) => !connection.isConnected));
  }

  /** The names of the servers with an open connection, sorted. */
  connected(): string[] {
    return [...this.connections.values()]
      .filter((connection) => connection.isConnected)
      .map((connection) => connection.name)
      .sort();
  }

  /**
   * Every page of `tools/list` of one server as ToolSpecs sorted by name, read leniently: a
   * malformed schema is kept as sent; only entries with no string name (or a repeated name) are
   * left out, each reported through the log. A dead server is restarted first.
   * Rejects with RunbyteError('SERVER_FAILED') naming the server.
   */
  async listTools(server: string): Promise<ToolSpec[]> {
    const tools = await this.connection(server, 'SERVER_FAILED').listTools();
    this.checks.listed(server, tools);
    this.listings.set(server, new Map(tools.map((tool) => [tool.name, tool])));
    return tools;
  }

  /**
   * One tool as the server's latest listing gave it (the server is listed now when it has not
   * been yet); undefined when that listing has no such tool.
   */
  async knownTool(server: string, tool: string): Promise<ToolSpec | undefined> {
    if (!this.listings.has(server)) await this.listTools(server);
    return this.listings.get(server)?.get(tool);
  }

  /**
   * `listTools` for every connected server (or only those named in `only`), sorted by server, with
   * what each offers besides tools (`Connection.listOfferings`: instructions, resources, resource
   * templates, prompts; a failure there is a `--debug` line, never a lost server); a
   * server that fails is in `failures`. A server that connected once and died since is restarted
   * and listed too; one that never connected is left out (start() or update() reported it).
   */
  async listAll(only?: string[]): Promise<{ tools: ServerTools[]; failures: ServerFailure[] }> {
    const names = [...this.connections.values()]
      .filter((connection) => connection.isConnected || connection.hasConnected)
      .filter((connection) => only === undefined || only.includes(connection.name))
      .map((connection) => connection.name)
      .sort();
    // The tools first: a server's offerings are read only once its tools are, and never fail it.
    const settled = await Promise.allSettled(
      names.map(async (name) => {
        const tools = await this.listTools(name);
        return { tools, offerings: await this.connection(name, 'SERVER_FAILED').listOfferings() };
      }),
    );
    const tools: ServerTools[] = [];
    const failures: ServerFailure[] = [];
    settled.forEach((outcome, index) => {
      const server = names[index];
      if (outcome.status === 'fulfilled') tools.push({ server, tools: outcome.value.tools, ...outcome.value.offerings });
      else failures.push({ server, message: messageOf(outcome.reason) });
    });
    return { tools, failures };
  }

  /**
   * Sends one `tools/call` and returns the result as the server sent it: an `isError` result is
   * returned, not thrown. One exception: when the tool's last listing gave it an outputSchema and
   * the result's `structuredContent` does not match it, the result is replaced by an `isError`
   * result saying so (`server "x": tool "y" returned a result that does not match its
   * outputSchema: structuredContent.n must be number (got string)`), which the SDK runtime throws
   * as a ToolError. A result without structuredContent, or whose schema does not compile, is
   * returned as sent (validate.ts).
   *
   * Rejects with RunbyteError('TOOL_FAILED') naming the server and the tool when
   * the server is unknown, cannot be (re)started, exits during the call, answers with a JSON-RPC
   * error, or does not answer within its limit: `timeoutMs`, else the server's own `timeout`,
   * else `HubOptions.callTimeoutMs` (the message names the one that fired, and the server is told
   * the request was cancelled); aborting `signal` rejects at once and tells the server too.
   * `onProgress` hears the call's `notifications/progress`; progress never extends the limit.
   *
   * A stdio server that exited is restarted by the next call. After two failures in a row a
   * restart is tried at most once a second (calls in between fail at once), and from the third
   * the message says the server keeps dying.
   */
  async callTool(server: string, tool: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<ToolCallResult> {
    const result = await this.connection(server, 'TOOL_FAILED', tool).callTool(tool, args, options);
    return this.checks.check(server, tool, result);
  }

  /**
   * One request of agent code for what a server offers besides tools: a listing resolves with its
   * entries of every page (`resources/list` → the `resources`), a read or a prompt with the result
   * as sent. Bounded, cancelled and restarted like `callTool`; rejects with
   * RunbyteError('TOOL_FAILED') naming the server, also when it declares no resources or prompts.
   */
  async offering(server: string, request: OfferingRequest, options: CallOptions = {}): Promise<unknown> {
    const connection = this.connection(server, 'TOOL_FAILED');
    const kind = request.method.startsWith('resources/') ? 'resources' : 'prompts';
    let capabilities: Record<string, unknown>;
    try {
      capabilities = await connection.capabilities();
    } catch (error) {
      throw new RunbyteError('TOOL_FAILED', messageOf(error), { cause: error });
    }
    if (!capabilities[kind]) throw new RunbyteError('TOOL_FAILED', `server "${server}" offers no ${kind}`);
    switch (request.method) {
      case 'resources/read':
        return connection.send(request.method, request.params, `resource ${JSON.stringify(request.params.uri)}`, options);
      case 'prompts/get':
        return connection.send(request.method, request.params, `prompt ${JSON.stringify(request.params.name)}`, options);
      default:
        return connection.sendPaged(request.method, LIST_KEYS[request.method], options);
    }
  }

  /**
   * Calls `listener(server, 'list_changed')` whenever a server sends
   * `notifications/tools/list_changed` (each one: bursts are not coalesced here), and
   * `listener(server, 'restarted')` when a server that had died has been started again (its tools
   * may have changed meanwhile, and it sends no notification for that). Connecting for
   * the first time, in start() or update(), does not call it. Returns a function that unsubscribes.
   */
  onToolsChanged(listener: (server: string, reason: ToolsChangedReason) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Calls `listener` with every `notifications/message` a server sends. Servers that declare the
   * logging capability are set to `debug` at every start, so listeners get every level and decide.
   * While nobody listens, messages go to the debug log (`--debug`) and nowhere else. A listener
   * that throws is logged; the others still hear. Returns a function that unsubscribes.
   */
  onLog(listener: (event: LogEvent) => void): () => void {
    this.logListeners.add(listener);
    return () => {
      this.logListeners.delete(listener);
    };
  }

  /**
   * Answers the requests servers send to runbyte as their client: `elicitation/create`,
   * `sampling/createMessage` and `roots/list` (the hub declares all three). One handler: setting
   * another replaces it. Without one, each is refused with a JSON-RPC error saying no execution
   * could ask a client. Returns a function that removes the handler.
   */
  onClientRequest(handler: ClientRequestHandler): () => void {
    this.clientRequests = handler;
    return () => {
      if (this.clientRequests === handler) this.clientRequests = undefined;
    };
  }

  /**
   * Makes the hub match a new server list: servers that are gone or whose config changed are
   * closed, new and changed ones are connected. Returns the failures of those it connected.
   */
  async update(servers: ServerConfig[]): Promise<ServerFailure[]> {
    this.assertOpen();
    const wanted = new Map(servers.map((config) => [config.name, config]));
    const stale: Connection[] = [];
    for (const [name, connection] of this.connections) {
      const config = wanted.get(name);
      if (!config || stableStringify(config) !== stableStringify(connection.config)) stale.push(connection);
    }
    for (const connection of stale) {
      this.connections.delete(connection.name);
      this.checks.forget(connection.name);
    }
    await Promise.allSettled(stale.map((connection) => connection.close()));
    const added = servers.filter((config) => !this.connections.has(config.name)).map((config) => this.add(config));
    return this.connectAll(added);
  }

  /** Closes every client and ends every child process, even when one close fails. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.listeners.clear();
      this.logListeners.clear();
      this.clientRequests = undefined;
      const all = [...this.connections.values()];
      const outcomes = await Promise.allSettled(all.map((connection) => connection.close()));
      outcomes.forEach((outcome, index) => {
        if (outcome.status === 'rejected') log(`server "${all[index].name}": close failed: ${messageOf(outcome.reason)}`);
      });
    })();
    return this.closing;
  }

  private add(config: ServerConfig): Connection {
    const connection = new Connection(config, this.connectionOptions);
    this.connections.set(config.name, connection);
    return connection;
  }

  private async connectAll(connections: Connection[]): Promise<ServerFailure[]> {
    this.assertOpen();
    const settled = await Promise.allSettled(connections.map((connection) => connection.connect()));
    const failures: ServerFailure[] = [];
    settled.forEach((outcome, index) => {
      if (outcome.status === 'rejected') failures.push({ server: connections[index].name, message: messageOf(outcome.reason) });
    });
    return failures.sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
  }

  private connection(server: string, code: 'SERVER_FAILED' | 'TOOL_FAILED', tool?: string): Connection {
    const connection = this.closing ? undefined : this.connections.get(server);
    if (connection) return connection;
    const what = tool === undefined ? `server "${server}"` : `tool "${tool}" of server "${server}"`;
    if (this.closing) throw new RunbyteError(code, `cannot reach ${what}: the hub is closed`);
    const known = [...this.connections.keys()].sort();
    throw new RunbyteError(code, `cannot reach ${what}: no server by that name is configured`, {
      suggestions: [known.length ? `configured servers: ${known.join(', ')}` : 'add it under "mcpServers"'],
    });
  }

  private assertOpen(): void {
    if (this.closing) throw new RunbyteError('INTERNAL', 'the hub is closed');
  }

  private logged(event: LogEvent): void {
    if (this.logListeners.size === 0) {
      debug(logLine(event));
      return;
    }
    for (const listener of [...this.logListeners]) {
      try {
        listener(event);
      } catch (error) {
        log(`a log listener failed for server "${event.server}": ${messageOf(error)}`);
      }
    }
  }

  private toolsChanged(server: string, reason: ToolsChangedReason): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(server, reason);
      } catch (error) {
        log(`a tools/list_changed listener failed for server "${server}": ${messageOf(error)}`);
      }
    }
  }
}
