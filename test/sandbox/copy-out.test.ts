// Everything copied out of the sandbox is capped before it is copied (src/sandbox/run.ts): a guest
// that throws, returns, logs or passes a huge string costs the host little more than the guest's
// own memory, on the calling thread and through the worker pool alike. Peak RSS is sampled from a
// separate thread (peak-rss.ts); without the caps a 150 MiB message grew the host by 450–610 MiB
// on top of the guest's own memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHere } from '../../src/sandbox/local.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { HostFunction, SandboxLimits, SandboxOutcome } from '../../src/sandbox/index.js';
import { peakRssGrowth } from './peak-rss.js';

const MiB = 2 ** 20;
/** The guest's memory: what a run may cost the host, plus SLACK for bounded copies. */
const MEMORY_BYTES = 192 * MiB;
const SLACK = 40 * MiB;
const HUGE = 150 * MiB;
/** A value or arguments JSON-encoded inside a guest of BIG_GUEST bytes. */
const VALUE = 60 * MiB;
const BIG_GUEST = 384 * MiB;

const mib = (bytes: number) => (bytes / MiB).toFixed(0);

function program(body: string): string {
  return `globalThis.__runbyteMain = async function main() {\n${body}\n};`;
}

function failure(outcome: SandboxOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.json?.slice(0, 200)}`);
  return outcome;
}

const pool = new SandboxPool({ size: 1 });
beforeAll(() => pool.warm(1));
afterAll(() => pool.close());

type Runner = (script: string, limits?: Partial<SandboxLimits>, host?: Record<string, HostFunction>) => Promise<SandboxOutcome>;
const where: [string, Runner][] = [
  [
    'through the worker pool',
    (script, limits = {}, host = {}) => pool.run(script, { limits: { memoryBytes: MEMORY_BYTES, timeoutMs: 20_000, ...limits }, host }),
  ],
  ['on the calling thread', (script, limits = {}, host = {}) => runHere(script, { limits: { memoryBytes: MEMORY_BYTES, timeoutMs: 20_000, ...limits }, host })],
];

describe.each(where)('copies out of the sandbox, %s', (_where, run) => {
  it('a thrown Error with a 150 MiB message costs the host no more than the guest, and the message is cut with a note', async () => {
    await run(program('return 1;')); // warm
    const { value: outcome, grownBytes } = await peakRssGrowth(() => run(program(`throw new Error('e'.repeat(${HUGE}));`)));
    console.log(`peak RSS growth for a 150 MiB error message: ${mib(grownBytes)} MiB (guest memory ${mib(MEMORY_BYTES)} MiB)`);
    const { kind, message } = failure(outcome);
    expect(kind).toBe('runtime');
    expect(message.startsWith('Error: eeeeeeeeee')).toBe(true);
    expect(message.endsWith(`… [message cut: ${HUGE.toLocaleString('en-US')} chars in all]`)).toBe(true);
    expect(message.length).toBeLessThan(11_000);
    expect(grownBytes).toBeLessThan(MEMORY_BYTES + SLACK);
  });

  it('a huge error name and a huge thrown string are cut too', async () => {
    const named = failure(await run(program(`const e = new Error('short'); e.name = 'N'.repeat(${50 * MiB}); throw e;`)));
    expect(named.message).toMatch(/^N{200}…: short$/);
    // Thrown at the top level of the script, outside the guest's own wrapper.
    const { value: outcome, grownBytes } = await peakRssGrowth(() => run(`throw 's'.repeat(${HUGE});`));
    const { message } = failure(outcome);
    expect(message).toMatch(/^a non-Error value was thrown: "s{2000}"…$/);
    expect(message.length).toBeLessThan(2_100);
    expect(grownBytes).toBeLessThan(MEMORY_BYTES + SLACK);
  });

  it('a returned value is copied up to maxValueChars, with its whole length reported', async () => {
    const outcome = await run(program(`return 'v'.repeat(${5 * MiB});`), { maxValueChars: 40_000 });
    expect(outcome).toMatchObject({ ok: true, jsonLength: 5 * MiB + 2 });
    expect(outcome.ok && outcome.json).toBe(`"${'v'.repeat(39_999)}`);
    const small = await run(program('return { a: "é🎉" };'));
    expect(small).toMatchObject({ ok: true, json: '{"a":"é🎉"}', jsonLength: 11 });
  });

  // The guest's own JSON.stringify needs room of its own (up to twice the text while it grows its
  // buffer): these run in a bigger guest.
  it('a 60 MiB returned value is cut at maxValueChars (16 Mi chars by default) before the copy', async () => {
    const limits = { memoryBytes: BIG_GUEST };
    const { value: outcome, grownBytes } = await peakRssGrowth(() => run(program(`return 'r'.repeat(${VALUE});`), limits));
    console.log(`peak RSS growth for a 60 MiB returned value: ${mib(grownBytes)} MiB (guest memory ${mib(BIG_GUEST)} MiB)`);
    expect(outcome).toMatchObject({ ok: true, jsonLength: VALUE + 2 });
    expect(outcome.ok && outcome.json?.length).toBe(16 * MiB);
    expect(grownBytes).toBeLessThan(BIG_GUEST + SLACK);
  });

  it('host-call arguments longer than maxArgChars reject in the guest and never reach the host', async () => {
    let calls = 0;
    const host = {
      take: async (text: unknown) => {
        calls++;
        return (text as string).length;
      },
    };
    const limits = { memoryBytes: BIG_GUEST };
    const { value: outcome, grownBytes } = await peakRssGrowth(() =>
      run(program(`try { await take('a'.repeat(${VALUE})); return 'sent'; } catch (e) { return [e.name, e.message]; }`), limits, host),
    );
    console.log(`peak RSS growth for 60 MiB of arguments: ${mib(grownBytes)} MiB (guest memory ${mib(BIG_GUEST)} MiB)`);
    expect(JSON.parse((outcome.ok && outcome.json) || 'null')).toEqual([
      'RangeError',
      `the arguments of this call are too long to leave the sandbox: ${VALUE + 4} chars as JSON (the limit is ${16 * MiB})`,
    ]);
    expect(calls).toBe(0);
    expect(grownBytes).toBeLessThan(BIG_GUEST + SLACK);
    const limited = await run(program('return [await take("ok"), await take("x".repeat(100)).catch((e) => e.message)];'), { maxArgChars: 50 }, host);
    expect(JSON.parse((limited.ok && limited.json) || 'null')).toEqual([2, expect.stringMatching(/^the arguments of this call are too long/)]);
  });

  it('a 150 MiB console line is cut to the console budget inside the guest', async () => {
    const { value: outcome, grownBytes } = await peakRssGrowth(() => run(program(`console.log('c'.repeat(${HUGE})); return 1;`)));
    expect(outcome.ok).toBe(true);
    expect(outcome.logs[0].text).toMatch(new RegExp(`^c{1000000}… \\[line cut: ${HUGE} chars\\]$`));
    expect(grownBytes).toBeLessThan(MEMORY_BYTES + SLACK);
  });
});
