import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { RunbyteError } from '../shared/errors.js';
import type { JsonSchema } from '../shared/tool-spec.js';
import { closest } from '../shared/suggest.js';
import {
  configSchema,
  oauthSchema,
  type RawServer,
  sandboxSchema,
  serverSchema,
  serverSettingsSchema,
  IGNORED_SERVER_KEYS,
  IGNORED_TOP_KEYS,
} from './schema.js';
import type { RunbyteConfig, ServerConfig } from './types.js';

export interface FindOptions {
  /** `--config`; wins over everything. */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The places runbyte looks for a config when neither `--config` nor `RUNBYTE_CONFIG` names one. */
export function configCandidates(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || homedir();
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  return [join(cwd, 'runbyte.json'), join(xdg, 'runbyte', 'config.json'), join(home, '.runbyte', 'config.json'), '/etc/runbyte/config.json'];
}

/** Finds the config file: `--config`, then `RUNBYTE_CONFIG`, then the lookup order in README.md ("Config"). */
export function findConfig(options: FindOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const named = options.configPath ?? env.RUNBYTE_CONFIG;
  if (named) {
    const path = resolve(cwd, named);
    if (!existsSync(path)) {
      throw new RunbyteError('CONFIG_NOT_FOUND', `${path}: config file not found`);
    }
    return path;
  }
  const candidates = configCandidates(cwd, env);
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new RunbyteError('CONFIG_NOT_FOUND', 'no runbyte.json found', {
      suggestions: [`create ./runbyte.json, or pass --config FILE (looked in: ${candidates.join(', ')})`],
    });
  }
  return found;
}

/** Finds, reads and validates the config. Every error names the file and the field at fault. */
export function loadConfig(options: FindOptions = {}): RunbyteConfig {
  const path = findConfig(options);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RunbyteError('CONFIG_NOT_FOUND', `${path}: cannot read config file`, { cause: error });
  }
  return parseConfig(text, path, options.env ?? process.env);
}

/** Validates config text read from `path`. Pure apart from `env`. */
export function parseConfig(text: string, path: string, env: NodeJS.ProcessEnv = process.env): RunbyteConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : String(error);
    throw new RunbyteError('CONFIG_INVALID', `${path}: invalid JSON: ${detail}`, { cause: error });
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const unknown = issue.code === 'unrecognized_keys' ? unknownKey(issue.path, issue.keys[0]!) : undefined;
    throw new RunbyteError('CONFIG_INVALID', `${path}: ${unknown?.message ?? describeIssue(issue)}`, {
      cause: parsed.error,
      ...(unknown?.suggestion ? { suggestions: [unknown.suggestion] } : {}),
    });
  }
  const raw = parsed.data;
  // VS Code's .vscode/mcp.json calls the list `servers`; errors name the key the file uses.
  const listKey = raw.servers !== undefined ? 'servers' : 'mcpServers';
  const entries = (raw.servers ?? raw.mcpServers)!;
  const dir = dirname(path);
  // ${RUNBYTE_CONFIG_DIR} is always defined: the folder of the config file, for servers that
  // need an absolute path (server-memory's MEMORY_FILE_PATH, for one).
  const vars = { ...env, RUNBYTE_CONFIG_DIR: dir };
  const expand = (value: string, field: string) => expandVars(value, field, path, vars);

  const names = Object.keys(entries).sort();
  checkServerNames(names, path, listKey);
  // A disabled server is left out of everything (hub, SDK, serve); only `list` names it.
  const disabledServers = names.filter((name) => entries[name]!.disabled === true);
  const servers = names
    .filter((name) => entries[name]!.disabled !== true)
    .map((name) => resolveServer(name, entries[name]!, dir, path, expand, `${listKey}.${name}`));

  return {
    path,
    dir,
    servers,
    disabledServers,
    outDir: resolve(dir, expand(raw.outDir ?? 'generated', 'outDir')),
    workspaceDir: resolve(dir, expand(raw.workspaceDir ?? '.runbyte/workspace', 'workspaceDir')),
    locked: raw.locked ?? false,
    outputSchemas: (raw.outputSchemas ?? {}) as Record<string, JsonSchema>,
    shapesDir: join(dir, '.runbyte', 'shapes'),
    policy: raw.policy ?? {},
    audit:
      raw.audit === false
        ? false
        : {
            path: resolve(dir, expand(raw.audit?.path ?? '.runbyte/audit.jsonl', 'audit.path')),
            arguments: raw.audit?.arguments ?? false,
            maxBytes: Math.round((raw.audit?.maxMb ?? 10) * 2 ** 20),
          },
    server: {
      port: raw.server?.port ?? 3000,
      timeout: raw.server?.timeout ?? 30,
      connectTimeout: raw.server?.connectTimeout ?? 30,
      sessionIdleSeconds: raw.server?.sessionIdleSeconds ?? 1800,
      maxSessions: raw.server?.maxSessions ?? 100,
    },
    sandbox: {
      memoryMb: raw.sandbox?.memoryMb ?? 256,
      maxOutputChars: raw.sandbox?.maxOutputChars ?? 40_000,
      maxMediaBytes: raw.sandbox?.maxMediaBytes ?? 5 * 2 ** 20,
      workspaceQuotaMb: raw.sandbox?.workspaceQuotaMb ?? 100,
      workspaceMaxEntries: raw.sandbox?.workspaceMaxEntries ?? 10_000,
      compilerMemoryMb: raw.sandbox?.compilerMemoryMb ?? 1024,
    },
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  if (!field) return issue.message;
  return `${field}: ${issue.message}`;
}

