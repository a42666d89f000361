import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { childProcesses, fixtureServer, referenceServer } from '../helpers/servers.js';

const hubs: Hub[] = [];
function hub(...args: ConstructorParameters<typeof Hub>): Hub {
  const created = new Hub(...args);
  hubs.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  vi.restoreAllMocks();
});

const tmp = mkdtempSync(join(tmpdir(), 'runbyte-hub-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Hub: reference servers over stdio', () => {
  it('connects to server-memory, server-filesystem and server-everything concurrently and lists their tools', async () => {
    writeFileSync(join(tmp, 'hello.txt'), 'hello');
    const h = hub(
      [referenceServer.everything('everything'), referenceServer.filesystem('filesystem', tmp), referenceServer.memory('memory', join(tmp, 'memory.jsonl'))],
      { connectTimeoutMs: 20_000 },
    );
    expect(await h.start()).toEqual([]);
    expect(h.connected()).toEqual(['everything', 'filesystem', 'memory']);

    const memory = await h.listTools('memory');
    expect(memory.map((tool) => tool.name)).toContain('create_entities');
    const filesystem = await h.listTools('filesystem');
    expect(filesystem.map((tool) => tool.name)).toEqual(expect.arrayContaining(['read_text_file', 'list_directory']));
    const readText = filesystem.find((tool) => tool.name === 'read_text_file')!;
    expect(readText.inputSchema).toMatchObject({ type: 'object', properties: { path: { type: 'string' } } });
    expect(typeof readText.description).toBe('string');

    const all = await h.listAll();
    expect(all.failures).toEqual([]);
    expect(all.tools.map((entry) => entry.server)).toEqual(['everything', 'filesystem', 'memory']);
    for (const { tools } of all.tools) {
      const names = tools.map((tool) => tool.name);
      expect(names).toEqual([...names].sort());
      expect(tools.length).toBeGreaterThan(3);
    }
    expect(all.tools[0].tools.map((tool) => tool.name)).toContain('echo');

    const read = await h.callTool('filesystem', 'read_text_file', { path: join(tmp, 'hello.txt') });
    expect(read.isError).toBeFalsy();
    expect(JSON.stringify(read.content)).toContain('hello');
  });
});

describe('Hub: start failures are per server, by name', () => {
  it('a command that does not exist fails by name while the others connect', async () => {
    const h = hub(
      [
        { name: 'broken', transport: 'stdio', command: 'runbyte-no-such-command', args: [], env: {}, cwd: tmp },
        referenceServer.memory('memory', join(tmp, 'memory2.jsonl')),
      ],
      { connectTimeoutMs: 20_000 },
    );
    const failures = await h.start();
    expect(failures).toEqual([{ server: 'broken', message: 'server "broken": cannot start "runbyte-no-such-command": not found (ENOENT)' }]);
    expect(h.connected()).toEqual(['memory']);
    expect((await h.listAll()).tools.map((entry) => entry.server)).toEqual(['memory']);
  });

  it('a server that never answers initialize fails at connectTimeoutMs, and its child is killed', async () => {
    const h = hub([fixtureServer('silent', 'silent.js'), fixtureServer('faults', 'faults.js')], { connectTimeoutMs: 500 });
    const started = Date.now();
    const failures = await h.start();
    const elapsed = Date.now() - started;
    expect(failures).toEqual([{ server: 'silent', message: 'server "silent": did not answer initialize within 0.5 s' }]);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3000);
    expect(h.connected()).toEqual(['faults']);
    // silent.js ignores the end of stdin: the hub had to signal it, before start() returned.
    expect(childProcesses().filter((child) => child.command.includes('silent.js'))).toEqual([]);
  });

  it('the tail of stderr of a server that prints and exits is in its message', async () => {
    const h = hub([fixtureServer('dies', 'dies.js')], { connectTimeoutMs: 5000 });
    const [failure] = await h.start();
    expect(failure.server).toBe('dies');
    const lines = failure.message.split('\n');
    expect(lines[0]).toBe('server "dies": exited before answering initialize; its stderr ended with:');
    expect(lines.slice(1)).toEqual(['  starting dies.js', '  boom: missing API key']);
  });

  it('keeps only the last 5 lines of stderr, cleaned of terminal escapes', async () => {
    const noisy = join(tmp, 'noisy.js');
    writeFileSync(
      noisy,
      "for (let i = 1; i <= 20; i++) process.stderr.write(`line ${i}\\n`);\nprocess.stderr.write('\\u001b[31mred\\u001b[0m and bell\\u0007');\nprocess.exit(3);\n",
    );
    const h = hub([{ name: 'noisy', transport: 'stdio', command: process.execPath, args: [noisy], env: {}, cwd: tmp }], {
      connectTimeoutMs: 5000,
    });
    const [failure] = await h.start();
    expect(failure.message.split('\n').slice(1)).toEqual(['  line 17', '  line 18', '  line 19', '  line 20', '  red and bell']);
  });

  it('an uncaught error: the tail keeps its message, not the stack frames', async () => {
    const thrower = join(tmp, 'thrower.mjs');
    writeFileSync(thrower, "function start() {\n  throw new Error('GITHUB_TOKEN is not set');\n}\nstart();\n");
    const h = hub([{ name: 'thrower', transport: 'stdio', command: process.execPath, args: [thrower], env: {}, cwd: tmp }], {
      connectTimeoutMs: 5000,
    });
    const [failure] = await h.start();
    expect(failure.message).toContain('\n  Error: GITHUB_TOKEN is not set');
    expect(failure.message).not.toMatch(/\n\s+at /);
  });

  it('a working directory that does not exist is named', async () => {
    const h = hub([fixtureServer('lost', 'faults.js', [], { cwd: join(tmp, 'no-such-dir') })], { connectTimeoutMs: 5000 });
    expect(await h.start()).toEqual([{ server: 'lost', message: `server "lost": working directory "${join(tmp, 'no-such-dir')}" does not exist` }]);
  });

  it('a failed server is tried again lazily, on the next request to it', async () => {
    const flag = join(tmp, 'down.flag');
    writeFileSync(flag, '');
    const h = hub([fixtureServer('flaky', 'faults.js', ['--exit-if', flag])], { connectTimeoutMs: 5000 });
    const [failure] = await h.start();
    expect(failure.message).toContain('server "flaky": exited before answering initialize');
    expect(failure.message).toContain(`faults: ${flag} exists, exiting`);
    rmSync(flag);
    expect(h.connected()).toEqual([]);
    expect((await h.callTool('flaky', 'echo', { value: 1 })).structuredContent).toEqual({ value: 1 });
    expect(h.connected()).toEqual(['flaky']);
  });
});

