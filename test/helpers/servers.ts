import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RemoteServerConfig, StdioServerConfig } from '../../src/config/types.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const FIXTURE_SERVERS = join(REPO, 'test/fixtures/servers');
const NODE_MODULES = join(REPO, 'node_modules');

/** A resolved stdio config (as config/ produces it) for a fixture server in test/fixtures/servers. */
export function fixtureServer(
  name: string,
  script: string,
  args: string[] = [],
  extra: { env?: Record<string, string>; cwd?: string } = {},
): StdioServerConfig {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [join(FIXTURE_SERVERS, script), ...args],
    env: extra.env ?? {},
    cwd: extra.cwd ?? REPO,
  };
}

/** Resolved stdio configs for the reference servers in node_modules, started with this node. */
export const referenceServer = {
  filesystem: (name: string, root: string): StdioServerConfig => ({
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-filesystem/dist/index.js'), root],
    env: {},
    cwd: REPO,
  }),
  memory: (name: string, memoryFile: string): StdioServerConfig => ({
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-memory/dist/index.js')],
    env: { MEMORY_FILE_PATH: memoryFile },
    cwd: REPO,
  }),
  everything: (name: string): StdioServerConfig => ({
    name,
    transport: 'stdio',
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
    env: {},
    cwd: REPO,
  }),
};

/** A running test/fixtures/servers/remote.js. */
export interface RemoteFixture {
  /** The MCP endpoint: `.../mcp` (http) or `.../sse` (sse). */
  url: string;
  pid: number;
  /** A resolved remote config for this server. */
  config(name: string, options?: { transport?: 'http' | 'sse'; headers?: Record<string, string> }): RemoteServerConfig;
  /** Stops the server and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts remote.js (`--transport http|sse`, plus any extra flags such as `--token T`) on
 * 127.0.0.1 and resolves once it prints `LISTENING <url>`.
 */
export async function startRemote(transport: 'http' | 'sse', args: string[] = []): Promise<RemoteFixture> {
  const { url, pid, close } = await startListening('remote.js', ['--transport', transport, ...args]);
  return {
    url,
    pid,
    config: (name, options = {}) => ({ name, transport: options.transport ?? transport, url, headers: options.headers ?? {} }),
    close,
  };
}

/**
 * Starts a fixture server of test/fixtures/servers that prints `LISTENING <url>` once ready and
 * exits when its stdin closes; resolves with that URL.
 */
export function startListening(script: string, args: string[] = []): Promise<{ url: string; pid: number; close: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(FIXTURE_SERVERS, script), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within 10 s\nstderr: ${stderr}`));
    }, 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening\nstderr: ${stderr}`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^LISTENING (\S+)$/m.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolveStart({ url: match[1]!, pid: child.pid!, close: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once `pid` has exited, or rejects after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > until) throw new Error(`process ${pid} is still running after ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

/**
 * The live child processes of this process (Linux /proc), with their command lines; [] where
 * /proc is not available. Zombies (exited, not yet reaped) are not counted as live.
 */
export function childProcesses(): { pid: number; command: string }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: { pid: number; command: string }[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid: Number(entry), command });
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}
