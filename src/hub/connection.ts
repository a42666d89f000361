import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ServerConfig } from '../config/types.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { debug, log } from '../shared/log.js';
import type { ServerTools, ToolSpec } from '../shared/tool-spec.js';
import { isObject } from '../shared/values.js';
import { isClosedError, mcpErrorText, seconds, unsupportedVersion, withTail } from './describe.js';
import { dialerFor } from './dialers.js';
import { type ProgressReport, ProgressRelays } from './progress.js';
import { StderrTail } from './stderr.js';
import { readPrompts, readResources, readResourceTemplates, readTools } from './tools.js';
import { type Dialer, type Link, type LinkSession, StartError, within } from './transport.js';
import type { CallOptions, ClientRequest, LogEvent, ToolCallResult, ToolsChangedReason } from './types.js';
import { describeValue, malformedProblem } from './wire.js';

/** A restart is tried at most this often once a server has failed twice in a row. */
const RETRY_INTERVAL_MS = 1000;
/** From this many failures in a row on, messages say the server keeps dying. */
const KEEPS_DYING = 3;
/**
 * How long a start waits for the answer to `logging/setLevel` before it goes on without it. The
 * answer is awaited so that the level holds before the first call; a server that never answers
 * must not fail its start for it.
 */
const SET_LEVEL_WAIT_MS = 1000;
/** A server that pages forever is cut off here. */
const MAX_PAGES = 1000;
/**
 * Deepest nesting of arrays and objects accepted in a `tools/call` result. Deeper values cannot
 * cross to the agent's code (V8's own JSON.stringify overflows its stack at a few thousand levels),
 * so they fail at once as malformed; real data is nowhere near this deep.
 */
export const MAX_RESULT_DEPTH = 1000;

/**
 * Results are read with a schema that accepts anything, then checked by hand: the SDK's own
 * schemas reject a whole `tools/list` for one malformed tool schema (docs/decisions.md, trap 9), and
 * `Client.callTool` validates `structuredContent` against the tool's outputSchema.
 */
const ANY = z.unknown();

export interface ConnectionOptions {
  connectTimeoutMs: number;
  /** The limit of one request to a server without its own `timeout`. */
  callTimeoutMs: number;
  /** What messages call callTimeoutMs (`server.timeout`); unnamed when undefined. */
  callTimeoutName?: string;
  clientInfo: { name: string; version: string };
  /** A `notifications/tools/list_changed`, or a restart after the server died (its tools may differ). */
  onToolsChanged: (server: string, reason: ToolsChangedReason) => void;
  /** A `notifications/message` from the server. */
  onLog: (event: LogEvent) => void;
  /** A request the server sends to runbyte as its client: elicitation, sampling or roots (Hub.onClientRequest). */
  onClientRequest: (server: string, request: ClientRequest, signal: AbortSignal) => Promise<unknown>;
}

/**
 * What runbyte offers downstream servers as a client: each request is forwarded to the client of
 * the execution that has a call in flight to the server (README.md, "The life of a request").
 * Elicitation in form mode only: a URL elicitation would send the user to a page runbyte cannot
 * vouch for.
 */
const CLIENT_CAPABILITIES = { elicitation: { form: {} }, sampling: {}, roots: { listChanged: false } };

/** The limit of one request, and the setting it comes from, for the message when it fires. */
interface Limit {
  ms: number;
  name?: string;
}

/** One link + client; a restart makes a new one. */
interface Session extends LinkSession {
  link: Link;
  /** Set when the client has closed (stdio: the child has exited). */
  isClosed: boolean;
  /** Why the transport closed the connection itself, when it says so. */
  resetReason?: string;
  /** The tools the server runs only as tasks, from this session's latest listing; unset before one. */
  taskTools?: Set<string>;
  shutdown?: Promise<void>;
}

/** Why a start failed: the cause line, and the end of the server's stderr (a child's; else empty). */
interface Fault {
  cause: string;
  tail: string[];
  /** Only the user can fix it (a login; Dialer.needsUser): said as is, and retried at the next request. */
  needsUser?: boolean;
}

class ConnectTimeout extends Error {}

