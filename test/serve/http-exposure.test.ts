import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.js';
import { serveHttp, type HttpServe } from '../helpers/serve.js';

// `serve --transport http` as others on the network and in a browser see it: who may bind where,
// which Host headers are answered, and how many sessions live how long. No downstream servers:
// these are about the transport, and the server starts in about a second.

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

interface Answer {
  status: number;
  sessionId?: string;
  body: string;
}

/** One HTTP request with exactly the headers given (fetch will not send a Host of our choosing). */
function send(url: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const target = new URL(url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        path: target.pathname,
        method: options.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          const id = res.headers['mcp-session-id'];
          resolve({ status: res.statusCode ?? 0, sessionId: typeof id === 'string' ? id : undefined, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function openSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const answer = await send(url, { body: INITIALIZE, headers });
  expect(answer.status, answer.body).toBe(200);
  expect(answer.sessionId).toBeTruthy();
  return answer.sessionId!;
}

function listTools(url: string, sessionId: string, id = 2): Promise<Answer> {
  return send(url, { body: { jsonrpc: '2.0', id, method: 'tools/list' }, headers: { 'mcp-session-id': sessionId } });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('serve --host: who may connect', () => {
  it.each(['0.0.0.0', '::'])('refuses --host %s without a token, in one line naming --token and RUNBYTE_TOKEN (exit 2)', async (host) => {
    const cwd = tempProject({ mcpServers: {} }, 'exposure');
    const result = await runCli(['serve', '--transport', 'http', '--host', host, '--port', '0'], { cwd, timeoutMs: 15_000 });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Error: --host ${host.replace(/\./g, '\\.')} .*--token.*RUNBYTE_TOKEN`));
    expect(result.stdout).toBe('');
  });

  it.each([
    [['--max-sessions', '0'], /^Error: --max-sessions 0: expected a whole number from 1 to 10000$/],
    [['--session-idle-seconds', '9999999'], /^Error: --session-idle-seconds 9999999: expected a whole number from 1 to 604800$/],
    [['--allowed-host', 'a b'], /^Error: --allowed-host "a b": expected a host name or address/],
  ])('refuses %s in one line (exit 2)', async (args, message) => {
    const cwd = tempProject({ mcpServers: {} }, 'exposure');
    const result = await runCli(['serve', '--transport', 'http', '--port', '0', ...args], { cwd, timeoutMs: 15_000 });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
  });

  it('with a token, a wildcard bind prints a loopback URL that works, and says it listens on all interfaces', async () => {
    const server = await serveHttp(tempProject({ mcpServers: {} }, 'exposure'), ['--host', '0.0.0.0'], { RUNBYTE_TOKEN: 'sesame' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(server.stderr()).toMatch(/serving http:\/\/127\.0\.0\.1:\d+\/mcp \(listening on all interfaces; from other machines: http:\/\/\S+:\d+\/mcp\)/);
      const client = await server.connect({ Authorization: 'Bearer sesame' });
      expect((await client.listTools()).tools).toHaveLength(4);
    } finally {
      await server.stop();
    }
  });
});

describe('serve over HTTP: the Host header allow-list, and the message size', () => {
  let server: HttpServe;
  beforeAll(async () => {
    server = await serveHttp(tempProject({ mcpServers: {} }, 'exposure'));
  });
  afterAll(() => server?.stop());

  it('answers 403 with a JSON-RPC error naming --allowed-host to a Host that is not a name of this server', async () => {
    const port = new URL(server.url).port;
    for (const host of [`rebind.attacker.test:${port}`, 'rebind.attacker.test', `192.0.2.7:${port}`, `mcp.example.test:${port}`]) {
      const answer = await send(server.url, { body: INITIALIZE, headers: { host } });
      expect(answer.status, host).toBe(403);
      const body = JSON.parse(answer.body) as { jsonrpc: string; error: { message: string } };
      expect(body.jsonrpc).toBe('2.0');
      expect(body.error.message).toMatch(/^forbidden: the Host header ".+" is not a name of this server; .*--allowed-host /);
    }
  });

  it('answers loopback names and the bound address', async () => {
    const port = new URL(server.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await send(server.url, { body: INITIALIZE, headers: { host } })).status, host).toBe(200);
    }
  });

  it('answers a message over 4 MiB with 413 and a JSON-RPC error the SDK client shows; the session goes on', async () => {
    const client = await server.connect();
    const call = client.callTool({ name: 'execute_code', arguments: { code: `// ${'x'.repeat(5 * 2 ** 20)}` } });
    await expect(call).rejects.toThrow(/request too large: runbyte serve reads JSON-RPC messages of at most 4 MiB/);
    expect((await client.listTools()).tools).toHaveLength(4);
  });

  it('answers the names given with --allowed-host', async () => {
    const allowing = await serveHttp(tempProject({ mcpServers: {} }, 'exposure'), ['--allowed-host', 'mcp.example.test']);
    try {
      const port = new URL(allowing.url).port;
      for (const host of [`mcp.example.test:${port}`, 'MCP.example.test', `localhost:${port}`]) {
        expect((await send(allowing.url, { body: INITIALIZE, headers: { host } })).status, host).toBe(200);
      }
      expect((await send(allowing.url, { body: INITIALIZE, headers: { host: `other.example.test:${port}` } })).status).toBe(403);
    } finally {
      await allowing.stop();
    }
  });
});

describe('serve over HTTP: sessions are reaped and capped', () => {
  it('closes a session idle for server.sessionIdleSeconds (its next request gets 404); busy sessions and open streams stay', async () => {
    const server = await serveHttp(tempProject({ mcpServers: {}, server: { sessionIdleSeconds: 1 } }, 'sessions'));
    try {
      const idle = await openSession(server.url);
      const busy = await openSession(server.url);
      // The SDK client keeps a GET stream open for server notifications: a live client, not an idle one.
      const client = await server.connect();
      expect((await listTools(server.url, idle)).status).toBe(200);

      for (let i = 0; i < 6; i++) {
        await sleep(300);
        expect((await listTools(server.url, busy, 10 + i)).status).toBe(200);
      }
      // 1.8 s after its last request the idle session is gone; the busy one never went 1 s without one.
      const gone = await listTools(server.url, idle);
      expect(gone.status).toBe(404);
      expect(JSON.parse(gone.body).error.message).toMatch(/initialize again/);
      expect((await listTools(server.url, busy)).status).toBe(200);
      expect((await client.listTools()).tools).toHaveLength(4);
    } finally {
      await server.stop();
    }
  });

  it('past the session limit answers initialize with 503 and a JSON-RPC error that says what to do; a closed session frees its slot', async () => {
    const server = await serveHttp(tempProject({ mcpServers: {}, server: { maxSessions: 2 } }, 'sessions'));
    try {
      const first = await openSession(server.url);
      await openSession(server.url);

      const refused = await send(server.url, { body: { ...INITIALIZE, id: 'third' } });
      expect(refused.status).toBe(503);
      const body = JSON.parse(refused.body) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
      expect(body).toMatchObject({ jsonrpc: '2.0', id: 'third', error: { code: -32000 } });
      expect(body.error.message).toMatch(/^too many sessions: 2 are open, .*server\.maxSessions.*--max-sessions/);
      // What a user of the real SDK client sees.
      await expect(server.connect()).rejects.toThrow(/too many sessions: 2 are open/);

      // DELETE ends a session (streamable HTTP); its slot is free again.
      expect((await send(server.url, { method: 'DELETE', headers: { 'mcp-session-id': first } })).status).toBe(200);
      expect((await listTools(server.url, first)).status).toBe(404);
      await openSession(server.url);
    } finally {
      await server.stop();
    }
  });

  it('--max-sessions and --session-idle-seconds win over the config', async () => {
    const config = { mcpServers: {}, server: { maxSessions: 50, sessionIdleSeconds: 1800 } };
    const server = await serveHttp(tempProject(config, 'sessions'), ['--max-sessions', '1', '--session-idle-seconds', '1']);
    try {
      const only = await openSession(server.url);
      expect((await send(server.url, { body: INITIALIZE })).status).toBe(503);
      await sleep(1500);
      expect((await listTools(server.url, only)).status).toBe(404);
      await openSession(server.url);
    } finally {
      await server.stop();
    }
  });
});
