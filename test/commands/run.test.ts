// `runbyte run FILE.ts` (the built CLI): the value as JSON on stdout, console on stderr, exit 0;
// a failing script exits 1 with the execute_code error text and no stack trace; --json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.js';
import { FIXTURE_SERVERS } from '../helpers/servers.js';

let dir: string;

/** Writes `code` to FILE in the project and runs `runbyte run FILE ...flags`. */
function run(file: string, code: string, flags: string[] = []) {
  writeFileSync(join(dir, file), code);
  return runCli(['run', file, ...flags], { cwd: dir });
}

/** What a Node or oclif stack trace would leave in the output. */
const STACK_TRACE = /node:internal|\/dist\/|\bat .*\.js:\d+:\d+|file:\/\//;

beforeAll(async () => {
  dir = tempProject({
    mcpServers: { faults: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'faults.js')] } },
    server: { timeout: 1 },
    sandbox: { maxOutputChars: 200 },
  });
  // The first run generates the SDK (there is none yet) and so checks against it.
  const first = await run('first.ts', "import { echo } from './servers/faults';\nreturn (await echo({ value: 'ready' })).value;\n");
  expect(first).toMatchObject({ code: 0, stdout: '"ready"\n' });
});

describe('runbyte run', () => {
  it('prints the value as JSON on stdout and the console on stderr, and exits 0', async () => {
    const result = await run(
      'ok.ts',
      "import { sleep } from './servers/faults';\n\nasync function exec() {\n  console.log('working', { step: 1 });\n  console.warn('careful');\n  return { answer: await sleep({ ms: 5 }), list: [1, 'two'] };\n}\n",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"answer":"slept 5","list":[1,"two"]}\n');
    expect(result.stderr).toBe('working {"step":1}\n[warn] careful\n');
  });

  it('a failing script exits 1 with the phase-named message on stderr and no stack trace', async () => {
    const result = await run('fails.ts', "console.log('before');\nconst n = 2;\nif (n > 1) throw new Error('too big');\nreturn n;\n");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('before\nRuntime error\nError: too big\n    at code.ts:3:22\n');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('a failed tool call names server and tool and points at the calling line', async () => {
    const result = await run('tool.ts', "import { fail } from './servers/faults';\n\nawait fail({ message: 'quota exceeded' });\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Runtime error\nToolError: faults.fail failed: quota exceeded\n    at code.ts:3:11\n');
  });

  it('a type error exits 1 and nothing runs', async () => {
    const result = await run('types.ts', "import { sleep } from './servers/faults';\nconsole.log('never');\nawait sleep({ ms: 'soon' });\n");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("Type check failed\ncode.ts(3,15): error TS2322: Type 'string' is not assignable to type 'number'.\n");
  });

  it('an endless loop exits 1 at the configured timeout', async () => {
    const result = await run('loop.ts', 'while (true) {}\n');
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'Timed out after 1 s\n' });
  });

  it('--json prints the outcome as JSON: the value, or the phase and the error', async () => {
    const ok = await run('json-ok.ts', "console.log('to stderr');\nreturn { a: [1, 2] };\n", ['--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, value: { a: [1, 2] } });
    expect(ok.stderr).toBe('to stderr\n');

    const failed = await run('json-fail.ts', "throw new TypeError('nope');\n", ['--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual({ ok: false, phase: 'Runtime error', error: 'Runtime error\nTypeError: nope\n    at code.ts:1:11' });
  });

  it('--json with a value longer than maxOutputChars gives the cut text, flagged, not a parse error', async () => {
    const result = await run('json-big.ts', "return 'q'.repeat(5000);\n", ['--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { ok: boolean; truncated: boolean; text: string };
    expect(output).toMatchObject({ ok: true, truncated: true });
    const [shown, note] = output.text.split('\n');
    expect(shown).toBe(`"${'q'.repeat(199)}`);
    // serve and run keep the full value in the workspace, and the note says where.
    const match = /^… \[output cut: 5,002 chars in all, the first 200 shown; the full value is in (\/workspace\/results\/\S+\.json)\]$/.exec(note!);
    expect(match).not.toBeNull();
    const kept = join(dir, '.runbyte', match![1]!);
    expect(JSON.parse(readFileSync(kept, 'utf8'))).toBe('q'.repeat(5000));
  });

  it('a missing file exits 2 naming the file', async () => {
    const result = await runCli(['run', 'nope.ts'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('Error: nope.ts: cannot read file\n');
  });
});
