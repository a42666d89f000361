import { join } from 'node:path';
import type { RunbyteConfig, ServerConfig } from '../config/index.js';
import { generateWith, readLockSummaries, type GenerateReport } from '../generate/index.js';
import type { Hub, ServerFailure, ToolsChangedReason } from '../hub/index.js';
import { messageOf } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';
import { log } from '../shared/log.js';

/**
 * How long a server must stay quiet after a `tools/list_changed` before it is listed again. A
 * burst (a server registering tools one by one, faults' notify_burst) arrives within a few
 * milliseconds, so this is long enough to fold it into one regeneration and short enough to be
 * invisible next to the two seconds README.md ("Live tools") promises.
 */
export const DEBOUNCE_MS = 100;

/**
 * The longest a notification waits for its regeneration to start while its server keeps sending
 * more (a steady stream would otherwise postpone it forever). With regenerations never running
 * two at once, a stream of notifications costs at most one regeneration per MAX_DELAY_MS.
 */
export const MAX_DELAY_MS = 500;

/** What happened to one server in a regeneration, with its tools compared by name with the lock before it. */
export interface ServerChange {
  server: string;
  /**
   * `added`: newly configured; `removed`: no longer configured (its files are gone); `updated`:
   * listed again; `failed`: could not be connected or listed (its files were kept as they were).
   */
  kind: 'added' | 'removed' | 'updated' | 'failed';
  /** How many tools it has now (for `removed`: had). */
  tools: number;
  /** Original tool names, sorted. */
  addedTools: string[];
  removedTools: string[];
  /** Tools whose schemas (and so files) changed. */
  changedTools: string[];
  /** With `failed`: one line naming the server, plus the tail of its stderr. */
  error?: string;
}

export interface Regeneration {
  /** `start`: the first generation; `list_changed`: a server's notification (or restart); `config`: the config file changed. */
  reason: 'start' | 'list_changed' | 'config';
  /** The servers this regeneration was about, sorted by name. */
  changes: ServerChange[];
  report: GenerateReport;
  /** Host paths of the SDK files written or removed (the lock included). */
  paths: string[];
}

export interface RegeneratorOptions {
  /** Where the SDK is written; default `config.outDir` (followed when the config changes it). */
  outDir?: string;
  /** Only these servers are connected, listened to and regenerated (`generate --watch --server`). */
  only?: string[];
  debounceMs?: number;
  maxDelayMs?: number;
  /** After every regeneration, before anyone waiting in `settled()` is released. */
  onRegenerated?: (regeneration: Regeneration) => void;
}

/**
 * Keeps the SDK on disk current with live servers (README.md, "Live tools"): a server's
 * `tools/list_changed` (or its restart, which hub/ reports the same way) re-lists that server and
 * rewrites only its files, the lock and the indexes; a new config connects, disconnects and
 * regenerates what changed.
 *
 * Notifications are debounced per burst (DEBOUNCE_MS, at most MAX_DELAY_MS) and the servers they
 * name are regenerated together. Every regeneration — debounced, forced or after a config change —
 * runs in one queue, so there are never two at once: a notification that arrives during one
 * waits for it and is folded into the next.
 */
export class Regenerator {
  /** `tools/list_changed` notifications (and restarts) heard so far. */
  notifications = 0;
  /** Regenerations run so far (each one `generateWith` call). */
  regenerations = 0;

  private config: RunbyteConfig;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly only?: Set<string>;
  private readonly dirty = new Set<string>();
  /** When `dirty` last became non-empty: MAX_DELAY_MS counts from here. */
  private dirtySince = 0;
  private timer?: NodeJS.Timeout;
  /** A flush is in the queue and has not taken `dirty` yet: later notifications ride along with it. */
  private flushQueued = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Jobs queued or running. */
  private busy = 0;
  /** Servers a regeneration is listing right now. */
  private readonly listing = new Set<string>();
  private readonly idleWaiters = new Set<() => void>();
  private closed = false;
  private readonly unsubscribe: () => void;

