import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, isolatedEnv, reference, runCli, tempProject } from '../helpers/cli.js';
import { FIXTURE_SERVERS, isAlive, waitForExit } from '../helpers/servers.js';

// `runbyte generate --watch` with the built CLI (needs `npm run build`).

const faults = { command: process.execPath, args: [join(FIXTURE_SERVERS, 'faults.js')] };
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Watching {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout (or stderr) has a line matching `pattern` after the first `from` characters. */
  line(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<string>;
}

function watchCli(dir: string, args: string[] = []): Watching {
  const child = spawn(process.execPath, [BIN, 'generate', '--watch', ...args], { cwd: dir, env: isolatedEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async line(pattern, stream = 'stdout', timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const text = stream === 'stdout' ? stdout : stderr;
        const match = text.split('\n').find((line) => pattern.test(line));
        if (match !== undefined) return match;
        if (child.exitCode !== null) throw new Error(`generate --watch exited with ${child.exitCode}\nstdout: ${stdout}\nstderr: ${stderr}`);
        if (Date.now() > until) throw new Error(`no line matching ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

/** Pids of the processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

describe('generate --watch', () => {
  it('follows config edits: a server added, a bad edit ignored, a server removed; SIGINT ends every child', async () => {
    const dir = tempProject({ mcpServers: { faults } }, 'watch');
    dirs.push(dir);
    const config = join(dir, 'runbyte.json');
    const cli = watchCli(dir);
    await cli.line(/^watching runbyte\.json and 1 servers for changes/);
    expect(cli.stdout()).toContain('✓ faults (12 tools)');
    expect(existsSync(join(dir, 'generated/servers/faults/sleep.ts'))).toBe(true);

    let started = performance.now();
    writeFileSync(config, JSON.stringify({ mcpServers: { faults, memory: reference.memory() } }, null, 2));
    await cli.line(/^\+ server memory \(9 tools\)$/);
    const addedMs = performance.now() - started;
    expect(existsSync(join(dir, 'generated/servers/memory/readGraph.ts'))).toBe(true);
    expect(readFileSync(join(dir, 'generated/servers/index.ts'), 'utf8')).toContain("export * as memory from './memory/index.js';");

    writeFileSync(config, '{ "mcpServers": { ');
    const error = await cli.line(/^✗ /, 'stderr');
    expect(error).toMatch(/runbyte\.json: invalid JSON: .* \(keeping the last good config\)$/);
    expect(existsSync(join(dir, 'generated/servers/faults/sleep.ts'))).toBe(true);

    started = performance.now();
    writeFileSync(config, JSON.stringify({ mcpServers: { memory: reference.memory() } }, null, 2));
    await cli.line(/^- server faults$/);
    const removedMs = performance.now() - started;
    expect(existsSync(join(dir, 'generated/servers/faults'))).toBe(false);
    expect(readFileSync(join(dir, 'generated/servers/index.ts'), 'utf8')).not.toContain('faults');
    expect(JSON.parse(readFileSync(join(dir, 'generated/runbyte.lock.json'), 'utf8')).servers).not.toHaveProperty('faults');

    // The memory server is a child of the CLI; SIGINT must end it with the CLI.
    const servers = childrenOf(cli.child.pid!);
    expect(servers.length).toBeGreaterThanOrEqual(1);
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    cli.child.kill('SIGINT');
    expect(await exited).toBe(130);
    for (const pid of servers) await waitForExit(pid, 3000);
    for (const pid of servers) expect(isAlive(pid)).toBe(false);
    console.log(`generate --watch, measured: config edit → "+ server" ${Math.round(addedMs)} ms, → "- server" ${Math.round(removedMs)} ms`);
  });

  it('--watch with --check or --json is a usage error', async () => {
    const dir = tempProject({ mcpServers: { faults } }, 'watch-usage');
    dirs.push(dir);
    const check = await runCli(['generate', '--watch', '--check'], { cwd: dir });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('Error: --watch cannot be combined with --check');
    const json = await runCli(['generate', '--watch', '--json'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(json.stdout).toContain('--watch prints one line per change');
  });
});
