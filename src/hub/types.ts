/** How the hub connects and how long it waits. */
export interface HubOptions {
  /** How long a server may take to start and answer `initialize` (and the SSE fallback, if any). */
  connectTimeoutMs: number;
  /**
   * Default limit of one `tools/call` and of each `tools/list` page; default 60 000 (the SDK's). A
   * server with its own `timeout` (runbyte.json's `mcpServers.<name>.timeout`) has that instead.
   */
  callTimeoutMs?: number;
  /**
   * What timeout messages call `callTimeoutMs`, so the user knows which setting to raise:
   * `server.timeout` when it comes from runbyte.json (hubOptions). Unnamed when not given.
   */
  callTimeoutName?: string;
  /** `clientInfo.name` sent in `initialize`; default `runbyte`. */
  clientName?: string;
  /** `clientInfo.version` sent in `initialize`; default runbyte's version. */
  clientVersion?: string;
}

/**
 * One server that could not be reached. `message` is one line naming the server and the cause
 * (`server "x": cannot start "cmd": not found (ENOENT)`), followed for stdio servers by the last
 * lines the child wrote to stderr, each indented on its own line.
 */
export interface ServerFailure {
  server: string;
  message: string;
}

import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';

export type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
export type { ToolCallResult, ToolContent } from '../shared/tool-spec.js';

/** One `notifications/message` a downstream server sent (see Hub.onLog). */
export interface LogEvent {
  server: string;
  level: LoggingLevel;
  /** The logger the server named, if any. */
  logger?: string;
  /** Whatever the server sent: a string or any JSON value. Untrusted. */
  data: unknown;
}

/** Why a server's tools may have changed: it said so, or it died and was started again. */
export type ToolsChangedReason = 'list_changed' | 'restarted';

/** Options of one `callTool`. */
export interface CallOptions {
  /** Aborting rejects the call and sends `notifications/cancelled` to the server. */
  signal?: AbortSignal;
  /**
   * Overrides, for this call, the server's own `timeout` and `HubOptions.callTimeoutMs`. Whichever
   * applies is a hard limit: progress reports do not extend it.
   */
  timeoutMs?: number;
  /**
   * Hears the server's `notifications/progress` for this call; when given, the request carries a
   * progressToken so the server may report. Without it, no token is sent. A listener that throws
   * is logged and does not fail the call.
   */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/**
 * What agent code may ask a server besides `tools/call` (the `@runbyte/mcp` module, README.md,
 * "Resources and prompts"): a listing (every page), a resource's contents, or a prompt's messages.
 */
export type OfferingRequest =
  | { method: 'resources/list' | 'resources/templates/list' | 'prompts/list' }
  | { method: 'resources/read'; params: { uri: string } }
  | { method: 'prompts/get'; params: { name: string; arguments?: Record<string, string> } };

/** A request a downstream server sends to runbyte as its client (see Hub.onClientRequest). */
export type ClientRequestMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list';

export interface ClientRequest {
  method: ClientRequestMethod;
  /** As the server sent them (the SDK has checked their shape). Untrusted. */
  params: unknown;
}

/**
 * Answers a server's client request; what it resolves with is the result sent back, what it
 * throws becomes a JSON-RPC error whose message is the error's. `signal` aborts when the server
 * cancels the request or its connection ends.
 */
export type ClientRequestHandler = (server: string, request: ClientRequest, signal: AbortSignal) => Promise<unknown>;