/** What a server offers besides tools (`Connection.listOfferings`). */
export type Offerings = Pick<ServerTools, 'instructions' | 'resources' | 'resourceTemplates' | 'prompts'>;

/**
 * One downstream server: its current session, lazy restarts with backoff, and the mapping of
 * every failure to one line that names the server. How the server is reached is its Dialer's
 * (transport.ts); nothing here depends on the transport.
 */
export class Connection {
  readonly name: string;
  private readonly dialer: Dialer;
  private current?: Session;
  private pending?: Promise<Session>;
  /** Sessions being opened, so close() can end them mid-connect. */
  private readonly opening = new Set<Session>();
  private readonly tail: StderrTail;
  private readonly progress = new ProgressRelays();
  /** Failures (deaths and failed starts) since the last request that worked. */
  private failures = 0;
  private lastAttemptAt = 0;
  private lastFault?: Fault;
  private closing = false;
  private everConnected = false;

  constructor(
    readonly config: ServerConfig,
    private readonly options: ConnectionOptions,
  ) {
    this.name = config.name;
    this.dialer = dialerFor(config);
    this.tail = new StderrTail(config.name);
  }

  /** True while a session is open. */
  get isConnected(): boolean {
    return this.current !== undefined && !this.current.isClosed;
  }

  /** True once any session has opened (the server may have died since). */
  get hasConnected(): boolean {
    return this.everConnected;
  }

  /** Connects now (or joins the attempt under way). Rejects with SERVER_FAILED and the full message. */
  async connect(): Promise<void> {
    await this.session();
  }

  /** Every page of `tools/list`, read leniently; entries left out are logged. */
  async listTools(): Promise<ToolSpec[]> {
    const session = await this.ready();
    const entries = await this.readPages(session, 'tools/list', 'tools');
    this.failures = 0;
    const { tools, notes } = readTools(entries);
    for (const note of notes) log(`server "${this.name}": ${note}`);
    session.taskTools = new Set(tools.filter((tool) => tool.taskSupport === 'required').map((tool) => tool.name));
    return tools;
  }

  /**
   * What the server offers besides tools: the `instructions` of its initialize result, and every
   * page of `resources/templates/list`, `resources/list` and `prompts/list`, each asked only when
   * the server declares the capability. Lenient: these only feed the SDK's README, so a part that
   * fails is a `--debug` line and is left out, and this never throws.
   */
  async listOfferings(): Promise<Offerings> {
    const offerings: Offerings = {};
    let session: Session;
    try {
      session = await this.ready();
    } catch (error) {
      debug(`server "${this.name}": offerings not read: ${messageOf(error)}`);
      return offerings;
    }
    const instructions = session.client.getInstructions();
    if (typeof instructions === 'string' && instructions !== '') offerings.instructions = instructions;
    const capabilities = session.client.getServerCapabilities() ?? {};
    const part = async (method: string, key: string): Promise<unknown[] | undefined> => {
      try {
        return await this.readPages(session, method, key);
      } catch (error) {
        debug(`server "${this.name}": ${method} left out of the README: ${messageOf(error)}`);
        return undefined;
      }
    };
    const notes: string[] = [];
    if (capabilities.resources) {
      const templates = await part('resources/templates/list', 'resourceTemplates');
      if (templates) {
        const read = readResourceTemplates(templates);
        offerings.resourceTemplates = read.resourceTemplates;
        notes.push(...read.notes);
      }
      const resources = await part('resources/list', 'resources');
      if (resources) {
        const read = readResources(resources);
        offerings.resources = read.resources;
        notes.push(...read.notes);
      }
    }
    if (capabilities.prompts) {
      const prompts = await part('prompts/list', 'prompts');
      if (prompts) {
        const read = readPrompts(prompts);
        offerings.prompts = read.prompts;
        notes.push(...read.notes);
      }
    }
    for (const note of notes) debug(`server "${this.name}": ${note}`);
    return offerings;
  }

  /** Every page of a paginated list request: the entries under `key` of each page, in order. */
  private async readPages(session: Session, method: string, key: string): Promise<unknown[]> {
    const limit = this.limit();
    return this.pages(method, key, async (params) => {
      try {
        return await session.client.request({ method, params }, ANY, { timeout: limit.ms });
      } catch (error) {
        throw new RunbyteError('SERVER_FAILED', await this.requestFailure(session, method, error, false, limit), {
          cause: error,
        });
      }
    });
  }

