import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/cli.js';
import { executeText, serveHttp, serveStdio, texts, type HttpServe, type Served } from '../helpers/serve.js';
import { FIXTURE_SERVERS } from '../helpers/servers.js';

// The whole life of an execute_code request through a real serve and the SDK client: a cancel that
// stops the code, its downstream calls and its later side effects; progress that flows; logs that
// arrive. chatty.js is a real MCP server that records the cancellations it receives.
function project(name: string): string {
  return tempProject({ mcpServers: { chatty: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'chatty.js')] } }, server: { timeout: 20 } }, name);
}

/** A slow downstream call (1.6 s), then a workspace write: what a cancel at 0.5 s must prevent. */
const SLOW_THEN_WRITE = (file: string) =>
  `import * as fs from '@runbyte/fs';\nimport { progress as slow } from './servers/chatty';\nawait slow({ steps: 4, delayMs: 400 });\nawait fs.writeFile('${file}', 'the line after the call ran');\nreturn 'done';`;

/** Sends execute_code and cancels it after `afterMs`; resolves when the client has given up. */
async function cancelAfter(client: Client, code: string, afterMs: number): Promise<void> {
  const controller = new AbortController();
  const call = client.callTool({ name: 'execute_code', arguments: { code } }, undefined, { signal: controller.signal });
  setTimeout(() => controller.abort('stop'), afterMs);
  await expect(call).rejects.toThrow();
}

const execute = executeText;

async function cancelledDownstream(client: Client): Promise<{ tool: string }[]> {
  return JSON.parse(await execute(client, "import { cancelled } from './servers/chatty';\nreturn await cancelled({});")) as { tool: string }[];
}

function cancellation(getClient: () => Client, workspace: () => string) {
  it('a cancel stops a run blocked in a slow downstream call: the server hears it, the next line never runs', async () => {
    const client = getClient();
    const before = (await cancelledDownstream(client)).length;
    await cancelAfter(client, SLOW_THEN_WRITE('after-hang.txt'), 500);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(existsSync(join(workspace(), 'after-hang.txt'))).toBe(false);
    const after = await cancelledDownstream(client);
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)?.tool).toBe('progress');
  });

  it('three cancelled endless loops in a row leave the next run free: return 1 in under 1 s', async () => {
    const client = getClient();
    for (let i = 0; i < 3; i++) await cancelAfter(client, `while (true) {} // ${i}`, 300);
    const started = performance.now();
    expect(await execute(client, 'return 1;')).toBe('1');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
}

describe('serve over stdio: the request lifecycle', () => {
  let dir: string;
  let served: Served;
  beforeAll(async () => {
    dir = project('lifecycle-stdio');
    served = await serveStdio(dir);
  }, 90_000);
  afterAll(async () => {
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  cancellation(
    () => served.client,
    () => join(dir, '.runbyte/workspace'),
  );

  it('sends progress naming each tool call, relayed downstream progress and the script milestones', async () => {
    const messages: string[] = [];
    const code =
      "import { progress as steps } from './servers/chatty';\nprogress('starting');\nawait steps({ steps: 3, delayMs: 20, total: 3 });\nprogress('half way');\nreturn 'ok';";
    const result = await served.client.callTool({ name: 'execute_code', arguments: { code } }, undefined, {
      onprogress: (report) => messages.push(report.message ?? ''),
    });
    expect(texts(result)[0]).toBe('"ok"');
    expect(messages).toEqual([
      'starting',
      'chatty.progress…',
      'chatty.progress: step 1 (1/3)',
      'chatty.progress: step 2 (2/3)',
      'chatty.progress: step 3 (3/3)',
      'chatty.progress done',
      'half way',
    ]);
  });

  it('keeps a long run alive for a client with a 2 s timeout that resets on progress', async () => {
    const code = "for (let i = 0; i < 10; i++) {\n  await new Promise((resolve) => setTimeout(resolve, 500));\n  progress(`tick ${i}`);\n}\nreturn 'finished';";
    const result = await served.client.callTool({ name: 'execute_code', arguments: { code } }, undefined, {
      timeout: 2_000,
      resetTimeoutOnProgress: true,
      onprogress: () => {},
    });
    expect(texts(result)[0]).toBe('"finished"');
  });

  it("sends nothing extra without a progressToken, and a run's downstream logs reach its console and the client's level", async () => {
    const received: LoggingMessageNotification['params'][] = [];
    served.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      received.push(notification.params);
    });
    await served.client.setLoggingLevel('info');
    const output = await execute(served.client, "import { log } from './servers/chatty';\nreturn await log({});");
    expect(output).toMatch(/^"logged"\nconsole:\n/);
    expect(output).toContain('[chatty debug] {"level":"debug"');
    expect(output).toContain('[chatty warning] {"level":"warning"');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const levels = received.map((params) => params.level);
    expect(levels).toEqual(['info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
    expect(received.every((params) => params.logger === 'chatty')).toBe(true);
  });
});

describe('serve over HTTP: the request lifecycle', () => {
  let dir: string;
  let serve: HttpServe;
  let client: Client;
  beforeAll(async () => {
    dir = project('lifecycle-http');
    serve = await serveHttp(dir);
    client = await serve.connect();
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  cancellation(
    () => client,
    () => join(dir, '.runbyte/workspace'),
  );

  it('a session deleted mid-run cancels the run: the server hears it, the next line never runs', async () => {
    const doomed = await serve.connect();
    const before = (await cancelledDownstream(client)).length;
    const call = doomed.callTool({ name: 'execute_code', arguments: { code: SLOW_THEN_WRITE('after-delete.txt') } });
    call.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await (doomed.transport as StreamableHTTPClientTransport).terminateSession();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(existsSync(join(dir, '.runbyte/workspace/after-delete.txt'))).toBe(false);
    expect((await cancelledDownstream(client)).length).toBe(before + 1);
    const started = performance.now();
    expect(await execute(client, 'return 1;')).toBe('1');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
