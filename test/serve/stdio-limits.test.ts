import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { requestIdOf } from '../../src/serve/stdio.js';
import { BIN, isolatedEnv, tempProject } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { texts } from '../helpers/serve.js';

// A message larger than serve reads (4 MiB, README "Connecting an agent") is refused with a
// JSON-RPC error, and serve goes on. No downstream servers: this is about the transport.

const OVER_LIMIT = 5 * 2 ** 20;
/** Over the SDK's own stdio buffer (10 MiB), which used to close the transport and end serve. */
const OVER_SDK_BUFFER = 11 * 2 ** 20;

describe('serve over stdio: an oversized message', () => {
  let client: Client;
  let stderr = '';
  beforeAll(async () => {
    const cwd = tempProject({ mcpServers: {} }, 'stdio-limits');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'serve'],
      cwd,
      env: isolatedEnv(cwd) as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: 'runbyte-test', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(() => client?.close());

  it.each([
    ['over the limit', OVER_LIMIT],
    ["over the SDK's stdio buffer", OVER_SDK_BUFFER],
  ])('%s gets an error reply for its request and a stderr line; the next request is answered', async (_, size) => {
    const code = `// ${'x'.repeat(size)}\nreturn 1;`;
    const call = client.callTool({ name: 'execute_code', arguments: { code } }, undefined, { timeout: 10_000 });
    await expect(call).rejects.toThrow(/message too large: \d+ bytes; runbyte serve reads JSON-RPC messages of at most 4 MiB/);
    await eventually(() => /runbyte: stdio: refused a message of \d+ bytes \(id \d+\): larger than 4 MiB/.test(stderr));

    const listed = await client.callTool({ name: 'list_directory', arguments: { path: '/' } }, undefined, { timeout: 10_000 });
    expect(texts(listed)).toEqual(['servers/\nworkspace/\nnode_modules/']);
  });
});

describe('serve over stdio: raw lines', () => {
  let child: ChildProcessWithoutNullStreams;
  const replies: { id?: unknown; result?: unknown; error?: { code: number; message: string } }[] = [];
  beforeAll(() => {
    const cwd = tempProject({ mcpServers: {} }, 'stdio-limits');
    child = spawn(process.execPath, [BIN, 'serve'], { cwd, env: isolatedEnv(cwd) });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) replies.push(JSON.parse(line));
    });
    child.stdout.on('error', () => {});
    child.stdin.on('error', () => {});
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });

  const write = (text: string) => child.stdin.write(text);
  const reply = async (id: unknown) => {
    await eventually(() => replies.some((r) => r.id === id) || child.exitCode !== null, 10_000);
    const found = replies.find((r) => r.id === id);
    if (!found) throw new Error(`serve exited with ${child.exitCode} before answering ${JSON.stringify(id)}`);
    return found;
  };

  it('answers an oversized request whose id comes first, a line that is not JSON, and then the next request', async () => {
    write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })}\n`,
    );
    expect((await reply(0)).result).toBeTruthy();
    write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');

    const huge = 'y'.repeat(OVER_SDK_BUFFER);
    write(`{"jsonrpc":"2.0","id":"big-1","method":"tools/call","params":{"name":"execute_code","arguments":{"code":"// ${huge}"}}}\n`);
    expect((await reply('big-1')).error).toMatchObject({ code: -32600, message: expect.stringMatching(/^message too large: \d+ bytes/) });

    write('this is not json\n');
    await eventually(() => replies.some((r) => r.id === null), 10_000);
    expect(replies.find((r) => r.id === null)!.error).toMatchObject({ code: -32700 });

    write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
    expect(((await reply(2)).result as { tools: unknown[] }).tools).toHaveLength(4);
    expect(child.exitCode).toBeNull();
  });
});

describe('requestIdOf: the id of a message too large to parse', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"argu', '', 7],
    ['{"jsonrpc":"2.0","method":"tools/call","id":"a\\"b","params":{', '', 'a"b'],
    ['{"method":"tools/call","params":{"arguments":{"code":"', 'xx"}},"jsonrpc":"2.0","id":12}', 12],
    ['{"method":"tools/call","params":{"id":5,"arguments":', 'xx"}},"jsonrpc":"2.0","id":12}\r', 12],
    ['{"method":"tools/call","params":{"id":5,"arguments":', 'xx","id":9}}}', null],
    ['{"method":"notifications/x","params":{"d":"', 'xx"}}', null],
    ['{"jsonrpc":"2.0","id":1.5,"method":"x"', '', null],
  ])('%s … %s → %s', (head, tail, id) => {
    expect(requestIdOf(head, tail)).toEqual(id);
  });
});
