import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bundler, type BundleResult } from '../../src/bundle/index.js';
import type { VfsRoots } from '../../src/vfs/roots.js';
import { originalOf, positionOf, runBundle, toolFile, writeSdk, writeServer, type FixtureTool } from './helpers.js';

const temps: string[] = [];
const bundlers: Bundler[] = [];

const MEMORY: FixtureTool[] = [
  { name: 'create_entities', fn: 'createEntities' },
  { name: 'read_graph', fn: 'readGraph' },
];
const GITHUB: FixtureTool[] = [{ name: 'search_repositories', fn: 'searchRepositories' }];

/** A fresh generated folder (memory + github servers) and a workspace with two skills. */
function makeRoots(): VfsRoots {
  const root = mkdtempSync(join(tmpdir(), 'runbyte-bundle-'));
  temps.push(root);
  const roots = { generatedDir: join(root, 'generated'), workspaceDir: join(root, 'workspace') };
  writeSdk(roots.generatedDir, { memory: MEMORY, github: GITHUB });
  mkdirSync(join(roots.workspaceDir, 'skills'), { recursive: true });
  // Imports the SDK the way a skill sees it: relative to /workspace/skills/, and absolute.
  writeFileSync(
    join(roots.workspaceDir, 'skills/graph.ts'),
    [
      "import { readGraph } from '../../servers/memory/index.js';",
      "import * as github from '/servers/github';",
      'export async function summary(query: string): Promise<unknown[]> {',
      '  return [await readGraph(), await github.searchRepositories({ query })];',
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(join(roots.workspaceDir, 'skills/math.ts'), 'export const triple = (n: number): number => n * 3;\n');
  writeFileSync(join(root, 'secret.ts'), "export const secret = 'outside the workspace';\n");
  symlinkSync(join(root, 'secret.ts'), join(roots.workspaceDir, 'link.ts'));
  return roots;
}

function newBundler(roots: VfsRoots, options?: ConstructorParameters<typeof Bundler>[1]): Bundler {
  const bundler = new Bundler(roots, options);
  bundlers.push(bundler);
  return bundler;
}

function expectOk(result: BundleResult): { script: string; map: Extract<BundleResult, { ok: true }>['map'] } {
  if (!result.ok) throw new Error(`bundle failed:\n${result.message}`);
  return result;
}

async function bundleAndRun(bundler: Bundler, code: string) {
  return runBundle(expectOk(await bundler.bundle(code)).script);
}

const src = (...lines: string[]) => `${lines.join('\n')}\n`;

let roots: VfsRoots;
let bundler: Bundler;

beforeAll(() => {
  roots = makeRoots();
  bundler = newBundler(roots);
});

afterAll(async () => {
  await Promise.all(bundlers.map((each) => each.close()));
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('Bundler', () => {
  it('bundles a classic script whose __runbyteMain calls tools by server and wire name', async () => {
    const result = expectOk(
      await bundler.bundle(
        src(
          "import { createEntities, readGraph } from './servers/memory';",
          'export default async function __runbyteMain() {',
          "  await createEntities({ entities: [{ name: 'a', entityType: 't', observations: [] }] });",
          '  const graph = await readGraph({});',
          "  return { graph, ok: 'yes' };",
          '}',
        ),
      ),
    );
    expect(result.script).not.toMatch(/^\s*(import|export)\s/m);
    const { value, calls } = await runBundle(result.script);
    expect(calls).toEqual([
      { server: 'memory', tool: 'create_entities', args: { entities: [{ name: 'a', entityType: 't', observations: [] }] } },
      { server: 'memory', tool: 'read_graph', args: {} },
    ]);
    expect(value).toEqual({ graph: { server: 'memory', tool: 'read_graph', args: {} }, ok: 'yes' });
  });

  it.each([
    ['./servers/memory', "import { readGraph } from './servers/memory';", 'readGraph'],
    ['./servers/memory/index', "import { readGraph } from './servers/memory/index';", 'readGraph'],
    ['./servers/memory/index.js', "import { readGraph } from './servers/memory/index.js';", 'readGraph'],
    ['./servers/memory/readGraph.js', "import { readGraph } from './servers/memory/readGraph.js';", 'readGraph'],
    ['./servers (namespace)', "import * as servers from './servers';", 'servers.memory.readGraph'],
    ['./servers (named)', "import { memory } from './servers';", 'memory.readGraph'],
    ['./servers/index.js', "import { memory } from './servers/index.js';", 'memory.readGraph'],
    ['/servers/memory', "import { readGraph } from '/servers/memory';", 'readGraph'],
    ['/servers', "import { memory } from '/servers';", 'memory.readGraph'],
    ['./runtime.js', "import { callTool } from './runtime.js'; const readGraph = (a: object) => callTool('memory', 'read_graph', a);", 'readGraph'],
    ['/runtime.js', "import { callTool } from '/runtime.js'; const readGraph = (a: object) => callTool('memory', 'read_graph', a);", 'readGraph'],
  ])('resolves %s', async (_label, imports, call) => {
    const { calls } = await bundleAndRun(bundler, src(imports, `export default async function __runbyteMain() { return ${call}({}); }`));
    expect(calls).toEqual([{ server: 'memory', tool: 'read_graph', args: {} }]);
  });

  it.each([
    ['./workspace/skills/graph', "import { summary } from './workspace/skills/graph';"],
    ['./workspace/skills/graph.ts', "import { summary } from './workspace/skills/graph.ts';"],
    ['./workspace/skills/graph.js', "import { summary } from './workspace/skills/graph.js';"],
    ['/workspace/skills/graph.ts', "import { summary } from '/workspace/skills/graph.ts';"],
  ])('imports a workspace skill that itself imports the SDK (%s)', async (_label, imports) => {
    const { value, calls } = await bundleAndRun(bundler, src(imports, "export default async function __runbyteMain() { return summary('q'); }"));
    expect(calls.map((call) => `${call.server}.${call.tool}`)).toEqual(['memory.read_graph', 'github.search_repositories']);
    expect(value).toEqual([
      { server: 'memory', tool: 'read_graph', args: {} },
      { server: 'github', tool: 'search_repositories', args: { query: 'q' } },
    ]);
  });

  it('inlines a dynamic import()', async () => {
    const { calls } = await bundleAndRun(
      bundler,
      src(
        'export default async function __runbyteMain() {',
        "  const { searchRepositories } = await import('./servers/github');",
        "  return searchRepositories({ query: 'x' });",
        '}',
      ),
    );
    expect(calls).toEqual([{ server: 'github', tool: 'search_repositories', args: { query: 'x' } }]);
  });

  it('reports an unresolvable import with its specifier and position', async () => {
    const result = await bundler.bundle(
      src(
        "import { triple } from './workspace/skills/math';",
        "import { nothing } from './servers/nowhere';",
        'export default async function __runbyteMain() { return [triple(1), nothing]; }',
      ),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe("code.ts:2:25: Module not found: Can't resolve './servers/nowhere'");
    expect(result.errors).toEqual([{ file: '/code.ts', line: 2, column: 25, message: "Module not found: Can't resolve './servers/nowhere'" }]);
  });

  it('reports every unresolvable import, one per line, and names files of the workspace', async () => {
    mkdirSync(join(roots.workspaceDir, 'broken'), { recursive: true });
    writeFileSync(join(roots.workspaceDir, 'broken/skill.ts'), "\nimport { gone } from '../../servers/gone';\nexport const x = gone;\n");
    const result = await bundler.bundle(
      src(
        "import { x } from './workspace/broken/skill';",
        "import 'lodash';",
        "import fs from 'node:fs';",
        'export default async function __runbyteMain() { return [x, fs]; }',
      ),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message.split('\n').sort()).toEqual([
      'code.ts:2:8: import of "lodash" refused: only ./servers/... and ./workspace/... can be imported',
      'code.ts:3:16: import of "node:fs" refused: only ./servers/... and ./workspace/... can be imported',
      "workspace/broken/skill.ts:2:22: Module not found: Can't resolve '../../servers/gone'",
    ]);
  });

  it('reports a syntax error with its position', async () => {
    const result = await bundler.bundle(src('export default async function __runbyteMain() {', '  const x = 1 +* 2;', '  return x;', '}'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^code\.ts:2:16: Syntax Error: Expression expected$/);
  });

  it('does not follow a workspace link that leaves the workspace', async () => {
    const result = await bundler.bundle(src("import { secret } from './workspace/link';", 'export default async function __runbyteMain() { return secret; }'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toBe('code.ts:1:24: import of "./workspace/link" refused: it is a link to a file outside /workspace');
  });

  it('never returns a stale bundle: code B after code A behaves as B', async () => {
    const codeFor = (tool: string) =>
      src(
        "import { createEntities, readGraph } from './servers/memory';",
        `export default async function __runbyteMain() { return ${tool}({ marker: '${tool}' }); }`,
      );
    for (const tool of ['createEntities', 'readGraph', 'createEntities']) {
      const { calls } = await bundleAndRun(bundler, codeFor(tool));
      expect(calls).toEqual([{ server: 'memory', tool: tool === 'readGraph' ? 'read_graph' : 'create_entities', args: { marker: tool } }]);
    }
    // A failed build in between leaves nothing behind either.
    expect((await bundler.bundle('export default async function (')).ok).toBe(false);
    expect((await bundleAndRun(bundler, codeFor('readGraph'))).calls[0]!.tool).toBe('read_graph');
  });

  it('gives each of 10 concurrent bundles its own result', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        bundler.bundle(src("import { triple } from './workspace/skills/math';", `export default async function __runbyteMain() { return triple(${index}); }`)),
      ),
    );
    const values = await Promise.all(results.map(async (result) => (await runBundle(expectOk(result).script)).value));
    expect(values).toEqual(Array.from({ length: 10 }, (_, index) => index * 3));
  });

  it('maps a line of /code.ts through the source map', async () => {
    const code = src(
      "import { readGraph } from './servers/memory';",
      'export default async function __runbyteMain() {',
      '  const first = await readGraph({});',
      "  const marker = 'UNIQUE_MARKER_7f3a';",
      '  return [first, marker];',
      '}',
    );
    const { script, map } = expectOk(await bundler.bundle(code));
    expect(map.version).toBe(3);
    const generated = positionOf(script, "'UNIQUE_MARKER_7f3a'");
    const original = originalOf(map, generated.line, generated.column);
    expect(original).toEqual({ source: '/code.ts', line: positionOf(code, 'UNIQUE_MARKER_7f3a').line });
    expect(map.sourcesContent?.[map.sources.indexOf('/code.ts')]).toBe(code);
    expect(map.sources).toContain('/servers/memory/readGraph.ts');
  });

  it('sees a workspace skill rewritten on disk without being told', async () => {
    const skill = join(roots.workspaceDir, 'skills/changing.ts');
    const code = src("import { value } from './workspace/skills/changing';", 'export default async function __runbyteMain() { return value; }');
    expect((await bundler.bundle(code)).ok).toBe(false);
    writeFileSync(skill, 'export const value = 1;\n');
    expect((await bundleAndRun(bundler, code)).value).toBe(1);
    writeFileSync(skill, 'export const value = 22;\n'); // a different size: no mtime granularity worries
    expect((await bundleAndRun(bundler, code)).value).toBe(22);
    rmSync(skill);
    expect((await bundler.bundle(code)).ok).toBe(false);
  });

  it('imports JSON saved in the workspace', async () => {
    writeFileSync(join(roots.workspaceDir, 'data.json'), '{ "rows": [1, 2, 3] }\n');
    const { value } = await bundleAndRun(
      bundler,
      src("import data from './workspace/data.json';", 'export default async function __runbyteMain() { return data.rows; }'),
    );
    expect(value).toEqual([1, 2, 3]);
  });

  it('reports code without a default export', async () => {
    const result = await bundler.bundle('export async function notDefault() {}\n');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toBe('code.ts: no default export: the code must export default an async function');
  });

  it('rejects bundle() after close()', async () => {
    const closing = newBundler(roots);
    await closing.close();
    await expect(closing.bundle('export default async function () {}')).rejects.toThrow(/closed/);
  });
});

describe('a skill imports the SDK the way agent code does (README.md, "The workspace and skills")', () => {
  /** Skills that spell their imports as execute_code does, and a folder beside them that could shadow the SDK. */
  function skillRoots(): VfsRoots {
    const own = makeRoots();
    const skill = (path: string, ...lines: string[]) => {
      mkdirSync(dirname(join(own.workspaceDir, path)), { recursive: true });
      writeFileSync(join(own.workspaceDir, path), src(...lines));
    };
    skill(
      'skills/agent.ts',
      "import { readGraph } from './servers/memory';",
      "import { github } from './servers';",
      "import { triple } from './workspace/skills/math';",
      "import { half } from './near';",
      'export async function both(query: string): Promise<unknown[]> {',
      '  return [await readGraph({}), await github.searchRepositories({ query }), triple(half(2))];',
      '}',
    );
    skill('skills/near.ts', 'export const half = (n: number): number => n / 2;');
    // Named like the SDK, beside the skill: `./servers/...` still means the SDK (src/vfs/roots.ts, rootAnchored).
    skill('skills/servers/memory.ts', 'export const readGraph = () => "the shadow";');
    skill('deep/er/typo.ts', "import { readGraph } from './servers/memoyr';", 'export const g = readGraph;');
    return own;
  }

  it('resolves ./servers/<s>, ./servers and ./workspace/... from /workspace/skills/ as from code.ts, and ./near beside the skill', async () => {
    const own = newBundler(skillRoots());
    const { value, calls } = await bundleAndRun(
      own,
      src("import { both } from './workspace/skills/agent';", "export default async function __runbyteMain() { return both('q'); }"),
    );
    expect(calls.map((call) => `${call.server}.${call.tool}`)).toEqual(['memory.read_graph', 'github.search_repositories']);
    expect(value).toEqual([{ server: 'memory', tool: 'read_graph', args: {} }, { server: 'github', tool: 'search_repositories', args: { query: 'q' } }, 3]);
  });

  it('fails on a missing server in the skill, naming the skill and the server (the type-checker names it first, as written)', async () => {
    const result = await newBundler(skillRoots()).bundle(
      src("import { g } from './workspace/deep/er/typo';", 'export default async function __runbyteMain() { return g; }'),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/^workspace\/deep\/er\/typo\.ts:\d+:\d+: Module not found: Can't resolve '\.?\/servers\/memoyr'$/);
  });
});

describe('Bundler.invalidate', () => {
  it('re-reads SDK files named, and everything when none are named', async () => {
    const own = makeRoots();
    const ownBundler = newBundler(own);
    const code = src("import { readGraph } from './servers/memory';", 'export default async function __runbyteMain() { return readGraph({}); }');
    expect((await bundleAndRun(ownBundler, code)).calls[0]!.tool).toBe('read_graph');

    const file = join(own.generatedDir, 'servers/memory/readGraph.ts');
    writeFileSync(file, toolFile('memory', { name: 'read_graph', fn: 'readGraph' }, 'read_graph_v2'));
    ownBundler.invalidate([file]);
    expect((await bundleAndRun(ownBundler, code)).calls[0]!.tool).toBe('read_graph_v2');

    writeFileSync(file, toolFile('memory', { name: 'read_graph', fn: 'readGraph' }, 'read_graph_v3'));
    ownBundler.invalidate();
    expect((await bundleAndRun(ownBundler, code)).calls[0]!.tool).toBe('read_graph_v3');

    // A folder stands for the files under it (a regenerated server).
    writeServer(own.generatedDir, 'memory', [{ name: 'read_graph_v4', fn: 'readGraph' }]);
    ownBundler.invalidate([join(own.generatedDir, 'servers/memory')]);
    expect((await bundleAndRun(ownBundler, code)).calls[0]!.tool).toBe('read_graph_v4');
  });

  it('sees a tool removed by regeneration', async () => {
    const own = makeRoots();
    const ownBundler = newBundler(own);
    const direct = src(
      "import { createEntities } from './servers/memory/createEntities.js';",
      'export default async function __runbyteMain() { return createEntities({}); }',
    );
    const viaIndex = src("import { readGraph } from './servers/memory';", 'export default async function __runbyteMain() { return readGraph({}); }');
    expect((await bundleAndRun(ownBundler, direct)).calls[0]!.tool).toBe('create_entities');
    expect((await bundleAndRun(ownBundler, viaIndex)).calls[0]!.tool).toBe('read_graph');

    rmSync(join(own.generatedDir, 'servers/memory'), { recursive: true });
    writeServer(own.generatedDir, 'memory', [{ name: 'read_graph', fn: 'readGraph' }]);
    ownBundler.invalidate([join(own.generatedDir, 'servers/memory')]);
    const gone = await ownBundler.bundle(direct);
    expect(gone.ok).toBe(false);
    if (!gone.ok) expect(gone.message).toBe("code.ts:1:32: Module not found: Can't resolve './servers/memory/createEntities.js'");
    expect((await bundleAndRun(ownBundler, viaIndex)).calls[0]!.tool).toBe('read_graph');
  });

  it('sees a server added by regeneration', async () => {
    const own = makeRoots();
    const ownBundler = newBundler(own);
    const code = src("import { ping } from './servers/extra';", 'export default async function __runbyteMain() { return ping({}); }');
    expect((await ownBundler.bundle(code)).ok).toBe(false);
    writeSdk(own.generatedDir, { memory: MEMORY, github: GITHUB, extra: [{ name: 'ping', fn: 'ping' }] });
    ownBundler.invalidate([own.generatedDir]);
    expect((await bundleAndRun(ownBundler, code)).calls).toEqual([{ server: 'extra', tool: 'ping', args: {} }]);
  });
});

describe('extra modules', () => {
  it('resolves a bare specifier to the host file given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbyte-extra-'));
    temps.push(dir);
    const file = join(dir, 'fs.ts');
    writeFileSync(file, 'export async function readText(path: string): Promise<string> { return `text of ${path}`; }\n');
    const ownBundler = newBundler(roots, { extraModules: { '@runbyte/fs': file } });
    const code = src("import { readText } from '@runbyte/fs';", "export default async function __runbyteMain() { return readText('/workspace/a.txt'); }");
    expect((await bundleAndRun(ownBundler, code)).value).toBe('text of /workspace/a.txt');

    writeFileSync(file, 'export async function readText(path: string): Promise<string> { return `v2 ${path}`; }\n');
    ownBundler.invalidate([file]);
    expect((await bundleAndRun(ownBundler, code)).value).toBe('v2 /workspace/a.txt');
    // Not mapped: not resolvable, and nothing else of the host's node_modules either.
    const other = await ownBundler.bundle(src("import x from '@runbyte/other';", 'export default async function __runbyteMain() { return x; }'));
    expect(other.ok).toBe(false);
  });
});

describe('a 1,000-tool SDK', () => {
  let big: VfsRoots;

  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'runbyte-bundle-big-'));
    temps.push(root);
    big = { generatedDir: join(root, 'generated'), workspaceDir: join(root, 'workspace') };
    const tools = Array.from({ length: 1000 }, (_, index) => ({ name: `tool_${index}`, fn: `tool${index}`, description: `Tool number ${index}` }));
    writeSdk(big.generatedDir, { big: tools, memory: MEMORY });
  });

  /** Cold time, warm median (over 11 different codes), and the last bundle. */
  async function measure(codeFor: (index: number) => string) {
    const ownBundler = newBundler(big);
    let started = performance.now();
    expectOk(await ownBundler.bundle(codeFor(0)));
    const coldMs = performance.now() - started;
    const times: number[] = [];
    let last: ReturnType<typeof expectOk> | undefined;
    for (let index = 1; index <= 11; index++) {
      started = performance.now();
      last = expectOk(await ownBundler.bundle(codeFor(index * 7)));
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return { coldMs, warmMs: times[Math.floor(times.length / 2)]!, last: last!, size: Buffer.byteLength(last!.script) };
  }

  const report = (label: string, { coldMs, warmMs, size }: { coldMs: number; warmMs: number; size: number }) =>
    console.log(`[bundle] 1,000-tool SDK, ${label}: cold ${coldMs.toFixed(1)} ms, warm median ${warmMs.toFixed(1)} ms, bundle ${(size / 1024).toFixed(1)} KB`);

  it('bundles only the tool imported from the server, fast when warm', async () => {
    const result = await measure((index) =>
      src(`import { tool${index} } from './servers/big';`, `export default async function __runbyteMain() { return tool${index}({ index: ${index} }); }`),
    );
    report("import { toolN } from './servers/big'", result);
    expect(result.size).toBeLessThan(50 * 1024);
    expect(result.warmMs).toBeLessThan(1000);
    const { calls } = await runBundle(result.last.script);
    expect(calls).toEqual([{ server: 'big', tool: 'tool_77', args: { index: 77 } }]);
    expect(result.last.script).not.toContain("'tool_76'");
  });

  it('tree-shakes through the servers namespace too', async () => {
    const result = await measure((index) =>
      src("import { big } from './servers';", `export default async function __runbyteMain() { return big.tool${index}({ index: ${index} }); }`),
    );
    report("import { big } from './servers'", result);
    expect(result.size).toBeLessThan(50 * 1024);
    expect(result.warmMs).toBeLessThan(1000);
    const { calls } = await runBundle(result.last.script);
    expect(calls).toEqual([{ server: 'big', tool: 'tool_77', args: { index: 77 } }]);
  });
});
