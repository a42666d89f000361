import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunbyteConfig } from '../config/index.js';
import { Executor, type ExecOutcome } from '../exec/index.js';
import { generateWith, type GenerateReport } from '../generate/index.js';
import { Hub, type ServerFailure } from '../hub/index.js';
import { log } from '../shared/log.js';
import type { VfsRoots } from '../vfs/roots.js';

export interface EngineOptions {
  /** Regenerate the SDK at start: always (serve), never (--frozen), or only when there is none yet (run). */
  regenerate: 'always' | 'never' | 'missing';
  /** With `never`: compare the SDK on disk with the live servers and warn when they differ. */
  warnDrift?: boolean;
}

/**
 * One set of downstream connections and one warm executor, shared by every session of `serve`
 * and by `run`. Owns the hub's lifetime: close() ends every child process.
 */
export class Engine {
  readonly roots: VfsRoots;
  readonly executor: Executor;
  private constructor(
    readonly config: RunbyteConfig,
    readonly hub: Hub,
    readonly failures: ServerFailure[],
    readonly report: GenerateReport | undefined,
  ) {
    this.roots = { generatedDir: config.outDir, workspaceDir: config.workspaceDir };
    this.executor = new Executor({
      roots: this.roots,
      limits: {
        timeoutMs: config.server.timeout * 1000,
        memoryBytes: config.sandbox.memoryMb * 2 ** 20,
        maxOutputChars: config.sandbox.maxOutputChars,
      },
      callTool: (server, tool, args, signal) => hub.callTool(server, tool, args, { signal }),
    });
  }

  /** Connects to every server while TypeScript and Rspack load, then regenerates as asked. */
  static async start(config: RunbyteConfig, options: EngineOptions): Promise<Engine> {
    // A tool call can never usefully outlive the execution that made it.
    const hub = new Hub(config.servers, {
      connectTimeoutMs: config.server.connectTimeout * 1000,
      callTimeoutMs: config.server.timeout * 1000,
    });
    try {
      const failures = await hub.start();
      for (const failure of failures) log(`✗ ${failure.message}`);
      const hasSdk = existsSync(join(config.outDir, 'runbyte.lock.json'));
      let report: GenerateReport | undefined;
      if (options.regenerate === 'always' || (options.regenerate === 'missing' && !hasSdk)) {
        report = await generateWith(hub, config, {}, failures);
      } else if (options.warnDrift) {
        const drift = await generateWith(hub, config, { check: true }, failures);
        const stale = [...drift.diff.added, ...drift.diff.changed, ...drift.diff.removed];
        if (stale.length > 0) {
          log(`warning: the SDK in ${config.outDir} differs from the live servers (${stale.length} files); serving it as it is (--frozen)`);
        }
      }
      const engine = new Engine(config, hub, failures, report);
      return engine;
    } catch (error) {
      await hub.close();
      throw error;
    }
  }

  execute(code: string): Promise<ExecOutcome> {
    return this.executor.execute(code);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.executor.close(), this.hub.close()]);
  }
}
