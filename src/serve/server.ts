import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ExecOutcome } from '../exec/index.js';
import { messageOf } from '../shared/errors.js';
import { VERSION } from '../shared/version.js';
import { Vfs, VfsError } from '../vfs/index.js';
import { FS_MODULE } from '../workspace/index.js';
import type { Engine } from './engine.js';
import { TOOLS } from './tools.js';

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
  const vfs = new Vfs(engine.roots, { modules: [FS_MODULE] });
  const server = new Server({ name: 'runbyte', version: VERSION }, { capabilities: { tools: {} } });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS.map((tool) => ({ ...tool })) }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const args = (request.params.arguments ?? {}) as Record<string, unknown>;
    switch (request.params.name) {
      case 'list_directory':
        return fsCall(() => vfs.list(stringArg(args, 'path'), { withDescriptions: args.withDescriptions === true }));
      case 'read_file':
        return fsCall(() => vfs.read(stringArg(args, 'path')));
      case 'execute_code':
        return toResult(await engine.execute(stringArg(args, 'code')));
      default:
        throw new McpError(ErrorCode.InvalidParams, `unknown tool "${request.params.name}"; runbyte has list_directory, read_file and execute_code`);
    }
  });
  return server;
}

function stringArg(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new McpError(ErrorCode.InvalidParams, `"${name}" must be a string`);
  return value;
}

async function fsCall(read: () => Promise<string>): Promise<CallToolResult> {
  try {
    return { content: [{ type: 'text', text: await read() }] };
  } catch (error) {
    if (error instanceof VfsError) return { isError: true, content: [{ type: 'text', text: error.message }] };
    throw new McpError(ErrorCode.InternalError, messageOf(error));
  }
}

/** README.md ("The three tools"): the value's JSON first; console output in a second block that starts with `console:`. */
export function toResult(outcome: ExecOutcome): CallToolResult {
  const content: CallToolResult['content'] = [{ type: 'text', text: outcome.ok ? outcome.value : outcome.message }];
  if (outcome.console) content.push({ type: 'text', text: `console:\n${outcome.console}` });
  return outcome.ok ? { content } : { isError: true, content };
}