describe('Hub: what a child sees and says', () => {
  it('gets the safelisted environment plus its configured env, not all of process.env', async () => {
    process.env.RUNBYTE_HUB_TEST_SECRET = 'do-not-leak';
    try {
      const h = hub([fixtureServer('faults', 'faults.js', [], { env: { GREETING: 'hi' } })], { connectTimeoutMs: 5000 });
      expect(await h.start()).toEqual([]);
      const env = async (name: string) => JSON.parse(String((await h.callTool('faults', 'env', { name })).content?.[0].text));
      expect(await env('GREETING')).toBe('hi');
      expect(await env('PATH')).toBe(process.env.PATH);
      expect(await env('RUNBYTE_HUB_TEST_SECRET')).toBeNull();
    } finally {
      delete process.env.RUNBYTE_HUB_TEST_SECRET;
    }
  });

  it("a child's stderr reaches neither our stdout nor (without RUNBYTE_DEBUG) our stderr", async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const h = hub([fixtureServer('chatty', 'faults.js', ['--stderr', 'chatty: hello from the child'])], { connectTimeoutMs: 5000 });
    expect(await h.start()).toEqual([]);
    await h.callTool('chatty', 'pid', {});
    await h.close();
    const written = [...stdout.mock.calls, ...stderr.mock.calls].map((call) => String(call[0])).join('');
    expect(written).not.toContain('chatty: hello from the child');
  });
});
