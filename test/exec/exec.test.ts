// The execution engine end to end: prepare → check → bundle → sandbox, with tool calls routed to
// real MCP servers through a real Hub. One Hub and one warm Executor for the file.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServer, REPO, referenceServer } from '../helpers/servers.js';
import { failureOf, startExec, valueFrom, type ExecFixture } from './helpers.js';

let fx: ExecFixture;
let data: string;

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'runbyte-exec-data-'));
  cpSync(join(REPO, 'examples/data'), data, { recursive: true });
  fx = await startExec(
    [
      referenceServer.everything('everything'),
      fixtureServer('faults', 'faults.js'),
      referenceServer.filesystem('filesystem', data),
      referenceServer.memory('memory', join(data, 'memory.jsonl')),
    ],
    { timeoutMs: 5_000, maxOutputChars: 40_000 },
  );
});

afterAll(async () => {
  await fx?.close();
  rmSync(data, { recursive: true, force: true });
});

describe('multi-server data flow', () => {
  it('reads a file, creates entities from it, reads the graph back, and writes a report', async () => {
    const code = `
import { readTextFile, writeFile } from './servers/filesystem';
import { createEntities, createRelations, readGraph } from './servers/memory';

const csv = await readTextFile({ path: ${JSON.stringify(join(data, 'orders.csv'))} });
const rows = csv.content.trim().split('\\n').slice(1).map((line) => line.split(','));
const customers = [...new Set(rows.map((row) => row[1]))].sort();
const regions = [...new Set(rows.map((row) => row[2]))].sort();
await createEntities({
  entities: [
    ...customers.map((name) => ({ name, entityType: 'customer', observations: [] })),
    ...regions.map((name) => ({ name, entityType: 'region', observations: [] })),
  ],
});
await createRelations({ relations: rows.map((row) => ({ from: row[1], to: row[2], relationType: 'orders in' })) });
const graph = await readGraph();
await writeFile({ path: ${JSON.stringify(join(data, 'report.json'))}, content: JSON.stringify({ customers }) });
console.log('customers', customers.length);
return {
  customers: graph.entities.filter((entity) => entity.entityType === 'customer').map((entity) => entity.name).sort(),
  regions: graph.entities.filter((entity) => entity.entityType === 'region').length,
  relations: [...new Set(graph.relations.map((relation) => relation.from + '>' + relation.to))].sort(),
};
`;
    const outcome = await fx.run(code);
    const value = valueFrom(outcome) as { customers: string[]; regions: number; relations: string[] };

    const rows = readFileSync(join(data, 'orders.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','));
    const customers = [...new Set(rows.map((row) => row[1]))].sort();
    const pairs = new Set(rows.map((row) => `${row[1]}>${row[2]}`));
    expect(value.customers).toEqual(customers);
    expect(value.regions).toBe(new Set(rows.map((row) => row[2])).size);
    expect(value.relations).toEqual([...pairs].sort());
    expect(outcome.ok && outcome.console).toBe(`customers ${customers.length}`);
    expect(JSON.parse(readFileSync(join(data, 'report.json'), 'utf8'))).toEqual({ customers });
  });
});

describe('parallel tool calls', () => {
  it('runs Promise.all of 100 calls to a 50 ms tool in well under a second', async () => {
    const code = `
import { sleep } from './servers/faults';
const started = Date.now();
const answers = await Promise.all(Array.from({ length: 100 }, () => sleep({ ms: 50 })));
return { count: answers.length, same: answers.every((answer) => answer === 'slept 50'), guestMs: Date.now() - started };
`;
    await fx.run(code); // warm: the checker and bundler have seen this code once
    const started = performance.now();
    const outcome = await fx.run(code);
    const wallMs = performance.now() - started;
    const value = valueFrom(outcome) as { count: number; same: boolean; guestMs: number };
    console.log(`100 × sleep(50 ms) in parallel: ${value.guestMs} ms in the guest, ${wallMs.toFixed(0)} ms for the whole execution`);
    expect(value.count).toBe(100);
    expect(value.same).toBe(true);
    expect(value.guestMs).toBeGreaterThanOrEqual(50);
    expect(wallMs).toBeLessThan(1000);
  });
});

describe('tool results', () => {
  it('is structuredContent when present, else JSON-parsed text, else the text', async () => {
    const value = valueFrom(
      await fx.run(`
import { echo, env, pid, sleep } from './servers/faults';
import { getStructuredContent } from './servers/everything';
return {
  structured: await echo({ value: { nested: [1, 'two', null] } }),
  weather: await getStructuredContent({ location: 'Chicago' }),
  jsonNumber: await pid(),
  jsonNull: await env({ name: 'RUNBYTE_SURELY_UNSET' }),
  text: await sleep({ ms: 1 }),
};
`),
    ) as Record<string, unknown>;
    expect(value.structured).toEqual({ value: { nested: [1, 'two', null] } });
    expect(value.weather).toEqual({ temperature: expect.any(Number), conditions: expect.any(String), humidity: expect.any(Number) });
    expect(value.jsonNumber).toEqual(expect.any(Number));
    expect(value.jsonNull).toBeNull();
    expect(value.text).toBe('slept 1');
  });

  it('keeps image and resource blocks as they came; a returned image leaves the JSON for outcome.media', async () => {
    const outcome = await fx.run(`
import { getTinyImage, getResourceReference } from './servers/everything';
const image = await getTinyImage();
return { types: image.map((block) => block.type), image, resource: await getResourceReference({ resourceType: 'Text', resourceId: 1 }) };
`);
    const value = valueFrom(outcome) as { types: string[]; image: unknown[]; resource: { type: string; resource?: { uri: string } }[] };
    expect(value.types).toEqual(['text', 'image', 'text']);
    expect(value.image[1]).toMatch(/^\[image 1: image\/png, \d+ KB\]$/);
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.media?.map((media) => [media.type, media.mimeType])).toEqual([['image', 'image/png']]);
    expect(Buffer.from(outcome.media![0]!.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(value.resource.map((block) => block.type)).toContain('resource');
    expect(value.resource.find((block) => block.type === 'resource')!.resource!.uri).toMatch(/^demo:\/\/resource\//);
  });

  it('a tool error is an Error naming server and tool, catchable with try/catch', async () => {
    const value = valueFrom(
      await fx.run(`
import { fail, pid } from './servers/faults';
import { ToolError } from './runtime';
try {
  await fail({ message: 'the disk is full' });
  return 'not reached';
} catch (error) {
  const e = error as ToolError;
  return { isError: e instanceof Error, isToolError: e instanceof ToolError, name: e.name, message: e.message, server: e.server, tool: e.tool, after: typeof (await pid()) };
}
`),
    );
    expect(value).toEqual({
      isError: true,
      isToolError: true,
      name: 'ToolError',
      message: 'faults.fail failed: the disk is full',
      server: 'faults',
      tool: 'fail',
      after: 'number',
    });
  });
});

describe('type errors, in the agent coordinates', () => {
  it.each([
    [
      'a wrong argument type',
      "import { sleep } from './servers/faults';\n\nawait sleep({ ms: '50' });\n",
      ["code.ts(3,15): error TS2322: Type 'string' is not assignable to type 'number'."],
    ],
    [
      'a misspelt property, in an exec() function',
      "import { searchNodes } from './servers/memory';\n\nasync function exec() {\n  return await searchNodes({ qeury: 'Acme' });\n}\n",
      [
        "code.ts(4,30): error TS2561: Object literal may only specify known properties, but 'qeury' does not exist in type 'SearchNodesArgs'. Did you mean to write 'query'?",
      ],
    ],
    [
      'a missing export, on an import below a comment (imports are hoisted)',
      "// first line\nimport {\n  sleep,\n  slep,\n} from './servers/faults';\nreturn sleep;\n",
      ["code.ts(4,3): error TS2724: '\"./servers/faults\"' has no exported member named 'slep'. Did you mean 'sleep'?"],
    ],
    [
      'two errors in one file, after a tool result',
      "import { echo } from './servers/faults';\nconst r = await echo({ value: 1 });\nconst n: number = 'one';\n\treturn r.valeu;\n",
      [
        "code.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
        "code.ts(4,11): error TS2551: Property 'valeu' does not exist on type 'EchoResult'. Did you mean 'value'?",
      ],
    ],
  ])('%s', async (_name, code, lines) => {
    const outcome = await fx.run(code);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.phase).toBe('Type check failed');
    expect(failureOf(outcome)).toBe(['Type check failed', ...lines].join('\n'));
  });
});

describe("the agent's code under another name (runbyte run FILE)", () => {
  it('names it in type errors, bundle errors, stack frames and the size refusal; the default stays code.ts', async () => {
    const named = (code: string) => fx.executor.execute(code, { codeName: 'jobs/orders.ts' });
    expect(failureOf(await named("const n: number = 'x';\nreturn n;\n"))).toBe(
      "Type check failed\njobs/orders.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    );
    expect(failureOf(await named("// @ts-ignore\nconst text = await import('/etc/hostname');\nreturn text;\n"))).toMatch(
      /^Bundle failed\njobs\/orders\.ts:2:27: import of "\/etc\/hostname" refused: /,
    );
    expect(failureOf(await named("const n = 2;\nthrow new Error('bad ' + n);\n"))).toBe('Runtime error\nError: bad 2\n    at jobs/orders.ts:2:11');
    expect(failureOf(await named(`return ${'1 + '.repeat(2 ** 19)}1;`))).toMatch(/^Type check failed\njobs\/orders\.ts: the code is 2\.0 MB long/);
    expect(failureOf(await fx.run("const n = 2;\nthrow new Error('bad ' + n);\n"))).toBe('Runtime error\nError: bad 2\n    at code.ts:2:11');
  });
});

describe('runtime errors carry the agent line', () => {
  it('a throw in a module body', async () => {
    const message = failureOf(await fx.run("const items = [1, 2];\nif (items.length > 1) {\n  throw new RangeError('too many');\n}\n"));
    expect(message).toBe('Runtime error\nRangeError: too many\n    at code.ts:3:13');
  });

  it('a throw in a nested function of exec(), without the wrapper call that runs exec()', async () => {
    const message = failureOf(
      await fx.run('function check(n: number) {\n  if (n > 1) throw new Error(`bad ${n}`);\n}\n\nasync function exec() {\n  check(2);\n}\n'),
    );
    expect(message).toBe('Runtime error\nError: bad 2\n    at code.ts:2:24\n    at code.ts:6:3');
  });

  it('a failed tool call points at the line that made the call', async () => {
    const message = failureOf(
      await fx.run("import { fail } from './servers/faults';\n\nasync function exec() {\n  const a = 1;\n  await fail({ message: 'nope' });\n}\n"),
    );
    expect(message).toBe('Runtime error\nToolError: faults.fail failed: nope\n    at code.ts:5:13');
  });

  it('a tool call that fails on the host side points at its line too', async () => {
    const message = failureOf(await fx.run("import { callTool } from './runtime';\n\n\nawait callTool('nowhere', 'x', {});\n"));
    expect(message).toMatch(/^Runtime error\nError: cannot reach tool "x" of server "nowhere": no server by that name is configured\n {4}at code\.ts:4:15$/);
  });

  it('a thrown non-Error value is described', async () => {
    expect(failureOf(await fx.run('throw { code: 42 };'))).toBe('Runtime error\nError: a non-Error value was thrown: {"code":42}');
  });
});

describe('code styles and console', () => {
  it.each([
    ['a module body with top-level await and return', 'const x = await Promise.resolve(20);\nreturn { x: x + 1 };', { x: 21 }],
    ['async function exec()', 'async function exec() {\n  return { x: 21 };\n}', { x: 21 }],
    ['exec() that the code calls itself', 'async function exec() {\n  return [1, 2];\n}\nawait exec();', [1, 2]],
    ['a const arrow exec', 'const exec = async () => "arrow";', 'arrow'],
    ['no return at all', 'const x = 1;', null],
  ])('%s', async (_name, code, expected) => {
    expect(valueFrom(await fx.run(code))).toEqual(expected);
  });

  it('captures console.log/info as lines and warn/error with their level', async () => {
    const outcome = await fx.run("console.log('a', { b: 1 }, [2]);\nconsole.info('i');\nconsole.warn('careful');\nconsole.error(new Error('bad'));\nreturn 1;");
    expect(outcome).toMatchObject({ ok: true, value: '1', console: 'a {"b":1} [2]\ni\n[warn] careful\n[error] Error: bad' });
  });

  it('keeps console output of a run that fails', async () => {
    const outcome = await fx.run("console.log('before');\nthrow new Error('after');");
    expect(outcome).toMatchObject({ ok: false, phase: 'Runtime error', console: 'before' });
  });
});

describe('speed', () => {
  it('runs a trivial execution in tens of milliseconds when warm', async () => {
    const times: number[] = [];
    for (let index = 0; index < 15; index++) {
      const started = performance.now();
      expect(valueFrom(await fx.run(`return ${index} * 2;`))).toBe(index * 2);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`warm trivial execute: median ${median.toFixed(1)} ms (min ${times[0]!.toFixed(1)}, max ${times.at(-1)!.toFixed(1)})`);
    expect(median).toBeLessThan(200);
  });
});
