import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfig, loadConfig, parseConfig } from '../../src/config/index.js';
import { RunbyteError } from '../../src/shared/errors.js';

const PATH = '/project/runbyte.json';

function failure(text: string, env: NodeJS.ProcessEnv = {}): RunbyteError {
  try {
    parseConfig(text, PATH, env);
  } catch (error) {
    expect(error).toBeInstanceOf(RunbyteError);
    return error as RunbyteError;
  }
  throw new Error('expected parseConfig to throw');
}

describe('parseConfig', () => {
  it('resolves stdio, http and sse servers with defaults, sorted by name', () => {
    const config = parseConfig(
      JSON.stringify({
        mcpServers: {
          zeta: { command: 'node', args: ['server.js'], env: { A: '1' } },
          alpha: { url: 'http://127.0.0.1:1/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } },
          legacy: { type: 'sse', url: 'http://127.0.0.1:2/sse' },
          local: { command: './bin/server', cwd: 'sub' },
        },
      }),
      PATH,
      { TOKEN: 'secret' },
    );
    expect(config.servers.map((s) => s.name)).toEqual(['alpha', 'legacy', 'local', 'zeta']);
    expect(config.servers[0]).toEqual({
      name: 'alpha',
      transport: 'http',
      url: 'http://127.0.0.1:1/mcp',
      headers: { Authorization: 'Bearer secret' },
    });
    expect(config.servers[1]).toMatchObject({ transport: 'sse' });
    expect(config.servers[2]).toMatchObject({ command: '/project/bin/server', cwd: '/project/sub' });
    expect(config.servers[3]).toEqual({
      name: 'zeta',
      transport: 'stdio',
      command: 'node',
      args: ['server.js'],
      env: { A: '1' },
      cwd: '/project',
    });
    expect(config.outDir).toBe('/project/generated');
    expect(config.workspaceDir).toBe('/project/.runbyte/workspace');
    expect(config.server).toEqual({ port: 3000, timeout: 30, connectTimeout: 30, sessionIdleSeconds: 1800, maxSessions: 100 });
    expect(config.sandbox).toEqual({
      memoryMb: 256,
      maxOutputChars: 40_000,
      maxMediaBytes: 5 * 2 ** 20,
      workspaceQuotaMb: 100,
      workspaceMaxEntries: 10_000,
      compilerMemoryMb: 1024,
    });
  });

  it('defines ${RUNBYTE_CONFIG_DIR} as the folder of the config file', () => {
    const config = parseConfig('{"mcpServers":{"m":{"command":"node","env":{"F":"${RUNBYTE_CONFIG_DIR}/m.jsonl"}}}}', PATH, {});
    expect(config.servers[0]).toMatchObject({ env: { F: '/project/m.jsonl' } });
  });

  it('supports ${VAR:-default} and ${env:VAR}', () => {
    const config = parseConfig('{"mcpServers":{"a":{"command":"${CMD:-node}","args":["${env:ARG}"]}},"outDir":"${OUT:-sdk}"}', PATH, { ARG: 'x' });
    expect(config.servers[0]).toMatchObject({ command: 'node', args: ['x'] });
    expect(config.outDir).toBe('/project/sdk');
  });

  it('reads the HTTP session limits', () => {
    const config = parseConfig('{"mcpServers":{},"server":{"sessionIdleSeconds":1.5,"maxSessions":3}}', PATH, {});
    expect(config.server).toMatchObject({ sessionIdleSeconds: 1.5, maxSessions: 3 });
    const sandbox = parseConfig('{"mcpServers":{},"sandbox":{"workspaceMaxEntries":50,"compilerMemoryMb":2048}}', PATH, {}).sandbox;
    expect(sandbox).toMatchObject({ workspaceMaxEntries: 50, compilerMemoryMb: 2048 });
  });

  it('reads sandbox.maxMediaBytes (0 sends no media)', () => {
    expect(parseConfig('{"mcpServers":{},"sandbox":{"maxMediaBytes":1000}}', PATH, {}).sandbox.maxMediaBytes).toBe(1000);
    expect(parseConfig('{"mcpServers":{},"sandbox":{"maxMediaBytes":0}}', PATH, {}).sandbox.maxMediaBytes).toBe(0);
  });

  it('reads locked, policy and audit with their defaults, and refuses malformed ones', () => {
    const plain = parseConfig('{"mcpServers":{}}', PATH, {});
    expect([plain.locked, plain.policy, plain.audit]).toEqual([false, {}, { path: '/project/.runbyte/audit.jsonl', arguments: false, maxBytes: 10 * 2 ** 20 }]);
    const set = parseConfig(
      JSON.stringify({
        mcpServers: {},
        locked: true,
        policy: { 'github.delete_*': 'deny', '*.*': 'ask' },
        audit: { path: 'logs/a.jsonl', arguments: true, maxMb: 1 },
      }),
      PATH,
      {},
    );
    expect([set.locked, set.policy, set.audit]).toEqual([
      true,
      { 'github.delete_*': 'deny', '*.*': 'ask' },
      { path: '/project/logs/a.jsonl', arguments: true, maxBytes: 2 ** 20 },
    ]);
    expect(parseConfig('{"mcpServers":{},"audit":false}', PATH, {}).audit).toBe(false);
    expect(failure('{"mcpServers":{},"policy":{"github":"deny"}}').message).toBe(
      '/project/runbyte.json: policy.github: expected "<server>.<tool>" keys, with * as a wildcard (e.g. "github.delete_*")',
    );
    expect(failure('{"mcpServers":{},"policy":{"github.x":"block"}}').message).toBe(
      '/project/runbyte.json: policy.github.x: expected "allow", "ask" or "deny"',
    );
    expect(failure('{"mcpServers":{},"audit":true}').message).toBe('/project/runbyte.json: audit: expected false, or an object with path, arguments and maxMb');
  });

  it("reads a remote server's oauth client, with ${VAR} expanded, and refuses a malformed one", () => {
    const config = parseConfig(
      JSON.stringify({
        mcpServers: {
          github: { url: 'http://127.0.0.1:1/mcp', oauth: { clientId: 'runbyte-cli', clientSecret: '${SECRET}', scopes: ['repo', 'read:org'] } },
          linear: { url: 'http://127.0.0.1:2/mcp' },
        },
      }),
      PATH,
      { SECRET: 's3' },
    );
    expect(config.servers[0]).toMatchObject({ oauth: { clientId: 'runbyte-cli', clientSecret: 's3', scopes: ['repo', 'read:org'] } });
    expect('oauth' in config.servers[1]!).toBe(false);
    expect(failure('{"mcpServers":{"g":{"url":"http://x","oauth":{"scopes":"repo"}}}}').message).toBe(
      '/project/runbyte.json: mcpServers.g.oauth.scopes: expected an array of strings',
    );
    expect(failure('{"mcpServers":{"g":{"url":"http://x","oauth":"yes"}}}').message).toBe(
      '/project/runbyte.json: mcpServers.g.oauth: expected an object with clientId, clientSecret and scopes',
    );
  });

  it("reads a server's own call timeout (seconds), on stdio and remote servers, only when it is set", () => {
    const config = parseConfig(
      JSON.stringify({
        mcpServers: {
          github: { url: 'http://127.0.0.1:1/mcp', timeout: 120 },
          local: { command: 'node', timeout: 0.5 },
          plain: { command: 'node' },
        },
      }),
      PATH,
      {},
    );
    expect(config.servers.map((server) => server.timeout)).toEqual([120, 0.5, undefined]);
    expect('timeout' in config.servers[2]).toBe(false);
  });

  it.each([
    [
      '{"mcpServers":{"github":{"command":"x","timeout":0}}}',
      'CONFIG_INVALID',
      /^\/project\/runbyte\.json: mcpServers\.github\.timeout: expected a number of seconds above 0 \(the limit of one call to this server\)$/,
    ],
    ['{"mcpServers":{"github":{"url":"http://x","timeout":-5}}}', 'CONFIG_INVALID', /mcpServers\.github\.timeout: expected a number of seconds above 0/],
    [
      '{"mcpServers":{"github":{"command":"x","timeout":"30"}}}',
      'CONFIG_INVALID',
      /mcpServers\.github\.timeout: expected a number of seconds \(the limit of one call to this server\)$/,
    ],
    ['{"mcpServers":{"github":{"command":"x","timeout":1e9}}}', 'CONFIG_INVALID', /mcpServers\.github\.timeout: expected at most 604800 seconds \(7 days\)$/],
    ['{', 'CONFIG_INVALID', /^\/project\/runbyte\.json: invalid JSON: /],
    ['[]', 'CONFIG_INVALID', /runbyte\.json: /],
    ['{}', 'CONFIG_INVALID', /runbyte\.json: mcpServers: expected an object of servers$/],
    ['{"mcpServers":{"github":{"command":"x","args":"a"}}}', 'CONFIG_INVALID', /runbyte\.json: mcpServers\.github\.args: expected an array of strings$/],
    ['{"mcpServers":{"g":{"command":"x","env":{"A":1}}}}', 'CONFIG_INVALID', /mcpServers\.g\.env\.A: expected a string$/],
    ['{"mcpServers":{"g":{}}}', 'CONFIG_INVALID', /mcpServers\.g: expected "command" \(stdio\) or "url" \(HTTP\)$/],
    ['{"mcpServers":{"g":{"url":"ftp://x"}}}', 'CONFIG_INVALID', /mcpServers\.g\.url: expected an http or https URL$/],
    ['{"mcpServers":{"g":{"command":"x","url":"http://x"}}}', 'CONFIG_INVALID', /has both "command" and "url"/],
    ['{"mcpServers":{"a b":{"command":"x"}}}', 'CONFIG_INVALID', /mcpServers\."a b": a server name must start/],
    ['{"mcpServers":{"../x":{"command":"x"}}}', 'CONFIG_INVALID', /a server name must start/],
    ['{"mcpServers":{"index":{"command":"x"}}}', 'CONFIG_INVALID', /"index" is reserved/],
    ['{"mcpServers":{"Git":{"command":"x"},"git":{"command":"x"}}}', 'CONFIG_INVALID', /only in case/],
    ['{"mcpServers":{"g":{"url":"${NOPE}"}}}', 'CONFIG_ENV', /mcpServers\.g\.url: environment variable NOPE is not set$/],
    ['{"mcpServers":{},"sandbox":{"memoryMb":"x"}}', 'CONFIG_INVALID', /sandbox\.memoryMb: expected a number of MB$/],
    ['{"mcpServers":{},"server":{"sessionIdleSeconds":0}}', 'CONFIG_INVALID', /server\.sessionIdleSeconds: expected a number of seconds$/],
    ['{"mcpServers":{},"server":{"sessionIdleSeconds":"1800"}}', 'CONFIG_INVALID', /server\.sessionIdleSeconds: expected a number of seconds$/],
    ['{"mcpServers":{},"server":{"sessionIdleSeconds":1e9}}', 'CONFIG_INVALID', /server\.sessionIdleSeconds: expected at most 604800 seconds \(7 days\)$/],
    ['{"mcpServers":{},"server":{"maxSessions":0}}', 'CONFIG_INVALID', /server\.maxSessions: expected at least 1 session$/],
    ['{"mcpServers":{},"server":{"maxSessions":2.5}}', 'CONFIG_INVALID', /server\.maxSessions: expected a whole number of sessions$/],
    ['{"mcpServers":{},"server":{"maxSessions":1e6}}', 'CONFIG_INVALID', /server\.maxSessions: expected at most 10000 sessions$/],
    ['{"mcpServers":{},"sandbox":{"compilerMemoryMb":64}}', 'CONFIG_INVALID', /sandbox\.compilerMemoryMb: .*256/],
    ['{"mcpServers":{},"sandbox":{"maxMediaBytes":"5MB"}}', 'CONFIG_INVALID', /sandbox\.maxMediaBytes: expected a number of bytes$/],
    ['{"mcpServers":{},"sandbox":{"maxMediaBytes":-1}}', 'CONFIG_INVALID', /sandbox\.maxMediaBytes: expected 0 or more bytes$/],
    ['{"mcpServers":{},"sandbox":{"maxMediaBytes":1.5}}', 'CONFIG_INVALID', /sandbox\.maxMediaBytes: expected a whole number of bytes$/],
    ['{"mcpServers":{},"sandbox":{"workspaceMaxEntries":"many"}}', 'CONFIG_INVALID', /sandbox\.workspaceMaxEntries: expected a number of files and folders/],
  ])('rejects %s', (text, code, message) => {
    const error = failure(text);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('findConfig', () => {
  it('prefers --config, then RUNBYTE_CONFIG, then ./runbyte.json, then the home locations', () => {
    const root = mkdtempSync(join(tmpdir(), 'runbyte-config-'));
    const home = join(root, 'home');
    const cwd = join(root, 'cwd');
    mkdirSync(join(home, '.config', 'runbyte'), { recursive: true });
    mkdirSync(join(home, '.runbyte'), { recursive: true });
    mkdirSync(cwd, { recursive: true });
    const env = { HOME: home };
    writeFileSync(join(home, '.runbyte', 'config.json'), '{"mcpServers":{}}');
    expect(findConfig({ cwd, env })).toBe(join(home, '.runbyte', 'config.json'));
    writeFileSync(join(home, '.config', 'runbyte', 'config.json'), '{"mcpServers":{}}');
    expect(findConfig({ cwd, env })).toBe(join(home, '.config', 'runbyte', 'config.json'));
    writeFileSync(join(cwd, 'runbyte.json'), '{"mcpServers":{}}');
    expect(findConfig({ cwd, env })).toBe(join(cwd, 'runbyte.json'));
    writeFileSync(join(root, 'other.json'), '{"mcpServers":{}}');
    expect(findConfig({ cwd, env: { ...env, RUNBYTE_CONFIG: '../other.json' } })).toBe(join(root, 'other.json'));
    expect(findConfig({ cwd, env, configPath: 'runbyte.json' })).toBe(join(cwd, 'runbyte.json'));
    expect(loadConfig({ cwd, env }).path).toBe(join(cwd, 'runbyte.json'));
  });

  it('names the missing file', () => {
    expect(() => findConfig({ cwd: '/nonexistent', env: {}, configPath: 'nope.json' })).toThrow('/nonexistent/nope.json: config file not found');
  });
});
