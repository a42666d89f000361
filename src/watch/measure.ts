import type { RunbyteConfig } from '../config/index.js';
import { Hub, hubOptions } from '../hub/index.js';
import { RunbyteError } from '../shared/errors.js';
import { Regenerator, type RegeneratorOptions } from './regenerator.js';

export interface BurstMeasure {
  /** list_changed notifications heard after `trigger` started. */
  notifications: number;
  /** Regenerations they caused. */
  regenerations: number;
  /** From `trigger` starting until the SDK was current again and the servers had been quiet for `quietMs`, minus `quietMs`. */
  settledMs: number;
}

/**
 * For benchmarks and tests: connects to the config's servers, generates the SDK into `outDir`
 * (default the config's), then runs `trigger` — something that makes servers send
 * `tools/list_changed`, such as a call to faults' `notify_burst` — and counts the regenerations
 * that follow until nothing has been heard for `quietMs`. Closes everything before it resolves.
 */
export async function countRegenerations(
  config: RunbyteConfig,
  trigger: (hub: Hub) => Promise<unknown>,
  options: { outDir?: string; quietMs?: number; regenerator?: Pick<RegeneratorOptions, 'debounceMs' | 'maxDelayMs'> } = {},
): Promise<BurstMeasure> {
  const quietMs = options.quietMs ?? 1000;
  const hub = new Hub(config.servers, hubOptions(config));
  const regenerator = new Regenerator(hub, config, { outDir: options.outDir, ...options.regenerator });
  try {
    const failures = await hub.start();
    if (failures.length > 0) throw new RunbyteError('SERVER_FAILED', failures.map((failure) => failure.message).join('; '));
    await regenerator.regenerate();
    await regenerator.settled(10_000);
    const notifications = regenerator.notifications;
    const regenerations = regenerator.regenerations;
    const started = performance.now();
    await trigger(hub);
    // Quiet: no notification for quietMs, and nothing due or running.
    let heard = regenerator.notifications;
    let quietSince = performance.now();
    let settledAt = performance.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (regenerator.notifications !== heard) {
        heard = regenerator.notifications;
        quietSince = performance.now();
      }
      const idle = await regenerator.settled(0);
      if (!idle) settledAt = performance.now();
      if (idle && performance.now() - quietSince >= quietMs) break;
    }
    return {
      notifications: regenerator.notifications - notifications,
      regenerations: regenerator.regenerations - regenerations,
      settledMs: Math.round(settledAt - started),
    };
  } finally {
    await regenerator.close();
    await hub.close();
  }
}
