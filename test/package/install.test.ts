// The package as users get it: `npm pack` of a clean clone, installed with `npm install -g`, and
// `npm install git+file://`, each into folders that cannot see this repo's node_modules, then every
// command run there against a dependency-free MCP server. Slow (about two minutes): one install per way.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { NODE_MODULES, REPO } from '../helpers/cli.js';

const MINUTES = 60_000;
const work = mkdtempSync(join(tmpdir(), 'runbyte-package-'));
const clone = join(work, 'clone');

/** npm as a user runs it: none of the npm_* variables of a surrounding `npm test`. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_prefer_offline: 'true' };
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A project with its own runbyte.json, a dependency-free server and a script; HOME inside it. */
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, '.home'), { recursive: true });
  cpSync(join(REPO, 'test/fixtures/package/add-server.mjs'), join(dir, 'add-server.mjs'));
  writeFileSync(join(dir, 'runbyte.json'), JSON.stringify({ mcpServers: { calc: { command: 'node', args: ['add-server.mjs'] } } }));
  writeFileSync(join(dir, 'sum.ts'), "import { add } from './servers/calc/index.js';\nconst { sum } = await add({ a: 2, b: 3 });\nreturn sum * 10;\n");
  return dir;
}

function runbyte(bin: string, args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(bin, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: join(cwd, '.home') }, timeout: 2 * MINUTES });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every command, as a user would try them after installing. */
async function everyCommand(bin: string, dir: string): Promise<void> {
  expect(runbyte(bin, ['--version'], dir).stdout).toMatch(/^runbyte\/\d+\.\d+\.\d+ /);
  expect(runbyte(bin, ['list'], dir)).toMatchObject({ code: 0, stdout: 'calc (1 tools)\n  add  Add two numbers\n' });
  expect(runbyte(bin, ['generate'], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('✓ calc (1 tools)') });
  expect(runbyte(bin, ['generate', '--check'], dir)).toMatchObject({ code: 0 });
  expect(runbyte(bin, ['run', 'sum.ts'], dir)).toMatchObject({ code: 0, stdout: '50\n' });
  expect(runbyte(bin, ['call', 'calc.add', 'a=1', 'b=2', '--json'], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('"sum": 3') });
  expect(runbyte(bin, ['import', '--dry-run'], dir)).toMatchObject({ code: 0, stderr: expect.stringContaining('found no MCP client config files') });
  expect(runbyte(bin, ['lst'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('did you mean list?') });
  const client = new Client({ name: 'package-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: bin, args: ['serve'], cwd: dir, env: { PATH: process.env.PATH!, HOME: join(dir, '.home') }, stderr: 'pipe' }),
  );
  try {
    const result = await client.callTool({
      name: 'execute_code',
      arguments: { code: "import { add } from './servers/calc';\nreturn (await add({ a: 20, b: 22 })).sum;" },
    });
    expect((result.content as { text: string }[])[0]!.text).toBe('42');
  } finally {
    await client.close();
  }
}

let tarball: string;

beforeAll(() => {
  execFileSync('git', ['clone', '--quiet', REPO, clone]);
  // The clone builds with this repo's packages; what is packed is the clone's own build.
  symlinkSync(NODE_MODULES, join(clone, 'node_modules'));
  const started = performance.now();
  npm(['pack', '--pack-destination', work], clone);
  tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz'))!);
  console.log(`npm pack of a clean clone: ${Math.round(performance.now() - started)} ms, ${Math.round(statSync(tarball).size / 1024)} KB`);
}, 5 * MINUTES);

describe('the package', () => {
  it('holds the built CLI, its manifest, the templates and the types, and no sources or tests', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const file of [
      'bin/run.js',
      'dist/commands/index.js',
      'dist/commands/call.js',
      'dist/index.js',
      'dist/index.d.ts',
      'oclif.manifest.json',
      'templates/runtime.ts',
    ]) {
      expect(files).toContain(`package/${file}`);
    }
    expect(files.filter((file) => /^package\/(src|test)\//.test(file))).toEqual([]);
  });

  it(
    'npm install -g <tarball>: every command works',
    async () => {
      const prefix = join(work, 'global');
      const started = performance.now();
      npm(['install', '-g', '--prefix', prefix, tarball], work);
      console.log(`npm install -g <tarball>: ${Math.round(performance.now() - started)} ms`);
      await everyCommand(join(prefix, 'bin', 'runbyte'), project('global-project'));
    },
    5 * MINUTES,
  );

  it(
    'npm install git+file://: every command works, and the public types compile with skipLibCheck false',
    async () => {
      const dir = project('git-project');
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
      const started = performance.now();
      npm(['install', `git+file://${clone}`], dir);
      console.log(`npm install git+file://: ${Math.round(performance.now() - started)} ms`);
      await everyCommand(join(dir, 'node_modules', '.bin', 'runbyte'), dir);

      // A user's program: `runbyte` resolves from its own node_modules; Node's types are its own too.
      mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
      symlinkSync(join(NODE_MODULES, '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
      writeFileSync(
        join(dir, 'program.ts'),
        "import { connect, loadConfig, RunbyteError, type RunbyteConfig } from 'runbyte';\nconst config: RunbyteConfig = loadConfig();\nconst servers = await connect({ servers: config.servers.map((s) => s.name) });\nawait servers.close();\nexport const isError = (e: unknown) => e instanceof RunbyteError;\n",
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            types: ['node'],
          },
          files: ['program.ts'],
        }),
      );
      const tsc = spawnSync(process.execPath, [join(NODE_MODULES, 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    },
    8 * MINUTES,
  );
});
