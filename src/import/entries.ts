import { SAFE_SERVER_NAME } from '../config/index.js';
import type { FoundServer } from './types.js';

/** A server entry as runbyte.json holds it. */
export type ServerEntry = Record<string, unknown>;

/** A variable the user must set: its value stayed in the client's file, runbyte.json names it. */
export interface Variable {
  name: string;
  server: string;
  /** The client's file that holds the value, or `prompted by VS Code` for an input. */
  from: string;
}

/**
 * The entry runbyte.json gets for a server, with no secret in clear (README.md, `runbyte import`):
 * every `env` value that is not already a `${...}` reference becomes `${NAME}` (NAME the variable's
 * own name, or `<SERVER>_<NAME>` when another server gives the same name another value); a header
 * value becomes `${<SERVER>_<HEADER>}`, keeping a `Bearer`/`Basic`/`Token` scheme in front
 * (`Bearer ${GITHUB_TOKEN}`). VS Code's and Cursor's `${workspaceFolder}` becomes
 * `${RUNBYTE_CONFIG_DIR}`, `${userHome}` `${HOME}`, and `${input:id}` (a value VS Code prompts
 * for) `${ID}`. Each such variable is pushed to `variables`.
 */
export function toEntry(server: FoundServer, name: string, from: string, claimed: Map<string, string>, variables: Variable[]): ServerEntry {
  const refs = (value: string) => clientVariables(value, name, variables);
  const secret = (variable: string, value: string, what: string) => {
    let chosen = envName(variable);
    if (claimed.has(chosen) && claimed.get(chosen) !== value) chosen = envName(`${name}_${variable}`);
    claimed.set(chosen, value);
    variables.push({ name: chosen, server: name, from: `${what} in ${from}` });
    return `\${${chosen}}`;
  };
  const entry: ServerEntry = {};
  if (server.command !== undefined) {
    entry.command = refs(server.command);
    if (server.args?.length) entry.args = server.args.map(refs);
    if (server.env && Object.keys(server.env).length > 0) {
      entry.env = Object.fromEntries(
        Object.entries(server.env).map(([key, value]) => [key, value.includes('${') ? refs(value) : secret(key, value, `env.${key}`)]),
      );
    }
    if (server.cwd !== undefined) entry.cwd = refs(server.cwd);
  } else {
    if (server.sse) entry.type = 'sse';
    entry.url = refs(server.url!);
    if (server.headers && Object.keys(server.headers).length > 0) {
      entry.headers = Object.fromEntries(
        Object.entries(server.headers).map(([header, value]) => {
          if (value.includes('${')) return [header, refs(value)];
          const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value);
          if (scheme) return [header, `${scheme[0]}${secret(`${name}_token`, value.slice(scheme[0].length), `headers.${header}`)}`];
          return [header, secret(`${name}_${header}`, value, `headers.${header}`)];
        }),
      );
    }
  }
  if (server.timeout !== undefined) entry.timeout = server.timeout;
  if (server.disabled) entry.disabled = true;
  return entry;
}

function clientVariables(value: string, server: string, variables: Variable[]): string {
  return value
    .replaceAll('${workspaceFolder}', '${RUNBYTE_CONFIG_DIR}')
    .replaceAll('${userHome}', '${HOME}')
    .replace(/\$\{input:([^}]+)\}/g, (_match, id: string) => {
      const name = envName(id);
      variables.push({ name, server, from: `an input VS Code prompts for ("${id}")` });
      return `\${${name}}`;
    });
}

/** `github-token` → `GITHUB_TOKEN`: a name `${...}` accepts. */
export function envName(text: string): string {
  const name = text
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(name) ? name : `V_${name}`;
}

/** A client's server name as a runbyte server name (a letter, then letters, digits, `-`, `_`; at most 64). */
export function serverName(name: string): string {
  let safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[A-Za-z]/.test(safe)) safe = `server-${safe}`;
  safe = safe.slice(0, 64);
  if (safe.toLowerCase() === 'index') safe = 'index-server';
  return SAFE_SERVER_NAME.test(safe) ? safe : 'server';
}

/** What makes two entries the same server, whatever they are called: how it is started or reached. */
export function identity(server: FoundServer): string {
  return JSON.stringify(server.command !== undefined ? [server.command, server.args ?? [], server.cwd ?? ''] : [server.url]);
}

/** runbyte itself, as `--replace` wrote it into a client: never imported into its own config. */
export function isRunbyte(server: FoundServer): boolean {
  const words = [server.command ?? '', ...(server.args ?? [])].join(' ');
  return server.name === 'runbyte' && /runbyte|run\.js/.test(words) && /\bserve\b/.test(words);
}
