// Usage errors a person can act on (the built CLI): a mistyped command names the one meant, and a
// bad argument or flag gives oclif's whole reason in one line, then what to try; exit 2.
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';

/** What a Node or oclif stack trace, or oclif's own decorations, would leave in the output. */
const NOISE = /node:internal|\bat .*\.js:\d+:\d+|›|See more help/;

describe('usage errors', () => {
  it('a mistyped command names the command meant (stdin is not a terminal: no prompt)', async () => {
    const result = await runCli(['lst', '--json'], { cwd: REPO });
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'Error: lst is not a runbyte command; did you mean list?\nTry this: runbyte list --help\n' });

    const words = await runCli(['sreve', '--port', '3000'], { cwd: REPO });
    expect(words).toMatchObject({ code: 2, stderr: 'Error: sreve is not a runbyte command; did you mean serve?\nTry this: runbyte serve --help\n' });
  });

  it('a command nothing resembles gets the list of commands', async () => {
    const result = await runCli(['frobnicate'], { cwd: REPO });
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'Error: frobnicate is not a runbyte command\nTry this: runbyte --help\n' });
  });

  it('run with no file says which argument is missing', async () => {
    const result = await runCli(['run'], { cwd: REPO });
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'Error: Missing 1 required arg: file (the TypeScript file to run)\nTry this: runbyte run --help\n' });
  });

  it('serve --port abc says what was expected and what came', async () => {
    const result = await runCli(['serve', '--port', 'abc'], { cwd: REPO });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Error: Parsing --port: Expected an integer but received: abc\nTry this: runbyte serve --help\n');
    expect(result.stderr).not.toMatch(NOISE);
  });
});
