import { z } from 'zod';

// The single source of truth for the shape of runbyte.json. Messages are written for the user:
// each is printed after the dotted path of the field, e.g. `mcpServers.github.args: expected an
// array of strings`.

const stringMap = z.record(z.string(), z.string({ error: 'expected a string' }), {
  error: 'expected an object of strings',
});

/** Bounds of `server.sessionIdleSeconds` and `server.maxSessions`, shared with `serve`'s flags. */
export const MAX_IDLE_SECONDS = 7 * 24 * 3600;
export const MAX_SESSIONS = 10_000;
/** Longest `mcpServers.<name>.timeout`: 7 days, well inside what a Node timer can hold. */
export const MAX_CALL_TIMEOUT_SECONDS = 7 * 24 * 3600;

const positive = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

/**
 * Keys other MCP clients write in a server entry, which runbyte accepts and ignores (README.md,
 * "Config"): tool approval lists (Cline's `autoApprove`, Roo Code's `alwaysAllow`), a tool filter
 * (`disabledTools`), a note, and VS Code's `dev`, `gallery` and `version`. Any other unknown key is
 * an error. Not among them: VS Code's `envFile`, refused with its own message, since a server
 * started without its variables fails in a way that names nothing.
 */
export const IGNORED_SERVER_KEYS = ['autoApprove', 'alwaysAllow', 'disabledTools', 'description', 'dev', 'gallery', 'version'] as const;
/** Top-level keys of other clients' files that runbyte ignores: VS Code's `inputs` (prompted values) and `$schema`. */
export const IGNORED_TOP_KEYS = ['inputs', '$schema'] as const;

function ignored<const K extends readonly string[]>(keys: K): { [P in K[number]]: z.ZodOptional<z.ZodUnknown> } {
  return Object.fromEntries(keys.map((key) => [key, z.unknown().optional()])) as { [P in K[number]]: z.ZodOptional<z.ZodUnknown> };
}

export const oauthSchema = z.strictObject(
  {
    clientId: z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }).optional(),
    clientSecret: z.string({ error: 'expected a string' }).optional(),
    scopes: z.array(z.string(), { error: 'expected an array of strings' }).optional(),
  },
  { error: 'expected an object with clientId, clientSecret and scopes' },
);

export const serverSchema = z.strictObject({
  type: z
    .enum(['stdio', 'http', 'streamable-http', 'streamableHttp', 'sse'], {
      error: 'expected "stdio", "http", "streamable-http" or "sse"',
    })
    .optional(),
  // Cline's and Windsurf's switch: the server is left out of everything (README.md, "Config").
  disabled: z.boolean({ error: 'expected true or false' }).optional(),
  command: z.string({ error: 'expected a string' }).min(1, { error: 'must not be empty' }).optional(),
  args: z.array(z.string(), { error: 'expected an array of strings' }).optional(),
  env: stringMap.optional(),
  cwd: z.string({ error: 'expected a string' }).optional(),
  url: z.string({ error: 'expected a string' }).optional(),
  headers: stringMap.optional(),
  // OAuth for a remote server that needs a login (README.md, "Remote servers that need a login"):
  // a pre-registered client and the scopes to ask for; without it the client registers itself.
  oauth: oauthSchema.optional(),
  // The limit of one call to this server, in place of server.timeout (README.md, "Config").
  timeout: z
    .number({ error: 'expected a number of seconds (the limit of one call to this server)' })
    .positive({ error: 'expected a number of seconds above 0 (the limit of one call to this server)' })
    .max(MAX_CALL_TIMEOUT_SECONDS, { error: `expected at most ${MAX_CALL_TIMEOUT_SECONDS} seconds (7 days)` })
    .optional(),
  envFile: z.undefined({ error: 'runbyte does not read env files: name each variable under "env" as "NAME": "${NAME}" and export it' }).optional(),
  ...ignored(IGNORED_SERVER_KEYS),
});

const serversSchema = z.record(z.string(), serverSchema, { error: 'expected an object of servers' });

