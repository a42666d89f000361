// Runtime of the runbyte SDK: copied verbatim into the generated folder. DO NOT EDIT the copy.
//
// Every generated tool function calls `callTool`. Inside runbyte's sandbox the host binds it to
// the live servers; in your own Node program, bind it with `setToolCaller` (see runbyte's README).

/** One content block of an MCP tool result (text, image, audio, resource, ...). */
export interface ToolContent {
  type: string;
  text?: string;
  [key: string]: unknown;
}

/** An MCP `tools/call` result as the server sent it. */
export interface ToolCallResult {
  content?: ToolContent[];
  structuredContent?: unknown;
  isError?: boolean;
  [key: string]: unknown;
}

/** Sends one `tools/call` to a server and returns its raw result. */
export type ToolCaller = (server: string, tool: string, args: object) => Promise<ToolCallResult>;

/**
 * The value of a tool whose server declares no outputSchema: the text parsed as JSON when it
 * parses, else the text. The server does not declare its shape, so it is typed loosely.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Untyped = any;

/** Thrown when a server answers a call with `isError: true`. */
export class ToolError extends Error {
  readonly server: string;
  readonly tool: string;
  readonly result: ToolCallResult;

  constructor(server: string, tool: string, result: ToolCallResult) {
    super(`${server}.${tool} failed: ${textOf(result.content) || 'the server gave no message'}`);
    this.name = 'ToolError';
    this.server = server;
    this.tool = tool;
    this.result = result;
  }
}

let bound: ToolCaller | undefined;

/** Binds the function that reaches the servers; `undefined` unbinds it. */
export function setToolCaller(caller: ToolCaller | undefined): void {
  bound = caller;
}

/** Calls `tool` on `server` and returns its value (see `toolValue`). */
export async function callTool(server: string, tool: string, args: object = {}): Promise<Untyped> {
  // Taken before the first await, while the caller's frames are still on the stack: a call that
  // fails then points at the line that made it, not only at this file.
  const site = new Error();
  const caller = bound ?? (globalThis as { __runbyteCallTool?: ToolCaller }).__runbyteCallTool;
  if (!caller) {
    throw new Error('runbyte: no tool caller is bound; call setToolCaller() from runtime.ts first');
  }
  try {
    return toolValue(server, tool, await caller(server, tool, args));
  } catch (error) {
    throw withCallSite(error, site);
  }
}

/** `error` with the frames of `site` above `callTool` (the code that made the call) appended to its stack. */
function withCallSite(error: unknown, site: Error): unknown {
  const frames = (site.stack ?? '')
    .split('\n')
    .filter((line) => /^\s*at /.test(line))
    .slice(1);
  if (error instanceof Error && frames.length > 0) {
    error.stack = [error.stack?.trimEnd(), ...frames].filter(Boolean).join('\n');
  }
  return error;
}

/**
 * The value an SDK function resolves to: `structuredContent` when present; else, when every block
 * is text, the text parsed as JSON when it parses, or the text itself; else the blocks as they came
 * (images and other blocks are kept). A result with `isError` throws a `ToolError`.
 */
export function toolValue(server: string, tool: string, result: ToolCallResult): unknown {
  if (result.isError) throw new ToolError(server, tool, result);
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = result.content ?? [];
  if (content.length === 0) return null;
  if (!content.every((block) => block.type === 'text')) return content;
  const text = textOf(content);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function textOf(content: ToolContent[] | undefined): string {
  return (content ?? [])
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text)
    .join('\n');
}
