import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { debug, log } from '../shared/log.js';
import type { Engine } from './engine.js';
import { createSession, MAX_MESSAGE_BYTES } from './server.js';

/**
 * MCP over stdin/stdout. stdout is the wire: everything else runbyte prints goes to stderr.
 * Resolves when the client goes away (stdin closes), so the caller can shut everything down.
 */
export async function serveStdio(engine: Engine): Promise<void> {
  const transport = new StdioLineTransport(process.stdin, process.stdout);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await createSession(engine).connect(transport);
  await closed;
}

/** How much of an oversized message's start and end is kept to find its id. */
const EDGE_BYTES = 512;

/**
 * Newline-delimited JSON-RPC over a pair of streams, like the SDK's StdioServerTransport, with one
 * difference: the SDK's reader closes the transport when a message passes its 10 MiB buffer limit,
 * which ended `serve` silently. Here a message over MAX_MESSAGE_BYTES is skipped up to its newline
 * without being kept, answered with an error (with its id when the id can be found at its start or
 * end), and reported on stderr; the next message is read as usual.
 */
export class StdioLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private size = 0;
  /** The message being skipped because it is too large: its first and last bytes, and its size. */
  private skipping: { head: Buffer; tail: Buffer; size: number } | undefined;
  private started = false;

  constructor(
    private readonly stdin: NodeJS.ReadableStream,
    private readonly stdout: NodeJS.WritableStream,
  ) {}

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioLineTransport already started');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStreamError);
  }

  async close(): Promise<void> {
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStreamError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.chunks = [];
    this.size = 0;
    this.skipping = undefined;
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(serializeMessage(message))) resolve();
      else this.stdout.once('drain', resolve);
    });
  }

  private readonly onStreamError = (error: Error) => this.onerror?.(error);

  private readonly onData = (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    while (start < data.length) {
      const newline = data.indexOf(0x0a, start);
      const piece = data.subarray(start, newline === -1 ? data.length : newline);
      this.take(piece);
      if (newline === -1) return;
      this.endOfLine();
      start = newline + 1;
    }
  };

  private take(piece: Buffer): void {
    if (this.skipping) {
      this.skipping.size += piece.length;
      this.skipping.tail = lastBytes(Buffer.concat([this.skipping.tail, piece]), EDGE_BYTES);
      return;
    }
    if (this.size + piece.length <= MAX_MESSAGE_BYTES) {
      this.chunks.push(piece);
      this.size += piece.length;
      return;
    }
    const total = this.size + piece.length;
    const head = Buffer.concat([...this.chunks, piece], Math.min(EDGE_BYTES, total));
    const tail = piece.length >= EDGE_BYTES ? piece : Buffer.concat([...this.chunks, piece]);
    this.skipping = { head, tail: lastBytes(tail, EDGE_BYTES), size: total };
    this.chunks = [];
    this.size = 0;
  }

  private endOfLine(): void {
    const skipped = this.skipping;
    if (skipped) {
      this.skipping = undefined;
      this.refuseOversized(skipped.head.toString('utf8'), skipped.tail.toString('utf8'), skipped.size);
      return;
    }
    const line = Buffer.concat(this.chunks).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.size = 0;
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      // JSON-RPC: a message that cannot be read gets an error with a null id.
      log(`stdio: refused a line that is not JSON: ${firstLine(error)}`);
      void this.send(errorReply(null, ErrorCode.ParseError, `not JSON: ${firstLine(error)}`));
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id;
      log('stdio: refused a message that is not JSON-RPC 2.0');
      void this.send(errorReply(isRequestId(id) ? id : null, ErrorCode.InvalidRequest, 'not a JSON-RPC 2.0 message'));
      return;
    }
    this.onmessage?.(parsed.data);
  }

  private refuseOversized(head: string, tail: string, size: number): void {
    const id = requestIdOf(head, tail);
    const limit = `${MAX_MESSAGE_BYTES / 2 ** 20} MiB`;
    log(`stdio: refused a message of ${size} bytes${id === null ? '' : ` (id ${JSON.stringify(id)})`}: larger than ${limit}`);
    debug(`stdio: it began ${JSON.stringify(head.slice(0, 80))}`);
    void this.send(
      errorReply(
        id,
        ErrorCode.InvalidRequest,
        `message too large: ${size} bytes; runbyte serve reads JSON-RPC messages of at most ${limit}. ` +
          'Send less at once: split the code, or build large data in several calls that write to /workspace.',
      ),
    );
  }
}

function errorReply(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  // The SDK's types want an id; JSON-RPC 2.0 says null when the message's id cannot be read.
  return { jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage;
}

const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const SCALAR = String.raw`(?:${STRING}|-?\d[\d.eE+-]*|true|false|null)`;
const ID = String.raw`(-?\d+|${STRING})`;
/** `{"jsonrpc":"2.0","id":7,...`: the id among the scalar members that open the message. */
const ID_AT_START = new RegExp(String.raw`^\s*\{(?:\s*${STRING}\s*:\s*${SCALAR}\s*,)*?\s*"id"\s*:\s*${ID}\s*[,}]`);
/** `...,"jsonrpc":"2.0","id":7}` (how the SDK's client writes a request): the id among the scalar members that close it. */
const ID_AT_END = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${ID}(?:\s*,\s*${STRING}\s*:\s*${SCALAR})*\s*\}\s*$`);

/**
 * The id of a message too large to parse, from its first and last bytes. Only members of the
 * outer object are considered: before the id only scalar members, after it only scalar members
 * and the final brace, so an `"id"` nested in the params is never taken.
 */
export function requestIdOf(head: string, tail: string): RequestId | null {
  const found = ID_AT_START.exec(head) ?? ID_AT_END.exec(tail.replace(/\r$/, ''));
  if (!found) return null;
  try {
    const id = JSON.parse(found[1]!) as unknown;
    return isRequestId(id) ? id : null;
  } catch {
    return null;
  }
}

function isRequestId(id: unknown): id is RequestId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
}

function lastBytes(buffer: Buffer, count: number): Buffer {
  return buffer.length <= count ? buffer : buffer.subarray(buffer.length - count);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
}
