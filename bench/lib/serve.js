// transports and memory sections: the real `node bin/run.js serve`, driven by the MCP SDK Client
// over stdio and over streamable HTTP, and the resident memory of a serve process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, generateSdk, isolatedEnv, project, servers } from './projects.js';
import { sample, summarize } from './stats.js';

/** `serve` over stdio; resolves once initialize has been answered. */
export async function startStdio(dir, configPath) {
  const started = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', '--config', configPath],
    cwd: dir,
    env: isolatedEnv(dir),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => (stderr += chunk));
  const client = new Client({ name: 'runbyte-bench', version: '1.0.0' });
  try {
    await client.connect(transport, { timeout: 120_000 });
  } catch (error) {
    await client.close().catch(() => {});
    throw new Error(`serve (stdio) did not start: ${error.message}\n${stderr}`);
  }
  return { client, pid: transport.pid, startMs: performance.now() - started, stderr: () => stderr, close: () => client.close() };
}

/** `serve --transport http --port 0`; resolves once a Client has initialized a session. */
export async function startHttp(dir, configPath) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--transport', 'http', '--port', '0'], {
    cwd: dir,
    env: isolatedEnv(dir),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve (http) did not start:\n${stderr}`)), 120_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /serving (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve (http) exited with ${code}:\n${stderr}`)));
  }).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  const client = new Client({ name: 'runbyte-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const startMs = performance.now() - started;
  return {
    client,
    pid: child.pid,
    startMs,
    stderr: () => stderr,
    async close() {
      await client.close().catch(() => {});
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** The text of a tool result, without execute_code's last block naming the tools the script could call. */
function text(result) {
  if (result.isError) throw new Error(`tool call failed: ${result.content?.map((block) => block.text).join('\n')}`);
  return result.content
    .map((block) => block.text ?? '')
    .filter((block) => !block.startsWith('tools: '))
    .join('\n');
}

/** VmRSS and VmHWM of a process, in MiB (Linux /proc). */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/**
 * The summed VmRSS (MiB) of a process's direct children, split into runbyte's own compiler
 * processes (dist/compile/child.js) and the rest: the downstream MCP servers.
 */
export function childrenRssMiB(pid) {
  const servers = { count: 0, rssMiB: 0 };
  const compilers = { count: 0, rssMiB: 0 };
  let children = '';
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return { count: 0, rssMiB: NaN, compilers: { count: 0, rssMiB: NaN } };
  }
  for (const child of children.trim().split(/\s+/).filter(Boolean)) {
    try {
      const cmdline = readFileSync(`/proc/${child}/cmdline`, 'utf8');
      const into = /compile[\\/]child\.js/.test(cmdline) ? compilers : servers;
      into.rssMiB += memoryOf(Number(child)).rssMiB;
      into.count++;
    } catch {
      // it exited while we looked
    }
  }
  return { ...servers, compilers };
}

/** One conversation's worth of latencies over a started serve. */
async function latencies(session, runs) {
  const { client } = session;
  const [firstExecuteMs] = await timeOnce(async () => text(await client.callTool({ name: 'execute_code', arguments: { code: 'return 1;' } })));
  const listDirectory = await sample(async () => text(await client.callTool({ name: 'list_directory', arguments: { path: '/servers' } })), {
    runs,
    warmup: 3,
  });
  const readFile = await sample(async () => text(await client.callTool({ name: 'read_file', arguments: { path: '/servers/memory/readGraph.ts' } })), {
    runs,
    warmup: 3,
  });
  const executeCode = await sample(
    async (i) => {
      const value = text(await client.callTool({ name: 'execute_code', arguments: { code: `return 1; // ${i}` } }));
      if (value !== '1') throw new Error(`execute_code returned ${value}`);
    },
    { runs, warmup: 3 },
  );
  return {
    startMs: session.startMs,
    firstExecuteMs,
    listDirectory: summarize(listDirectory),
    readFile: summarize(readFile),
    executeCode: summarize(executeCode),
  };
}

async function timeOnce(fn) {
  const started = performance.now();
  const value = await fn();
  return [performance.now() - started, value];
}

/**
 * Transports: the reference servers (filesystem + memory) behind a real serve over stdio and over
 * HTTP. Also returns what the model sees (tools/list and instructions) and the stdio serve's memory.
 */
export async function benchTransports({ rounds = 1 } = {}) {
  const runs = Math.max(5, Math.round(30 * rounds));
  const { dir, configPath } = project('serve-reference', { filesystem: servers.filesystem(), memory: servers.memory() });
  const result = {};

  const stdio = await startStdio(dir, configPath);
  try {
    const memoryAtStart = memoryOf(stdio.pid);
    const { tools } = await stdio.client.listTools();
    result.modelSees = { tools, instructions: stdio.client.getInstructions() ?? '' };
    result.stdio = await latencies(stdio, runs);
    result.referenceMemory = {
      atStart: memoryAtStart,
      afterExecutions: memoryOf(stdio.pid),
      executions: runs + 4,
      compilers: childrenRssMiB(stdio.pid).compilers,
    };
  } finally {
    await stdio.close();
  }

  const http = await startHttp(dir, configPath);
  try {
    result.http = await latencies(http, runs);
  } finally {
    await http.close();
  }
  return result;
}

/**
 * Memory: a serve with 1,117 tools (the GitHub corpus and 1,000 synthetic tools), after start
 * (the SDK regenerated) and after a few executions that import from both servers.
 */
export async function benchMemory({ executions = 5 } = {}) {
  const { dir, configPath } = project('serve-1117', { github: servers.github(), synthetic: servers.synthetic(1000) });
  const session = await startStdio(dir, configPath);
  try {
    const { client, pid } = session;
    const listing = text(await client.callTool({ name: 'list_directory', arguments: { path: '/servers' } }));
    const tools = [...listing.matchAll(/\((\d+) functions?\)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    const atStart = memoryOf(pid);
    const childrenAtStart = childrenRssMiB(pid);
    const code = (i) =>
      `import { listIssues } from './servers/github';\nimport { createIssue0 } from './servers/synthetic';\n` +
      `const a = await listIssues({ owner: 'o', repo: 'r' });\nconst b = await createIssue0({ owner: 'o', repo: 'r', title: 't${i}' });\n` +
      `return [a.tool, b.tool];`;
    const times = [];
    for (let i = 0; i < executions; i++) {
      const [ms, value] = await timeOnce(async () => text(await client.callTool({ name: 'execute_code', arguments: { code: code(i) } })));
      if (value !== '["list_issues","create_issue_0"]') throw new Error(`unexpected execute_code result: ${value}`);
      times.push(ms);
    }
    return {
      configPath,
      tools,
      startMs: session.startMs,
      atStart,
      afterExecutions: memoryOf(pid),
      children: childrenAtStart,
      compilersAfter: childrenRssMiB(pid).compilers,
      executions,
      firstExecuteMs: times[0],
      laterExecute: summarize(times.slice(1)),
    };
  } finally {
    await session.close();
  }
}

/** For the tokens section: generate an SDK (dist/generate) for these servers and keep the project. */
export async function generatedProject(name, mcpServers) {
  const { dir, configPath } = project(name, mcpServers);
  const { config } = await generateSdk(configPath);
  return { dir, configPath, config };
}