  /** Subscribes to the hub at once: create it before `hub.start()` to hear every notification. */
  constructor(
    private readonly hub: Hub,
    config: RunbyteConfig,
    private readonly options: RegeneratorOptions = {},
  ) {
    this.config = config;
    this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.maxDelayMs = Math.max(options.maxDelayMs ?? MAX_DELAY_MS, this.debounceMs);
    this.only = options.only ? new Set(options.only) : undefined;
    this.unsubscribe = hub.onToolsChanged((server, reason) => this.notify(server, reason));
  }

  /** The config the SDK follows now (the last good one). */
  get currentConfig(): RunbyteConfig {
    return this.config;
  }

  /** The servers this regenerator connects and regenerates, from the current config. */
  servers(config: RunbyteConfig = this.config): ServerConfig[] {
    return config.servers.filter((server) => this.owns(server.name));
  }

  /** `server`'s tools may have changed: regenerate it after the burst (hub/ calls this). */
  notify(server: string, reason: ToolsChangedReason = 'list_changed'): void {
    if (this.closed) return;
    this.notifications++;
    if (!this.owns(server)) return;
    // Restarted by our own listing (it had died): that listing is of the new process already.
    // Reacting would loop, at hub/'s restart pace, for a server that dies on every tools/list.
    if (reason === 'restarted' && this.listing.has(server)) return;
    if (this.dirty.size === 0) this.dirtySince = Date.now();
    this.dirty.add(server);
    clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.debounceMs, this.dirtySince + this.maxDelayMs - Date.now()));
    this.timer = setTimeout(() => this.flush(), delay);
  }

  /**
   * Regenerates these servers (default: all of them) now, in the queue. `failures` are connect
   * failures to report (from `hub.start()`). Rejects when the generation itself fails (a bad
   * output folder); servers that fail are reported in the result instead.
   */
  regenerate(servers?: string[], failures: ServerFailure[] = [], reason: Regeneration['reason'] = 'start'): Promise<Regeneration> {
    const names = servers ?? this.servers().map((server) => server.name);
    return this.enqueue(() => this.generate(reason, names, failures, { added: [], removed: [] }));
  }

  /**
   * Follows a new config: connects added servers, disconnects removed ones, reconnects edited
   * ones (hub.update), then regenerates the added and edited servers and prunes the removed.
   * Resolves undefined when no server changed (e.g. only `sandbox` was edited).
   */
  reconfigure(next: RunbyteConfig): Promise<Regeneration | undefined> {
    return this.enqueue(async () => {
      const previous = this.config;
      const before = new Map(this.servers(previous).map((server) => [server.name, server]));
      const after = new Map(this.servers(next).map((server) => [server.name, server]));
      const names = new Set(next.servers.map((server) => server.name));
      const added = [...after.keys()].filter((name) => !before.has(name));
      const edited = [...after.keys()].filter((name) => before.has(name) && stableStringify(before.get(name)) !== stableStringify(after.get(name)));
      const removed = previous.servers.map((server) => server.name).filter((name) => !names.has(name));
      const moved = this.options.outDir === undefined && previous.outDir !== next.outDir;
      this.config = next;
      const failures = await this.hub.update([...after.values()]);
      if (!moved && added.length === 0 && edited.length === 0 && removed.length === 0) return undefined;
      const targets = moved ? [...after.keys()] : [...added, ...edited];
      return this.generate('config', targets, failures, { added, removed });
    });
  }

  /**
   * Resolves true once no regeneration is due or running, or false when `maxWaitMs` passes first
   * (a server that never stops notifying must not stall its callers).
   */
  settled(maxWaitMs = 2000): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(release);
        resolve(value);
      };
      const release = () => done(true);
      const timer = setTimeout(() => done(false), maxWaitMs);
      this.idleWaiters.add(release);
    });
  }

  /**
   * Stops listening, drops what is due, and waits for a regeneration under way — at most
   * `graceMs`: a server that hangs in tools/list must not hold up Ctrl-C (closing the hub next
   * ends that listing). Idempotent.
   */
  async close(graceMs = 1000): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.releaseIfIdle();
  }

  private owns(server: string): boolean {
    return this.only === undefined || this.only.has(server);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.flushQueued || this.closed) return this.releaseIfIdle();
    this.flushQueued = true;
    this.enqueue(async () => {
      this.flushQueued = false;
      const configured = new Set(this.servers().map((server) => server.name));
      const servers = [...this.dirty].filter((name) => configured.has(name)).sort();
      this.dirty.clear();
      if (servers.length === 0 || this.closed) return undefined;
      return this.generate('list_changed', servers, [], { added: [], removed: [] });
    }).catch((error: unknown) => {
      if (!this.closed) log(`regenerating the SDK failed: ${messageOf(error)}`);
    });
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = this.queue.then(job);
    this.queue = run
      .catch(() => undefined)
      .finally(() => {
        this.busy--;
        this.releaseIfIdle();
      });
    return run;
  }

  private isIdle(): boolean {
    return this.busy === 0 && this.timer === undefined && this.dirty.size === 0;
  }

  private releaseIfIdle(): void {
    if (!this.isIdle()) return;
    for (const release of [...this.idleWaiters]) release();
  }

  private async generate(
    reason: Regeneration['reason'],
    servers: string[],
    failures: ServerFailure[],
    membership: { added: string[]; removed: string[] },
  ): Promise<Regeneration> {
    const outDir = this.options.outDir ?? this.config.outDir;
    const before = await readLockTools(outDir);
    this.regenerations++;
    for (const server of servers) this.listing.add(server);
    let report: GenerateReport;
    try {
      report = await generateWith(this.hub, this.config, { outDir, servers }, failures);
    } finally {
      this.listing.clear();
    }
    const after = await readLockTools(outDir);

    const changes: ServerChange[] = [];
    const byName = new Map(report.servers.map((server) => [server.name, server]));
    for (const name of servers) {
      const server = byName.get(name);
      const was = before.get(name) ?? new Map<string, string>();
      const now = after.get(name) ?? new Map<string, string>();
      const added = membership.added.includes(name);
      if (server?.status === 'failed') {
        changes.push({ server: name, kind: 'failed', tools: now.size, addedTools: [], removedTools: [], changedTools: [], error: server.error });
        continue;
      }
      changes.push({
        server: name,
        kind: added ? 'added' : 'updated',
        tools: now.size,
        addedTools: [...now.keys()].filter((tool) => !was.has(tool)).sort(),
        removedTools: [...was.keys()].filter((tool) => !now.has(tool)).sort(),
        changedTools: [...now.keys()].filter((tool) => was.has(tool) && was.get(tool) !== now.get(tool)).sort(),
      });
    }
    for (const name of membership.removed) {
      const was = before.get(name) ?? new Map<string, string>();
      changes.push({ server: name, kind: 'removed', tools: was.size, addedTools: [], removedTools: [...was.keys()].sort(), changedTools: [] });
    }
    changes.sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));

    const { diff } = report;
    const paths = [...diff.added, ...diff.changed, ...diff.removed].map((path) => join(outDir, ...path.split('/')));
    const regeneration: Regeneration = { reason, changes, report, paths };
    try {
      this.options.onRegenerated?.(regeneration);
    } catch (error) {
      log(`a regeneration listener failed: ${messageOf(error)}`);
    }
    return regeneration;
  }
}

/** The lock's tools, server → tool name → schema hash; empty when there is no (readable) lock. */
async function readLockTools(outDir: string): Promise<Map<string, Map<string, string>>> {
  const summaries = await readLockSummaries(outDir);
  return new Map(summaries.map((summary) => [summary.server, new Map(summary.tools.map((tool) => [tool.name, tool.hash]))]));
}
