import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CompilerPool, type CompileOutcome } from '../../src/compile/index.js';
import { eventually } from '../helpers/eventually.js';

const PATHOLOGICAL = readFileSync(join(import.meta.dirname, '../fixtures/code/pathological-types.ts'), 'utf8');

let dir: string;
const pools: CompilerPool[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'runbyte-compile-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startPool(options: { memoryMb?: number; size?: number } = {}): Promise<CompilerPool> {
  const pool = new CompilerPool({ roots: { generatedDir: join(dir, 'generated'), workspaceDir: join(dir, 'workspace') }, modules: [], ...options });
  pools.push(pool);
  await pool.warm();
  return pool;
}

const soon = () => performance.now() + 20_000;

function script(outcome: CompileOutcome): string {
  if (!outcome.ok) throw new Error(`expected a script, got ${JSON.stringify(outcome)}`);
  return outcome.script;
}

describe('CompilerPool', () => {
  it('type-checks and bundles in its own processes', async () => {
    const pool = await startPool();
    expect(pool.processes).toHaveLength(2);
    expect(pool.processes).not.toContain(process.pid);
    expect(script(await pool.compile('return 1;', soon()))).toContain('__runbyteMain');
    const failed = await pool.compile('const n: number = "x";\nreturn n;', soon());
    expect(failed).toMatchObject({ ok: false, stage: 'check' });
    expect(JSON.stringify(failed)).toContain('code.ts(1,7): error TS2322');
  });

  it('stops a compile at its deadline, and another compile goes on meanwhile', async () => {
    const pool = await startPool();
    const before = pool.processes;
    const started = performance.now();
    const slow = pool.compile(PATHOLOGICAL, performance.now() + 1_500);
    slow.catch(() => undefined); // awaited below; a failed assertion before must not leave it unhandled
    await new Promise((resolve) => setTimeout(resolve, 200));
    const quickStart = performance.now();
    script(await pool.compile('return 1;', soon()));
    const quickMs = performance.now() - quickStart;
    expect(quickMs).toBeLessThan(1_000);

    expect(await slow).toEqual({ ok: false, fault: 'timeout', stage: 'check', detail: '' });
    expect(performance.now() - started).toBeLessThan(3_000);
    // The stopped compiler is replaced by a fresh one.
    await eventually(() => pool.processes.length === 2);
    expect(pool.processes.filter((pid) => !before.includes(pid))).toHaveLength(1);
    await pool.warm();
    script(await pool.compile('return 2;', soon()));
  });

  it('ends only the compile of a compiler that crashes natively, and replaces it', async () => {
    const pool = await startPool();
    const slow = pool.compile(PATHOLOGICAL, soon());
    slow.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // What a Rust panic in Rspack does to its process.
    const busy = pool.processes;
    for (const pid of busy) process.kill(pid, 0);
    const victim = await busyProcess(pool, busy);
    process.kill(victim, 'SIGABRT');
    expect(await slow).toMatchObject({ ok: false, fault: 'crash', stage: 'check', detail: 'signal SIGABRT' });
    script(await pool.compile('return 1;', soon()));
    await eventually(() => pool.processes.length === 2);
  });

  it('stops a compiler that goes over its memory ceiling', async () => {
    const pool = await startPool({ memoryMb: 400 });
    const outcome = await pool.compile(PATHOLOGICAL, soon());
    expect(outcome).toMatchObject({ ok: false, fault: 'memory', detail: '400 MB' });
    script(await pool.compile('return 1;', soon()));
  });

  it('cancels a queued compile at once, and a running one by killing its compiler, which is replaced', async () => {
    const pool = await startPool({ size: 1 });
    const [before] = pool.processes;
    // Deadlines well past the aborts below: without cancellation these end as timeouts instead.
    const running = new AbortController();
    const slow = pool.compile(PATHOLOGICAL, performance.now() + 4_000, { signal: running.signal });
    slow.catch(() => undefined);
    const queued = new AbortController();
    const waiting = pool.compile('return 1;', performance.now() + 4_000, { signal: queued.signal });
    waiting.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));

    let abortedAt = performance.now();
    queued.abort();
    expect(await waiting).toEqual({ ok: false, fault: 'cancelled', stage: 'waiting', detail: '' });
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(pool.processes).toEqual([before]); // the queued job had no compiler to stop

    abortedAt = performance.now();
    running.abort();
    expect(await slow).toEqual({ ok: false, fault: 'cancelled', stage: 'check', detail: '' });
    expect(performance.now() - abortedAt).toBeLessThan(200);
    // The killed compiler is gone and a fresh one takes its place.
    await eventually(() => pool.processes.length === 1 && pool.processes[0] !== before);
    await eventually(() => {
      try {
        process.kill(before!, 0);
        return false;
      } catch {
        return true;
      }
    });
    script(await pool.compile('return 2;', soon()));
  });

  it('does not compile code whose signal aborted before it was given', async () => {
    const pool = await startPool({ size: 1 });
    const [before] = pool.processes;
    expect(await pool.compile('return 1;', soon(), { signal: AbortSignal.abort() })).toEqual({ ok: false, fault: 'cancelled', stage: 'waiting', detail: '' });
    expect(pool.processes).toEqual([before]);
  });

  it.runIf(process.platform === 'linux')('gives compilers none of the server environment', async () => {
    process.env.RUNBYTE_TEST_SECRET = 'hunter2-in-the-environment';
    try {
      const pool = await startPool();
      for (const pid of pool.processes) expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain('hunter2');
    } finally {
      delete process.env.RUNBYTE_TEST_SECRET;
    }
  });
});

/** The pid of the compiler that is using the CPU: the one given the slow compile. */
async function busyProcess(pool: CompilerPool, pids: number[]): Promise<number> {
  const cpu = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const first = new Map(pids.map((pid) => [pid, cpu(pid)]));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const used = pids.map((pid) => ({ pid, ticks: cpu(pid) - first.get(pid)! }));
  used.sort((a, b) => b.ticks - a.ticks);
  expect(pool.processes).toContain(used[0]!.pid);
  return used[0]!.pid;
}
