import { describe, expect, it } from 'vitest';
import { runInSandbox, type HostFunction, type SandboxOutcome } from '../../src/sandbox/index.js';

const MiB = 1024 * 1024;
const LIMITS = { memoryBytes: 64 * MiB, timeoutMs: 2_000 };

/** A script in the shape the bundler emits: it sets `__runbyteMain` to an async function. */
function program(body: string): string {
  return `globalThis.__runbyteMain = async function main() {\n${body}\n};`;
}

function run(body: string, options: { host?: Record<string, HostFunction>; timeoutMs?: number; memoryBytes?: number } = {}) {
  return runInSandbox(program(body), {
    limits: { memoryBytes: options.memoryBytes ?? LIMITS.memoryBytes, timeoutMs: options.timeoutMs ?? LIMITS.timeoutMs },
    host: options.host ?? {},
  });
}

function valueFrom(outcome: SandboxOutcome): unknown {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.kind}: ${outcome.message}`);
  return outcome.json === undefined ? undefined : JSON.parse(outcome.json);
}

function failure(outcome: SandboxOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.json}`);
  return outcome;
}

/** After a fault, the same process must still run code normally. */
async function expectHealthy(): Promise<void> {
  expect(valueFrom(await run('return 6 * 7;'))).toBe(42);
}

describe('values', () => {
  it.each([
    ['an object', 'return { a: 1, b: [true, null, "x"], c: { d: 2.5 } };', { a: 1, b: [true, null, 'x'], c: { d: 2.5 } }],
    ['a unicode string', 'return "héllo ✓ 🎉 日本";', 'héllo ✓ 🎉 日本'],
    ['a number', 'return 1e21;', 1e21],
    ['null', 'return null;', null],
    ['a Date, as JSON does', 'return new Date(0);', '1970-01-01T00:00:00.000Z'],
  ])('returns %s', async (_name, body, want) => {
    expect(valueFrom(await run(body))).toEqual(want);
  });

  it('reports undefined as no json', async () => {
    const outcome = await run('return undefined;');
    expect(outcome).toMatchObject({ ok: true, json: undefined });
  });

  it('stringifies inside the guest (toJSON runs there)', async () => {
    const outcome = await run('return { toJSON() { return "custom"; } };');
    expect(outcome).toMatchObject({ ok: true, json: '"custom"' });
  });

  it('returns a 10 MB ASCII string in full from a 64 MiB sandbox', async () => {
    const outcome = await run('return "x".repeat(10 * 1024 * 1024);');
    expect(outcome.ok && outcome.json?.length).toBe(10 * 1024 * 1024 + 2);
  });

  it('returns a 10 MB string with unicode in full', async () => {
    const outcome = await run('return "x".repeat(10 * 1024 * 1024) + "é🎉";', { memoryBytes: 256 * MiB });
    const value = valueFrom(outcome) as string;
    expect(value.length).toBe(10 * 1024 * 1024 + 3);
    expect(value.endsWith('xé🎉')).toBe(true);
  });

  it('returns long unicode text without splitting surrogate pairs', async () => {
    const outcome = await run('return "a" + "🎉".repeat(100000);');
    expect(valueFrom(outcome)).toBe(`a${'🎉'.repeat(100000)}`);
  });

  it('fails a value JSON cannot encode as a runtime error', async () => {
    const outcome = failure(await run('const a = {}; a.self = a; return a;'));
    expect(outcome.kind).toBe('runtime');
    expect(outcome.message).toMatch(/^TypeError: the returned value has a cycle: value\.self refers back to value,/);
  });
});

