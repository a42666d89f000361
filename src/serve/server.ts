import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describeTools, type ExecOutcome, type RunEvent } from '../exec/index.js';
import { DETAILS, type Detail, MAX_LIMIT, SearchError } from '../search/index.js';
import { messageOf } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { Vfs, VfsError } from '../vfs/index.js';
import { AGENT_MODULES, type Engine, type RunClient } from './engine.js';
import { INSTRUCTIONS, TOOLS } from './tools.js';

/**
 * The largest JSON-RPC message `serve` reads, on stdio and over HTTP: 4 MiB, the SDK's own limit for
 * an HTTP request body. Agent code and tool arguments are far smaller; a bigger message gets an
 * error reply (stdio) or 413 (HTTP) and the session goes on.
 */
export const MAX_MESSAGE_BYTES = 4 * 2 ** 20;

/**
 * One MCP server session over the shared engine. HTTP makes one per session (the SDK binds a
 * Server to one transport); they all share the engine's downstream connections and executor.
 */
export function createSession(engine: Engine): Server {
  // The module agents import by name, shown where the type-checker reads it (src/vfs/roots.ts, modulePath).
  const vfs = new Vfs(engine.roots, { modules: AGENT_MODULES, mark: engine.pins && ((path) => engine.pins?.mark(path)) });
  // `logging`: downstream servers' log messages of a run are forwarded as notifications/message; the
  // SDK answers logging/setLevel and filters by the level the client set.
  const server = new Server({ name: 'runbyte', version: VERSION }, { capabilities: { tools: {}, logging: {} }, instructions: INSTRUCTIONS });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS.map((tool) => ({ ...tool })) }));
  // One per session: the engine tells sessions apart by it.
  const client = sessionClient(server);
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    try {
      switch (request.params.name) {
        case 'list_directory':
          return await fsCall(() => vfs.list(stringArg(args, 'path'), { withDescriptions: args.withDescriptions === true }));
        case 'read_file':
          return await fsCall(() => vfs.read(stringArg(args, 'path')));
        case 'search_tools':
          return await fsCall(() => engine.catalog.search(searchArgs(args)));
        case 'execute_code': {
          const code = stringArg(args, 'code');
          const progress = progressReporter(server, request.params._meta?.progressToken);
          const outcome = await engine.execute(code, {
            signal: extra.signal,
            onEvent: progress?.report,
            onLog: (log) => void server.sendLoggingMessage({ level: log.level, logger: log.server, data: log.data }).catch(() => undefined),
            client,
            session: extra.sessionId ?? 'stdio',
          });
          // The client stops hearing a request's progress once it has the answer: send them first.
          await progress?.sent();
          return toResult(outcome);
        }
        default:
          throw new McpError(
            ErrorCode.InvalidParams,
            `unknown tool "${request.params.name}"; runbyte has list_directory, read_file, search_tools and execute_code`,
          );
      }
    } catch (error) {
      // A bad argument is the model's to correct: a tool result it reads, not a protocol error.
      if (error instanceof ArgumentError) return { isError: true, content: [{ type: 'text', text: error.message }] };
      throw error;
    }
  });
  return server;
}

/**
 * This session's client, for the requests downstream servers send during its runs (engine.ts,
 * `forward`): only this session's Server ever carries them.
 */
function sessionClient(server: Server): RunClient {
  return {
    supports: (capability) => server.getClientCapabilities()?.[capability] !== undefined,
    elicit: (params, options) => server.elicitInput(params as Parameters<Server['elicitInput']>[0], options),
    sample: (params, options) => server.createMessage(params as Parameters<Server['createMessage']>[0], options),
    listRoots: (options) => server.listRoots(undefined, options),
  };
}

/** An argument the model got wrong, said in one plain sentence. */
class ArgumentError extends Error {}

function stringArg(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') {
    throw new ArgumentError(value === undefined ? `"${name}" is missing: pass it as a string` : `"${name}" must be a string, not ${describeType(value)}`);
  }
  return value;
}

