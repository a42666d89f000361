import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { RunbyteError } from '../../src/shared/errors.js';
import { reference, runCli, tempProject } from '../helpers/cli.js';

const PATH = '/project/runbyte.json';
const server = { command: 'node' };

function failure(config: unknown): RunbyteError {
  try {
    parseConfig(JSON.stringify(config), PATH, {});
  } catch (error) {
    expect(error).toBeInstanceOf(RunbyteError);
    return error as RunbyteError;
  }
  throw new Error('expected parseConfig to throw');
}

describe('unknown keys are errors, with the nearest known key', () => {
  it.each<[string, unknown, string]>([
    ['a sandbox key in the wrong case', { mcpServers: {}, sandbox: { memoryMB: 64 } }, 'sandbox.memoryMB: unknown key; did you mean "memoryMb"?'],
    ['a top-level key in the wrong case', { mcpServers: {}, outdir: 'sdk' }, 'outdir: unknown key; did you mean "outDir"?'],
    ['a misspelled top-level key', { mcpServer: { a: server } }, 'mcpServer: unknown key; did you mean "mcpServers"?'],
    ['a server setting', { mcpServers: {}, server: { connectTimout: 5 } }, 'server.connectTimout: unknown key; did you mean "connectTimeout"?'],
    ['a server entry key', { mcpServers: { gh: { command: 'x', arg: ['a'] } } }, 'mcpServers.gh.arg: unknown key; did you mean "args"?'],
    ['a server entry key under VS Code\'s "servers"', { servers: { gh: { command: 'x', evn: {} } } }, 'servers.gh.evn: unknown key; did you mean "env"?'],
    [
      'an oauth key',
      { mcpServers: { gh: { url: 'https://x/mcp', oauth: { clientID: 'a' } } } },
      'mcpServers.gh.oauth.clientID: unknown key; did you mean "clientId"?',
    ],
    ['a key near nothing', { mcpServers: {}, sandbox: { colour: 'blue' } }, 'sandbox.colour: unknown key'],
  ])('%s', (_name, config, message) => {
    const error = failure(config);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(`${PATH}: ${message}`);
  });

  it('a key near nothing lists the keys that are known there', () => {
    expect(failure({ mcpServers: {}, sandbox: { colour: 'blue' } }).suggestions[0]).toMatch(/^known keys here: memoryMb, maxOutputChars, /);
  });

  it('refuses envFile with its own reason (the server would start without its variables)', () => {
    expect(failure({ servers: { a: { ...server, envFile: '${workspaceFolder}/.env' } } }).message).toBe(
      `${PATH}: servers.a.envFile: runbyte does not read env files: name each variable under "env" as "NAME": "\${NAME}" and export it`,
    );
  });

  it('accepts the keys other clients write and runbyte ignores', () => {
    const config = parseConfig(
      JSON.stringify({
        $schema: 'https://example.com/schema.json',
        inputs: [{ type: 'promptString', id: 'token', password: true }],
        servers: {
          a: {
            ...server,
            autoApprove: ['x'],
            alwaysAllow: [],
            disabledTools: ['y'],
            description: 'a note',
            dev: { watch: '*.js' },
            gallery: 'https://g',
            version: '1.0.0',
          },
        },
      }),
      PATH,
      {},
    );
    expect(config.servers).toEqual([{ name: 'a', transport: 'stdio', command: 'node', args: [], env: {}, cwd: '/project' }]);
  });
});

describe('VS Code\'s "servers" key', () => {
  it('is the same list as mcpServers', () => {
    const config = parseConfig(JSON.stringify({ servers: { b: { type: 'http', url: 'http://127.0.0.1:1/mcp' }, a: server } }), PATH, {});
    expect(config.servers.map((s) => [s.name, s.transport])).toEqual([
      ['a', 'stdio'],
      ['b', 'http'],
    ]);
  });

  it('with mcpServers too is an error', () => {
    expect(failure({ mcpServers: { a: server }, servers: { b: server } }).message).toBe(
      `${PATH}: servers: both "mcpServers" and "servers" are given; keep one (they are the same list)`,
    );
  });

  it('errors name the key the file uses', () => {
    expect(failure({ servers: { '1x': server } }).message).toMatch(/: servers\."1x": a server name must start with a letter/);
    expect(failure({ servers: { a: { url: 'ftp://x' } } }).message).toBe(`${PATH}: servers.a.url: expected an http or https URL`);
  });
});

describe('"disabled": true', () => {
  it('leaves the server out of servers and names it in disabledServers', () => {
    const config = parseConfig(
      JSON.stringify({ mcpServers: { on: server, off: { ...server, disabled: true }, also: { ...server, disabled: false } } }),
      PATH,
      {},
    );
    expect(config.servers.map((s) => s.name)).toEqual(['also', 'on']);
    expect(config.disabledServers).toEqual(['off']);
  });

  it('a disabled server is not expanded: its unset variables are no error', () => {
    const config = parseConfig(JSON.stringify({ mcpServers: { off: { ...server, disabled: true, env: { T: '${UNSET_TOKEN}' } } } }), PATH, {});
    expect(config.disabledServers).toEqual(['off']);
  });

  it('must be a boolean', () => {
    expect(failure({ mcpServers: { a: { ...server, disabled: 'yes' } } }).message).toBe(`${PATH}: mcpServers.a.disabled: expected true or false`);
  });
});

describe('through the CLI', () => {
  it('an unknown key exits 2 with the suggestion, naming the config file', async () => {
    const dir = tempProject({ mcpServers: {}, sandbox: { memoryMB: 64 } });
    const result = await runCli(['list'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Error: ${dir}/runbyte.json: sandbox.memoryMB: unknown key; did you mean "memoryMb"?\n`);
  });

  it('list says a disabled server is disabled and never starts it', async () => {
    // "never starts": its command does not exist, and list still exits 0.
    const dir = tempProject({ servers: { memory: reference.memory(), off: { command: 'runbyte-not-installed', disabled: true } } });
    const result = await runCli(['list'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^memory \(9 tools\)$/m);
    expect(result.stdout).toMatch(/^off \(disabled\)$/m);
    const json = await runCli(['list', 'off', '--json'], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ servers: [{ name: 'off', disabled: true, tools: [] }] });
  });

  it('--server and list SERVER name the nearest configured server (exit 2)', async () => {
    const dir = tempProject({ mcpServers: { memory: reference.memory(), off: { command: 'x', disabled: true } } });
    const list = await runCli(['list', 'memroy'], { cwd: dir });
    expect(list.code).toBe(2);
    expect(list.stderr).toContain(`Error: no server named "memroy" in ${dir}/runbyte.json; did you mean "memory"?\nTry this: configured servers: memory\n`);
    const generate = await runCli(['generate', '--server', 'memori'], { cwd: dir });
    expect(generate.code).toBe(2);
    expect(generate.stderr).toContain('no server named "memori"');
    expect(generate.stderr).toContain('did you mean "memory"?');
    const off = await runCli(['generate', '--server', 'off'], { cwd: dir });
    expect(off.code).toBe(2);
    expect(off.stderr).toContain(`Error: server "off" is disabled in ${dir}/runbyte.json`);
  });
});
