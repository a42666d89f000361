// Reading what a downstream server sends, so that a malformed answer fails its request at once.
//
// The SDK checks every incoming message against its JSON-RPC schemas and silently drops one that
// does not match (after reporting it to `onerror`). A `tools/call` answer whose `result` is not an
// object (`42`, `null`, a string) is such a message: the request that waits for it would only end
// at its timeout. Here the stdio line reader turns an answer like that into a JSON-RPC error for
// the same request id, which the connection reports as a malformed result (connection.ts).

import { ReadBuffer, STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { ErrorCode, JSONRPCMessageSchema, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Key of the JSON-RPC error `data` that carries what was wrong with an answer. */
const MALFORMED_KEY = 'runbyteMalformed';

/** The problem with a malformed answer, when `error` is the error LenientReadBuffer made for it. */
export function malformedProblem(error: unknown): string | undefined {
  if (!(error instanceof McpError)) return undefined;
  const data: unknown = error.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const problem = (data as Record<string, unknown>)[MALFORMED_KEY];
  return typeof problem === 'string' ? problem : undefined;
}

/**
 * The SDK's stdio line reader (same buffer limit, same error past it), except that an answer whose
 * `result` breaks the protocol becomes a JSON-RPC error for its request instead of being dropped.
 */
export class LenientReadBuffer implements Pick<ReadBuffer, 'append' | 'readMessage' | 'clear'> {
  private buffer?: Buffer;

  constructor(private readonly maxBufferSize = STDIO_DEFAULT_MAX_BUFFER_SIZE) {}

  append(chunk: Buffer): void {
    const size = (this.buffer?.length ?? 0) + chunk.length;
    if (size > this.maxBufferSize) {
      this.clear();
      // The same text as the SDK's: stdio.ts recognises it.
      throw new Error(`ReadBuffer exceeded maximum size of ${this.maxBufferSize} bytes`);
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  readMessage(): JSONRPCMessage | null {
    if (!this.buffer) return null;
    const end = this.buffer.indexOf('\n');
    if (end === -1) return null;
    const line = this.buffer.toString('utf8', 0, end).replace(/\r$/, '');
    this.buffer = this.buffer.subarray(end + 1);
    const message: unknown = JSON.parse(line);
    const parsed = JSONRPCMessageSchema.safeParse(message);
    if (parsed.success) return parsed.data;
    const answer = malformedAnswer(message);
    if (answer) return answer;
    throw parsed.error;
  }

  clear(): void {
    this.buffer = undefined;
  }
}

/** Puts a LenientReadBuffer in place of the SDK's reader of a stdio client transport. */
export function readLeniently(transport: object): void {
  const slot = transport as { _readBuffer?: unknown };
  // The field is private in the SDK's typings; fail loudly if a new SDK version renames it.
  if (!(slot._readBuffer instanceof ReadBuffer)) throw new Error('the MCP SDK stdio transport has no _readBuffer to replace');
  slot._readBuffer = new LenientReadBuffer();
}

/**
 * A JSON-RPC error for an answer whose `result` is not an object, or undefined when `message` is
 * not such an answer (then it is dropped as the SDK drops it).
 */
function malformedAnswer(message: unknown): JSONRPCMessage | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { id, result } = message as Record<string, unknown>;
  if ((typeof id !== 'string' && typeof id !== 'number') || !('result' in message) || 'method' in message) return undefined;
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) return undefined;
  const problem = `the result is ${describeValue(result)}, not an object`;
  return { jsonrpc: '2.0', id, error: { code: ErrorCode.InternalError, message: problem, data: { [MALFORMED_KEY]: problem } } };
}

/** A short description of a JSON value for a message: `42`, `null`, `an array`, `a string ("...")`. */
export function describeValue(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `a string (${JSON.stringify(shown)})`;
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
