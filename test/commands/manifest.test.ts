import { execFileSync } from 'node:child_process';
import { Plugin } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';

describe('oclif.manifest.json', () => {
  it('as committed, matches the commands as built (run `npm run build` and commit it)', async () => {
    // `npm run build` rewrites the file in the working tree, so compare with what git has.
    const committed = execFileSync('git', ['show', 'HEAD:oclif.manifest.json'], { cwd: REPO, encoding: 'utf8' });
    const plugin = new Plugin({ root: REPO, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
    await plugin.load();
    expect(JSON.parse(committed)).toEqual(JSON.parse(JSON.stringify(plugin.manifest)));
    expect(Object.keys(plugin.manifest.commands).sort()).toEqual(['generate', 'list', 'run', 'serve']);
  });

  it('runbyte --help lists the commands', async () => {
    const result = await runCli(['--help'], { cwd: REPO });
    expect(result.code).toBe(0);
    for (const command of ['generate', 'list', 'run', 'serve']) expect(result.stdout).toContain(command);
  });

  it('an unknown flag is a usage error (exit 2) in one line', async () => {
    const result = await runCli(['generate', '--nope'], { cwd: REPO });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: Nonexistent flag: --nope/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
