import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { messageOf } from '../shared/errors.js';
import { log } from '../shared/log.js';

/**
 * How long the file watcher collects events before it reports them. A regeneration writes its
 * files within a few milliseconds of each other; one report for all of them is enough, and the
 * caches they invalidate are re-read lazily anyway.
 */
export const FILES_DEBOUNCE_MS = 30;

/**
 * Every reported path is reported once more this long after. chokidar (5.0, fs.watch on Linux)
 * re-attaches its watcher when a file is replaced by a rename, and a second write to the same file
 * within ~50 ms of that is never reported (measured: a rename-over followed 5–40 ms later by
 * another write loses the second). Reporting the path again after the window catches such a
 * write; invalidating a file that did not change costs one read.
 */
export const FILES_RECHECK_MS = 150;

export interface FileWatcherOptions {
  /** Called with the absolute host paths that were added, changed or removed since the last call. */
  onChange: (paths: string[]) => void;
  debounceMs?: number;
}

export interface FileWatcher {
  /** File system events seen so far (after the temp-file filter). */
  readonly events: number;
  close(): Promise<void>;
}

/** emit/ (and the workspace) write through `<name>.<pid>.<random>.tmp` and a rename: the temp file means nothing. */
export function isTempFile(path: string): boolean {
  return path.endsWith('.tmp');
}

/**
 * Watches folders (the generated SDK and the workspace) recursively and reports the files that
 * changed in them, in batches: edits by hand, another `runbyte generate`, a regeneration of our
 * own. Folders that do not exist yet are created, so their first files are seen too. Resolves
 * once the initial scan is done: a change made after that is reported.
 *
 * chokidar options: no initial events; `awaitWriteFinish` off (writes are atomic renames, and
 * waiting for sizes to settle costs hundreds of milliseconds); `atomic` off (it holds an unlink
 * back 100 ms to pair it with an add; a rename-over is reported as one `change` without it).
 */
export async function watchFiles(dirs: string[], options: FileWatcherOptions): Promise<FileWatcher> {
  const roots = [...new Set(dirs.map((dir) => resolve(dir)))];
  for (const root of roots) {
    try {
      mkdirSync(root, { recursive: true });
    } catch (error) {
      log(`cannot create ${root} to watch it: ${messageOf(error)}`);
    }
  }
  // chokidar 5 is ESM-only; loaded here so that commands which never watch do not pay for it.
  const { watch } = await import('chokidar');
  const watcher: FSWatcher = watch(roots, {
    ignoreInitial: true,
    awaitWriteFinish: false,
    atomic: false,
    ignored: (path) => isTempFile(path),
  });
  return new ChokidarFiles(watcher, options).ready();
}

class ChokidarFiles implements FileWatcher {
  events = 0;
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly rechecks = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly debounceMs: number;

  constructor(
    private readonly watcher: FSWatcher,
    private readonly options: FileWatcherOptions,
  ) {
    this.debounceMs = options.debounceMs ?? FILES_DEBOUNCE_MS;
    watcher.on('all', (_event, path) => this.seen(path));
    watcher.on('error', (error) => log(`watching files: ${messageOf(error)}`));
  }

  async ready(): Promise<this> {
    await new Promise<void>((done) => this.watcher.once('ready', () => done()));
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const timer of this.rechecks) clearTimeout(timer);
    this.timer = undefined;
    this.rechecks.clear();
    this.pending.clear();
    await this.watcher.close();
  }

  private seen(path: string): void {
    if (this.closed || isTempFile(path)) return;
    this.events++;
    this.pending.add(resolve(path));
    // The first event opens a window; everything seen in it (a whole regeneration's writes) is one report.
    this.timer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  private flush(): void {
    this.timer = undefined;
    const paths = [...this.pending].sort();
    this.pending.clear();
    if (paths.length === 0 || this.closed) return;
    const recheck = setTimeout(() => {
      this.rechecks.delete(recheck);
      if (!this.closed) this.report(paths);
    }, FILES_RECHECK_MS);
    this.rechecks.add(recheck);
    this.report(paths);
  }

  private report(paths: string[]): void {
    try {
      this.options.onChange(paths);
    } catch (error) {
      log(`a file change listener failed: ${messageOf(error)}`);
    }
  }
}
