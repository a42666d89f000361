import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import type { ServerConfig } from '../../src/config/types.js';
import { startRemote, type RemoteFixture } from '../helpers/servers.js';

let http: RemoteFixture;
let sse: RemoteFixture;
let guarded: RemoteFixture;
beforeAll(async () => {
  [http, sse, guarded] = await Promise.all([startRemote('http'), startRemote('sse'), startRemote('http', ['--token', 's3cret'])]);
});
afterAll(async () => {
  await Promise.all([http?.close(), sse?.close(), guarded?.close()]);
});

const hubs: Hub[] = [];
function hub(servers: ServerConfig[]): Hub {
  const created = new Hub(servers, { connectTimeoutMs: 5000 });
  hubs.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  vi.restoreAllMocks();
});

async function whoami(h: Hub, server: string): Promise<{ headers: Record<string, string>; streamHeaders: Record<string, string> | null }> {
  const result = await h.callTool(server, 'whoami', {});
  return JSON.parse(String(result.content?.[0].text));
}

describe('Hub: remote servers on 127.0.0.1', () => {
  it('streamable HTTP: lists tools, calls them, and sends the configured headers', async () => {
    const h = hub([http.config('remote', { headers: { Authorization: 'Bearer abc', 'X-Team': 'core' } })]);
    expect(await h.start()).toEqual([]);
    expect((await h.listTools('remote')).map((tool) => tool.name)).toEqual(['echo', 'whoami']);
    expect((await h.callTool('remote', 'echo', { value: 'hi' })).content).toEqual([{ type: 'text', text: 'echo: hi' }]);
    const seen = await whoami(h, 'remote');
    expect(seen.headers.authorization).toBe('Bearer abc');
    expect(seen.headers['x-team']).toBe('core');
  });

  it('SSE: lists tools, and the headers go on the event stream and on every POST', async () => {
    const h = hub([sse.config('legacy', { headers: { Authorization: 'Bearer sse-token' } })]);
    expect(await h.start()).toEqual([]);
    expect((await h.listTools('legacy')).map((tool) => tool.name)).toEqual(['echo', 'whoami']);
    const seen = await whoami(h, 'legacy');
    expect(seen.headers.authorization).toBe('Bearer sse-token');
    expect(seen.streamHeaders?.authorization).toBe('Bearer sse-token');
  });

  it('"http" falls back to SSE when the URL only speaks SSE (405 on POST)', async () => {
    const h = hub([sse.config('fallback', { transport: 'http', headers: { Authorization: 'Bearer fb' } })]);
    expect(await h.start()).toEqual([]);
    expect((await h.listTools('fallback')).map((tool) => tool.name)).toEqual(['echo', 'whoami']);
    expect((await whoami(h, 'fallback')).streamHeaders?.authorization).toBe('Bearer fb');
  });

  it('a 401 is reported with the status and the body, without trying SSE', async () => {
    const h = hub([
      guarded.config('guarded', { headers: { Authorization: 'Bearer wrong' } }),
      guarded.config('ok', { headers: { Authorization: 'Bearer s3cret' } }),
    ]);
    const failures = await h.start();
    expect(failures).toEqual([{ server: 'guarded', message: `server "guarded": cannot connect to ${guarded.url}: HTTP 401: missing or wrong bearer token` }]);
    expect(h.connected()).toEqual(['ok']);
  });

  it('nothing listening: connection refused, by name', async () => {
    const gone = await startRemote('http');
    await gone.close();
    const h = hub([gone.config('gone')]);
    const [failure] = await h.start();
    expect(failure.message).toBe(`server "gone": cannot connect to ${gone.url}: connection refused (ECONNREFUSED)`);
  });

  it('close() ends a streamable HTTP session with the server (DELETE), not an SSE one', async () => {
    const terminate = vi.spyOn(StreamableHTTPClientTransport.prototype, 'terminateSession');
    const h = hub([http.config('remote'), sse.config('legacy')]);
    expect(await h.start()).toEqual([]);
    await h.close();
    expect(terminate).toHaveBeenCalledTimes(1);
  });

  it('a query string (which may hold a token) is kept out of messages', async () => {
    const gone = await startRemote('http');
    await gone.close();
    const h = hub([{ name: 'q', transport: 'http', url: `${gone.url}?token=secret`, headers: {} }]);
    const [failure] = await h.start();
    expect(failure.message).not.toContain('secret');
  });

  it('a remote server that goes away fails the call by name, and the next call reconnects when it is back', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const own = await startRemote('http');
    const h = hub([own.config('flaky')]);
    expect(await h.start()).toEqual([]);
    await own.close();
    await expect(h.callTool('flaky', 'echo', { value: 'x' })).rejects.toMatchObject({
      code: 'TOOL_FAILED',
      message: expect.stringMatching(/^server "flaky": tool "echo" failed: cannot reach http:\/\/127\.0\.0\.1:\d+\/mcp: connection refused \(ECONNREFUSED\)$/),
    });
    const port = new URL(own.url).port;
    const back = await startRemote('http', ['--port', port]);
    try {
      expect((await h.callTool('flaky', 'echo', { value: 'again' })).content).toEqual([{ type: 'text', text: 'echo: again' }]);
    } finally {
      await back.close();
    }
  });
});

describe('Hub: a URL that speaks neither streamable HTTP nor SSE', () => {
  let nothing: Server;
  let url: string;
  beforeAll(async () => {
    nothing = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('no such endpoint'));
    await new Promise<void>((resolve) => nothing.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(nothing.address() as AddressInfo).port}/mcp`;
  });
  afterAll(() => new Promise((resolve) => nothing.close(resolve)));

  it('"http": both failures are named, streamable HTTP first', async () => {
    const h = hub([{ name: 'nothing', transport: 'http', url, headers: {} }]);
    const [failure] = await h.start();
    expect(failure.message).toBe(
      `server "nothing": cannot connect to ${url}: HTTP 404: no such endpoint; the SSE fallback failed too: HTTP 404: Non-200 status code (404)`,
    );
  });
});

describe('Hub: remote servers that never answer', () => {
  let mute: Server;
  let base: string;
  beforeAll(async () => {
    // Opens an event stream (or accepts a POST) and then says nothing, ever.
    mute = createServer((req, res) => {
      if (req.method === 'GET') res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(mute.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    mute.closeAllConnections();
    await new Promise((resolve) => mute.close(resolve));
  });

  it.each([
    ['sse', '/sse'],
    ['http', '/mcp'],
  ] as const)('%s: fails at connectTimeoutMs by name', async (transport, path) => {
    const h = new Hub([{ name: 'mute', transport, url: `${base}${path}`, headers: {} }], { connectTimeoutMs: 400 });
    hubs.push(h);
    const started = Date.now();
    expect(await h.start()).toEqual([{ server: 'mute', message: 'server "mute": did not answer initialize within 0.4 s' }]);
    expect(Date.now() - started).toBeLessThan(2500);
  });
});
