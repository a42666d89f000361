import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunbyteConfig } from '../config/index.js';
import { Executor, type ExecOutcome, type ExecuteOptions, type ExtraModule } from '../exec/index.js';
import { generateWith, loadCodegen, type GenerateReport } from '../generate/index.js';
import { type ClientRequest, Hub, hubOptions, loadToolValue, logLine, type LogEvent, type ServerFailure } from '../hub/index.js';
import { ToolCatalog } from '../search/index.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { driftMessage } from '../codegen/drift.js';
import { debug, log } from '../shared/log.js';
import type { VfsRoots } from '../vfs/roots.js';
import { LiveSdk } from '../watch/index.js';
import { type AuditCall, AuditLog, type AuditRecord } from '../audit/index.js';
import { LockFile } from '../emit/lock.js';
import { type ApprovalRecord, type Approver, Guard, Pins } from '../policy/index.js';
import { shortHash } from '../shared/json.js';
import type { ToolCallResult } from '../shared/tool-spec.js';
import { ShapeStore } from '../shapes/index.js';
import { createWorkspace, FS_MODULE } from '../workspace/index.js';
import { MCP_MODULE, offeringsHost } from './offerings.js';

export interface LiveOptions {
  /** Rewrite a server's SDK files on its tools/list_changed; default true (false for `serve --frozen`). */
  regenerate?: boolean;
}

/** How a forwarded request is bounded: the run's cancel and what is left of its deadline. */
export interface ForwardOptions {
  signal: AbortSignal;
  timeout: number;
}

/**
 * The client of the session that runs the code (serve's `createSession`): what it declared, and
 * the requests a downstream server may need forwarded to it.
 */
export interface RunClient {
  supports(capability: 'elicitation' | 'sampling' | 'roots'): boolean;
  elicit(params: unknown, options: ForwardOptions): Promise<unknown>;
  sample(params: unknown, options: ForwardOptions): Promise<unknown>;
  listRoots(options: ForwardOptions): Promise<unknown>;
}

/**
 * `Engine.execute`'s options: exec's, where a run's downstream log messages go, and the client
 * that answers the run's downstream servers' elicitation, sampling and roots requests (none for
 * `runbyte run`: they are refused, and roots/list is answered with the config's folder).
 */
export interface EngineExecuteOptions extends ExecuteOptions {
  onLog?: (log: LogEvent) => void;
  client?: RunClient;
  /**
   * Asks the user to approve the tools the policy marks `ask` (`runbyte run`: on the terminal).
   * Without it, the client is asked through elicitation when it supports it; else it is refused.
   */
  approver?: Approver;
  /** Who ran it, for the audit log: an MCP session id, `stdio` or `run`. */
  session?: string;
}

/** How long the user has to answer an approval asked through elicitation. */
const APPROVAL_TIMEOUT_MS = 5 * 60_000;

/** One execution as the engine routes to it: its calls in flight per server, and its client. */
interface Run {
  /** Calls in flight per server. */
  calling: Map<string, number>;
  /** Per server, the sequence number of the run's latest call to it (the most recent run wins). */
  latest: Map<string, number>;
  client?: RunClient;
  /** Aborts when the client cancels or the run ends: nothing forwarded outlives its run. */
  signal: AbortSignal;
  deadline: number;
  /** Downstream log lines for its console block, and the characters still allowed there. */
  logs: string[];
  logRoom: number;
  onLog?: (log: LogEvent) => void;
}

const CAPABILITY: Record<ClientRequest['method'], 'elicitation' | 'sampling' | 'roots'> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

export interface EngineOptions {
  /** Regenerate the SDK at start: always (serve), never (--frozen), or only when there is none yet (run). */
  regenerate: 'always' | 'never' | 'missing';
  /** With `never`: compare the SDK on disk with the live servers and warn when they differ. */
  warnDrift?: boolean;
  /**
   * Pinned tools (`serve --locked`, `"locked": true`): the SDK on disk is never rewritten, and a
   * tool whose live definition differs from the lock is not callable (checked at start and on
   * every tools/list_changed).
   */
  locked?: boolean;
}

