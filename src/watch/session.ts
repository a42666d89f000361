import type { RunbyteConfig } from '../config/index.js';
import type { GenerateReport } from '../generate/index.js';
import { Hub, hubOptions } from '../hub/index.js';
import { messageOf, type RunbyteError } from '../shared/errors.js';
import { watchConfig, type ConfigWatcher } from './config.js';
import { Regenerator, type Regeneration } from './regenerator.js';

export type WatchEvent =
  /** A regeneration after a list_changed, a restart or a config change. */
  | { kind: 'regenerated'; regeneration: Regeneration }
  /** The config file is unreadable or invalid (the last good one stays in force), or following it failed. */
  | { kind: 'config-error'; message: string; error: unknown };

export interface WatchOptions {
  /** Output folder; default `outDir` of the config (followed when the config changes it). */
  outDir?: string;
  /** Only these servers (`--server`); the others keep their files and lock entries. */
  servers?: string[];
  onEvent: (event: WatchEvent) => void;
}

export interface WatchSession {
  /** The first generation. */
  initial: GenerateReport;
  regenerator: Regenerator;
  /** Stops watching, waits for a regeneration under way, and closes every server (children included). */
  close(): Promise<void>;
}

/**
 * `runbyte generate --watch`: connects, generates, and then keeps the SDK current — on a server's
 * `tools/list_changed` (or restart) that server is regenerated; on a change of the config file the
 * hub connects added servers, disconnects removed ones and reconnects edited ones, and their files
 * follow. A config edit that does not parse is reported and the last good config stays in force.
 * Rejects (closing everything) when the first generation fails as a whole, e.g. an unknown `--server`.
 */
export async function watchGenerate(config: RunbyteConfig, options: WatchOptions): Promise<WatchSession> {
  const only = options.servers && options.servers.length > 0 ? options.servers : undefined;
  const owned = config.servers.filter((server) => only === undefined || only.includes(server.name));
  const hub = new Hub(owned, hubOptions(config));
  const regenerator = new Regenerator(hub, config, {
    outDir: options.outDir,
    only,
    onRegenerated: (regeneration) => {
      if (regeneration.reason !== 'start') options.onEvent({ kind: 'regenerated', regeneration });
    },
  });
  let configWatcher: ConfigWatcher | undefined;
  const close = async () => {
    await Promise.allSettled([configWatcher?.close(), regenerator.close()]);
    await hub.close();
  };
  try {
    const failures = await hub.start();
    const initial = await regenerator.regenerate(only, failures, 'start');
    configWatcher = await watchConfig(config.path, {
      onConfig: (next) => {
        regenerator.reconfigure(next).catch((error: unknown) => options.onEvent({ kind: 'config-error', message: messageOf(error), error }));
      },
      onError: (error: RunbyteError) => options.onEvent({ kind: 'config-error', message: error.message, error }),
    });
    return { initial: initial.report, regenerator, close };
  } catch (error) {
    await close();
    throw error;
  }
}
