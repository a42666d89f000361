import { join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import type { Client, FoundServer } from './types.js';

/**
 * Goose: `~/.config/goose/config.yaml` (XDG_CONFIG_HOME honoured), its `extensions:` map. A `stdio`
 * extension has `cmd`/`args`/`envs`/`env_keys`, `sse` and `streamable_http` have `uri`/`headers`;
 * `enabled: false` switches one off; built-in extensions are part of Goose, not MCP servers to import.
 */
export const goose: Client = {
  id: 'goose',
  label: 'Goose',
  files: (ctx) => [
    {
      source: 'goose',
      path: join(ctx.xdgConfigHome, 'goose', 'config.yaml'),
      read: (text) => {
        const extensions = parseYaml(text).get('extensions');
        if (!isMap(extensions)) return [];
        const found: FoundServer[] = [];
        for (const [name, raw] of Object.entries(extensions.toJSON() as Record<string, unknown>)) {
          const server = readExtension(name, raw);
          if (server) found.push(server);
        }
        return found;
      },
      // Edited as a YAML document: comments and the rest of the file stay as they were.
      replace: (text, names, runbyte) => {
        const document = parseYaml(text);
        for (const name of names) document.deleteIn(['extensions', name]);
        if (!runbyte) return document.toString();
        document.setIn(['extensions', 'runbyte'], {
          enabled: true,
          type: 'stdio',
          name: 'runbyte',
          cmd: runbyte.command,
          args: runbyte.args,
          envs: {},
          timeout: 300,
        });
        return document.toString();
      },
    },
  ],
};

function parseYaml(text: string) {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const where = error.linePos ? ` (line ${error.linePos[0].line}, column ${error.linePos[0].col})` : '';
    throw new Error(`invalid YAML: ${error.message.split('\n')[0]}${where}`);
  }
  return document;
}

function readExtension(name: string, raw: unknown): FoundServer | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const entry = raw as Record<string, unknown>;
  const server: FoundServer = { name, notes: [] };
  const stringMap = (value: unknown) =>
    typeof value === 'object' && value !== null
      ? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>)
      : {};
  if (entry.type === 'stdio' && typeof entry.cmd === 'string') {
    server.command = entry.cmd;
    if (Array.isArray(entry.args)) server.args = entry.args.map(String);
    const env = stringMap(entry.envs);
    // env_keys: values Goose keeps in the system keyring; runbyte takes them from the environment.
    if (Array.isArray(entry.env_keys)) for (const key of entry.env_keys) env[String(key)] = `\${${String(key)}}`;
    if (Object.keys(env).length > 0) server.env = env;
  } else if ((entry.type === 'sse' || entry.type === 'streamable_http') && typeof entry.uri === 'string') {
    server.url = entry.uri;
    if (entry.type === 'sse') server.sse = true;
    const headers = stringMap(entry.headers);
    if (Object.keys(headers).length > 0) server.headers = headers;
  } else {
    // builtin, platform, frontend, inline_python: run inside Goose.
    return undefined;
  }
  if (entry.enabled === false) server.disabled = true;
  if (typeof entry.timeout === 'number' && entry.timeout > 0) server.timeout = entry.timeout;
  return server;
}
