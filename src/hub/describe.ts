import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { messageOf } from '../shared/errors.js';

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