function executorRoots(config: RunbyteConfig): VfsRoots {
  return { generatedDir: config.outDir, workspaceDir: config.workspaceDir };
}

/** The modules agent code imports by name: checked and bundled by the executor, shown by the vfs. */
export const AGENT_MODULES: ExtraModule[] = [FS_MODULE, MCP_MODULE];

function createExecutor(
  config: RunbyteConfig,
  hub: Hub,
  pins: Pins | undefined,
  onResult: (server: string, tool: string, result: ToolCallResult) => void,
): Executor {
  const workspace = createWorkspace({
    dir: config.workspaceDir,
    quotaBytes: config.sandbox.workspaceQuotaMb * 2 ** 20,
    maxEntries: config.sandbox.workspaceMaxEntries,
  });
  return new Executor({
    roots: executorRoots(config),
    limits: {
      timeoutMs: config.server.timeout * 1000,
      memoryBytes: config.sandbox.memoryMb * 2 ** 20,
      maxOutputChars: config.sandbox.maxOutputChars,
      compilerMemoryMb: config.sandbox.compilerMemoryMb,
      maxMediaBytes: config.sandbox.maxMediaBytes,
    },
    callTool: (server, tool, args, signal, call) => {
      const refusal = pins?.refusal(server, tool);
      if (refusal) return Promise.reject(new RunbyteError('TOOL_FAILED', refusal));
      const called = hub.callTool(server, tool, args, { signal, onProgress: call?.onProgress });
      called.then((result) => onResult(server, tool, result)).catch(() => undefined);
      return called;
    },
    host: { ...workspace.host, ...offeringsHost(hub) },
    modules: AGENT_MODULES,
    keepOversized: workspace.keepOversized,
  });
}

/**
 * One set of downstream connections and one warm executor, shared by every session of `serve`
 * and by `run`. Owns the hub's lifetime: close() ends every child process.
 */
export class Engine {
  readonly roots: VfsRoots;
  /** search_tools' index of the SDK, shared by every session; follows the lock (src/search/). */
  readonly catalog: ToolCatalog;
  private live?: Promise<LiveSdk>;
  /** Which tools a script may call: its manifest and runbyte.json's policy. */
  private readonly guard: Guard;
  private readonly audit?: AuditLog;
  private readonly runs = new Set<Run>();
  private callCount = 0;
  private constructor(
    readonly config: RunbyteConfig,
    readonly hub: Hub,
    readonly executor: Executor,
    readonly failures: ServerFailure[],
    readonly report: GenerateReport | undefined,
    /** Servers that announced new tools after the SDK was listed at start, and until startLive(). */
    private readonly early: { servers: Set<string>; stop: () => void },
    /** Under `locked`: the tools that differ from the reviewed SDK, kept current on tools/list_changed. */
    readonly pins: Pins | undefined,
    /** The shapes of untyped tools' results, written to `.runbyte/shapes/` (shapes/). */
    private readonly shapes: ShapeStore | undefined,
  ) {
    this.roots = executorRoots(config);
    // One reader of the lock for both: it is read and parsed once per version.
    const lock = new LockFile(config.outDir);
    this.guard = new Guard({ lock, policy: config.policy, tool: (server, tool) => hub.knownTool(server, tool) });
    this.audit = config.audit ? new AuditLog(config.audit) : undefined;
    if (pins) hub.onToolsChanged((server) => void this.repin(server));
    this.catalog = new ToolCatalog(lock);
    hub.onClientRequest((server, request, signal) => this.forward(server, request, signal));
    hub.onLog((log) => this.deliverLog(log));
  }

  /**
   * A downstream log message belongs to the runs with a call in flight to its server (a server's
   * log carries no request of its own): it joins their console blocks, capped like them, and goes
   * to their sessions. One no run claims stays in runbyte's --debug log.
   */
  private deliverLog(log: LogEvent): void {
    let claimed = false;
    for (const run of this.runs) {
      if (!run.calling.get(log.server)) continue;
      claimed = true;
      const text = typeof log.data === 'string' ? log.data : JSON.stringify(log.data);
      const line = `[${log.server} ${log.level}] ${text}`;
      if (run.logRoom > 0) run.logs.push(line.length > run.logRoom ? `${line.slice(0, run.logRoom)}…` : line);
      run.logRoom -= line.length + 1;
      run.onLog?.(log);
    }
    if (!claimed) debug(logLine(log));
  }

