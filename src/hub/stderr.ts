import type { Stream } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { stripVTControlCharacters } from 'node:util';
import { debug, isDebug } from '../shared/log.js';

const KEEP_LINES = 50;
const MAX_LINE = 300;
const STACK_FRAME = /^\s+at\s/;
const NODE_VERSION = /^Node\.js v\d+/;

/**
 * The last lines a stdio child wrote to stderr, for failure messages ("boom: missing API key").
 * The child's stderr never reaches our stdout (under `serve --transport stdio` stdout is the
 * wire); with RUNBYTE_DEBUG=1 each line is echoed to our stderr.
 */
export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';
  private ended: Promise<void> = Promise.resolve();

  constructor(private readonly server: string) {}

  /** Starts reading a new child's stderr; earlier lines are dropped. */
  attach(stream: Stream | null): void {
    this.lines.length = 0;
    this.partial = '';
    if (!stream) {
      this.ended = Promise.resolve();
      return;
    }
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer | string) => this.push(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    this.ended = new Promise((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  }

  /**
   * Waits (briefly) until everything the child wrote has been read: the stream ends just after
   * the process closes, so a message built right after a crash would otherwise miss the cause.
   */
  async settled(maxMs = 200): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, maxMs)))]);
    clearTimeout(timer);
  }

  /**
   * The last `count` non-empty lines, the unfinished one included. JavaScript stack frames
   * (`    at f (file:1:2)`) and Node's closing `Node.js vX` line are skipped: after an uncaught
   * error they would fill the tail and push out the line that says what went wrong.
   */
  last(count = 5): string[] {
    const all = this.partial.trim() ? [...this.lines, clean(this.partial)] : this.lines;
    return all.filter((line) => !STACK_FRAME.test(line) && !NODE_VERSION.test(line)).slice(-count);
  }

  private push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4 * MAX_LINE) this.partial = this.partial.slice(0, 4 * MAX_LINE);
    for (const part of parts) {
      if (!part.trim()) continue;
      const line = clean(part);
      if (isDebug()) debug(`[${this.server}] ${line}`);
      this.lines.push(line);
      if (this.lines.length > KEEP_LINES) this.lines.shift();
    }
  }
}

/** One printable line: no terminal escapes or control characters, at most MAX_LINE characters. */
function clean(line: string): string {
  // stripVTControlCharacters removes escape sequences only: a lone control character (a bell, a
  // backspace, an ESC it does not recognise as a sequence) stays, so those are dropped after it.
  const text = stripVTControlCharacters(line)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .trimEnd();
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE - 1)}…` : text;
}
