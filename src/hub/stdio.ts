// The stdio transport: the server is a child process, spoken to over its stdin and stdout.

import { existsSync, statSync } from 'node:fs';
import type { Stream } from 'node:stream';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StdioServerConfig } from '../config/types.js';
import { forgetChild, signalChild, trackChild } from './children.js';
import { describeSpawnError, isClosedError, mcpErrorText } from './describe.js';
import { type Dialer, type Link, type LinkSession, StartError, within } from './transport.js';
import { readLeniently } from './wire.js';

/** How long a graceful end waits for the child to exit on its own once its stdin is closed. */
const GRACE_MS = 1500;

/** Starts the configured command for every session. */
export class StdioDialer implements Dialer<ChildLink> {
  readonly ended = 'exited';

  constructor(private readonly config: StdioServerConfig) {}

  async dial<S>(initialize: (link: ChildLink) => Promise<S>): Promise<S> {
    if (!isDirectory(this.config.cwd)) throw new StartError(`working directory "${this.config.cwd}" does not exist`);
    return initialize(new ChildLink(this.config));
  }

  startFailure(error: unknown, links: readonly ChildLink[]): string {
    const link = links[0];
    if (!link?.spawned) return describeSpawnError(this.config.command, error);
    if (link.exited || isClosedError(error)) return 'exited before answering initialize';
    return `initialize failed: ${mcpErrorText(error)}`;
  }

  endedDuring(what: string, next: 'call' | 'request'): string {
    return `exited during ${what}; it will be restarted on the next ${next}`;
  }

  /** A child that is still there is never unreachable: its errors are the request's own. */
  unreachable(): undefined {
    return undefined;
  }
}

/** StdioClientTransport that reports its child's pid as soon as it is spawned. */
class TrackedStdioTransport extends StdioClientTransport {
  onspawn?: (pid: number) => void;

  override async start(): Promise<void> {
    await super.start();
    if (this.pid !== null) this.onspawn?.(this.pid);
  }
}

/**
 * One child process. Its pid is tracked (children.ts) from the moment it is known until it exits,
 * so that the child is killed even when runbyte exits without closing the hub.
 */
export class ChildLink implements Link {
  readonly transport: TrackedStdioTransport;
  /** True once the child has exited. */
  exited = false;
  private pid?: number;

  constructor(config: StdioServerConfig) {
    this.transport = new TrackedStdioTransport({
      command: config.command,
      args: config.args,
      // The SDK's safelisted variables plus the configured ones, never all of process.env.
      env: { ...getDefaultEnvironment(), ...config.env },
      cwd: config.cwd,
      stderr: 'pipe',
    });
    // A malformed answer fails its call at once instead of being dropped (wire.ts).
    readLeniently(this.transport);
    this.transport.onspawn = (pid) => this.track(pid);
  }

  get stderr(): Stream | null {
    return this.transport.stderr;
  }

  /** True once the child has been spawned (a command that cannot start never is). */
  get spawned(): boolean {
    return this.pid !== undefined;
  }

  droppedBecause(error: Error): string | undefined {
    // The stdio reader drops the connection on a message over its buffer limit (the SDK's 10 MiB;
    // wire.ts keeps the SDK's limit and its error text).
    const limit = /ReadBuffer exceeded maximum size of (\d+) bytes/.exec(error.message);
    if (!limit) return undefined;
    const mib = Math.round(Number(limit[1]) / 2 ** 20);
    return `sent a message larger than ${mib} MiB (the stdio limit), so the connection was dropped; it will be restarted on the next call`;
  }

  onClosed(): void {
    this.exited = true;
    if (this.pid !== undefined) forgetChild(this.pid);
  }

  /**
   * `graceful`: close stdin and give the child GRACE_MS to exit; otherwise SIGTERM at once. Either
   * way SIGKILL follows when it lingers.
   */
  async end(session: LinkSession, graceful: boolean): Promise<void> {
    // Spawned, but the 'spawn' event (and so onspawn) may not have run yet.
    if (this.pid === undefined && this.transport.pid !== null && !session.isClosed) this.track(this.transport.pid);
    if (!graceful && this.pid !== undefined) signalChild(this.pid, 'SIGTERM');
    const closing = session.client.close().catch(() => {});
    if (this.pid === undefined) {
      await within(closing, 1000);
      return;
    }
    if (!(await within(session.closed, graceful ? GRACE_MS : 500))) {
      signalChild(this.pid, 'SIGKILL');
      await within(session.closed, 1000);
    }
  }

  private track(pid: number): void {
    this.pid = pid;
    trackChild(pid);
  }
}

function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}
