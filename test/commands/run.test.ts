// `runbyte run FILE.ts` (the built CLI): the value as JSON on stdout, console on stderr, exit 0;
// a failing script exits 1 with the execute_code error text (naming FILE, not code.ts) and no
// stack trace; a value past maxOutputChars printed whole; --json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    expect(result.stderr).toBe('before\nRuntime error\nError: too big\n    at fails.ts:3:22\n');
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('a failed tool call names server and tool and points at the calling line', async () => {
    const result = await run('tool.ts', "import { fail } from './servers/faults';\n\nawait fail({ message: 'quota exceeded' });\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('Runtime error\nToolError: faults.fail failed: quota exceeded\n    at tool.ts:3:11\n');
  });

  it('a type error exits 1 and nothing runs', async () => {
    const result = await run('types.ts', "import { sleep } from './servers/faults';\nconsole.log('never');\nawait sleep({ ms: 'soon' });\n");
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("Type check failed\ntypes.ts(3,15): error TS2322: Type 'string' is not assignable to type 'number'.\n");
  });

  it('names the file as it was given in type errors, bundle errors and stack frames', async () => {
    mkdirSync(join(dir, 'jobs'), { recursive: true });
    const typeError = await run('jobs/orders.ts', "import { echo } from './servers/faults';\n\nconst n: number = (await echo({ value: 'x' })).value;\n");
    expect(typeError.stderr).toMatch(/^Type check failed\njobs\/orders\.ts\(3,7\): error TS2322: /);

    const bundleError = await run('jobs/orders.ts', "const n = 1;\n// @ts-ignore\nconst text = await import('/etc/hostname');\nreturn text;\n");
    expect(bundleError.code).toBe(1);
    expect(bundleError.stderr).toMatch(/^Bundle failed\njobs\/orders\.ts:3:27: import of "\/etc\/hostname" refused: /);

    const runtime = await run('jobs/orders.ts', "import { fail } from './servers/faults';\n\nconst total = 1; await fail({ message: 'no orders' });\n");
    expect(runtime.stderr).toBe('Runtime error\nToolError: faults.fail failed: no orders\n    at jobs/orders.ts:3:28\n');
    expect(`${typeError.stderr}${bundleError.stderr}${runtime.stderr}`).not.toContain('code.ts');
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
    expect(JSON.parse(failed.stdout)).toEqual({ ok: false, phase: 'Runtime error', error: 'Runtime error\nTypeError: nope\n    at json-fail.ts:1:11' });
  });

  it('a value longer than maxOutputChars is printed whole as JSON; stderr says where the workspace keeps it', async () => {
    const result = await run('big.ts', "console.log('made it');\nreturn { rows: 'q'.repeat(5000) };\n");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ rows: 'q'.repeat(5000) });
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe('made it');
    const note =
      /^note: the value is 5,011 chars, more than sandbox\.maxOutputChars \(200\): execute_code would cut it, run prints it whole; the value is also saved in (\S+\.json)$/.exec(
        lines[1]!,
      );
    expect(note, result.stderr).not.toBeNull();
    // The host path, not the agent's /workspace one.
    expect(note![1]!.startsWith(join(dir, '.runbyte/workspace/results/'))).toBe(true);
    expect(readFileSync(note![1]!, 'utf8')).toBe(result.stdout.trimEnd());
    expect(lines.slice(2)).toEqual(['']);
  });

  it('--json with a value longer than maxOutputChars gives the whole value and where it is saved', async () => {
    const result = await run('json-big.ts', "return 'q'.repeat(5000);\n", ['--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { ok: boolean; value: string; oversized: { chars: number; savedTo: string } };
    expect(output).toEqual({ ok: true, value: 'q'.repeat(5000), oversized: { chars: 5002, savedTo: expect.stringMatching(/\.json$/) } });
    expect(output.oversized.savedTo.startsWith(join(dir, '.runbyte/workspace/results/'))).toBe(true);
    expect(JSON.parse(readFileSync(output.oversized.savedTo, 'utf8'))).toBe('q'.repeat(5000));
  });

  it('writes each image and audio block to a file: placeholders on stdout, paths on stderr and in --json', async () => {
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const png = Buffer.from('89504e470d0a1a0a00000000', 'hex');
    const wav = Buffer.alloc(2048 * 3, 7);
    const code = `return { n: 2, shots: [{ type: 'image', data: '${png.toString('base64')}', mimeType: 'image/png' }, { type: 'audio', data: '${wav.toString('base64')}', mimeType: 'audio/wav' }] };\n`;
    writeFileSync(join(dir, 'media.ts'), code);

    const result = await runCli(['run', 'media.ts'], { cwd: dir, env: { TMPDIR: tmp } });
    expect(result.code, result.stderr).toBe(0);
    // Past maxOutputChars (200) as base64; as placeholders it is short, so no oversized note.
    expect(result.stdout).toBe('{"n":2,"shots":["[image 1: image/png, 12 B]","[audio 2: audio/wav, 6 KB]"]}\n');
    const lines = /^image 1 \(image\/png, 12 B\): (\S+)\naudio 2 \(audio\/wav, 6 KB\): (\S+)\n$/.exec(result.stderr);
    expect(lines, result.stderr).not.toBeNull();
    expect(lines![1]!).toMatch(new RegExp(`^${tmp}/runbyte-run-[^/]+/image-1\\.png$`));
    expect(lines![2]!).toMatch(/\/audio-2\.wav$/);
    expect(readFileSync(lines![1]!)).toEqual(png);
    expect(readFileSync(lines![2]!)).toEqual(wav);

    const json = await runCli(['run', 'media.ts', '--json'], { cwd: dir, env: { TMPDIR: tmp } });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const output = JSON.parse(json.stdout) as { media: { path: string }[] };
    expect(output).toEqual({
      ok: true,
      value: { n: 2, shots: ['[image 1: image/png, 12 B]', '[audio 2: audio/wav, 6 KB]'] },
      media: [
        { index: 1, type: 'image', mimeType: 'image/png', bytes: 12, path: expect.stringMatching(/image-1\.png$/) },
        { index: 2, type: 'audio', mimeType: 'audio/wav', bytes: 6144, path: expect.stringMatching(/audio-2\.wav$/) },
      ],
    });
    expect(readFileSync(output.media[1]!.path)).toEqual(wav);
  });

  it('a missing file exits 2 naming the file', async () => {
    const result = await runCli(['run', 'nope.ts'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('Error: nope.ts: cannot read file\n');
  });
});

describe('runbyte run: tools that need approval', () => {
  it('refuses without a terminal to ask on, names --yes, and runs nothing; with --yes it runs', async () => {
    const project = tempProject({
      mcpServers: { reviewed: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'reviewed.js')] } },
      server: { timeout: 10 },
    });
    const code =
      "import * as fs from '@runbyte/fs';\nimport { wipe } from './servers/reviewed';\nawait fs.writeFile('ran.txt', 'yes');\nreturn await wipe({});\n";
    writeFileSync(join(project, 'wipe.ts'), code);
    const refused = await runCli(['run', 'wipe.ts'], { cwd: project });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Not allowed\nreviewed.wipe (destructive) needs approval and runbyte run has no terminal to ask on; pass --yes to approve; nothing ran',
    );
    expect(() => readFileSync(join(project, '.runbyte/workspace/ran.txt'))).toThrow();
    const approved = await runCli(['run', 'wipe.ts', '--yes'], { cwd: project });
    expect(approved).toMatchObject({ code: 0, stdout: '"wiped"\n' });
    expect(readFileSync(join(project, '.runbyte/workspace/ran.txt'), 'utf8')).toBe('yes');
  }, 60_000);
});
