import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { parseConfig, type RunbyteConfig } from '../config/index.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { log } from '../shared/log.js';

/**
 * How long the config file must be left alone before it is read again. An editor's save (or a
 * `writeFileSync`) can show up as a truncate and a write; reading in between would report a
 * config error that nobody made.
 */
export const CONFIG_DEBOUNCE_MS = 150;

export interface ConfigWatcherOptions {
  /** A new, valid config whose text differs from the last one read. */
  onConfig: (config: RunbyteConfig) => void;
  /** The file could not be read or is not a valid config: the last good config stays in force. */
  onError: (error: RunbyteError) => void;
  debounceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ConfigWatcher {
  close(): Promise<void>;
}

/**
 * Watches one runbyte.json and reads it again after every change. Its folder is watched (one
 * level, nothing else in it reported), so a save that replaces the file by a rename is seen as
 * well as an edit in place, and a file that is deleted and written again comes back.
 */
export async function watchConfig(path: string, options: ConfigWatcherOptions): Promise<ConfigWatcher> {
  const file = resolve(path);
  const dir = dirname(file);
  let last = await readFile(file, 'utf8').catch(() => undefined);
  const { watch } = await import('chokidar');
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: true,
    awaitWriteFinish: false,
    atomic: false,
    depth: 0,
    ignored: (candidate) => resolve(candidate) !== dir && resolve(candidate) !== file,
  });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reload = async () => {
    timer = undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (!closed) options.onError(new RunbyteError('CONFIG_NOT_FOUND', `${file}: cannot read config file`, { cause: error }));
      return;
    }
    if (closed || text === last) return;
    let config: RunbyteConfig;
    try {
      config = parseConfig(text, file, options.env ?? process.env);
    } catch (error) {
      // The text is remembered even when it is bad, so saving the same mistake twice says it once.
      last = text;
      options.onError(error instanceof RunbyteError ? error : new RunbyteError('CONFIG_INVALID', `${file}: ${messageOf(error)}`, { cause: error }));
      return;
    }
    last = text;
    options.onConfig(config);
  };

  watcher.on('all', (_event, changed) => {
    if (closed || resolve(changed) !== file) return;
    clearTimeout(timer);
    timer = setTimeout(
      () => void reload().catch((error: unknown) => log(`reading ${basename(file)}: ${messageOf(error)}`)),
      options.debounceMs ?? CONFIG_DEBOUNCE_MS,
    );
  });
  watcher.on('error', (error) => log(`watching ${file}: ${messageOf(error)}`));
  await new Promise<void>((done) => watcher.once('ready', () => done()));

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