describe('console', () => {
  it('captures every level, formatting arguments roughly like Node', async () => {
    const outcome = await run(`
      console.log('plain', 1, true, null, undefined);
      console.info({ a: [1, 'two'] });
      console.warn('warned', new Error('oops'));
      console.error(10n, Symbol('s'), function named() {});
      console.debug(new Map([['k', 1]]), new Set([1]));
      const loop = { name: 'loop' }; loop.self = loop;
      console.log(loop);
      return 0;`);
    expect(outcome.logs).toEqual([
      { level: 'log', text: 'plain 1 true null undefined' },
      { level: 'info', text: '{"a":[1,"two"]}' },
      { level: 'warn', text: 'warned Error: oops' },
      { level: 'error', text: '10n Symbol(s) [Function: named]' },
      { level: 'debug', text: '{"Map(1)":{"k":1}} {"Set(1)":[1]}' },
      { level: 'log', text: '{"name":"loop","self":"[Circular]"}' },
    ]);
  });

  it('keeps console output when the run fails', async () => {
    const outcome = failure(await run('console.log("before"); throw new Error("after");'));
    expect(outcome.logs).toEqual([{ level: 'log', text: 'before' }]);
  });

  it('caps console output and says how much was dropped', async () => {
    const outcome = await runInSandbox(program('for (let i = 0; i < 1000; i++) console.log("0123456789"); return 1;'), {
      limits: LIMITS,
      host: {},
      maxLogChars: 55,
    });
    expect(outcome.ok).toBe(true);
    expect(outcome.logs.slice(0, 6).map((entry) => entry.text)).toEqual([
      '0123456789',
      '0123456789',
      '0123456789',
      '0123456789',
      '0123456789',
      '01234… [line cut: 10 chars]',
    ]);
    expect(outcome.logs.at(-1)).toEqual({
      level: 'warn',
      text: '[994 more console lines dropped: the sandbox keeps 55 chars of console output]',
    });
  });
});