const shapeKeys = (schema: { shape: object }, ignored: readonly string[] = []) => Object.keys(schema.shape).filter((key) => !ignored.includes(key));

/**
 * `sandbox.memoryMB: unknown key; did you mean "memoryMb"?`. The keys offered are those of the
 * object the key was found in, from the schema itself (never the ones ignored on purpose).
 */
function unknownKey(at: PropertyKey[], key: string): { message: string; suggestion?: string } {
  const parent = at.map(String);
  let known: string[] = [];
  if (parent.length === 0) known = shapeKeys(configSchema, IGNORED_TOP_KEYS);
  else if (parent.length === 1 && parent[0] === 'server') known = shapeKeys(serverSettingsSchema);
  else if (parent.length === 1 && parent[0] === 'sandbox') known = shapeKeys(sandboxSchema);
  else if (parent.length === 2) known = shapeKeys(serverSchema, [...IGNORED_SERVER_KEYS, 'envFile']);
  else if (parent.length === 3 && parent[2] === 'oauth') known = shapeKeys(oauthSchema);
  const field = [...parent, key].join('.');
  const guess = closest(key, known);
  return {
    message: `${field}: unknown key${guess ? `; did you mean "${guess}"?` : ''}`,
    suggestion: guess ? undefined : `known keys here: ${known.join(', ')}`,
  };
}

/** A server name becomes a directory and an import path (README.md, "Config"). */
export const SAFE_SERVER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function checkServerNames(names: string[], path: string, listKey: string): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    if (!SAFE_SERVER_NAME.test(name)) {
      throw new RunbyteError(
        'CONFIG_INVALID',
        `${path}: ${listKey}.${JSON.stringify(name)}: a server name must start with a letter and use only letters, digits, "-" and "_" (at most 64)`,
      );
    }
    if (name.toLowerCase() === 'index') {
      throw new RunbyteError('CONFIG_INVALID', `${path}: ${listKey}.${name}: "index" is reserved for servers/index.ts`);
    }
    const folded = name.toLowerCase();
    const other = seen.get(folded);
    if (other) {
      throw new RunbyteError('CONFIG_INVALID', `${path}: ${listKey}.${name}: differs from "${other}" only in case; their folders would collide`);
    }
    seen.set(folded, name);
  }
}

function resolveServer(name: string, raw: RawServer, dir: string, path: string, expand: (value: string, field: string) => string, field: string): ServerConfig {
  const type = raw.type === 'streamable-http' || raw.type === 'streamableHttp' ? 'http' : raw.type;
  const expandMap = (map: Record<string, string> | undefined, key: string) =>
    Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, expand(v, `${field}.${key}.${k}`)]));
  // Only when configured: a server without it follows server.timeout (hub/options.ts).
  const timeout = raw.timeout === undefined ? {} : { timeout: raw.timeout };

  if (raw.command !== undefined && (type === undefined || type === 'stdio')) {
    if (raw.url !== undefined) {
      throw new RunbyteError('CONFIG_INVALID', `${path}: ${field}: has both "command" and "url"; pick one`);
    }
    const command = expand(raw.command, `${field}.command`);
    return {
      name,
      transport: 'stdio',
      // A command given as a relative path (./bin/server) is relative to the config file;
      // a bare name (node, npx) is looked up on PATH.
      command: isAbsolute(command) || !/[\\/]/.test(command) ? command : resolve(dir, command),
      args: (raw.args ?? []).map((arg, i) => expand(arg, `${field}.args.${i}`)),
      env: expandMap(raw.env, 'env'),
      cwd: resolve(dir, expand(raw.cwd ?? '.', `${field}.cwd`)),
      ...timeout,
    };
  }
  if (raw.url !== undefined && type !== 'stdio') {
    const url = expand(raw.url, `${field}.url`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RunbyteError('CONFIG_INVALID', `${path}: ${field}.url: not a valid URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new RunbyteError('CONFIG_INVALID', `${path}: ${field}.url: expected an http or https URL`);
    }
    const oauth =
      raw.oauth === undefined
        ? {}
        : {
            oauth: {
              ...(raw.oauth.clientId === undefined ? {} : { clientId: expand(raw.oauth.clientId, `${field}.oauth.clientId`) }),
              ...(raw.oauth.clientSecret === undefined ? {} : { clientSecret: expand(raw.oauth.clientSecret, `${field}.oauth.clientSecret`) }),
              ...(raw.oauth.scopes === undefined ? {} : { scopes: raw.oauth.scopes }),
            },
          };
    return { name, transport: type === 'sse' ? 'sse' : 'http', url, headers: expandMap(raw.headers, 'headers'), ...oauth, ...timeout };
  }
  const needs = type === 'stdio' ? '"command"' : type ? '"url"' : '"command" (stdio) or "url" (HTTP)';
  throw new RunbyteError('CONFIG_INVALID', `${path}: ${field}: expected ${needs}`);
}

const VAR = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Expands `${VAR}`, `${env:VAR}` (VS Code's spelling) and `${VAR:-default}`; an unset variable is an error. */
export function expandVars(value: string, field: string, path: string, env: NodeJS.ProcessEnv): string {
  return value.replace(VAR, (_match, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    throw new RunbyteError('CONFIG_ENV', `${path}: ${field}: environment variable ${name} is not set`, {
      suggestions: [`export ${name}=... before running runbyte, or write \${${name}:-default}`],
    });
  });
}