  /** Follows `nextCursor` from page to page, asking each with `page`; a cursor seen twice ends it. */
  private async pages(method: string, key: string, page: (params: { cursor?: string }) => Promise<unknown>): Promise<unknown[]> {
    const entries: unknown[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (let number = 1; ; number++) {
      const result = await page(cursor === undefined ? {} : { cursor });
      const items = isObject(result) ? result[key] : undefined;
      if (!isObject(result) || !Array.isArray(items)) {
        throw new RunbyteError('SERVER_FAILED', `server "${this.name}": ${method} page ${number} has no "${key}" array`);
      }
      entries.push(...items);
      const next = result.nextCursor;
      // An empty cursor is read as "no more pages", as several servers send it that way.
      if (typeof next !== 'string' || next === '') break;
      if (cursors.has(next) || number >= MAX_PAGES) {
        log(`server "${this.name}": ${method} keeps paging (cursor ${JSON.stringify(next.slice(0, 40))}); stopped after page ${number}`);
        break;
      }
      cursors.add(next);
      cursor = next;
    }
    return entries;
  }

  /** Every page of a list request made on behalf of agent code, each sent as `send` sends: the entries under `key`. */
  async sendPaged(method: string, key: string, options: CallOptions = {}): Promise<unknown[]> {
    return this.pages(method, key, (params) => this.send(method, params, method, options));
  }

  /** The capabilities the server declared, once it is connected (a dead server is restarted first). */
  async capabilities(): Promise<Record<string, unknown>> {
    const session = await this.ready();
    return (session.client.getServerCapabilities() ?? {}) as Record<string, unknown>;
  }

  /** One `tools/call`; see Hub.callTool. */
  async callTool(tool: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<ToolCallResult> {
    const { onProgress } = options;
    // A progressToken only when someone listens: a server may do extra work to report.
    const relay = onProgress && this.progress.open((progress) => this.relayProgress(tool, progress, onProgress));
    const params = { name: tool, arguments: args, ...(relay ? { _meta: { progressToken: relay.token } } : {}) };
    try {
      const result = await this.send('tools/call', params, `tool "${tool}"`, { ...options, tool });
      const problem = malformedResult(result);
      if (problem) throw new RunbyteError('TOOL_FAILED', `server "${this.name}": tool "${tool}" returned a malformed result: ${problem}`);
      return result as ToolCallResult;
    } finally {
      relay?.release();
    }
  }

  /**
   * One request made on behalf of agent code (`tools/call`, `resources/read`, `prompts/get`, ...):
   * restarts a dead server first, is bounded like a call (see Hub.callTool) and fails with
   * RunbyteError('TOOL_FAILED') naming the server and `what`.
   */
  async send(method: string, params: Record<string, unknown>, what: string, options: CallOptions & { tool?: string } = {}): Promise<unknown> {
    const { signal } = options;
    const limit = this.limit(options);
    const cancelled = () => new RunbyteError('TOOL_FAILED', `server "${this.name}": ${what} was cancelled`, { cause: signal?.reason });
    if (signal?.aborted) throw cancelled();
    let session: Session;
    try {
      session = await raceAbort(this.ready(), signal);
    } catch (error) {
      if (signal?.aborted) throw cancelled();
      const reason = error instanceof RunbyteError ? error.message.replace(`server "${this.name}": `, '') : String(error);
      throw new RunbyteError('TOOL_FAILED', `server "${this.name}": ${what} is unavailable: ${reason}`, { cause: error });
    }
    const task = options.tool !== undefined && (await this.runsAsTask(session, options.tool));
    const link = linkAbort(signal);
    let result: unknown;
    try {
      result = task
        ? await runTask(session.client, { method, params }, link.signal, limit.ms)
        : await session.client.request({ method, params }, ANY, {
            signal: link.signal,
            timeout: limit.ms,
            // The limit is what the user configured for one call: a server that keeps reporting
            // progress must not hold the call (and the execution waiting on it) past it.
            resetTimeoutOnProgress: false,
          });
    } catch (error) {
      if (signal?.aborted) throw cancelled();
      throw new RunbyteError('TOOL_FAILED', await this.requestFailure(session, what, error, true, limit), { cause: error });
    } finally {
      link.release();
    }
    this.failures = 0;
    return result;
  }

  /**
   * Whether `tool` must be called as a task: the server runs tools as tasks and the session's
   * latest listing said `taskSupport: "required"`. A session that has not listed its tools yet
   * lists them first, but only on a server that declares task support at all; a failed listing
   * leaves the call as a plain one.
   */
  private async runsAsTask(session: Session, tool: string): Promise<boolean> {
    const tasks = session.client.getServerCapabilities()?.tasks as { requests?: { tools?: { call?: unknown } } } | undefined;
    if (!tasks?.requests?.tools?.call) return false;
    if (!session.taskTools) await this.listTools().catch(() => undefined);
    return session.taskTools?.has(tool) ?? false;
  }

  /** Ends the session (and any being opened): the child is killed if it does not exit in time. */
  async close(): Promise<void> {
    this.closing = true;
    // Only a server that finished initialize gets the graceful path; one still starting is signalled.
    const sessions = [...this.opening, ...(this.current ? [this.current] : [])];
    await Promise.allSettled(sessions.map((session) => this.shutdown(session, session === this.current)));
  }

  /**
   * The limit of one request: the call's own, else this server's `timeout` from runbyte.json,
   * else the hub's default (`server.timeout` from runbyte.json).
   */
  private limit(options: CallOptions = {}): Limit {
    if (options.timeoutMs !== undefined) return { ms: options.timeoutMs };
    if (this.config.timeout !== undefined) return { ms: this.config.timeout * 1000, name: `mcpServers.${this.name}.timeout` };
    return { ms: this.options.callTimeoutMs, name: this.options.callTimeoutName };
  }

  private relayProgress(tool: string, progress: ProgressReport, onProgress: (progress: ProgressReport) => void): void {
    try {
      onProgress(progress);
    } catch (error) {
      log(`server "${this.name}": a progress listener of tool "${tool}" failed: ${messageOf(error)}`);
    }
  }

  // -- sessions ---------------------------------------------------------------------------------

  /** The open session, restarting a dead server unless it failed again less than a second ago. */
  private async ready(): Promise<Session> {
    if (this.closing) throw new RunbyteError('SERVER_FAILED', `server "${this.name}": the connection is closed`);
    if (this.current && !this.current.isClosed) return this.current;
    if (!this.pending && this.failures >= 2 && !this.lastFault?.needsUser && Date.now() - this.lastAttemptAt < RETRY_INTERVAL_MS) {
      throw new RunbyteError('SERVER_FAILED', this.downMessage());
    }
    return this.session();
  }

  private session(): Promise<Session> {
    if (this.current && !this.current.isClosed) return Promise.resolve(this.current);
    this.pending ??= this.open().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async open(): Promise<Session> {
    if (this.closing) throw new RunbyteError('SERVER_FAILED', `server "${this.name}": the connection is closed`);
    this.lastAttemptAt = Date.now();
    const attempts: Session[] = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectTimeout()), this.options.connectTimeoutMs);
    });
    const opening = this.dialer.dial((link) => this.initialize(link, attempts));
    opening.catch(() => {}); // an SSE start can stay pending forever once the deadline has passed
    try {
      const session = await Promise.race([opening, deadline]);
      for (const attempt of attempts) if (attempt !== session) void this.shutdown(attempt, false);
      await this.setLogLevel(session);
      if (this.closing) {
        await this.shutdown(session, false);
        throw new RunbyteError('SERVER_FAILED', `server "${this.name}": the connection is closed`);
      }
      const restarted = this.everConnected;
      this.current = session;
      this.everConnected = true;
      // A server that comes back may list other tools than before it died, and it cannot have
      // told us (README.md, "Live tools"): listeners hear of it as they do of a list_changed.
      if (restarted) this.options.onToolsChanged(this.name, 'restarted');
      return session;
    } catch (error) {
      if (error instanceof RunbyteError) throw error;
      await Promise.allSettled(attempts.map((attempt) => this.shutdown(attempt, false)));
      if (this.closing) throw new RunbyteError('SERVER_FAILED', `server "${this.name}": closed while starting`, { cause: error });
      await this.tail.settled();
      const fault: Fault = { cause: this.startCause(error, attempts), tail: this.tail.last(), needsUser: this.dialer.needsUser?.(error) };
      this.failures++;
      this.lastFault = fault;
      const message = this.failures >= KEEPS_DYING ? this.downMessage() : withTail(`server "${this.name}": ${fault.cause}`, fault.tail);
      throw new RunbyteError('SERVER_FAILED', message, { cause: error });
    } finally {
      clearTimeout(timer);
      for (const attempt of attempts) this.opening.delete(attempt);
    }
  }

  /** Makes a client and a session on `link` and runs initialize over it. */
  private async initialize(link: Link, attempts: Session[]): Promise<Session> {
    // A remote server has no stderr: the tail then stays empty, and the messages that quote it
    // need no case of their own.
    this.tail.attach(link.stderr ?? null);
    const session = this.newSession(link, attempts);
    try {
      await session.client.connect(link.transport, { timeout: this.initializeTimeoutMs() });
      this.progress.intercept(link.transport);
    } catch (error) {
      // Said as such: otherwise the SDK closing the session on it reads as "exited".
      const version = unsupportedVersion(error);
      if (version !== undefined) throw new StartError(version, { cause: error });
      throw error;
    }
    return session;
  }

  /**
   * Asks a server that declares logging to send everything (`debug`): whoever listens to the hub
   * decides what to keep (Hub.onLog). A server that refuses or does not answer still serves.
   */
  private async setLogLevel(session: Session): Promise<void> {
    if (!session.client.getServerCapabilities()?.logging) return;
    const setting = session.client.setLoggingLevel('debug', { timeout: this.initializeTimeoutMs() }).catch((error: unknown) => {
      debug(`server "${this.name}": logging/setLevel failed: ${mcpErrorText(error)}`);
    });
    if (!(await within(setting, SET_LEVEL_WAIT_MS))) debug(`server "${this.name}": logging/setLevel not answered yet; going on`);
  }

  /** The SDK's own initialize timeout is only a backstop: the deadline in open() comes first. */
  private initializeTimeoutMs(): number {
    return this.options.connectTimeoutMs + 1000;
  }

  private newSession(link: Link, attempts: Session[]): Session {
    const client = new Client(this.options.clientInfo, { capabilities: CLIENT_CAPABILITIES });
    // Set on every new client, so a restarted server is answered like the first one.
    client.setRequestHandler(ElicitRequestSchema, async ({ params }, extra) => this.clientRequest('elicitation/create', params, extra.signal) as never);
    client.setRequestHandler(
      CreateMessageRequestSchema,
      async ({ params }, extra) => this.clientRequest('sampling/createMessage', params, extra.signal) as never,
    );
    client.setRequestHandler(ListRootsRequestSchema, async ({ params }, extra) => this.clientRequest('roots/list', params, extra.signal) as never);
    let markClosed!: () => void;
    const session: Session = {
      link,
      client,
      isClosed: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (!this.closing) this.options.onToolsChanged(this.name, 'list_changed');
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, ({ params }) => {
      this.options.onLog({
        server: this.name,
        level: params.level,
        ...(params.logger === undefined ? {} : { logger: params.logger }),
        data: params.data,
      });
    });
    client.onerror = (error) => {
      debug(`server "${this.name}": ${error.message}`);
      const reason = link.droppedBecause?.(error);
      if (reason) session.resetReason = reason;
    };
    client.onclose = () => {
      session.isClosed = true;
      link.onClosed?.();
      markClosed();
      this.sessionClosed(session);
    };
    attempts.push(session);
    this.opening.add(session);
    return session;
  }

  private async clientRequest(method: ClientRequest['method'], params: unknown, signal: AbortSignal): Promise<unknown> {
    try {
      return await this.options.onClientRequest(this.name, { method, params }, signal);
    } catch (error) {
      debug(`server "${this.name}": ${method} refused: ${messageOf(error)}`);
      // A plain Error: the SDK sends its message as the JSON-RPC error's, unprefixed.
      throw new Error(messageOf(error));
    }
  }

  /** A session ended: if it was the live one and nobody asked, the next request restarts it. */
  private sessionClosed(session: Session): void {
    if (session !== this.current) return;
    this.current = undefined;
    if (this.closing || session.shutdown) return;
    this.failures++;
    this.lastAttemptAt = Date.now();
    this.lastFault = { cause: 'exited', tail: [] };
    log(`server "${this.name}" ${this.dialer.ended}; it will be restarted on the next call`);
    void this.tail.settled().then(() => {
      if (this.lastFault?.cause === 'exited') this.lastFault = { cause: 'exited', tail: this.tail.last() };
    });
  }

  /**
   * Ends a session, once however often it is asked. `graceful`: let the server finish (Link.end
   * says what that means for its transport); otherwise end it at once.
   */
  private shutdown(session: Session, graceful: boolean): Promise<void> {
    session.shutdown ??= (async () => {
      if (this.current === session) this.current = undefined;
      await session.link.end(session, graceful);
    })();
    return session.shutdown;
  }

  // -- messages ---------------------------------------------------------------------------------

  private startCause(error: unknown, attempts: Session[]): string {
    if (error instanceof ConnectTimeout || (error instanceof McpError && error.code === ErrorCode.RequestTimeout)) {
      return `did not answer initialize within ${seconds(this.options.connectTimeoutMs)}`;
    }
    if (error instanceof StartError) return error.message;
    return this.dialer.startFailure(
      error,
      attempts.map((attempt) => attempt.link),
    );
  }

  private downMessage(): string {
    const fault = this.lastFault ?? { cause: 'unknown failure', tail: [] };
    if (fault.needsUser) return `server "${this.name}": ${fault.cause}`;
    const head =
      this.failures >= KEEPS_DYING
        ? `server "${this.name}": it keeps dying (${this.failures} failures in a row; restarts are tried at most once a second); last: ${fault.cause}`
        : `server "${this.name}": it is down (next restart in under a second); last: ${fault.cause}`;
    return withTail(head, fault.tail);
  }

  /** The message for a request that failed on an open session. */
  private async requestFailure(session: Session, what: string, error: unknown, isCall: boolean, limit: Limit): Promise<string> {
    const prefix = `server "${this.name}"`;
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout && !session.isClosed) {
      // Named, so the user knows which setting to raise; the SDK has sent notifications/cancelled.
      return `${prefix}: ${what} timed out after ${seconds(limit.ms)}${limit.name ? ` (${limit.name})` : ''}`;
    }
    const malformed = malformedProblem(error);
    if (malformed !== undefined) return `${prefix}: ${what} returned a malformed result: ${malformed}`;
    if (session.resetReason) return `${prefix}: ${what} failed: the server ${session.resetReason}`;
    if (session.isClosed || isClosedError(error)) {
      await this.tail.settled();
      return withTail(`${prefix} ${this.dialer.endedDuring(what, isCall ? 'call' : 'request')}`, this.tail.last());
    }
    if (error instanceof McpError) return `${prefix}: ${what} failed: ${mcpErrorText(error)}`;
    const unreachable = this.dialer.unreachable(error);
    if (unreachable) {
      void this.shutdown(session, false);
      this.failures++;
      this.lastAttemptAt = Date.now();
      this.lastFault = { cause: unreachable.cause, tail: [] };
      return `${prefix}: ${what} failed: ${unreachable.message}`;
    }
    return `${prefix}: ${what} failed: ${mcpErrorText(error)}`;
  }
}

