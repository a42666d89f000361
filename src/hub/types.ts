/** How the hub connects and how long it waits. */
export interface HubOptions {
  /** How long a server may take to start and answer `initialize` (and the SSE fallback, if any). */
  connectTimeoutMs: number;
  /** Default limit of one `tools/call` and of each `tools/list` page; default 60 000 (the SDK's). */
  callTimeoutMs?: number;
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

export type { ToolCallResult, ToolContent } from '../shared/tool-spec.js';

/** Why a server's tools may have changed: it said so, or it died and was started again. */
export type ToolsChangedReason = 'list_changed' | 'restarted';

/** Options of one `callTool`. */
export interface CallOptions {
  /** Aborting rejects the call and sends `notifications/cancelled` to the server. */
  signal?: AbortSignal;
  /** Overrides `HubOptions.callTimeoutMs` for this call. */
  timeoutMs?: number;
  /**
   * Hears the server's `notifications/progress` for this call; when given, the request carries a
   * progressToken so the server may report.
   */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}
