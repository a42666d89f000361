import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { messageOf } from '../shared/errors.js';
import { debug, log } from '../shared/log.js';
import type { Engine } from './engine.js';
import { createSession } from './server.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
}

export interface HttpHandle {
  url: string;
  close(): Promise<void>;
}

/**
 * Streamable HTTP at /mcp (and /). One MCP session per client, all sharing the engine's
 * downstream connections. Requests from non-local origins get 403 (DNS rebinding), and with a
 * token, requests without it get 401.
 */
export async function serveHttp(engine: Engine, options: HttpOptions): Promise<HttpHandle> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp' && path !== '/') return reply(res, 404, 'not found: the MCP endpoint is /mcp');
    if (!isLocalOrigin(req.headers.origin)) return reply(res, 403, 'forbidden: requests from other origins are refused');
    if (options.token && !hasToken(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return reply(res, 401, 'unauthorized: send Authorization: Bearer <token>');
    }

    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res);
    if (typeof sessionId === 'string') return reply(res, 404, 'unknown session: initialize again');
    if (req.method !== 'POST') return reply(res, 400, 'no session: send initialize first');

    const body = await readJson(req).catch(() => undefined);
    if (body === undefined || !isInitializeRequest(body)) return reply(res, 400, 'no session: send initialize first');
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Our tools answer once and stream nothing: a plain JSON response saves the SSE framing (bench: ~1 ms a call).
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
        debug(`http session ${id} opened (${sessions.size} open)`);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createSession(engine).connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`http: ${messageOf(error)}`);
      if (!res.headersSent) reply(res, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/mcp`,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/** A browser sends Origin; only pages served from this machine may talk to us. */
export function isLocalOrigin(origin: string | undefined): boolean {
  // Non-browser clients send no Origin; an opaque origin ("null") is a sandboxed page: refused.
  if (origin === undefined || origin === '') return true;
  if (origin === 'null') return false;
  try {
    const { hostname } = new URL(origin);
    return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]' || hostname.endsWith('.localhost');
  } catch {
    return false;
  }
}

function hasToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 2 ** 20) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