describe('timers', () => {
  it('fires setTimeout callbacks in order of their delays', async () => {
    const outcome = await run(`
      const order = [];
      await new Promise((resolve) => {
        setTimeout(() => order.push('c'), 30);
        setTimeout(() => order.push('a'), 0);
        setTimeout((x, y) => order.push(x + y), 10, 'b', '!');
        setTimeout(resolve, 50);
      });
      return order;`);
    expect(valueFrom(outcome)).toEqual(['a', 'b!', 'c']);
  });

  it('clearTimeout cancels a pending callback', async () => {
    const outcome = await run(`
      let fired = false;
      const id = setTimeout(() => { fired = true; }, 5);
      clearTimeout(id);
      clearTimeout(12345);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return fired;`);
    expect(valueFrom(outcome)).toBe(false);
  });

  it('really waits', async () => {
    const started = Date.now();
    await run('await new Promise((resolve) => setTimeout(resolve, 100)); return 1;');
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('fails the run when a timer callback throws', async () => {
    const outcome = failure(
      await run('await new Promise((resolve) => { setTimeout(() => { throw new RangeError("in timer"); }, 1); setTimeout(resolve, 50); });'),
    );
    expect(outcome).toMatchObject({ kind: 'runtime', message: 'RangeError: in timer' });
  });
});

describe('host functions', () => {
  it('crosses arguments and values as JSON', async () => {
    const seen: unknown[][] = [];
    const host = {
      echo: async (...args: unknown[]) => {
        seen.push(args);
        return { got: args, at: new Date(0) };
      },
    };
    const outcome = await run('return await echo("s", 1, { u: undefined, n: null }, [undefined]);', { host });
    expect(seen).toEqual([['s', 1, { n: null }, [null]]]);
    expect(valueFrom(outcome)).toEqual({ got: ['s', 1, { n: null }, [null]], at: '1970-01-01T00:00:00.000Z' });
  });

  it('resolves undefined as undefined', async () => {
    const outcome = await run('const v = await nothing(); return typeof v;', { host: { nothing: async () => undefined } });
    expect(valueFrom(outcome)).toBe('undefined');
  });

  it('runs 100 parallel calls concurrently on the host', async () => {
    let inFlight = 0;
    let most = 0;
    const host = {
      slow: async (n: unknown) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 50));
        inFlight--;
        return (n as number) * 2;
      },
    };
    const started = performance.now();
    const outcome = await run(
      'const xs = Array.from({ length: 100 }, (_, i) => i); const ys = await Promise.all(xs.map((x) => slow(x))); return ys.reduce((a, b) => a + b, 0);',
      { host },
    );
    const elapsed = performance.now() - started;
    expect(valueFrom(outcome)).toBe(9900);
    expect(most).toBe(100);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('rejects with an Error carrying the host message, catchable in the guest', async () => {
    const host = {
      failing: async () => {
        throw new Error('memory.create_entities failed: boom');
      },
    };
    const outcome = await run('try { await failing(); return "no"; } catch (e) { return [e instanceof Error, e.message]; }', { host });
    expect(valueFrom(outcome)).toEqual([true, 'memory.create_entities failed: boom']);
  });

  it('an uncaught host rejection is a runtime error with its message', async () => {
    const host = { failing: () => Promise.reject(new Error('server gone')) };
    const outcome = failure(await run('await failing(); return 1;', { host }));
    expect(outcome).toMatchObject({ kind: 'runtime', message: 'Error: server gone' });
  });

  it('a host function that throws synchronously rejects too', async () => {
    const host = {
      sync: (() => {
        throw new Error('sync throw');
      }) as unknown as HostFunction,
    };
    const outcome = await run('try { await sync(); } catch (e) { return e.message; }', { host });
    expect(valueFrom(outcome)).toBe('sync throw');
  });

  it('passes large host values in full', async () => {
    const big = { text: 'é'.repeat(300_000), list: Array.from({ length: 20_000 }, (_, i) => i) };
    const outcome = await run('const v = await big(); return [v.text.length, v.text.slice(-2), v.list.length, v.list.at(-1)];', {
      host: { big: async () => big },
    });
    expect(valueFrom(outcome)).toEqual([300_000, 'éé', 20_000, 19_999]);
  });

  it('is exposed under exactly the names given', async () => {
    const outcome = await run('return [typeof __runbyteCallTool, typeof other];', {
      host: { __runbyteCallTool: async () => ({ content: [] }) },
    });
    expect(valueFrom(outcome)).toEqual(['function', 'undefined']);
  });
});

describe('isolation', () => {
  it('has no process, require, fetch or WebAssembly, and has the standard library', async () => {
    const outcome = await run(`return {
      process: typeof process, require: typeof require, fetch: typeof fetch, WebAssembly: typeof WebAssembly,
      Promise: typeof Promise, JSON: typeof JSON, Date: typeof Date, Math: typeof Math,
      setTimeout: typeof setTimeout, clearTimeout: typeof clearTimeout, console: typeof console,
    };`);
    expect(valueFrom(outcome)).toEqual({
      process: 'undefined',
      require: 'undefined',
      fetch: 'undefined',
      WebAssembly: 'undefined',
      Promise: 'function',
      JSON: 'object',
      Date: 'function',
      Math: 'object',
      setTimeout: 'function',
      clearTimeout: 'function',
      console: 'object',
    });
  });

  it.each(['fetch', 'XMLHttpRequest', 'require', 'process'])('says what to use instead of %s when code that got past the type check uses it', async (name) => {
    const outcome = failure(await run(`return ${name};`));
    expect(outcome.message).toBe(
      `ReferenceError: '${name}' is not defined. The sandbox has no Node.js or browser APIs (no network, no file system, no require): reach the outside through the tools of the configured MCP servers (import them from './servers/<server>'; list_directory /servers shows them), and the workspace through '@runbyte/fs'.`,
    );
  });

  it('leaves other ReferenceErrors as they are', async () => {
    expect(failure(await run('return fetchRows;')).message).toBe("ReferenceError: 'fetchRows' is not defined");
  });

  it('gives every run a fresh global object', async () => {
    await run('globalThis.leftover = 1; return 0;');
    expect(valueFrom(await run('return typeof leftover;'))).toBe('undefined');
  });
});

describe('faults', () => {
  it('a thrown Error is a runtime error with message and stack', async () => {
    const script = [
      'function inner() { throw new TypeError("bad input"); }',
      'function outer() { inner(); }',
      'globalThis.__runbyteMain = async function main() { outer(); };',
    ].join('\n');
    const outcome = failure(await runInSandbox(script, { limits: LIMITS, host: {}, filename: 'agent.js' }));
    expect(outcome.kind).toBe('runtime');
    expect(outcome.message).toBe('TypeError: bad input');
    expect(outcome.stack).toMatch(/at inner \(agent\.js:1:\d+\)/);
    expect(outcome.stack).toMatch(/at outer \(agent\.js:2:\d+\)/);
    expect(outcome.stack).not.toContain('runbyte-guest');
    await expectHealthy();
  });

  it('keeps only frames of the script in the stack', async () => {
    const outcome = failure(await run('JSON.parse("{oops");'));
    expect(outcome.message).toMatch(/^SyntaxError: /);
    expect(outcome.stack).not.toMatch(/<input>/);
    expect(outcome.stack).toMatch(/at main \(bundle\.js:2:\d+\)/);
  });

  it('a thrown non-Error value is described', async () => {
    const outcome = failure(await run('throw "just a string";'));
    expect(outcome).toMatchObject({ kind: 'runtime', message: 'Error: a non-Error value was thrown: "just a string"' });
  });

  it('a syntax error in the script is a runtime error', async () => {
    const outcome = failure(await runInSandbox('globalThis.__runbyteMain = async () => { return 1 +; };', { limits: LIMITS, host: {} }));
    expect(outcome.kind).toBe('runtime');
    expect(outcome.message).toMatch(/^SyntaxError: /);
    expect(outcome.stack).toMatch(/bundle\.js:1:\d+/);
    await expectHealthy();
  });

  it('a script without __runbyteMain is a runtime error', async () => {
    const outcome = failure(await runInSandbox('var x = 1;', { limits: LIMITS, host: {} }));
    expect(outcome).toMatchObject({ kind: 'runtime', message: 'TypeError: the script did not set globalThis.__runbyteMain to a function' });
  });

  it('an endless loop times out', async () => {
    const started = performance.now();
    const outcome = failure(await run('while (true) {}', { timeoutMs: 300 }));
    expect(outcome).toMatchObject({ kind: 'timeout', message: 'execution exceeded 300 ms' });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expectHealthy();
  });

  it('an endless loop after an await times out, and catch cannot stop it', async () => {
    const outcome = failure(
      await run('await null; await new Promise((r) => setTimeout(r, 1)); for (;;) { try { while (true) {} } catch (e) {} }', {
        timeoutMs: 300,
      }),
    );
    expect(outcome.kind).toBe('timeout');
    await expectHealthy();
  });

  it('an endless loop at the top level of the script times out', async () => {
    const outcome = failure(await runInSandbox('for (;;) {}', { limits: { ...LIMITS, timeoutMs: 200 }, host: {} }));
    expect(outcome.kind).toBe('timeout');
  });

  it('waiting on a host call that never answers times out at the deadline', async () => {
    const started = performance.now();
    const outcome = failure(await run('await hang(); return 1;', { timeoutMs: 300, host: { hang: () => new Promise(() => {}) } }));
    expect(outcome.kind).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await expectHealthy();
  });

  it('a timer chain that never ends times out', async () => {
    const outcome = failure(await run('await new Promise(() => { const tick = () => setTimeout(tick, 5); tick(); });', { timeoutMs: 300 }));
    expect(outcome.kind).toBe('timeout');
  });

  it('a promise that can never settle is reported at once, not at the deadline', async () => {
    const started = performance.now();
    const outcome = failure(await run('await new Promise(() => {}); return 1;', { timeoutMs: 5_000 }));
    expect(outcome.kind).toBe('runtime');
    expect(outcome.message).toMatch(/never settled/);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expectHealthy();
  });

  it('a promise left pending after the last timer fires is reported when it fires', async () => {
    const outcome = failure(await run('await new Promise((resolve) => setTimeout(() => {}, 20)); return 1;', { timeoutMs: 5_000 }));
    expect(outcome.message).toMatch(/never settled/);
  });

  it('a memory bomb is a memory fault', async () => {
    const outcome = failure(await run('const a = []; while (true) a.push("x".repeat(1000) + a.length);'));
    expect(outcome).toMatchObject({ kind: 'memory' });
    await expectHealthy();
  });

  it('a memory bomb whose error is caught still cannot starve the host', async () => {
    const outcome = await run(`
      const a = [];
      try { while (true) a.push("y".repeat(1000) + a.length); } catch (e) { console.log("caught", e.message); }
      a.length = 0;
      return "survived";`);
    // Either the guest recovers (its heap stopped at the ceiling) or the run ends as a memory fault.
    if (outcome.ok) {
      expect(outcome.json).toBe('"survived"');
      expect(outcome.logs[0]?.text).toMatch(/caught out of memory/);
    } else {
      expect(outcome.kind).toBe('memory');
    }
    await expectHealthy();
  });

  it('a host value too large for the heap is a memory fault, not a crash', async () => {
    const huge = 'h'.repeat(48 * MiB);
    const outcome = failure(await run('const v = await big(); return v.length;', { host: { big: async () => huge } }));
    expect(outcome.kind).toBe('memory');
    await expectHealthy();
  });

  it('after a caught memory bomb, console and host calls still work or the run ends as a memory fault', async () => {
    const outcome = await run(
      `const a = [];
      try { while (true) a.push("w".repeat(1000) + a.length); } catch (e) { console.log("caught", e.message); }
      const echoed = await echo({ kept: a.length > 0 });
      return [echoed, (await echo("v".repeat(200000))).length];`,
      { host: { echo: async (value: unknown) => value } },
    );
    if (outcome.ok) expect(valueFrom(outcome)).toEqual([{ kept: true }, 200000]);
    else expect(outcome.kind).toBe('memory');
    await expectHealthy();
  });

  it('a memory bomb with a big ArrayBuffer is a memory fault', async () => {
    const outcome = failure(await run('const b = new ArrayBuffer(512 * 1024 * 1024); return b.byteLength;'));
    expect(outcome.kind).toBe('memory');
  });

  it('a bomb of nested arrays is a memory fault (QuickJS then throws null or drops jobs)', async () => {
    const outcome = failure(await run('let o = []; for (let i = 0; i < 1e7; i++) o = [o]; return 1;'));
    expect(outcome.kind).toBe('memory');
    await expectHealthy();
  });

  it('a promise chain that grows without end is a memory fault', async () => {
    const outcome = failure(await run('const go = () => Promise.resolve().then(go); go(); await new Promise(() => {});', { timeoutMs: 10_000 }));
    expect(outcome.kind).toBe('memory');
  });

  it('a deeply nested value is a runtime stack overflow, whichever stack runs out first', async () => {
    const outcome = failure(await run('let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; return o;'));
    expect(outcome.kind).toBe('runtime');
    expect(outcome.message).toMatch(/stack overflow/i);
    await expectHealthy();
  });

  it('deep recursion is a runtime stack overflow', async () => {
    const outcome = failure(await run('function down(n) { return down(n + 1) + 1; } return down(0);'));
    expect(outcome.kind).toBe('runtime');
    expect(outcome.message).toMatch(/stack overflow|call stack/i);
    expect(outcome.stack?.split('\n').length).toBeLessThanOrEqual(41);
    await expectHealthy();
  });

  it('keeps host memory bounded across memory bombs', async () => {
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 6; i++) {
      const outcome = await run('const a = []; while (true) a.push("z".repeat(4096) + a.length);', { memoryBytes: 128 * MiB });
      expect(failure(outcome).kind).toBe('memory');
    }
    (globalThis as { gc?: () => void }).gc?.();
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(300 * MiB);
    await expectHealthy();
  });

  it('ignores a host answer that arrives after the run ended', async () => {
    let answer: (value: unknown) => void = () => {};
    const host = { late: () => new Promise((resolve) => (answer = resolve)) };
    const outcome = failure(await run('await late(); return 1;', { timeoutMs: 100, host }));
    expect(outcome.kind).toBe('timeout');
    answer({ too: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expectHealthy();
  });
});

describe('concurrency', () => {
  it('runs faults and normal runs side by side', async () => {
    const outcomes = await Promise.all([
      run('const a = []; while (true) a.push("q".repeat(1000) + a.length);'),
      run('await new Promise((r) => setTimeout(r, 50)); return "a";'),
      run('while (true) {}', { timeoutMs: 300 }),
      run('return await echo("b");', { host: { echo: async (value: unknown) => value } }),
      run('throw new Error("c");'),
    ]);
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.json : outcome.kind))).toEqual(['memory', '"a"', 'timeout', '"b"', 'runtime']);
  });
});

describe('speed', () => {
  it('runs a trivial script in a few milliseconds when warm', async () => {
    for (let i = 0; i < 5; i++) await run('return 1;');
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await run('return 1;');
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    // Generous for noisy CI machines; the bench reports the real number.
    expect(times[10]).toBeLessThan(25);
  });
});
