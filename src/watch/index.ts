/**
 * watch/: live tools (README.md, "Live tools"). A debounced Regenerator that rewrites a
 * server's SDK files when it announces new tools, chokidar watchers over the SDK, the workspace
 * and the config file, and their two compositions: `LiveSdk` for `serve`, `watchGenerate` for
 * `generate --watch`. See docs/architecture.md.
 */
export { CONFIG_DEBOUNCE_MS, watchConfig, type ConfigWatcher, type ConfigWatcherOptions } from './config.js';
export { FILES_DEBOUNCE_MS, FILES_RECHECK_MS, isTempFile, watchFiles, type FileWatcher, type FileWatcherOptions } from './files.js';
export { formatChange } from './format.js';
export { LiveSdk, type LiveSdkOptions } from './live.js';
export { countRegenerations, type BurstMeasure } from './measure.js';
export {
  DEBOUNCE_MS,
  MAX_DELAY_MS,
  Regenerator,
  type Regeneration,
  type RegeneratorOptions,
  type ServerChange,
} from './regenerator.js';
export { watchGenerate, type WatchEvent, type WatchOptions, type WatchSession } from './session.js';
