import { join } from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { objectAt } from './json.js';
import type { Client, FoundServer } from './types.js';

/**
 * Codex: `$CODEX_HOME/config.toml` (default `~/.codex`), one `[mcp_servers.<name>]` table a server:
 * `command`/`args`/`env`/`cwd`/`env_vars` or `url`/`http_headers`/`env_http_headers`/
 * `bearer_token_env_var`; `enabled = false`; `tool_timeout_sec`.
 */
export const codex: Client = {
  id: 'codex',
  label: 'Codex',
  files: (ctx) => {
    const path = join(ctx.env.CODEX_HOME || join(ctx.home, '.codex'), 'config.toml');
    return [
      {
        source: 'codex',
        path,
        read: (text) => {
          const servers = objectAt(parseToml(text), ['mcp_servers']) ?? {};
          return Object.entries(servers).map(([name, raw]) => readTable(name, raw));
        },
        // The file is written anew: TOML comments are lost, which is why a backup is kept beside it.
        replace: (text, names, runbyte) => {
          const config = parseToml(text) as Record<string, unknown>;
          const servers = { ...(objectAt(config, ['mcp_servers']) ?? {}) };
          for (const name of names) delete servers[name];
          if (runbyte) servers.runbyte = { command: runbyte.command, args: runbyte.args };
          return `${stringify({ ...config, mcp_servers: servers })}\n`;
        },
      },
    ];
  },
};

function parseToml(text: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    const detail = error instanceof TomlError ? `${error.message.split('\n')[0]} (line ${error.line}, column ${error.column})` : (error as Error).message;
    throw new Error(`invalid TOML: ${detail}`);
  }
}

function readTable(name: string, raw: unknown): FoundServer {
  const server: FoundServer = { name, notes: [] };
  const table = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const map = (value: unknown) =>
    typeof value === 'object' && value !== null
      ? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>)
      : undefined;
  if (text(table.command)) {
    server.command = text(table.command);
    if (Array.isArray(table.args)) server.args = table.args.map(String);
    const env = { ...map(table.env) };
    // env_vars: variables Codex passes through from its own environment.
    if (Array.isArray(table.env_vars)) for (const variable of table.env_vars) env[String(variable)] = `\${${String(variable)}}`;
    if (Object.keys(env).length > 0) server.env = env;
    if (text(table.cwd)) server.cwd = text(table.cwd);
  } else if (text(table.url)) {
    server.url = text(table.url);
    const headers = { ...map(table.http_headers) };
    for (const [header, variable] of Object.entries(map(table.env_http_headers) ?? {})) headers[header] = `\${${variable}}`;
    if (text(table.bearer_token_env_var)) headers.Authorization = `Bearer \${${text(table.bearer_token_env_var)}}`;
    if (Object.keys(headers).length > 0) server.headers = headers;
  } else {
    server.notes.push('has neither "command" nor "url": not imported');
  }
  if (table.enabled === false) server.disabled = true;
  if (typeof table.tool_timeout_sec === 'number' && table.tool_timeout_sec > 0) server.timeout = table.tool_timeout_sec;
  return server;
}
