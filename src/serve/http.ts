import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as machineName, networkInterfaces } from 'node:os';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { messageOf } from '../shared/errors.js';
import { debug, log } from '../shared/log.js';
import type { Engine } from './engine.js';
import { createSession, MAX_MESSAGE_BYTES } from './server.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Names the Host header may carry besides the loopback names and the bound address (`--allowed-host`). */
  allowedHosts?: string[];
  /** A session with no request in progress and no stream open is closed after this long. */
  sessionIdleSeconds: number;
  /** Sessions open at once; one more `initialize` gets 503. */
  maxSessions: number;
}

export interface HttpHandle {
  /** A URL a client on this machine can use (a loopback one for a wildcard bind). */
  url: string;
  /** For a wildcard bind (0.0.0.0, ::): the URL other machines can try, by this machine's name. */
  remoteUrl?: string;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  /** Requests in progress and streams open. */
  active: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Streamable HTTP at /mcp (and /). One MCP session per client, all sharing the engine's
 * downstream connections. Refused: a Host header that is not a name of this server (403, DNS
 * rebinding), a browser Origin that is not local (403), a missing token when one is set (401),
 * an `initialize` past `maxSessions` (503). Idle sessions are closed; their id then gets 404.
 */
export async function serveHttp(engine: Engine, options: HttpOptions): Promise<HttpHandle> {
  const sessions = new Map<string, Session>();
  let opening = 0;
  let allowedHosts = new Set<string>();
  const idleMs = options.sessionIdleSeconds * 1000;

  const startRequest = (session: Session, res: ServerResponse) => {
    session.active += 1;
    clearTimeout(session.idleTimer);
    res.once('close', () => {
      session.active -= 1;
      if (session.active > 0 || !session.transport.sessionId || !sessions.has(session.transport.sessionId)) return;
      session.idleTimer = setTimeout(() => {
        debug(`http session ${session.transport.sessionId} closed after ${options.sessionIdleSeconds} s idle`);
        void session.transport.close();
      }, idleMs);
      session.idleTimer.unref();
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const hostName = hostnameOf(req.headers.host);
    if (hostName === undefined || !allowedHosts.has(hostName)) {
      const shown = JSON.stringify(req.headers.host ?? '');
      const hint = hostName ? `; if clients reach this server by that name, start it with --allowed-host ${hostName}` : '';
      return reply(res, 403, `forbidden: the Host header ${shown} is not a name of this server${hint}`);
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp' && path !== '/') return reply(res, 404, 'not found: the MCP endpoint is /mcp');
    if (!isLocalOrigin(req.headers.origin)) return reply(res, 403, 'forbidden: requests from other origins are refused');
    if (options.token && !hasToken(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return reply(res, 401, 'unauthorized: send Authorization: Bearer <token>');
    }

    // Refused here rather than by the SDK's transport, which drops the connection under a client
    // still sending; answered this way, Node discards the body and the client reads the 413.
    if (Number(req.headers['content-length'] ?? 0) > MAX_MESSAGE_BYTES) return reply(res, 413, TOO_LARGE);

    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) {
      startRequest(existing, res);
      return existing.transport.handleRequest(req, res);
    }
    if (typeof sessionId === 'string') return reply(res, 404, 'unknown session (it was closed, or expired after being idle): initialize again');
    if (req.method !== 'POST') return reply(res, 400, 'no session: send initialize first');

    let body: unknown;
    try {
      body = await readJson(req);
    } catch (error) {
      if (error instanceof TooLarge) return reply(res, 413, TOO_LARGE);
      return reply(res, 400, 'no session: send initialize first');
    }
    if (!isInitializeRequest(body)) return reply(res, 400, 'no session: send initialize first');
    if (sessions.size + opening >= options.maxSessions) {
      return reply(
        res,
        503,
        `too many sessions: ${options.maxSessions} are open, the most this server allows. Close a client you no longer use, ` +
          `wait for idle sessions to be closed (after ${options.sessionIdleSeconds} s), or raise server.maxSessions in runbyte.json (or serve --max-sessions)`,
        (body as { id?: RequestId }).id ?? null,
      );
    }

    opening += 1;
    try {
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        // Our tools answer once and stream nothing: a plain JSON response saves the SSE framing (bench: ~1 ms a call).
        enableJsonResponse: true,
        maxRequestBodySize: MAX_MESSAGE_BYTES,
        onsessioninitialized: (id) => {
          sessions.set(id, session);
          debug(`http session ${id} opened (${sessions.size} open)`);
        },
      });
      const session: Session = { transport, active: 0 };
      transport.onclose = () => {
        clearTimeout(session.idleTimer);
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await createSession(engine).connect(transport);
      startRequest(session, res);
      await transport.handleRequest(req, res, body);
      // An initialize the SDK refused (a bad protocol version, say) leaves no session to keep.
      if (!transport.sessionId || !sessions.has(transport.sessionId)) await transport.close();
    } finally {
      opening -= 1;
    }
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
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const port = address.port;
  allowedHosts = new Set(
    [
      'localhost',
      '127.0.0.1',
      '[::1]',
      options.host,
      address.address,
      ...(options.allowedHosts ?? []),
      // A wildcard bind answers on every address of this machine, and by its name.
      ...(wildcard ? [machineName(), ...localAddresses()] : []),
    ].flatMap((name) => hostnameOf(name) ?? []),
  );
  const loopback = address.family === 'IPv6' ? '[::1]' : '127.0.0.1';
  const shown = wildcard ? loopback : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${port}/mcp`,
    remoteUrl: wildcard ? `http://${hostnameOf(machineName()) ?? machineName()}:${port}/mcp` : undefined,
    close: async () => {
      await Promise.allSettled([...sessions.values()].map((session) => session.transport.close()));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const TOO_LARGE = `request too large: runbyte serve reads JSON-RPC messages of at most ${MAX_MESSAGE_BYTES / 2 ** 20} MiB; send less at once`;

function reply(res: ServerResponse, status: number, message: string, id: RequestId | null = null): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id }));
}

/**
 * The host name of a Host header (or of a `--host` / `--allowed-host` value), without its port,
 * lower case, IPv6 in brackets: the same port-agnostic rule as the SDK's `hostHeaderValidation`
 * middleware, which we cannot use as is because it is written for Express.
 */
export function hostnameOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  // A bare IPv6 address (`::1`, from --host or os.networkInterfaces) needs its brackets.
  const text = value.includes(':') && !value.startsWith('[') && value.indexOf(':') !== value.lastIndexOf(':') ? `[${value}]` : value;
  try {
    const url = new URL(`http://${text}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address.split('%')[0]!));
}

/** Is `--host` a loopback address (or `localhost`), so that only this machine can connect? */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host);
  if (name === undefined) return false;
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(name) ||
    name === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name)
  );
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

class TooLarge extends Error {}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_MESSAGE_BYTES) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