/** search_tools' arguments, each checked as the model may have got it wrong. */
function searchArgs(args: Record<string, unknown>): { query: string; detail?: Detail; server?: string; limit?: number } {
  const { detail, server, limit } = args;
  if (detail !== undefined && !DETAILS.includes(detail as Detail)) {
    const names = DETAILS.map((d) => JSON.stringify(d));
    throw new ArgumentError(`"detail" must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, not ${JSON.stringify(detail)}`);
  }
  if (server !== undefined && typeof server !== 'string') throw new ArgumentError(`"server" must be a string, not ${describeType(server)}`);
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)) {
    throw new ArgumentError(`"limit" must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return { query: stringArg(args, 'query'), detail: detail as Detail | undefined, server, limit };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * When the client asked for progress (a progressToken on execute_code): one notification as each
 * tool call starts and ends, for each progress a downstream server reports on a call, and for each
 * `progress('...')` of the script. `progress` only ever grows, as MCP requires. Sent without a
 * related request, so over HTTP they travel on the session's own stream (execute_code's answer is
 * plain JSON).
 */
function progressReporter(server: Server, token: string | number | undefined): { report: (event: RunEvent) => void; sent: () => Promise<void> } | undefined {
  if (token === undefined) return undefined;
  let count = 0;
  let last: Promise<void> = Promise.resolve();
  let lastSentAt = 0;
  return {
    report: (event) => {
      count += 1;
      const params = { progressToken: token, progress: count, message: describeEvent(event) };
      last = last
        .then(() => server.notification({ method: 'notifications/progress', params }))
        .then(() => {
          lastSentAt = performance.now();
        })
        .catch(() => undefined);
    },
    // The SDK client handles a notification a microtask after it reads it, and forgets a request's
    // progress handler as soon as it reads the answer: a last notification read together with the
    // answer is lost. So the answer leaves at least SETTLE_MS after the last notification.
    sent: async () => {
      await last;
      const wait = lastSentAt + PROGRESS_SETTLE_MS - performance.now();
      if (lastSentAt > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}

/** How long the answer waits after the last progress notification (see progressReporter). */
const PROGRESS_SETTLE_MS = 10;

/** `memory.read_graph…`, `memory.read_graph done`, `github.search: 3/10 pages`, or the script's own words. */
function describeEvent(event: RunEvent): string {
  switch (event.type) {
    case 'call-start':
      return `${event.server}.${event.tool}…`;
    case 'call-end':
      return `${event.server}.${event.tool} ${event.ok ? 'done' : 'failed'}`;
    case 'call-progress': {
      const amount = event.total === undefined ? `${event.progress}` : `${event.progress}/${event.total}`;
      return `${event.server}.${event.tool}: ${event.message ? `${event.message} (${amount})` : amount}`;
    }
    case 'milestone':
      return event.message;
  }
}

async function fsCall(read: () => Promise<string>): Promise<CallToolResult> {
  try {
    return { content: [{ type: 'text', text: await read() }] };
  } catch (error) {
    if (error instanceof VfsError || error instanceof ArgumentError || error instanceof SearchError)
      return { isError: true, content: [{ type: 'text', text: error.message }] };
    throw new McpError(ErrorCode.InternalError, messageOf(error));
  }
}

/**
 * README.md ("The four tools"): the value's JSON first; then the images and audio taken out of it,
 * in order, as content blocks of their own, so the model sees them rather than base64; console
 * output in a block that starts with `console:`; last, the tools the script could call (`tools:`).
 */
export function toResult(outcome: ExecOutcome): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text: outcome.ok ? outcome.value : outcome.message }];
  for (const block of (outcome.ok && outcome.media) || []) content.push({ type: block.type, data: block.data, mimeType: block.mimeType });
  if (outcome.console) content.push({ type: 'text', text: `console:\n${outcome.console}` });
  // The tools the script could call (its imports), so the agent sees what the run was allowed.
  if (outcome.tools && outcome.tools.length > 0) content.push({ type: 'text', text: `tools: ${describeTools(outcome.tools)}` });
  return outcome.ok ? { content } : { isError: true, content };
}