export const serverSettingsSchema = z.strictObject({
  port: z.number({ error: 'expected a port number' }).int().min(0).max(65535).optional(),
  timeout: positive('a number of seconds').optional(),
  connectTimeout: positive('a number of seconds').optional(),
  // serve over HTTP: an idle session is closed after this long (at most 7 days, which
  // also keeps it inside what a Node timer can hold).
  sessionIdleSeconds: positive('a number of seconds')
    .max(MAX_IDLE_SECONDS, { error: `expected at most ${MAX_IDLE_SECONDS} seconds (7 days)` })
    .optional(),
  maxSessions: z
    .number({ error: 'expected a whole number of sessions' })
    .int({ error: 'expected a whole number of sessions' })
    .min(1, { error: 'expected at least 1 session' })
    .max(MAX_SESSIONS, { error: `expected at most ${MAX_SESSIONS} sessions` })
    .optional(),
});

export const sandboxSchema = z.strictObject({
  memoryMb: z.number({ error: 'expected a number of MB' }).int().min(16).max(4096).optional(),
  maxOutputChars: z.number({ error: 'expected a number of characters' }).int().min(100).optional(),
  // Decoded bytes of the images and audio one execute_code result sends (README.md, "Config");
  // 0 sends none, each stays a placeholder.
  maxMediaBytes: z
    .number({ error: 'expected a number of bytes' })
    .int({ error: 'expected a whole number of bytes' })
    .min(0, { error: 'expected 0 or more bytes' })
    .optional(),
  workspaceQuotaMb: positive('a number of MB').optional(),
  workspaceMaxEntries: z.number({ error: 'expected a number of files and folders' }).int().min(1).optional(),
  compilerMemoryMb: z
    .number({ error: 'expected a number of MB' })
    .int()
    .min(256, { error: 'expected at least 256 MB (a compiler needs about 200 MB before it checks anything)' })
    .max(16384, { error: 'expected at most 16384 MB' })
    .optional(),
});

/** A policy key: a server pattern, a dot, a tool pattern; `*` matches any run of characters. */
const POLICY_PATTERN = /^[A-Za-z*][A-Za-z0-9_*-]*\.\S+$/;

export const configSchema = z
  .strictObject({
    mcpServers: serversSchema.optional(),
    // VS Code's name for mcpServers (.vscode/mcp.json): the same thing, so its file works as it is.
    servers: serversSchema.optional(),
    server: serverSettingsSchema.optional(),
    sandbox: sandboxSchema.optional(),
    outDir: z.string({ error: 'expected a string' }).optional(),
    workspaceDir: z.string({ error: 'expected a string' }).optional(),
    // What was reviewed is what runs (README.md, "Pinned tools, policy and the audit log").
    locked: z.boolean({ error: 'expected true or false' }).optional(),
    policy: z
      .record(z.string().regex(POLICY_PATTERN), z.enum(['allow', 'ask', 'deny'], { error: 'expected "allow", "ask" or "deny"' }), {
        error: (issue) =>
          issue.code === 'invalid_key'
            ? 'expected "<server>.<tool>" keys, with * as a wildcard (e.g. "github.delete_*")'
            : 'expected an object of "<server>.<tool>": "allow" | "ask" | "deny"',
      })
      .optional(),
    audit: z
      .union(
        [
          z.literal(false),
          z.strictObject({
            path: z.string({ error: 'expected a string' }).optional(),
            arguments: z.boolean({ error: 'expected true or false' }).optional(),
            maxMb: positive('a number of MB').optional(),
          }),
        ],
        { error: 'expected false, or an object with path, arguments and maxMb' },
      )
      .optional(),
    // Result types by hand for tools whose server declares none (README.md, "Learned result types").
    outputSchemas: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*\..+$/), z.union([z.boolean(), z.record(z.string(), z.unknown())]), {
        error: (issue) => (issue.code === 'invalid_key' ? 'expected "<server>.<tool>" keys' : 'expected an object of "<server>.<tool>": <JSON Schema>'),
      })
      .optional(),
    ...ignored(IGNORED_TOP_KEYS),
  })
  .superRefine((config, ctx) => {
    if (config.mcpServers !== undefined && config.servers !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['servers'], message: 'both "mcpServers" and "servers" are given; keep one (they are the same list)' });
    } else if (config.mcpServers === undefined && config.servers === undefined) {
      ctx.addIssue({ code: 'custom', path: ['mcpServers'], message: 'expected an object of servers' });
    }
  });

export type RawConfig = z.infer<typeof configSchema>;
export type RawServer = z.infer<typeof serverSchema>;
