import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stripVTControlCharacters } from 'node:util';
import { ErrorCode, McpError, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { messageOf } from '../shared/errors.js';
import type { LogEvent } from './types.js';

/** `5000` → `5 s`, `500` → `0.5 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/** A failure line followed by the last lines of the child's stderr, indented. */
export function withTail(message: string, tail: string[]): string {
  if (tail.length === 0) return message;
  return `${message}; its stderr ended with:\n${tail.map((line) => `  ${line}`).join('\n')}`;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  EPERM: 'operation not permitted',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
};

function systemCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

/** The cause of a failed spawn: `cannot start "cmd": not found (ENOENT)`. */
export function describeSpawnError(command: string, error: unknown): string {
  const code = systemCode(error);
  if (code) return `cannot start "${command}": ${SYSTEM_ERRORS[code] ?? 'failed'} (${code})`;
  return `cannot start "${command}": ${messageOf(error)}`;
}

/** The cause of a failed HTTP exchange, without the SDK's wrapping. */
export function describeHttpError(error: unknown): string {
  if (error instanceof StreamableHTTPError || error instanceof SseError) {
    const status = error.code;
    const detail = error.message
      .replace(/^(Streamable HTTP|SSE) error: /, '')
      .replace(/^Error POSTing to endpoint: ?/, '')
      .split(/\r?\n/)[0]
      .trim();
    const short = detail.length > 200 ? `${detail.slice(0, 199)}…` : detail;
    if (typeof status === 'number' && status > 0) return short ? `HTTP ${status}: ${short}` : `HTTP ${status}`;
    return short || 'the HTTP exchange failed';
  }
  const code = systemCode(error);
  if (code) return `${SYSTEM_ERRORS[code] ?? messageOf(error)} (${code})`;
  return mcpErrorText(error);
}

/** The HTTP status of a failed exchange with a remote server, when it got an answer. */
export function httpStatus(error: unknown): number | undefined {
  if (!(error instanceof StreamableHTTPError || error instanceof SseError)) return undefined;
  return typeof error.code === 'number' && error.code > 0 ? error.code : undefined;
}

/** A URL for messages: no credentials, query or fragment (they may hold tokens). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

/** The SDK's error for a request whose connection closed before the answer came. */
export function isClosedError(error: unknown): boolean {
  return error instanceof McpError && error.code === ErrorCode.ConnectionClosed;
}

/** The text of an error; JSON-RPC errors as `message (code N)` without the SDK's prefix. */
export function mcpErrorText(error: unknown): string {
  if (error instanceof McpError) {
    const text = error.message.replace(/^(MCP error -?\d+: )+/, '');
    return `${text} (JSON-RPC error ${error.code})`;
  }
  return messageOf(error);
}

/**
 * The cause line for an `initialize` answered with a protocol version the SDK does not speak, or
 * undefined for any other error. The SDK's Client.connect throws a plain Error for it, recognised
 * by its text (test/hub/version.test.ts fails if that text changes).
 */
export function unsupportedVersion(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = /^Server's protocol version is not supported: ([\s\S]*)$/.exec(error.message);
  if (!match) return undefined;
  const version = match[1];
  // The version is the server's text: a plain one is shown as is, anything else quoted and cut.
  const shown = /^[\w.-]{1,40}$/.test(version) ? version : JSON.stringify(version.length > 40 ? `${version.slice(0, 39)}…` : version);
  return `speaks MCP protocol version ${shown}, which runbyte does not support (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`;
}

/** Longest log message data printed on runbyte's stderr. */
const MAX_LOG_CHARS = 2000;

/**
 * A downstream server's log message as one line of runbyte's debug log:
 * `server "x" logged (warning, logger): data`. The data is the server's: it is made printable
 * (no terminal escapes, control characters or line breaks) and cut.
 */
export function logLine(event: LogEvent): string {
  let text: string;
  if (typeof event.data === 'string') text = event.data;
  else {
    try {
      text = JSON.stringify(event.data) ?? String(event.data);
    } catch {
      text = String(event.data);
    }
  }
  text = stripVTControlCharacters(text)
    .replace(/\r?\n/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '');
  if (text.length > MAX_LOG_CHARS) text = `${text.slice(0, MAX_LOG_CHARS - 1)}…`;
  const source = event.logger === undefined ? event.level : `${event.level}, ${printable(event.logger)}`;
  return `server "${event.server}" logged (${source}): ${text}`;
}

function printable(text: string): string {
  const clean = stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f]/g, '');
  return clean.length > 100 ? `${clean.slice(0, 99)}…` : clean;
}
