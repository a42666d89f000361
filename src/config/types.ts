import type { JsonSchema } from '../shared/tool-spec.js';

/** A downstream server, validated and with every `${VAR}` expanded and every path absolute. */
export type ServerConfig = StdioServerConfig | RemoteServerConfig;

export interface StdioServerConfig {
  name: string;
  transport: 'stdio';
  command: string;
  args: string[];
  /** Only the configured variables; hub/ adds the SDK's safelisted defaults. */
  env: Record<string, string>;
  cwd: string;
  /** `mcpServers.<name>.timeout`: the limit of one call to this server, seconds; absent when not configured. */
  timeout?: number;
}

export interface RemoteServerConfig {
  name: string;
  /** `http` is streamable HTTP with a fallback to SSE; `sse` forces the older SSE transport. */
  transport: 'http' | 'sse';
  url: string;
  headers: Record<string, string>;
  /** `mcpServers.<name>.oauth`, `${VAR}` expanded; absent when not configured. */
  oauth?: OAuthConfig;
  /** `mcpServers.<name>.timeout`: the limit of one call to this server, seconds; absent when not configured. */
  timeout?: number;
}

/** A pre-registered OAuth client and the scopes to request; without `clientId` the client registers itself. */
export interface OAuthConfig {
  clientId?: string;
  clientSecret?: string;
  scopes?: string[];
}

export interface RunbyteConfig {
  /** Absolute path of the runbyte.json that was read. */
  path: string;
  /** Its folder: relative paths in the file are relative to it. */
  dir: string;
  /** Sorted by name; without the disabled ones. */
  servers: ServerConfig[];
  /**
   * Servers configured with `"disabled": true`, sorted: started nowhere, named by `runbyte list`.
   * Always set by loadConfig; optional so configs built in code need not name it.
   */
  disabledServers?: string[];
  outDir: string;
  workspaceDir: string;
  /** `outputSchemas`: `"<server>.<tool>"` → the JSON Schema of its result, for tools whose server declares none. */
  outputSchemas?: Record<string, JsonSchema>;
  /** Where the shapes of real results are kept (`.runbyte/shapes` beside the config). */
  shapesDir?: string;
  /** `locked`: serve the SDK on disk as reviewed; tools that differ from the lock are not callable. */
  locked?: boolean;
  /** `policy`: `"<server>.<tool pattern>"` → what a script that imports such a tool gets, as written. */
  policy?: Record<string, PolicyDecision>;
  /** The audit log: its file (absolute), whether calls' arguments and results go in, its size before rotation; false when disabled. */
  audit?: AuditConfig | false;
  server: {
    port: number;
    /**
     * Wall-clock limit of one execution, seconds; also the limit of one downstream call, for servers
     * without their own `timeout`.
     */
    timeout: number;
    /** How long a downstream server may take to start and answer `initialize`, seconds. */
    connectTimeout: number;
    /** serve over HTTP: close a session after this many seconds with no request or stream open. */
    sessionIdleSeconds: number;
    /** serve over HTTP: sessions open at once; one more `initialize` gets 503. */
    maxSessions: number;
  };
  sandbox: {
    memoryMb: number;
    maxOutputChars: number;
    /**
     * Decoded bytes of the images and audio one execute_code result sends as content blocks.
     * Always set by loadConfig (5 MB unless configured); optional so configs built in code need not name it.
     */
    maxMediaBytes?: number;
    workspaceQuotaMb: number;
    /** Files, folders and links the workspace may hold. */
    workspaceMaxEntries: number;
    /** Ceiling of each compiler process (type check + bundle): V8 heap and resident memory. */
    compilerMemoryMb: number;
  };
}

export type PolicyDecision = 'allow' | 'ask' | 'deny';

export interface AuditConfig {
  path: string;
  arguments: boolean;
  maxBytes: number;
}
