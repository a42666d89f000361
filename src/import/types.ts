/** The clients `runbyte import` reads, by the name given on its command line. */
export const SOURCE_IDS = ['claude-desktop', 'claude-code', 'cursor', 'vscode', 'windsurf', 'codex', 'goose'] as const;
export type SourceId = (typeof SOURCE_IDS)[number];

/** Where the clients keep their files: from HOME, XDG_CONFIG_HOME and the platform, never the real ones in tests. */
export interface ImportContext {
  home: string;
  /** `$XDG_CONFIG_HOME`, else `~/.config`. */
  xdgConfigHome: string;
  /** The project folder: project files (`.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`) are read here. */
  cwd: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

/** One server as a client configures it, in runbyte's terms but before secrets and names are settled. */
export interface FoundServer {
  /** The name in the client's file. */
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  /** Only `sse` is written: a `url` alone means streamable HTTP with a fallback to SSE. */
  sse?: boolean;
  disabled?: boolean;
  /** Seconds, the limit of one call. */
  timeout?: number;
  /** Why something of the entry was left behind (`envFile is not read`), for the report. */
  notes: string[];
}

/** One file of one client. */
export interface ClientFile {
  source: SourceId;
  path: string;
  /** Which part of the file, when a file holds more than one list (`projects["/work/app"]`). */
  part?: string;
  /** Reads the servers of the file's text; throws an Error whose message says what is wrong with it. */
  read(text: string): FoundServer[];
  /**
   * The file's text with `names` removed and runbyte's own entry added (`--replace`); `runbyte`
   * is undefined for a second list of the same file, which already got the entry.
   */
  replace(text: string, names: string[], runbyte: RunbyteLaunch | undefined): string;
}

/** How a client starts runbyte after `--replace`. */
export interface RunbyteLaunch {
  command: string;
  args: string[];
}

/** A client of SOURCE_IDS: its display name and the files it may have, existing or not. */
export interface Client {
  id: SourceId;
  label: string;
  files(ctx: ImportContext): ClientFile[];
}
