import type { RunbyteConfig } from '../config/index.js';
import type { Hub } from '../hub/index.js';
import { log } from '../shared/log.js';
import { watchFiles, type FileWatcher } from './files.js';
import { formatChange } from './format.js';
import { Regenerator, type Regeneration } from './regenerator.js';

export interface LiveSdkOptions {
  hub: Hub;
  config: RunbyteConfig;
  /** Rewrite a server's files on its list_changed (off for `serve --frozen`: the SDK on disk is served as it is). */
  regenerate: boolean;
  /** Drops cached copies of these host files (the executor's type-checker and bundler). */
  invalidate: (hostPaths: string[]) => void;
  /** Servers that announced a change before this started (they are regenerated once now). */
  replay?: Iterable<string>;
  /** After every regeneration (tests, logs). */
  onRegenerated?: (regeneration: Regeneration) => void;
}

/**
 * What `serve` needs to stay current (README.md, "Live tools"): a Regenerator that rewrites a
 * server's files when it announces new tools, and a watcher over the generated folder and the
 * workspace that tells the executor which files to read again — whoever changed them (a
 * regeneration, a hand edit, another `runbyte generate`, a skill saved by code).
 *
 * A regeneration's own files are invalidated directly as soon as it has written them, not only
 * when the watcher reports them, so an execution that waited in `settled()` never sees a stale
 * cache.
 */
export class LiveSdk {
  private constructor(
    readonly regenerator: Regenerator | undefined,
    readonly files: FileWatcher,
  ) {}

  static async start(options: LiveSdkOptions): Promise<LiveSdk> {
    const { hub, config, invalidate } = options;
    const regenerator = options.regenerate
      ? new Regenerator(hub, config, {
          onRegenerated: (regeneration) => {
            invalidate(regeneration.paths);
            for (const change of regeneration.changes) {
              const line = formatChange(change, { quiet: true });
              if (line) log(line);
            }
            options.onRegenerated?.(regeneration);
          },
        })
      : undefined;
    let files: FileWatcher;
    try {
      files = await watchFiles([config.outDir, config.workspaceDir], { onChange: invalidate });
    } catch (error) {
      await regenerator?.close();
      throw error;
    }
    for (const server of options.replay ?? []) regenerator?.notify(server);
    return new LiveSdk(regenerator, files);
  }

  /**
   * Resolves once no regeneration is due or running (true), or after `maxWaitMs` (false). An
   * execution waits here so that it runs against the tools a server has just announced.
   */
  settled(maxWaitMs = 2000): Promise<boolean> {
    return this.regenerator?.settled(maxWaitMs) ?? Promise.resolve(true);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.regenerator?.close(), this.files.close()]);
  }
}