  /**
   * A downstream server's elicitation, sampling or roots request goes to the client of the run
   * with a call in flight to that server (of several runs of one session, the one whose call
   * started last; runs of two sessions at once: refused), as its
   * log messages do: a server's request carries nothing else to attribute it by, and a session
   * never sees another's. Refused in one sentence when no run is calling the server or its client
   * lacks the capability; `roots/list` is then answered with the config's folder, but only for a
   * run (before any run, a server keeps the folders it was started with). Bounded by the run's
   * cancel, its deadline and the server's own cancel.
   */
  private async forward(server: string, request: ClientRequest, signal: AbortSignal): Promise<unknown> {
    let run: Run | undefined;
    const sessions = new Set<RunClient | undefined>();
    for (const candidate of this.runs) {
      if (!candidate.calling.get(server)) continue;
      sessions.add(candidate.client);
      if (!run || (candidate.latest.get(server) ?? 0) > (run.latest.get(server) ?? 0)) run = candidate;
    }
    if (!run) throw new Error(`no execution is running that could ask runbyte's client (${request.method} from server "${server}")`);
    // Two sessions calling the same server at once: its request names neither, and one session
    // must never answer (or see) another's. Refused rather than guessed; the agent can retry.
    if (sessions.size > 1) {
      throw new Error(
        `two sessions are calling server "${server}" at once, so runbyte cannot tell whose client should answer ${request.method}; retry the call`,
      );
    }
    const capability = CAPABILITY[request.method];
    const client = run.client?.supports(capability) ? run.client : undefined;
    if (!client) {
      if (request.method === 'roots/list') return { roots: [{ uri: pathToFileURL(this.config.dir).href, name: 'runbyte config folder' }] };
      throw new Error(`runbyte's client does not support ${capability}`);
    }
    const timeout = run.deadline - Date.now();
    if (timeout <= 0) throw new Error(`the execution that could ask runbyte's client has run out of time (${request.method})`);
    const options = { signal: AbortSignal.any([run.signal, signal]), timeout };
    switch (request.method) {
      case 'elicitation/create':
        return client.elicit(request.params, options);
      case 'sampling/createMessage':
        return client.sample(request.params, options);
      case 'roots/list':
        return client.listRoots(options);
    }
  }

  /** Connects to every server while TypeScript and Rspack load, then regenerates as asked. */
  static async start(config: RunbyteConfig, options: EngineOptions): Promise<Engine> {
    const hub = new Hub(config.servers, hubOptions(config));
    // A server may announce tools right after initialize (server-everything does, docs/decisions.md,
    // trap 10): what arrives after the listing below must not be lost before startLive() listens.
    const early = new Set<string>();
    const stopEarly = hub.onToolsChanged((server) => early.add(server));
    const locked = options.locked === true || config.locked === true;
    const pins = locked ? new Pins() : undefined;
    const shapes = config.shapesDir ? new ShapeStore(config.shapesDir) : undefined;
    const executor = createExecutor(config, hub, pins, (server, tool, result) => {
      if (shapes && !result.isError) shapes.observeLater(server, tool, untypedValue(hub, server, tool, result));
    });
    // Locked: the reviewed SDK is served as it is, and compared with the live tools.
    const regenerate = locked ? 'never' : options.regenerate;
    const compare = locked || options.warnDrift;
    // TypeScript, Rspack and QuickJS load while the servers start (they take about as long).
    const warming = Promise.all([executor.warm(), regenerate === 'always' || compare ? loadCodegen() : undefined]).catch(() => undefined);
    try {
      const failures = await hub.start();
      for (const failure of failures) log(`✗ ${failure.message}`);
      const hasSdk = existsSync(join(config.outDir, 'runbyte.lock.json'));
      let report: GenerateReport | undefined;
      if (regenerate === 'always' || (regenerate === 'missing' && !hasSdk)) {
        early.clear();
        // serve never removes most of a reviewed SDK on its own: an emptied config or a listing that
        // lost most tools is reported, and the SDK on disk is served as it is (`runbyte generate
        // --prune` removes it on purpose).
        report = await generateWith(hub, config, { refuseMassRemoval: true }, failures).catch((error: unknown) => {
          if (!(error instanceof RunbyteError) || error.code !== 'USAGE') throw error;
          log(`warning: the SDK was not regenerated: ${error.message}; serving it as it is`);
          return undefined;
        });
      } else if (compare) {
        const drift = await generateWith(hub, config, { check: true }, failures);
        const stale = [...drift.diff.added, ...drift.diff.changed, ...drift.diff.removed];
        if (pins) {
          pins.update(listedServers(drift), drift.drift);
          for (const tool of pins.all()) log(`warning: not callable: ${driftMessage(tool)}`);
        } else if (stale.length > 0) {
          log(`warning: the SDK in ${config.outDir} differs from the live servers (${stale.length} files); serving it as it is (--frozen)`);
        }
      }
      await warming;
      return new Engine(config, hub, executor, failures, report, { servers: early, stop: stopEarly }, pins, shapes);
    } catch (error) {
      stopEarly();
      await hub.close();
      throw error;
    }
  }