/** What is wrong with a `tools/call` result, or undefined when it is usable. */
function malformedResult(result: unknown): string | undefined {
  if (!isObject(result)) return `the result is ${describeValue(result)}, not an object`;
  if (result.content !== undefined) {
    if (!Array.isArray(result.content)) return '"content" is not an array';
    const bad = result.content.findIndex((block) => !isObject(block) || typeof block.type !== 'string');
    if (bad !== -1) return `content block #${bad + 1} has no "type"`;
  }
  const deep = deeperThan(result, MAX_RESULT_DEPTH);
  return deep === undefined ? undefined : `${deep} is nested deeper than ${MAX_RESULT_DEPTH.toLocaleString('en-US')} levels`;
}

/**
 * The top-level field under which `value` nests arrays and objects more than `max` levels deep, or
 * undefined. Walks without recursion: the value may be deeper than the host's stack.
 */
function deeperThan(value: Record<string, unknown>, max: number): string | undefined {
  const stack: { value: unknown; depth: number; field: string }[] = Object.entries(value).map(([field, inner]) => ({
    value: inner,
    depth: 2,
    field,
  }));
  while (stack.length > 0) {
    const { value: current, depth, field } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > max) return `"${field}"`;
    for (const inner of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof inner === 'object' && inner !== null) stack.push({ value: inner, depth: depth + 1, field });
    }
  }
  return undefined;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const link = linkAbort(signal);
  return new Promise<T>((resolve, reject) => {
    link.signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject).finally(() => link.release());
  });
}

