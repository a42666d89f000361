import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
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
    expect(Object.keys(plugin.manifest.commands).sort()).toEqual([
      'audit',
      'auth:login',
      'auth:logout',
      'auth:status',
      'call',
      'diff',
      'generate',
      'import',
      'list',
      'run',
      'serve',
    ]);
  });

  it('runbyte --help lists the commands', async () => {
    const result = await runCli(['--help'], { cwd: REPO });
    expect(result.code).toBe(0);
    for (const command of ['generate', 'list', 'run', 'serve']) expect(result.stdout).toContain(command);
  });

  it("the build's manifest step prints no 'oclif update available' warning", async () => {
    // The build script's last step, as package.json has it, in a minimal plugin folder whose oclif
    // cache says a newer oclif exists (the warning oclif's CLI prints otherwise).
    const build = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;
    const step = build.split('&&').at(-1)!.trim();
    expect(step).toMatch(/\boclif manifest$/);
    const dir = mkdtempSync(join(tmpdir(), 'runbyte-manifest-'));
    try {
      mkdirSync(join(dir, 'commands'));
      mkdirSync(join(dir, '.cache/oclif'), { recursive: true });
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'probe', version: '1.0.0', type: 'module', files: [], oclif: { commands: './commands' } }),
      );
      writeFileSync(join(dir, '.cache/oclif/version'), JSON.stringify({ latest: '99.0.0', current: '4.0.0' }));
      const result = spawnSync('sh', ['-c', step], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH}`, HOME: dir, XDG_CACHE_HOME: join(dir, '.cache') },
      });
      expect(result.status, result.stderr).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/update available/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown flag is a usage error (exit 2) in one line', async () => {
    const result = await runCli(['generate', '--nope'], { cwd: REPO });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Error: Nonexistent flag: --nope/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
