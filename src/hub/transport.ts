// What a transport is to a Connection (connection.ts). A transport is one file: stdio.ts, http.ts
// (streamable HTTP, falling back to SSE), sse.ts; remote.ts holds what the two HTTP-based ones
// share. dialers.ts registers each under its `transport` value of runbyte.json. Everything else
// (initialize, listing, calls, restarts, the stderr tail, malformed results) is the Connection's
// and the same for every transport.

import type { Stream } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * How one configured server is reached: opens links to it and words how they fail. One per
 * Connection, for its whole life; `dial` runs again at every (re)start.
 */
export interface Dialer<L extends Link = Link> {
  /**
   * Opens a link and hands it to `initialize`, which makes its client and session and runs MCP
   * `initialize` over it. A transport with a fallback calls `initialize` again with another link
   * when the first one fails; whatever `initialize` returned last is the result.
   */
  dial<S>(initialize: (link: L) => Promise<S>): Promise<S>;
  /**
   * The cause line of a start that failed other than by the connect timeout: `links` are those
   * `dial` opened in that attempt, in order.
   */
  startFailure(error: unknown, links: readonly L[]): string;
  /** What the server did when a session ended on its own, for the log: `exited`, `closed the connection`. */
  readonly ended: string;
  /** The message, after `server "x" `, for a request (`what`) whose session ended under it. */
  endedDuring(what: string, next: 'call' | 'request'): string;
  /**
   * A request on an open session failed with an error that is not JSON-RPC. When that means the
   * server cannot be reached any more (a remote server gone, its session expired), the cause, and
   * the connection drops the session so that the next request reconnects; otherwise undefined.
   */
  unreachable(error: unknown): { cause: string; message: string } | undefined;
  /**
   * True when a start failed for want of what only the user can give (a login to a remote
   * server): the cause is said as it is, not as a server that keeps dying, and the next request
   * tries again at once (the user may have logged in meanwhile).
   */
  needsUser?(error: unknown): boolean;
}

/** One opened SDK transport: a session runs over it, and a restart opens a new one. */
export interface Link {
  readonly transport: Transport;
  /**
   * The server's stderr, when it has one (a child process). The connection keeps its last lines
   * for failure messages (stderr.ts).
   */
  readonly stderr?: Stream | null;
  /** Why the transport dropped the connection itself, read from an error the client reported; else undefined. */
  droppedBecause?(error: Error): string | undefined;
  /** The session's client has closed (a child: it has exited). */
  onClosed?(): void;
  /**
   * Ends the session. `graceful`: let the server finish (close the child's stdin, end the HTTP
   * session); otherwise end it at once. Resolves once it has ended or stopped waiting for it.
   */
  end(session: LinkSession, graceful: boolean): Promise<void>;
}

/** A session as the link under it sees it while ending it. */
export interface LinkSession {
  readonly client: Client;
  /** True once the client has closed. */
  readonly isClosed: boolean;
  /** Resolves when the client has closed. */
  readonly closed: Promise<void>;
}

/** A start that failed for a reason its message states in full (`working directory "x" does not exist`). */
export class StartError extends Error {}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