  /**
   * Keeps what agents see current (README.md, "Live tools"): a server's
   * `tools/list_changed` (or its restart) rewrites that server's SDK files, and every change under
   * the generated folder or the workspace — ours, by hand, or by another `runbyte generate` —
   * drops the executor's cached copies of exactly those files. `serve` calls it once after start;
   * `run` never does. Idempotent.
   */
  startLive(options: LiveOptions = {}): Promise<LiveSdk> {
    this.live ??= (async () => {
      this.early.stop();
      return LiveSdk.start({
        hub: this.hub,
        config: this.config,
        regenerate: options.regenerate ?? true,
        invalidate: (paths) => this.executor.invalidate(paths),
        replay: this.early.servers,
      });
    })();
    return this.live;
  }

  /**
   * Type-checks and bundles a script that imports every server, in the background and in every
   * compiler: the first agent's execution then finds the whole SDK parsed and every stage warm.
   * Builds search_tools' index too (reading every tool file: ~0.2 s for 1,117 tools), and loads
   * the result rule shape recording uses (TypeScript transpiles it: ~0.2 s of this thread, which
   * would otherwise stall every session at the first result of an untyped tool).
   */
  prime(): void {
    void this.executor.prime("import * as servers from './servers';\nreturn Object.keys(servers).length;").catch(() => undefined);
    void this.catalog.warm().catch(() => undefined);
    if (this.shapes) void loadToolValue().catch(() => undefined);
  }