/**
 * One listener per caller signal, however many calls share it (exec passes one signal to every
 * call of an execution; the SDK adds a listener per request and never removes it, which would
 * trip Node's MaxListeners warning). Each call gets its own signal, released when it settles.
 */
const linked = new WeakMap<AbortSignal, Set<() => void>>();

function linkAbort(outer: AbortSignal | undefined): { signal?: AbortSignal; release: () => void } {
  if (!outer) return { release: () => {} };
  const inner = new AbortController();
  if (outer.aborted) {
    inner.abort(outer.reason);
    return { signal: inner.signal, release: () => {} };
  }
  let fires = linked.get(outer);
  if (!fires) {
    const set = new Set<() => void>();
    linked.set(outer, set);
    outer.addEventListener(
      'abort',
      () => {
        for (const fire of [...set]) fire();
        set.clear();
      },
      { once: true },
    );
    fires = set;
  }
  const fire = () => inner.abort(outer.reason);
  fires.add(fire);
  const set = fires;
  return { signal: inner.signal, release: () => set.delete(fire) };
}

/**
 * A request run as an MCP task (the SDK's task stream: create, poll `tasks/get`, then
 * `tasks/result`), within `ms` in all. A task that fails resolves with its own result (a tool's
 * `isError` result, with the server's message); a cancel or the limit cancels the task on the
 * server too (`tasks/cancel`), and the limit rejects as a request timeout does.
 */
