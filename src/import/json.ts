import { applyEdits, type ModificationOptions, modify, type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import type { FoundServer, RunbyteLaunch } from './types.js';

/**
 * A JSON file's value. `comments`: the client reads JSON with comments and trailing commas (VS Code,
 * Cursor), so they are allowed; otherwise the file must be plain JSON, as its client requires.
 */
export function parseJsonFile(text: string, comments: boolean): unknown {
  if (!comments) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`invalid JSON: ${(error as Error).message}`);
    }
  }
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const { line, column } = lineColumn(text, errors[0]!.offset);
    throw new Error(`invalid JSON (with comments): ${printParseErrorCode(errors[0]!.error)} at line ${line} column ${column}`);
  }
  return value;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** An object, or nothing: what a client's file holds where servers are expected. */
export function objectAt(value: unknown, path: string[]): Record<string, unknown> | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : undefined;
}

const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
const stringMap = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');

/**
 * The servers of an `mcpServers`-style object, the shape Claude Desktop, Claude Code, Cursor, VS
 * Code and Windsurf share: `command`/`args`/`env`/`cwd` or `url`/`headers` (Windsurf's `serverUrl`),
 * `type`, `disabled`. What runbyte cannot use is named in the server's notes.
 */
export function readServerMap(servers: Record<string, unknown>): FoundServer[] {
  const found: FoundServer[] = [];
  for (const [name, raw] of Object.entries(servers)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
    const entry = raw as Record<string, unknown>;
    const server: FoundServer = { name, notes: [] };
    const url = entry.url ?? entry.serverUrl;
    if (typeof entry.command === 'string' && entry.command !== '') {
      server.command = entry.command;
      if (strings(entry.args)) server.args = entry.args;
      if (stringMap(entry.env)) server.env = entry.env;
      if (typeof entry.cwd === 'string') server.cwd = entry.cwd;
    } else if (typeof url === 'string' && url !== '') {
      server.url = url;
      if (stringMap(entry.headers)) server.headers = entry.headers;
      if (entry.type === 'sse' || entry.transportType === 'sse') server.sse = true;
    } else {
      server.notes.push('has neither "command" nor "url": not imported');
    }
    if (entry.disabled === true) server.disabled = true;
    if (entry.envFile !== undefined) server.notes.push(`envFile ${JSON.stringify(entry.envFile)} is not read by runbyte: export its variables`);
    found.push(server);
  }
  return found;
}

const FORMAT: ModificationOptions = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };

/**
 * `text` with the servers `names` removed from the object at `path` and runbyte's entry added
 * (unless `runbyte` is undefined), edited in place: comments, order and formatting of everything
 * else stay as they were. Added first, then removed: removing the last members first would leave
 * a stray comma where the client's file had trailing commas.
 */
export function replaceInJson(text: string, path: string[], names: string[], runbyte: Record<string, unknown> | undefined): string {
  let edited = runbyte === undefined ? text : applyEdits(text, modify(text, [...path, 'runbyte'], runbyte, FORMAT));
  for (const name of names) edited = applyEdits(edited, modify(edited, [...path, name], undefined, FORMAT));
  return edited;
}

/** runbyte's entry in the `mcpServers` format; VS Code also wants its type. */
export function launchEntry(runbyte: RunbyteLaunch | undefined, withType = false): Record<string, unknown> | undefined {
  if (runbyte === undefined) return undefined;
  return { ...(withType ? { type: 'stdio' } : {}), command: runbyte.command, args: runbyte.args };
}
