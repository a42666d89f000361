import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePairs } from '../../src/hub/call-one.js';
import { RunbyteError } from '../../src/shared/errors.js';
import { reference, runCli, tempProject } from '../helpers/cli.js';

describe('runbyte call', () => {
  const dir = tempProject({ mcpServers: { filesystem: reference.filesystem(), memory: reference.memory(), off: { command: 'x', disabled: true } } });
  mkdirSync(join(dir, 'data', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'data', 'sub', 'hello.txt'), 'one\ntwo\nthree\n');

  it('calls a tool live and prints its value (structuredContent) as JSON; key=value adds to --args', async () => {
    const started = performance.now();
    const path = join(dir, 'data', 'sub', 'hello.txt');
    const result = await runCli(['call', 'filesystem.read_text_file', '--args', JSON.stringify({ path }), 'head=2'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // head=2 went as the number 2: the server returned two lines.
    expect(JSON.parse(result.stdout)).toEqual({ content: 'one\ntwo' });
    console.log(`call wall time: ${Math.round(performance.now() - started)} ms`);
  });

  it('--args alone; --json wraps the value; the memory server keeps what was created', async () => {
    const created = await runCli(
      ['call', 'memory.create_entities', '--args', '{"entities":[{"name":"Ada","entityType":"person","observations":["wrote the first program"]}]}'],
      {
        cwd: dir,
      },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const found = await runCli(['call', 'memory.search_nodes', 'query=Ada', '--json'], { cwd: dir });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual({
      ok: true,
      value: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }], relations: [] },
    });
  });

  it('a tool that answers isError exits 1 with its message', async () => {
    const result = await runCli(['call', 'filesystem.read_text_file', `path=${join(dir, 'data', 'missing.txt')}`], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^filesystem\.read_text_file failed: .*ENOENT/);
    const json = await runCli(['call', 'filesystem.read_text_file', `path=${join(dir, 'data', 'missing.txt')}`, '--json'], { cwd: dir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/ENOENT/) });
  });

  it.each<[string, string[], string]>([
    ['an unknown server', ['memroy.read_graph'], `Error: no server named "memroy" in {dir}/runbyte.json; did you mean "memory"?`],
    ['a disabled server', ['off.anything'], 'Error: server "off" is disabled in {dir}/runbyte.json'],
    ['an unknown tool', ['filesystem.read_text_fil'], 'Error: server "filesystem" has no tool "read_text_fil"; did you mean "read_text_file"?'],
    ['no tool at all', ['memory'], 'Error: "memory": expected SERVER.TOOL, like memory.read_graph'],
    ['a misspelled argument', ['filesystem.read_text_file', 'pth=a.txt'], 'Error: filesystem.read_text_file: unknown argument "pth"; did you mean "path"?'],
    [
      'an argument of the wrong type',
      ['filesystem.read_text_file', 'path=a.txt', 'head=two'],
      'Error: filesystem.read_text_file: argument head must be number (got string)',
    ],
    ['a missing argument', ['filesystem.read_text_file'], 'Error: filesystem.read_text_file: argument path is missing'],
    [
      'a nested argument',
      ['memory.create_entities', 'entities=[{"name":"A","observations":[]}]'],
      'Error: memory.create_entities: argument entities[0].entityType is missing',
    ],
    ['a word without =', ['filesystem.read_text_file', 'a.txt'], 'Error: "a.txt": expected key=value (this tool takes: path, tail, head)'],
    ['--args that is not JSON', ['memory.read_graph', '--args', '{nope'], 'Error: --args: not valid JSON: '],
    ['--args that is not an object', ['memory.read_graph', '--args', '[1]'], 'Error: --args: expected a JSON object of arguments, like {"path": "notes.md"}'],
  ])('%s: exit 2 naming it', async (_name, args, message) => {
    const result = await runCli(['call', ...args], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(message.replace('{dir}', dir))).toBe(true);
  });
});

describe('key=value', () => {
  const schema = { type: 'object', properties: { path: { type: 'string' }, n: { type: 'number' }, tags: { type: 'array' } } };

  it.each<[string, unknown]>([
    ['n=3', 3],
    ['n=-1.5e2', -150],
    ['ok=true', true],
    ['ok=false', false],
    ['x=null', null],
    ['tags=["a","b"]', ['a', 'b']],
    ['o={"k":1}', { k: 1 }],
    ['q="3"', '3'],
    ['s=hello world', 'hello world'],
    ['s=007', '007'],
    ['s=', ''],
    ['s=a=b', 'a=b'],
    ['path=2024', '2024'],
    ['path=true', 'true'],
  ])('%s', (pair, expected) => {
    const key = pair.slice(0, pair.indexOf('='));
    expect(parsePairs([pair], schema)[key]).toEqual(expected);
  });

  it('a key given twice is an error', () => {
    expect(() => parsePairs(['n=1', 'n=2'], schema)).toThrow(RunbyteError);
  });
});
