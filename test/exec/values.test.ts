// End to end through exec's Executor: what an agent gets back when its code returns a value JSON
// has no plain form for (README.md, execute_code; src/sandbox/guest.ts), and the hint when code
// that got past the type check reaches for fetch or require (src/sandbox/run.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServer } from '../helpers/servers.js';
import { failureOf, startExec, type ExecFixture } from './helpers.js';

let fx: ExecFixture;
beforeAll(async () => {
  fx = await startExec([fixtureServer('faults', 'faults.js')]);
});
afterAll(() => fx?.close());

/** The value text and the console block of a successful execution. */
async function success(code: string): Promise<{ value: string; console: string }> {
  const outcome = await fx.run(code);
  if (!outcome.ok) throw new Error(`expected success, got:\n${outcome.message}`);
  return { value: outcome.value, console: outcome.console };
}

describe('returned values', () => {
  it('a Map of tool results comes back as an object, a Set as a list', async () => {
    const code = [
      "import { sleep } from './servers/faults';",
      'const results = new Map<string, unknown>();',
      'for (const ms of [1, 2]) results.set(`after ${ms} ms`, await sleep({ ms }));',
      "return { results, seen: new Set(['a', 'b', 'a']), byId: new Map([[1, 'one']]) };",
    ].join('\n');
    expect(await success(code)).toEqual({
      value: '{"results":{"after 1 ms":"slept 1","after 2 ms":"slept 2"},"seen":["a","b"],"byId":[[1,"one"]]}',
      console: '',
    });
  });

  it('a BigInt comes back as its decimal string, and the console says where', async () => {
    expect(await success("console.log('counted');\nreturn { total: 2n ** 64n };")).toEqual({
      value: '{"total":"18446744073709551616"}',
      console:
        'counted\n[warn] [value.total is a BigInt, which JSON cannot hold: it was returned as a decimal string. Return String(x), or Number(x) when it fits, to choose yourself.]',
    });
  });

  it('undefined in a list comes back as null, without a note', async () => {
    expect(await success('const found: (number | undefined)[] = [1, undefined]; return found;')).toEqual({ value: '[1,null]', console: '' });
  });

  it('a caught Error comes back as its name and message', async () => {
    const code = "import { fail } from './servers/faults';\ntry { await fail({ message: 'nope' }); return 0; } catch (error) { return { error }; }";
    const { value } = await success(code);
    expect(JSON.parse(value)).toMatchObject({ error: { name: 'ToolError', message: expect.stringContaining('faults.fail failed: nope') } });
  });

  it('a cycle is a Runtime error naming where it closes', async () => {
    const code =
      "type Node = { name: string; parent?: Node; children: Node[] };\nconst root: Node = { name: 'root', children: [] };\nroot.children.push({ name: 'leaf', parent: root, children: [] });\nreturn { tree: root };";
    expect(failureOf(await fx.run(code))).toBe(
      'Runtime error\nTypeError: the returned value has a cycle: value.tree.children[0].parent refers back to value.tree, and JSON cannot hold one. Return a copy without the back reference (e.g. an id in its place).',
    );
  });

  it('a forgotten await is a Runtime error saying to await', async () => {
    const code = "import { sleep } from './servers/faults';\nreturn [1, 2].map((ms) => sleep({ ms }));";
    expect(failureOf(await fx.run(code))).toBe(
      'Runtime error\nTypeError: the returned value holds a Promise at value[0], which has no JSON: await it first (for a list of promises, await Promise.all(list)).',
    );
  });
});

describe('Node.js and browser globals', () => {
  it.each(['fetch', 'XMLHttpRequest', 'process'])('%s past the type check says to use the MCP servers’ tools', async (name) => {
    const message = failureOf(await fx.run(`// @ts-ignore\nconst it = ${name};\nreturn typeof it;`));
    expect(message).toContain(`Runtime error\nReferenceError: '${name}' is not defined. The sandbox has no Node.js or browser APIs`);
    expect(message).toContain("reach the outside through the tools of the configured MCP servers (import them from './servers/<server>'");
    expect(message).toContain('code.ts:2');
  });
});
