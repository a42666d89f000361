// The shapes of what tools returned, one file per server (`.runbyte/shapes/<server>.json` beside
// the config): sorted, indented JSON, so it can be committed and reviewed beside the lock.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';
import { debug, log } from '../shared/log.js';
import { isObject } from '../shared/values.js';
import { absorb, bounded, merge, type Shape } from './shape.js';

/** A server's file: each tool's merged shape. */
export interface ShapesFile {
  version: 1;
  tools: Record<string, Shape>;
}

/** How long new shapes wait in memory before they are written. */
const FLUSH_DELAY_MS = 1000;

/**
 * Records shapes and writes them, merged into what the file already holds (another runbyte process
 * may have written it meanwhile; merging only widens, so the order does not matter). Writes are
 * atomic (temp file + rename), one at a time.
 */
export class ShapeStore {
  /** Shapes seen since the last write, per server and tool. */
  private pending = new Map<string, Map<string, Shape>>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  /** Values still being worked out (observeLater): flush() waits for them. */
  private coming = new Set<Promise<void>>();

  constructor(readonly dir: string) {}

  /** Records the shape of one successful value of a tool; written within a second. Never throws. */
  observe(server: string, tool: string, value: unknown): void {
    const tools = this.pending.get(server) ?? new Map<string, Shape>();
    const shape = tools.get(tool) ?? {};
    tools.set(tool, shape);
    absorb(shape, value);
    this.pending.set(server, tools);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /**
   * Records the shape of a value that is still being worked out (undefined: nothing to record).
   * A flush() called meanwhile waits for it, so a process that ends right after its last call
   * still writes that call's shape.
   */
  observeLater(server: string, tool: string, value: Promise<{ value: unknown } | undefined>): void {
    const done = value
      .then((found) => {
        if (found) this.observe(server, tool, found.value);
      })
      .catch((error: unknown) => debug(`shape of a result of tool "${tool}" of server "${server}" not recorded: ${messageOf(error)}`));
    this.coming.add(done);
    void done.finally(() => this.coming.delete(done));
  }

  /** Writes what was recorded; resolves when it is on disk (failures are logged, never thrown). */
  async flush(): Promise<void> {
    await Promise.all(this.coming);
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = new Map();
    this.writing = this.writing.then(async () => {
      for (const [server, tools] of pending) {
        try {
          await this.write(server, tools);
        } catch (error) {
          log(`shapes of server "${server}" not written to ${this.dir}: ${messageOf(error)}`);
        }
      }
    });
    return this.writing;
  }

  /** The shapes recorded for a server's tools; empty when there is no file (or it does not parse). */
  async read(server: string): Promise<Record<string, Shape>> {
    return (await readShapes(this.path(server))).tools;
  }

  private path(server: string): string {
    return join(this.dir, `${server}.json`);
  }

  private async write(server: string, tools: Map<string, Shape>): Promise<void> {
    const path = this.path(server);
    const file = await readShapes(path);
    for (const [tool, shape] of tools) file.tools[tool] = bounded(merge(file.tools[tool], shape));
    await mkdir(this.dir, { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, `${stableStringify(file, 2)}\n`);
    await rename(temp, path);
  }
}

async function readShapes(path: string): Promise<ShapesFile> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return { version: 1, tools: {} };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (isObject(parsed) && isObject(parsed.tools)) return { version: 1, tools: parsed.tools as Record<string, Shape> };
  } catch {
    // Reported below; a broken file is started again rather than blocking every call.
  }
  log(`${path}: not a shapes file; starting it again`);
  return { version: 1, tools: {} };
}
