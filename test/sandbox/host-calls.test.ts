// Many host calls at once (src/sandbox/guest.ts, run.ts): the guest makes its own promises, so a
// growth of its memory during a call can no longer detach a view the host holds (40,000 calls in
// one Promise.all used to fail inside the guest with "TypeError: ... detached ArrayBuffer"), and
// at most `maxCallsInFlight` (1,000 by default) are out on the host at once; later ones wait in
// the guest, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHere } from '../../src/sandbox/local.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { HostFunction, SandboxLimits, SandboxOutcome } from '../../src/sandbox/index.js';

const MiB = 2 ** 20;

function program(body: string): string {
  return `globalThis.__runbyteMain = async function main() {\n${body}\n};`;
}

function valueFrom(outcome: SandboxOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.kind}: ${outcome.message}`);
  return outcome.json === undefined ? undefined : JSON.parse(outcome.json);
}

/** A host function that answers after a timer tick, counting how many calls are out at once. */
function counted(): { host: Record<string, HostFunction>; most(): number } {
  let inFlight = 0;
  let most = 0;
  const echo: HostFunction = async (value) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    return value;
  };
  return { host: { echo }, most: () => most };
}

const pool = new SandboxPool({ size: 1 });
beforeAll(() => pool.warm(1));
afterAll(() => pool.close());

type Runner = (script: string, host: Record<string, HostFunction>, limits?: Partial<SandboxLimits>) => Promise<SandboxOutcome>;
const where: [string, Runner][] = [
  ['through the worker pool', (script, host, limits = {}) => pool.run(script, { limits: { memoryBytes: 64 * MiB, timeoutMs: 20_000, ...limits }, host })],
  ['on the calling thread', (script, host, limits = {}) => runHere(script, { limits: { memoryBytes: 64 * MiB, timeoutMs: 20_000, ...limits }, host })],
];

describe.each(where)('host calls at once, %s', (_where, run) => {
  it('40,000 calls in one Promise.all all settle, at most 1,000 out on the host at once', async () => {
    const { host, most } = counted();
    const outcome = await run(
      program(
        'const xs = await Promise.all(Array.from({ length: 40000 }, (_, i) => echo(i))); return [xs.length, xs[0], xs[39999], xs.every((x, i) => x === i)];',
      ),
      host,
      { memoryBytes: 256 * MiB },
    );
    expect(valueFrom(outcome)).toEqual([40000, 0, 39999, true]);
    expect(most()).toBeLessThanOrEqual(1_000);
  });

  it('a few hundred calls in a Promise.all all go out at once', async () => {
    // Each call answers only once all 300 have reached the host: a lower limit would time out.
    let arrived = 0;
    let release: () => void = () => {};
    const all = new Promise<void>((resolve) => (release = resolve));
    const host: Record<string, HostFunction> = {
      echo: async (value) => {
        if (++arrived === 300) release();
        await all;
        return value;
      },
    };
    const outcome = await run(
      program('const xs = await Promise.all(Array.from({ length: 300 }, (_, i) => echo(i))); return xs.reduce((a, b) => a + b, 0);'),
      host,
      { timeoutMs: 5_000 },
    );
    expect(valueFrom(outcome)).toBe((300 * 299) / 2);
  });

  it('maxCallsInFlight sets the limit; waiting calls start in order as earlier ones settle', async () => {
    const order: unknown[] = [];
    let inFlight = 0;
    let most = 0;
    const host: Record<string, HostFunction> = {
      echo: async (value) => {
        order.push(value);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        if (value === 7) throw new Error('seven');
        return value;
      },
    };
    const outcome = await run(program('return await Promise.all(Array.from({ length: 30 }, (_, i) => echo(i).catch((e) => e.message)));'), host, {
      maxCallsInFlight: 4,
    });
    expect(valueFrom(outcome)).toEqual(Array.from({ length: 30 }, (_, i) => (i === 7 ? 'seven' : i)));
    expect(most).toBe(4);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('a run that ends with calls still waiting in the guest ends cleanly', async () => {
    const host: Record<string, HostFunction> = { hang: () => new Promise(() => {}) };
    const outcome = await run(program('await Promise.all(Array.from({ length: 50 }, () => hang())); return 1;'), host, {
      maxCallsInFlight: 5,
      timeoutMs: 300,
    });
    expect(outcome).toMatchObject({ ok: false, kind: 'timeout' });
    expect(valueFrom(await run(program('return await echo(6 * 7);'), counted().host))).toBe(42);
  });
});
