// live tools section: regenerations caused by 50 tools/list_changed notifications, through
// src/watch's own measuring hook (countRegenerations), when the build has one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, loadProjectConfig, project, servers } from './projects.js';
import { summarize } from './stats.js';

export const BURST = 50;

export async function benchLive({ rounds = 1 } = {}) {
  const entry = join(REPO, 'dist/watch/index.js');
  if (!existsSync(entry)) return { todo: 'src/watch is not in this build (dist/watch/index.js missing)' };
  const watch = await import(entry);
  if (typeof watch.countRegenerations !== 'function') return { todo: 'dist/watch exports no countRegenerations' };

  const { configPath } = project('live', { faults: servers.faults() });
  const config = await loadProjectConfig(configPath);
  const runs = Math.max(2, Math.round(3 * rounds));
  const measures = [];
  for (let i = 0; i < runs; i++) {
    measures.push(
      await watch.countRegenerations(config, (hub) => hub.callTool('faults', 'notify_burst', { count: BURST }), {
        outDir: join(config.dir, `generated-live-${i}`),
        quietMs: 500,
      }),
    );
  }
  return {
    burst: BURST,
    notifications: summarize(
      measures.map((m) => m.notifications),
      0,
    ),
    regenerations: summarize(
      measures.map((m) => m.regenerations),
      0,
    ),
    settledMs: summarize(measures.map((m) => m.settledMs)),
    debounceMs: watch.DEBOUNCE_MS,
    maxDelayMs: watch.MAX_DELAY_MS,
  };
}
