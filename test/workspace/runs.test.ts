import { mkdirSync, mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Executor } from '../../src/exec/index.js';
import { createWorkspace, FS_HOST_FUNCTION, type FsReply } from '../../src/workspace/index.js';

// An execution owns its workspace work (docs/architecture.md, workspace/): what it queued ends
// when it ends, and its queue never delays another run's operations.

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbyte-runs-'));
  temps.push(dir);
  return dir;
}

/** Files (not folders) under a folder, counted. */
function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to how long `promise` took, or rejects when it takes longer than `limitMs`. */
async function within<T>(limitMs: number, promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still not done after ${limitMs} ms`)), limitMs);
  });
  try {
    const value = await Promise.race([promise, late]);
    return { value, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

describe('workspace operations belong to their run', () => {
  it("one run's 20,000 queued writes neither delay another run nor outlive their run", async () => {
    const dir = join(tempDir(), 'workspace');
    const hooks = createWorkspace({ dir, quotaBytes: 100 * 2 ** 20, maxEntries: 100_000 });
    const host = hooks.host[FS_HOST_FUNCTION]!;
    const first = new AbortController();
    const second = new AbortController();

    // The first run fires 20,000 writes and awaits none of them.
    const flood = Array.from({ length: 20_000 }, (_, index) => host({ signal: first.signal }, 'writeFile', `many/d${index}/f`, '') as Promise<FsReply>);
    await sleep(20);

    // Another run's write goes through at once, not after the flood.
    const other = await within(1000, host({ signal: second.signal }, 'writeFile', 'other.txt', 'mine') as Promise<FsReply>);
    expect(other.value).toEqual({ ok: true });

    // Past the per-run limit, the flood is refused at once with a clear error.
    const settled = await within(1000, Promise.race([Promise.all(flood.slice(1_000)), sleep(900).then(() => [])]));
    const refused = settled.value;
    expect(refused).toHaveLength(19_000);
    expect(refused[0]).toEqual({
      ok: false,
      code: 'EBUSY',
      message: '@runbyte/fs: too many workspace operations at once (limit 1000); await some before starting more',
    });

    // The run ends: within ~100 ms nothing more is written for it.
    first.abort();
    await sleep(100);
    const settledCount = countFiles(dir);
    await sleep(400);
    expect(countFiles(dir)).toBe(settledCount);
    expect(settledCount).toBeLessThan(1_000 + 1);
    // What had not started is refused, never executed.
    const replies = await within(1000, Promise.all(flood.slice(0, 1_000)));
    const ended = replies.value.filter((reply) => !reply.ok && reply.message.includes('has ended'));
    expect(ended.length).toBeGreaterThan(0);
    expect(countFiles(dir)).toBe(settledCount);
  });

  it('refuses at once the operations of a run that has already ended', async () => {
    const dir = join(tempDir(), 'workspace');
    const host = createWorkspace({ dir, quotaBytes: 2 ** 20 }).host[FS_HOST_FUNCTION]!;
    const run = new AbortController();
    run.abort();
    expect(await host({ signal: run.signal }, 'writeFile', 'late.txt', 'x')).toEqual({
      ok: false,
      code: 'EIO',
      message: '@runbyte/fs: the run that started this operation has ended; it was not done',
    });
    expect(countFiles(dir)).toBe(0);
  });
});

describe('through the Executor', () => {
  let root: string;
  let dir: string;
  let executor: Executor;

  beforeAll(async () => {
    root = tempDir();
    dir = join(root, 'workspace');
    mkdirSync(join(root, 'generated/servers'), { recursive: true });
    const hooks = createWorkspace({ dir, quotaBytes: 100 * 2 ** 20, maxEntries: 100_000 });
    executor = new Executor({
      roots: { generatedDir: join(root, 'generated'), workspaceDir: dir },
      limits: { timeoutMs: 3_000, memoryBytes: 256 * 2 ** 20, maxOutputChars: 40_000 },
      callTool: () => Promise.reject(new Error('no tools here')),
      host: hooks.host,
      modules: hooks.modules,
      keepOversized: hooks.keepOversized,
    });
    await executor.warm();
  }, 60_000);

  afterAll(async () => {
    await executor?.close();
  });

  it('a run that returns without awaiting 20,000 writes leaves nothing running, and the next run writes at once', async () => {
    const flood = await executor.execute(
      [
        "import * as fs from '@runbyte/fs';",
        'let refused = 0;',
        "for (let i = 0; i < 20000; i++) fs.writeFile('many/d' + i + '/f', '').catch(() => refused++);",
        'return 1;',
      ].join('\n'),
    );
    expect(flood.ok).toBe(true);
    await sleep(100);
    const settled = countFiles(dir);
    await sleep(400);
    expect(countFiles(dir)).toBe(settled);
    expect(settled).toBeLessThanOrEqual(1_000);

    const next = await within(
      5_000,
      executor.execute(
        ["import * as fs from '@runbyte/fs';", "await fs.writeFile('after.txt', 'prompt');", "return await fs.readFile('after.txt');"].join('\n'),
      ),
    );
    expect(next.value).toMatchObject({ ok: true, value: '"prompt"' });
    expect(next.value.ok && next.value.timings.runMs).toBeLessThan(1_000);
  });
});
