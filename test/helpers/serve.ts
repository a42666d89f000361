import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, isolatedEnv } from './cli.js';

export interface Served {
  client: Client;
  close(): Promise<void>;
}

/** `runbyte serve` over stdio, driven by the SDK Client. */
export async function serveStdio(cwd: string, args: string[] = []): Promise<Served> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', ...args],
    cwd,
    env: isolatedEnv(cwd) as Record<string, string>,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'runbyte-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

export interface HttpServe {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  connect(headers?: Record<string, string>): Promise<Client>;
  stop(): Promise<void>;
}

/** `runbyte serve --transport http --port 0` as a child process; resolves with its URL. */
export async function serveHttp(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<HttpServe> {
  const child = spawn(process.execPath, [BIN, 'serve', '--transport', 'http', '--port', '0', ...args], {
    cwd,
    env: isolatedEnv(cwd, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
  });
  const clients: Client[] = [];
  return {
    url,
    child,
    stderr: () => stderr,
    async connect(headers = {}) {
      const client = new Client({ name: 'runbyte-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.allSettled(clients.map((client) => client.close()));
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** The text of an execute_code answer, its blocks joined, without the last one naming the tools the script could call. */
export async function executeText(client: Client, code: string): Promise<string> {
  return texts(await client.callTool({ name: 'execute_code', arguments: { code } }))
    .filter((text) => !text.startsWith('tools: '))
    .join('\n');
}

/** The text blocks of a tools/call result. */
export function texts(result: unknown): string[] {
  return ((result as { content: { type: string; text?: string }[] }).content ?? []).map((block) => block.text ?? '');
}
