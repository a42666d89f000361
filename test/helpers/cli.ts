import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin/run.js');
export const NODE_MODULES = join(REPO, 'node_modules');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with an isolated HOME, so no user config leaks into a test. */
export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: isolatedEnv(options.cwd, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`runbyte ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

export function isolatedEnv(cwd: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(cwd, '.home');
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    NODE_OPTIONS: '',
    ...extra,
  };
}

/** A fresh project folder holding a runbyte.json (and example data for the filesystem server). */
export function tempProject(config: unknown, name = 'project'): string {
  const dir = mkdtempSync(join(tmpdir(), `runbyte-${name}-`));
  cpSync(join(REPO, 'examples/data'), join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'runbyte.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return dir;
}

/** Config entries for the reference servers, started with node from this repo's node_modules. */
export const reference = {
  filesystem: (dataDir = 'data') => ({
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-filesystem/dist/index.js'), dataDir],
  }),
  memory: () => ({
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-memory/dist/index.js')],
    env: { MEMORY_FILE_PATH: '${RUNBYTE_CONFIG_DIR}/memory.jsonl' },
  }),
  everything: () => ({
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
  }),
};
