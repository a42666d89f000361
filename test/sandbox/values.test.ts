// What becomes of returned values JSON has no plain form for (src/sandbox/guest.ts, `toJson`;
// README.md, execute_code): each case as the agent writes it, and what crosses out.
import { describe, expect, it } from 'vitest';
import { runInSandbox, type SandboxOutcome } from '../../src/sandbox/index.js';

const LIMITS = { memoryBytes: 64 * 2 ** 20, timeoutMs: 5_000 };

function run(body: string, maxLogChars?: number): Promise<SandboxOutcome> {
  return runInSandbox(`globalThis.__runbyteMain = async function main() {\n${body}\n};`, {
    limits: LIMITS,
    host: {},
    ...(maxLogChars === undefined ? {} : { maxLogChars }),
  });
}

/** The JSON text and the console lines of a successful run. */
async function returned(body: string, maxLogChars?: number): Promise<{ json: string | undefined; logs: string[] }> {
  const outcome = await run(body, maxLogChars);
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.kind}: ${outcome.message}`);
  return { json: outcome.json, logs: outcome.logs.map((entry) => `${entry.level}: ${entry.text}`) };
}

async function failed(body: string): Promise<string> {
  const outcome = await run(body);
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.json}`);
  expect(outcome.kind).toBe('runtime');
  return outcome.message;
}

describe('returned values JSON has an obvious form for', () => {
  it.each([
    ['a Map with string keys, as an object', "return new Map([['a', 1], ['b', { c: 2 }]]);", '{"a":1,"b":{"c":2}}'],
    ['an empty Map, as an empty object', 'return { m: new Map() };', '{"m":{}}'],
    ['a Map with other keys, as [key, value] pairs', "return new Map([[1, 'one'], [{ id: 2 }, 'two']]);", '[[1,"one"],[{"id":2},"two"]]'],
    ['a Set, as a list', "return { tags: new Set(['x', 'y', 'x']) };", '{"tags":["x","y"]}'],
    ['Maps and Sets inside each other', "return new Map([['s', new Set([new Map([['k', [1]]])])]]);", '{"s":[{"k":[1]}]}'],
    [
      'an Error, as its name, message and own fields',
      "const e = new RangeError('too far'); e.code = 'E_FAR'; return [e];",
      '[{"name":"RangeError","message":"too far","code":"E_FAR"}]',
    ],
    ['undefined in a list, as null (as JSON says)', 'return [1, undefined, 3];', '[1,null,3]'],
    ['one object in two places (not a cycle)', 'const o = { n: 1 }; return { a: o, b: [o] };', '{"a":{"n":1},"b":[{"n":1}]}'],
  ])('%s', async (_name, body, json) => {
    const { json: got, logs } = await returned(body);
    expect(got).toBe(json);
    expect(logs).toEqual([]);
  });

  it("keeps the agent's own toJSON on Map.prototype, and leaves no toJSON of its own behind", async () => {
    expect((await returned("Map.prototype.toJSON = function () { return 'mine'; }; return [new Map()];")).json).toBe('["mine"]');
    expect((await returned('const v = { m: new Map() }; JSON.stringify(v); return [typeof Map.prototype.toJSON, typeof BigInt.prototype.toJSON];')).json).toBe(
      '["undefined","undefined"]',
    );
  });
});

describe('BigInt', () => {
  it('returns it as its exact decimal string, with a note naming where it was', async () => {
    const { json, logs } = await returned('return { total: 12345678901234567890n, n: 1 };');
    expect(json).toBe('{"total":"12345678901234567890","n":1}');
    expect(logs).toEqual([
      'warn: [value.total is a BigInt, which JSON cannot hold: it was returned as a decimal string. Return String(x), or Number(x) when it fits, to choose yourself.]',
    ]);
  });

  it('names at most five places, in a Map or under odd keys too', async () => {
    const { json, logs } = await returned("return { 'odd key': [1n, 2n, 3n], m: new Map([['k', 4n]]), a: [5n, 6n, 7n] };");
    expect(json).toBe('{"odd key":["1","2","3"],"m":{"k":"4"},"a":["5","6","7"]}');
    expect(logs).toEqual([
      'warn: [value["odd key"][0], value["odd key"][1], value["odd key"][2], value.m.k, value.a[0] and 2 more are BigInts, which JSON cannot hold: they were returned as decimal strings. Return String(x), or Number(x) when it fits, to choose yourself.]',
    ]);
  });

  it('gives the note even when the console budget is spent', async () => {
    const { logs } = await returned("console.log('x'.repeat(100)); return 7n;", 10);
    expect(logs.at(-1)).toMatch(/^warn: \[value is a BigInt/);
  });
});

describe('values JSON cannot hold', () => {
  it('fails on a cycle, naming where it closes', async () => {
    const message = await failed('const a = { b: { list: [] } }; a.b.list.push({ up: a.b }); return { a };');
    expect(message).toBe(
      'TypeError: the returned value has a cycle: value.a.b.list[0].up refers back to value.a.b, and JSON cannot hold one. Return a copy without the back reference (e.g. an id in its place).',
    );
  });

  it('fails on a value that is itself the cycle', async () => {
    expect(await failed('const a = {}; a.self = a; return a;')).toMatch(/: value\.self refers back to value,/);
  });

  it('fails on a Map that holds itself, instead of recursing until the host stack runs out', async () => {
    expect(await failed("const m = new Map(); m.set('me', m); return [m];")).toMatch(/: value\[0\]\.me refers back to value\[0\],/);
  });

  it('fails on a Promise in the value, saying to await it', async () => {
    expect(await failed('return { rows: [1, 2].map(async (n) => n) };')).toBe(
      'TypeError: the returned value holds a Promise at value.rows[0], which has no JSON: await it first (for a list of promises, await Promise.all(list)).',
    );
  });
});