async function runTask(
  client: Client,
  request: { method: string; params: Record<string, unknown> },
  signal: AbortSignal | undefined,
  ms: number,
): Promise<unknown> {
  const limit = AbortSignal.timeout(ms);
  const stop = signal ? AbortSignal.any([signal, limit]) : limit;
  const tasks = client.experimental.tasks;
  let taskId: string | undefined;
  let status: string | undefined;
  let settled = false;
  const stopped = (): Error =>
    limit.aborted && !signal?.aborted ? new McpError(ErrorCode.RequestTimeout, 'Request timed out') : (signal?.reason ?? new Error('cancelled'));
  try {
    const stream = tasks.requestStream(request as Parameters<typeof tasks.requestStream>[0], ANY, { signal: stop, timeout: ms, task: { ttl: ms } });
    for await (const message of stream) {
      if (message.type === 'taskCreated' || message.type === 'taskStatus') {
        taskId = message.task.taskId;
        status = message.task.status;
      } else if (message.type === 'result') {
        settled = true;
        return message.result;
      } else {
        if (stop.aborted) throw stopped();
        if (status === 'failed' && taskId !== undefined) {
          settled = true;
          return await tasks.getTaskResult(taskId, ANY, { signal: stop, timeout: ms });
        }
        settled = status === 'cancelled';
        throw message.error;
      }
    }
    throw new Error('the task ended without a result');
  } catch (error) {
    if (stop.aborted) throw stopped();
    throw error;
  } finally {
    if (!settled && taskId !== undefined && stop.aborted) {
      void tasks.cancelTask(taskId, { timeout: 1000 }).catch((error: unknown) => debug(`task ${taskId} not cancelled: ${messageOf(error)}`));
    }
  }
}