  /**
   * Runs agent code. When a regeneration is due or running (a server has just announced new
   * tools), waits for it first, at most two seconds, so the code is checked against the new SDK.
   */
  async execute(code: string, options: EngineExecuteOptions = {}): Promise<ExecOutcome> {
    const live = await this.live?.catch(() => undefined);
    await live?.settled(2000);
    // What the engine routes to this run while it runs: downstream logs and client requests.
    const ended = new AbortController();
    const run: Run = {
      calling: new Map(),
      latest: new Map(),
      client: options.client,
      signal: options.signal ? AbortSignal.any([options.signal, ended.signal]) : ended.signal,
      deadline: Date.now() + this.config.server.timeout * 1000,
      logs: [],
      logRoom: this.config.sandbox.maxOutputChars,
      onLog: options.onLog,
    };
    const calling = run.calling;
    this.runs.add(run);
    // For the audit log: what the run called, and what was approved.
    const began = { at: new Date().toISOString(), ms: performance.now() };
    const calls: AuditCall[] = [];
    const withArguments = this.audit?.config.arguments === true;
    let approval: ApprovalRecord | undefined;
    const approver = options.approver ?? elicitApprover(options.client);
    try {
      let outcome = await this.executor.execute(code, {
        ...options,
        authorize: async (files, signal) => {
          const decided = await this.guard.authorize(files, approver, signal);
          approval = decided.approval;
          return decided.verdict;
        },
        onEvent: (event) => {
          if (event.type === 'call-start') {
            calling.set(event.server, (calling.get(event.server) ?? 0) + 1);
            run.latest.set(event.server, ++this.callCount);
          }
          if (event.type === 'call-end') {
            calling.set(event.server, (calling.get(event.server) ?? 1) - 1);
            const { server, tool, ms, ok, error } = event;
            calls.push({
              server,
              tool,
              ms,
              ok,
              ...(error === undefined ? {} : { error }),
              ...(withArguments ? { args: event.args, result: event.result } : {}),
            });
          }
          options.onEvent?.(event);
        },
      });
      if (run.logs.length > 0) outcome = { ...outcome, console: [outcome.console, ...run.logs].filter(Boolean).join('\n') };
      // Written after the answer is on its way; close() waits for what is still being written.
      void this.audit?.append({
        time: began.at,
        session: options.session ?? 'run',
        code: shortHash(code),
        ...(outcome.tools ? { tools: outcome.tools } : {}),
        calls,
        ...(approval ? { approval } : {}),
        outcome: outcome.ok ? 'ok' : outcome.phase,
        timings: { ...outcome.timings, totalMs: Math.round(performance.now() - began.ms) },
      } satisfies AuditRecord);
      return outcome;
    } finally {
      this.runs.delete(run);
      ended.abort(new Error('the execution has ended'));
    }
  }

  /** Under `locked`: a server's tools changed (or it restarted); compares them with the reviewed SDK again. */
  private async repin(server: string): Promise<void> {
    try {
      const report = await generateWith(this.hub, this.config, { servers: [server], check: true });
      this.pins?.update(listedServers(report), report.drift);
      for (const tool of report.drift) log(`warning: not callable: ${driftMessage(tool)}`);
    } catch (error) {
      log(`warning: server "${server}": its tools could not be compared with the reviewed SDK: ${messageOf(error)}`);
    }
  }

  async close(): Promise<void> {
    this.early.stop();
    await Promise.all([this.shapes?.flush(), this.audit?.settled()]);
    const live = await this.live?.catch(() => undefined);
    await live?.close();
    await Promise.allSettled([this.executor.close(), this.hub.close()]);
  }
}

/** The servers a generate report listed now (their drift, or none, is current). */
function listedServers(report: GenerateReport): string[] {
  return report.servers.filter((server) => server.status === 'generated').map((server) => server.name);
}

/**
 * Approval through the agent's client (MCP elicitation): the tools that need it and why. Decline,
 * cancel, or no answer in time: declined. A client without elicitation cannot be asked.
 */
function elicitApprover(client: RunClient | undefined): Approver {
  return async (request, signal) => {
    if (!client?.supports('elicitation')) return { answer: 'refused', reason: "runbyte's client cannot be asked: it does not support elicitation" };
    const lines = request.tools.map((tool) => `- ${tool.name} (${tool.why})`);
    const message = ['A script wants to call tools that need your approval (runbyte.json policy):', ...lines, 'Allow this run?'].join('\n');
    try {
      const result = (await client.elicit(
        { message, requestedSchema: { type: 'object', properties: {} } },
        { signal: signal ?? new AbortController().signal, timeout: APPROVAL_TIMEOUT_MS },
      )) as { action?: string };
      return result.action === 'accept' ? { answer: 'accepted' } : { answer: 'declined' };
    } catch (error) {
      debug(`approval not answered: ${messageOf(error)}`);
      return { answer: 'declined' };
    }
  };
}

/**
 * The value of a successful result of a tool without an outputSchema, whose shape is recorded
 * (README.md, "Learned result types"): the value as code sees it, by the SDK's one result rule.
 * Undefined for a tool that declares its output. Off the call's path; never fails it.
 */
async function untypedValue(hub: Hub, server: string, tool: string, result: ToolCallResult): Promise<{ value: unknown } | undefined> {
  const spec = await hub.knownTool(server, tool);
  if (!spec || spec.outputSchema !== undefined) return undefined;
  const toolValue = await loadToolValue();
  return { value: toolValue(server, tool, result) };
}
