import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reference, REPO, runCli, tempProject } from '../helpers/cli.js';
import { FIXTURE_SERVERS } from '../helpers/servers.js';

function snapshotTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else files.set(path, readFileSync(join(dir, path), 'utf8'));
    }
  };
  walk('');
  return files;
}

describe('runbyte generate (built CLI, reference servers)', () => {
  it('writes one file per tool, byte-identical on a second run, and --check passes', async () => {
    const dir = tempProject({
      mcpServers: { filesystem: reference.filesystem(), memory: reference.memory(), everything: reference.everything() },
    });
    const first = await runCli(['generate'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/✓ filesystem \(\d+ tools\)/);
    const out = join(dir, 'generated');
    const lock = JSON.parse(readFileSync(join(out, 'runbyte.lock.json'), 'utf8'));
    for (const server of ['filesystem', 'memory', 'everything']) {
      const tools = Object.values(lock.servers[server].tools) as { file: string }[];
      expect(tools.length).toBeGreaterThan(3);
      const files = readdirSync(join(out, 'servers', server))
        .filter((f) => f !== 'index.ts' && f !== 'README.md')
        .sort();
      expect(files).toEqual(tools.map((tool) => tool.file.split('/').pop()).sort());
    }
    expect(readFileSync(join(out, 'servers/memory/createEntities.ts'), 'utf8')).toContain("callTool('memory', 'create_entities', args)");
    // server-everything sends instructions and offers resources, templates and prompts: its README
    // holds them, and the lock holds the README's hash.
    const readme = readFileSync(join(out, 'servers/everything/README.md'), 'utf8');
    expect(readme).toContain('## Instructions\n\n# Everything Server');
    expect(readme).toMatch(/## Resource templates\n\n- demo:\/\/resource\/dynamic\/blob\/\{resourceId\} — Dynamic Blob Resource: /);
    expect(readme).toMatch(/## Resources\n\n- demo:\/\/resource\/static\/document\//);
    expect(readme).toContain('- args-prompt(city, state?) — A prompt with two arguments');
    expect(readme).toContain('- simple-prompt() — A prompt with no arguments');
    expect(lock.servers.everything.readmeHash).toMatch(/^sha256-/);
    const before = snapshotTree(out);
    const second = await runCli(['generate'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 added, 0 changed, 0 removed/);
    expect(snapshotTree(out)).toEqual(before);
    const check = await runCli(['generate', '--check'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('is up to date');
  });

  it('--check writes nothing and names each stale or missing file; stale files are pruned', async () => {
    const dir = tempProject({ mcpServers: { memory: reference.memory() } });
    const missing = await runCli(['generate', '--check'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('missing: generated/servers/memory/createEntities.ts');
    expect(existsSync(join(dir, 'generated'))).toBe(false);

    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const tool = join(dir, 'generated/servers/memory/readGraph.ts');
    writeFileSync(tool, `${readFileSync(tool, 'utf8')}// edited\n`);
    writeFileSync(join(dir, 'generated/servers/memory/gone.ts'), '// a tool that disappeared\n');
    const stale = await runCli(['generate', '--check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('stale:   generated/servers/memory/readGraph.ts');
    expect(stale.stdout).toContain('extra:   generated/servers/memory/gone.ts');
    expect(readFileSync(tool, 'utf8')).toContain('// edited');

    const fixed = await runCli(['generate', '--json'], { cwd: dir });
    expect(fixed.code).toBe(0);
    const report = JSON.parse(fixed.stdout);
    expect(report.diff.changed).toEqual(['servers/memory/readGraph.ts']);
    expect(report.diff.removed).toEqual(['servers/memory/gone.ts']);
    expect(existsSync(join(dir, 'generated/servers/memory/gone.ts'))).toBe(false);
  });

  it('a server that will not start is reported by name while the others generate (exit 1), and keeps its files', async () => {
    const dir = tempProject({ mcpServers: { memory: reference.memory(), broken: { command: 'runbyte-no-such-command' } } });
    const result = await runCli(['generate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/✗ server "broken": .*runbyte-no-such-command/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'generated/servers/memory/readGraph.ts'))).toBe(true);
  });

  it('--server regenerates one server and leaves the others alone', async () => {
    const dir = tempProject({ mcpServers: { filesystem: reference.filesystem(), memory: reference.memory() } });
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const fsIndex = join(dir, 'generated/servers/filesystem/index.ts');
    writeFileSync(fsIndex, '// hand edit\n');
    const result = await runCli(['generate', '--server', 'memory'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(readFileSync(fsIndex, 'utf8')).toBe('// hand edit\n');
    const root = readFileSync(join(dir, 'generated/servers/index.ts'), 'utf8');
    expect(root).toContain("from './filesystem/index.js'");
    expect(root).toContain("from './memory/index.js'");
    const unknown = await runCli(['generate', '--server', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no server named "nope"');
  });

  it.each([
    ['a missing config', null, [], 2, /Error: no runbyte\.json found/],
    ['invalid JSON', '{ "mcpServers": ', [], 2, /runbyte\.json: invalid JSON/],
    [
      'a wrong field type',
      '{"mcpServers":{"github":{"command":"x","args":"a"}}}',
      [],
      2,
      /runbyte\.json: mcpServers\.github\.args: expected an array of strings/,
    ],
    [
      'an unset variable',
      '{"mcpServers":{"g":{"url":"https://x/${GH_TOKEN_UNSET}"}}}',
      [],
      2,
      /mcpServers\.g\.url: environment variable GH_TOKEN_UNSET is not set/,
    ],
    ['a missing --config file', null, ['--config', 'nope.json'], 2, /nope\.json: config file not found/],
    ['a server command that does not exist', '{"mcpServers":{"x":{"command":"runbyte-missing-binary"}}}', [], 1, /✗ server "x": .*runbyte-missing-binary/],
  ])('%s: one plain error, the right exit status, no stack trace', async (_name, config, extra, code, message) => {
    const dir = tempProject(config ?? '{}');
    if (config === null) rmSync(join(dir, 'runbyte.json'));
    const result = await runCli(['generate', ...extra], { cwd: dir });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
});

/** hostile.js serving the tools of `file` (a JSON array), as a runbyte.json entry. */
function served(file: string) {
  return { command: process.execPath, args: [join(FIXTURE_SERVERS, 'hostile.js'), file] };
}

/** Writes `count` plain tools (`tool_0`, `tool_1`, ...) to `<dir>/<name>.tools.json`; returns the path. */
function toolsFile(dir: string, name: string, count: number): string {
  const path = join(dir, `${name}.tools.json`);
  const tools = Array.from({ length: count }, (_, i) => ({
    name: `tool_${i}`,
    description: `Tool ${i} of ${name}.`,
    inputSchema: { type: 'object', properties: { value: { type: 'string' } } },
  }));
  writeFileSync(path, JSON.stringify(tools));
  return path;
}

function writeConfig(dir: string, config: unknown): void {
  writeFileSync(join(dir, 'runbyte.json'), JSON.stringify(config, null, 2));
}

const BROKEN = { command: 'runbyte-no-such-command' };

describe('generate never loses files it cannot replace', () => {
  it('a server that is down keeps its folder and its place when the lock is corrupt; so does one not selected when the lock is gone', async () => {
    const dir = tempProject({});
    const a = served(toolsFile(dir, 'a', 3));
    const b = served(toolsFile(dir, 'b', 3));
    writeConfig(dir, { mcpServers: { a, b } });
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const out = join(dir, 'generated');
    const before = snapshotTree(join(out, 'servers/b'));
    expect([...before.keys()].sort()).toEqual(['index.ts', 'tool0.ts', 'tool1.ts', 'tool2.ts']);

    writeFileSync(join(out, 'runbyte.lock.json'), '{ "generator": "runbyte", "servers": ');
    writeConfig(dir, { mcpServers: { a, b: BROKEN } });
    const down = await runCli(['generate'], { cwd: dir });
    expect(down.stderr).toMatch(/✗ server "b": .*runbyte-no-such-command/);
    expect(down.code).toBe(1);
    expect(snapshotTree(join(out, 'servers/b'))).toEqual(before);
    expect(readFileSync(join(out, 'servers/index.ts'), 'utf8')).toContain("export * as b from './b/index.js';");
    // The lock is whole again: b's entry read back from its files (names and files; hashes unknown until b is listed).
    const lock = JSON.parse(readFileSync(join(out, 'runbyte.lock.json'), 'utf8'));
    expect(Object.keys(lock.servers)).toEqual(['a', 'b']);
    expect(lock.servers.b.tools.tool_1).toEqual({ file: 'servers/b/tool1.ts', function: 'tool1', hash: 'unknown' });

    writeConfig(dir, { mcpServers: { a, b } });
    rmSync(join(out, 'runbyte.lock.json'));
    const selected = await runCli(['generate', '--server', 'a'], { cwd: dir });
    expect(selected.code).toBe(0);
    expect(snapshotTree(join(out, 'servers/b'))).toEqual(before);
    expect(readFileSync(join(out, 'servers/index.ts'), 'utf8')).toContain("export * as b from './b/index.js';");

    // Listed again, b gets its real hashes back and nothing else changes.
    const again = await runCli(['generate', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).diff).toMatchObject({ added: [], changed: ['runbyte.lock.json'], removed: [] });
  });

  it('an empty "mcpServers" removes nothing without --prune: one line says what would go and how; --prune removes it', async () => {
    const dir = tempProject({});
    writeConfig(dir, { mcpServers: { a: served(toolsFile(dir, 'a', 3)) } });
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const out = join(dir, 'generated');
    const before = snapshotTree(out);

    writeConfig(dir, { mcpServers: {} });
    const refused = await runCli(['generate'], { cwd: dir });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'Error: refusing to remove every server from the SDK in generated (servers/a/: 4 files); rerun `runbyte generate` with --prune to remove them\n',
    );
    expect(snapshotTree(out)).toEqual(before);

    const pruned = await runCli(['generate', '--prune'], { cwd: dir });
    expect(pruned.code).toBe(0);
    expect(existsSync(join(out, 'servers/a'))).toBe(false);
    expect(readFileSync(join(out, 'servers/index.ts'), 'utf8')).toContain('export {};');
  });

  it('a server that lists a fraction of its tools: removing more than half of the SDK files needs --prune, a few files do not', async () => {
    const dir = tempProject({});
    writeConfig(dir, { mcpServers: { a: served(join(dir, 'a.tools.json')) } });
    toolsFile(dir, 'a', 8);
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const out = join(dir, 'generated');

    toolsFile(dir, 'a', 7);
    const one = await runCli(['generate'], { cwd: dir });
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('1 removed');

    toolsFile(dir, 'a', 1);
    const before = snapshotTree(out);
    const refused = await runCli(['generate'], { cwd: dir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^Error: refusing to remove 6 of the 9 SDK files in generated \(servers\/a\/: 6 files\); rerun .* with --prune/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshotTree(out)).toEqual(before);

    // --check writes nothing anyway: it reports the files as extra.
    const check = await runCli(['generate', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('extra:   generated/servers/a/tool6.ts');

    const pruned = await runCli(['generate', '--prune'], { cwd: dir });
    expect(pruned.code).toBe(0);
    expect(readdirSync(join(out, 'servers/a')).sort()).toEqual(['index.ts', 'tool0.ts']);
  });

  it('--check with a server down reports the failure and exits 1, never "up to date"', async () => {
    const dir = tempProject({});
    const a = served(toolsFile(dir, 'a', 2));
    writeConfig(dir, { mcpServers: { a, b: served(toolsFile(dir, 'b', 2)) } });
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    writeConfig(dir, { mcpServers: { a, b: BROKEN } });
    const check = await runCli(['generate', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).not.toContain('up to date');
    expect(check.stderr).toMatch(/✗ server "b": .*runbyte-no-such-command/);
    expect(check.stderr).toContain('generated could not be checked against server b (failed, see above)');
  });

  it('--watch cannot be combined with --prune', async () => {
    const dir = tempProject({ mcpServers: {} });
    const result = await runCli(['generate', '--watch', '--prune'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--watch cannot be combined with --prune');
  });
});

describe('the committed SDK of this repo', () => {
  it('is what `runbyte generate --check` expects (CI guard)', async () => {
    const result = await runCli(['generate', '--check'], { cwd: REPO });
    expect(result.stdout + result.stderr).toContain('generated is up to date');
    expect(result.code).toBe(0);
  });
});
