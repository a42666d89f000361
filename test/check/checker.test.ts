import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTypeDiagnostic, prepareAgentCode, TypeChecker, type TypeDiagnostic } from '../../src/check/index.js';
import type { VfsRoots } from '../../src/vfs/roots.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const temps: string[] = [];

/** A fresh copy of the fixture SDK (with the live runtime template) and a small workspace. */
function makeRoots(): VfsRoots {
  const root = mkdtempSync(join(tmpdir(), 'runbyte-check-'));
  temps.push(root);
  const generatedDir = join(root, 'generated');
  const workspaceDir = join(root, 'workspace');
  cpSync(join(repo, 'test/fixtures/sdk'), generatedDir, { recursive: true });
  cpSync(join(repo, 'templates/runtime.ts'), join(generatedDir, 'runtime.ts'));
  mkdirSync(join(workspaceDir, 'skills'), { recursive: true });
  writeFileSync(join(workspaceDir, 'skills/math.ts'), 'export const triple = (n: number): number => n * 3;\n');
  writeFileSync(join(workspaceDir, 'skills/broken.ts'), "export const ok = 1;\nexport const bad: number = 'two';\n");
  writeFileSync(join(root, 'secret.ts'), 'export const secret = "outside the workspace";\n');
  symlinkSync(join(root, 'secret.ts'), join(workspaceDir, 'link.ts'));
  return { generatedDir, workspaceDir };
}

const FS_DTS = `/** Reads a file of the workspace. */
export declare function readFile(path: string): Promise<string>;
export declare function writeFile(path: string, text: string): Promise<void>;
`;

let roots: VfsRoots;
let checker: TypeChecker;

beforeAll(() => {
  roots = makeRoots();
  checker = new TypeChecker(roots, { extraFiles: { '/node_modules/@runbyte/fs/index.d.ts': FS_DTS } });
});

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Prepares and checks agent code; the diagnostics as the agent sees them. */
function run(code: string, on: TypeChecker = checker): { lines: string[]; diagnostics: TypeDiagnostic[] } {
  const prepared = prepareAgentCode(code);
  const diagnostics = on.check(prepared.text);
  return { lines: diagnostics.map((d) => formatTypeDiagnostic(d, prepared.toSource)), diagnostics };
}

/** `LINE:COL TSNNNN` of each diagnostic, in the agent's coordinates. */
function positions(code: string): string[] {
  return run(code).lines.map((line) => {
    const match = /^[^(]+\((\d+),(\d+)\): error (TS\d+):/.exec(line);
    return match ? `${match[1]}:${match[2]} ${match[3]}` : line;
  });
}

const src = (...lines: string[]) => lines.join('\n');

describe('TypeChecker: agent code that must pass', () => {
  const cases: { name: string; code: string }[] = [
    {
      name: 'exec style',
      code: src(
        "import { createEntities } from './servers/memory';",
        'async function exec() {',
        "  const result = await createEntities({ entities: [{ name: 'a', entityType: 'person', observations: [] }] });",
        '  return result.entities.map((e) => e.name);',
        '}',
      ),
    },
    {
      name: 'top-level await and return',
      code: src("import { readGraph } from './servers/memory';", 'const graph = await readGraph();', 'return graph.relations.length;'),
    },
    {
      name: 'absolute /servers import and optional arguments',
      code: src("import { readTextFile } from '/servers/filesystem';", "return await readTextFile({ path: '/tmp/a.txt', head: 5 });"),
    },
    {
      name: "'./servers' namespace import",
      code: src("import * as servers from './servers';", 'const graph = await servers.memory.readGraph({});', 'return graph.entities.length;'),
    },
    {
      name: "named server from './servers' and an index.js path",
      code: src(
        "import { memory } from './servers';",
        "import { listDirectory } from './servers/filesystem/index.js';",
        "const [graph, dir] = await Promise.all([memory.readGraph(), listDirectory({ path: '/' })]);",
        'return { n: graph.entities.length, files: dir.entries.filter((e) => e.kind === "file").length };',
      ),
    },
    {
      name: 'untyped catch e.message',
      code: src(
        "import { readTextFile } from './servers/filesystem';",
        'try {',
        "  await readTextFile({ path: '/nope' });",
        '} catch (e) {',
        '  return { error: e.message, stack: e.stack?.split("\\n")[0] };',
        '}',
      ),
    },
    {
      name: 'functions and callbacks without annotations',
      code: src(
        'function add(a, b) { return a + b; }',
        'const total = [1, 2, 3].reduce((sum, n) => add(sum, n), 0);',
        'const pick = (obj, key) => obj[key];',
        'return pick({ total }, "total");',
      ),
    },
    {
      name: 'JSON.parse values and loose objects',
      code: src(
        'const data = JSON.parse(\'{"items":[{"id":1}]}\');',
        'const counts = {};',
        'for (const item of data.items) counts[item.id] = (counts[item.id] || 0) + 1;',
        'let rows = [];',
        'rows.push(data.items[0].id);',
        'return { counts, rows };',
      ),
    },
    {
      name: 'Untyped results: any property access',
      code: src(
        "import { readTextFile } from './servers/filesystem';",
        "const text = await readTextFile({ path: '/a.json' });",
        'const lines = text.split("\\n").filter(Boolean);',
        'return { lines: lines.length, deep: text.whatever?.goes };',
      ),
    },
    {
      name: 'Promise.all over map',
      code: src(
        "import { readTextFile } from './servers/filesystem';",
        "const paths = ['/a', '/b'];",
        'const texts = await Promise.all(paths.map((path) => readTextFile({ path })));',
        'return texts.map((t, i) => `${paths[i]}: ${t.length}`);',
      ),
    },
    {
      name: 'console',
      code: src("console.log('a', 1, { b: 2 });", "console.info('i');", "console.warn('w');", "console.error('e');", "console.debug('d');"),
    },
    {
      name: 'setTimeout promise wrapper and clearTimeout',
      code: src(
        'const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));',
        'await sleep(5);',
        'await new Promise<void>((resolve) => setTimeout(resolve, 1));',
        'const t = setTimeout(() => {}, 1000);',
        'clearTimeout(t);',
        'return "slept";',
      ),
    },
    {
      name: 'for-of loop with await, optional chaining, nullish coalescing',
      code: src(
        "import { listDirectory, readTextFile } from './servers/filesystem';",
        "const dir = await listDirectory({ path: '/' });",
        'const sizes: Record<string, number> = {};',
        'for (const entry of dir.entries) {',
        "  if (entry.kind !== 'file') continue;",
        '  const text = await readTextFile({ path: `/${entry.name}` });',
        '  sizes[entry.name] = entry.size ?? text?.length ?? 0;',
        '}',
        'return dir.entries[0]?.size ?? sizes;',
      ),
    },
    {
      name: 'import type and typed arguments',
      code: src(
        "import { createEntities, type CreateEntitiesArgs } from './servers/memory';",
        "import type { ReadGraphResult } from './servers/memory';",
        "const args: CreateEntitiesArgs = { entities: [{ name: 'x', entityType: 't', observations: ['o'] }] };",
        'const empty: ReadGraphResult = { entities: [], relations: [] };',
        'return [await createEntities(args), empty];',
      ),
    },
    {
      name: 'export default async function exec',
      code: src("import { readGraph } from './servers/memory';", 'export default async function exec() {', '  return (await readGraph()).entities;', '}'),
    },
    {
      name: 'only an expression',
      code: '1+1',
    },
    {
      name: 'the library QuickJS has (ES2025)',
      code: src(
        'const xs = [3, 1, 2];',
        'const m = new Map(Object.entries({ a: 1 }));',
        'const groups = Object.groupBy(xs, (x) => (x % 2 ? "odd" : "even"));',
        'const { promise, resolve } = Promise.withResolvers<number>();',
        'resolve(1);',
        'const both = new Set(xs).union(new Set([4]));',
        'return [xs.toSorted(), xs.findLast((x) => x > 1), xs.at(-1), m.get("a"), groups, await promise, [...both], xs.values().map((x) => x * 2).toArray(), new Date(0).toISOString()];',
      ),
    },
    {
      name: 'plain JavaScript objects, evolving arrays and lets',
      code: src(
        'const summary = {};',
        'summary.total = 5;',
        'const out = [];',
        'for (let i = 0; i < 3; i++) out.push({ i });',
        'let last = null;',
        'last = out.at(-1);',
        'let rows;',
        "rows = JSON.parse('[]');",
        'return { summary, n: out.map((o) => o.i), last: last?.i, rows: rows.map((r) => r.id) };',
      ),
    },
    {
      name: 'workspace skill, with and without extension',
      code: src("import { triple } from './workspace/skills/math';", "import { triple as t3 } from './workspace/skills/math.ts';", 'return triple(2) + t3(1);'),
    },
    {
      name: '@runbyte/fs (an extra in-memory file)',
      code: src("import * as fs from '@runbyte/fs';", "await fs.writeFile('notes.txt', 'hi');", "return await fs.readFile('notes.txt');"),
    },
    {
      name: 'dynamic import of a server',
      code: src("const { readGraph } = await import('./servers/memory');", 'return (await readGraph()).entities.length;'),
    },
  ];

  it.each(cases)('$name', ({ code }) => {
    expect(run(code).lines).toEqual([]);
  });
});

describe('TypeChecker: bare imports', () => {
  it('take an extra module from memory, never from a node_modules folder the agent planted in the workspace', () => {
    const planted = makeRoots();
    mkdirSync(join(planted.workspaceDir, 'node_modules/@runbyte/fs'), { recursive: true });
    writeFileSync(join(planted.workspaceDir, 'node_modules/@runbyte/fs/index.ts'), 'export declare function readFile(path: string): Promise<number>;\n');
    mkdirSync(join(planted.workspaceDir, 'skills'), { recursive: true });
    writeFileSync(
      join(planted.workspaceDir, 'skills/size.ts'),
      "import { readFile } from '@runbyte/fs';\nexport async function size(): Promise<number> {\n  return readFile('x');\n}\n",
    );
    const own = new TypeChecker(planted, { extraFiles: { '/node_modules/@runbyte/fs/index.d.ts': FS_DTS } });
    const { lines } = run("import { size } from './workspace/skills/size';\nreturn await size();", own);
    expect(lines).toEqual([expect.stringMatching(/^workspace\/skills\/size\.ts\(3,3\): error TS2322: Type 'string' is not assignable to type 'number'\.$/)]);
  });
});

describe('TypeChecker: agent code that must fail, at the agent’s line and column', () => {
  const cases: { name: string; code: string; want: string[] }[] = [
    {
      name: 'unknown tool',
      code: src("import { deleteEverything } from './servers/memory';", 'return await deleteEverything();'),
      want: ['1:10 TS2305'],
    },
    {
      name: 'unknown tool in a multi-line import, exec style',
      code: src('async function exec() {', '  return 1;', '}', 'import {', '  readGraph,', '  readGrapf,', "} from './servers/memory';"),
      want: ['6:3 TS2724'],
    },
    {
      name: 'unknown tool through the namespace',
      code: src("import * as servers from './servers';", 'return await servers.memory.deleteAll();'),
      want: ['2:29 TS2339'],
    },
    {
      name: 'unknown server',
      code: src("import { x } from './servers/nope';", 'return x;'),
      want: ['1:19 TS2307'],
    },
    {
      name: 'misspelled argument (excess property)',
      code: src("import { readTextFile } from '/servers/filesystem';", '', "const text = await readTextFile({ pth: '/a' });"),
      want: ['3:35 TS2561'],
    },
    {
      name: 'missing required argument property',
      code: src("import { readTextFile } from './servers/filesystem';", 'return readTextFile({ head: 3 });'),
      want: ['2:21 TS2345'],
    },
    {
      name: 'missing argument object',
      code: src("import { createEntities } from './servers/memory';", 'return createEntities();'),
      want: ['2:8 TS2554'],
    },
    {
      name: 'wrong argument type',
      code: src("import { readTextFile } from './servers/filesystem';", 'async function exec() {', '  return readTextFile({ path: 42 });', '}'),
      want: ['3:25 TS2322'],
    },
    {
      name: 'calling a non-function',
      code: src("import { readGraph } from './servers/memory';", 'const graph = await readGraph();', 'return graph.entities();'),
      want: ['3:14 TS2349'],
    },
    {
      name: 'an undefined variable',
      code: src('const total = 1;', 'return totl + undefinedThing;'),
      want: ['2:8 TS2552', '2:15 TS2304'],
    },
    {
      name: 'a syntax error',
      code: src('const a = 1;', 'const b = ;', 'return a;'),
      want: ['2:11 TS1109'],
    },
    {
      name: 'a missing closing brace points at the end of the code',
      code: src('async function exec() {', '  return 1;', ''),
      want: ['2:12 TS1005'],
    },
    {
      name: 'wrong property on a typed Result',
      code: src(
        "import { listDirectory } from './servers/filesystem';",
        "const dir = await listDirectory({ path: '/' });",
        'return dir.entries.map((e) => e.nam);',
      ),
      want: ['3:33 TS2551'],
    },
    {
      name: 'unknown property on a typed Result',
      code: src("import { listDirectory } from './servers/filesystem';", "const dir = await listDirectory({ path: '/' });", 'return dir.files;'),
      want: ['3:12 TS2339'],
    },
    {
      name: 'null misuse on an optional result field (strictNullChecks)',
      code: src(
        "import { listDirectory } from './servers/filesystem';",
        "const dir = await listDirectory({ path: '/' });",
        'return dir.entries[0].size.toFixed(1);',
      ),
      want: ['3:8 TS2532'],
    },
    {
      name: 'Node and browser APIs do not exist in the sandbox',
      code: src('const home = process.env.HOME;', "const r = await fetch('https://example.com');", 'return require("fs");'),
      want: ['1:14 TS2591', '2:17 TS2304', '3:8 TS2591'],
    },
    {
      name: 'what QuickJS lacks is not typed either',
      code: src('const items = await Array.fromAsync([Promise.resolve(1)]);', 'return structuredClone(items);'),
      want: ['1:27 TS2550', '2:8 TS2304'],
    },
    {
      name: 'a link out of the workspace is not followed',
      code: src("import { secret } from './workspace/link';", 'return secret;'),
      want: ['1:24 TS2307'],
    },
  ];

  it.each(cases)('$name', ({ code, want }) => {
    expect(positions(code)).toEqual(want);
  });

  it('formats code.ts and workspace diagnostics', () => {
    const code = src("import { readTextFile } from '/servers/filesystem';", "await readTextFile({ pth: 'a' });");
    expect(run(code).lines).toEqual([
      "code.ts(2,22): error TS2561: Object literal may only specify known properties, but 'pth' does not exist in type 'ReadTextFileArgs'. Did you mean to write 'path'?",
    ]);
    expect(run("import { ok } from './workspace/skills/broken';\nreturn ok;").lines).toEqual([
      "workspace/skills/broken.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.",
    ]);
    const hint =
      "The sandbox has no Node.js or browser APIs; it has console, setTimeout and clearTimeout. Reach the outside through the tools of the configured MCP servers (import them from './servers/<server>'), and the workspace through '@runbyte/fs'.";
    expect(run('process.exit(1);').lines).toEqual([`code.ts(1,1): error TS2591: Cannot find name 'process'. ${hint}`]);
    expect(run("const r = await fetch('https://example.com');\nreturn r.status;").lines).toEqual([
      `code.ts(1,17): error TS2304: Cannot find name 'fetch'. ${hint}`,
    ]);
    expect(run('return window.location.href;').lines).toEqual([`code.ts(1,8): error TS2304: Cannot find name 'window'. ${hint}`]);
  });

  it('flattens message chains, one message a line', () => {
    const code = src(
      "import { createEntities } from './servers/memory';",
      "const entity = { name: 'a', entityType: 1, observations: [] };",
      'return createEntities({ entities: [entity] });',
    );
    const { diagnostics, lines } = run(code);
    expect(diagnostics).toHaveLength(1);
    expect(lines[0]).toMatch(/^code\.ts\(3,36\): error TS2322: /);
    expect(diagnostics[0]!.message.split('\n').slice(1)).toEqual([
      "  Types of property 'entityType' are incompatible.",
      "    Type 'number' is not assignable to type 'string'.",
    ]);
  });
});

describe('TypeChecker: warm', () => {
  it('checks a second, different snippet fast', () => {
    const fresh = new TypeChecker(roots);
    const first = "import { readGraph } from './servers/memory';\nreturn (await readGraph()).entities.length;";
    const second = "import { readTextFile } from '/servers/filesystem';\nconst t = await readTextFile({ path: '/x' });\nreturn t.length;";
    let started = performance.now();
    expect(run(first, fresh).lines).toEqual([]);
    const cold = performance.now() - started;
    started = performance.now();
    expect(run(second, fresh).lines).toEqual([]);
    const warm = performance.now() - started;
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      started = performance.now();
      run(`${second}\n// ${i}\nconsole.log(${i});`, fresh);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(`check: cold ${cold.toFixed(0)} ms, first warm ${warm.toFixed(1)} ms, warm median ${times[5]!.toFixed(1)} ms`);
    expect(warm).toBeLessThan(500);
  });
});

describe('TypeChecker: invalidate', () => {
  const code = "import { readTextFile } from './servers/filesystem';\nreturn readTextFile({ path: 'a', encoding: 'utf8' });";

  it('sees an edited SDK file after invalidate(path), not before', () => {
    const own = makeRoots();
    const local = new TypeChecker(own);
    expect(run(code, local).lines.map((l) => l.slice(0, 28))).toEqual(['code.ts(2,34): error TS2353:']);

    const file = join(own.generatedDir, 'servers/filesystem/readTextFile.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  path: string;', '  path: string;\n  encoding?: string;'));
    expect(run(code, local).lines).toHaveLength(1); // cached until told
    local.invalidate([file]);
    expect(run(code, local).lines).toEqual([]);
  });

  it('sees a new tool after invalidate() of its folder, and a removed one after invalidate()', () => {
    const own = makeRoots();
    const local = new TypeChecker(own);
    const useNew = "import { searchNodes } from './servers/memory';\nreturn (await searchNodes({ query: 'x' })).length;";
    expect(run(useNew, local).lines.map((l) => l.slice(0, 28))).toEqual(['code.ts(1,10): error TS2305:']);

    const dir = join(own.generatedDir, 'servers/memory');
    writeFileSync(
      join(dir, 'searchNodes.ts'),
      [
        '// Code generated by runbyte from MCP server "memory". DO NOT EDIT.',
        "import { callTool, type Untyped } from '../../runtime.js';",
        '',
        'export interface SearchNodesArgs {',
        '  query: string;',
        '}',
        '',
        'export type SearchNodesResult = Untyped;',
        '',
        '/** Search for nodes in the knowledge graph based on a query */',
        'export function searchNodes(args: SearchNodesArgs): Promise<SearchNodesResult> {',
        "  return callTool('memory', 'search_nodes', args);",
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'index.ts'),
      `${readFileSync(join(dir, 'index.ts'), 'utf8')}export { searchNodes, type SearchNodesArgs, type SearchNodesResult } from './searchNodes.js';\n`,
    );
    local.invalidate([dir]);
    expect(run(useNew, local).lines).toEqual([]);

    // Half-regenerated: the tool file is gone, its re-export is still there. The SDK error is named.
    rmSync(join(dir, 'searchNodes.ts'));
    local.invalidate();
    expect(run(useNew, local).lines).toEqual([
      "servers/memory/index.ts(4,75): error TS2307: Cannot find module './searchNodes.js' or its corresponding type declarations.",
    ]);
    writeFileSync(join(dir, 'index.ts'), `${readFileSync(join(dir, 'index.ts'), 'utf8').split('\n').slice(0, 3).join('\n')}\n`);
    local.invalidate([join(dir, 'index.ts')]);
    expect(run(useNew, local).lines.map((l) => l.slice(0, 28))).toEqual(['code.ts(1,10): error TS2305:']);
  });

  it('re-reads a workspace skill that changed on disk without being told', () => {
    const own = makeRoots();
    const local = new TypeChecker(own);
    const skill = join(own.workspaceDir, 'skills/math.ts');
    const use = "import { quadruple } from './workspace/skills/math';\nreturn quadruple(2);";
    expect(run(use, local).lines.map((l) => l.slice(0, 28))).toEqual(['code.ts(1,10): error TS2305:']);
    writeFileSync(skill, 'export const quadruple = (n: number): number => n * 4;\n// a longer file, so its size changes too\n');
    expect(run(use, local).lines).toEqual([]);
    rmSync(skill);
    expect(run(use, local).lines.map((l) => l.slice(0, 28))).toEqual(['code.ts(1,27): error TS2307:']);
  });
});

describe('TypeChecker: a skill imports the SDK the way agent code does (README.md, "The workspace and skills")', () => {
  /** A workspace whose skills spell their imports as execute_code does, plus a folder that could shadow them. */
  function skillRoots(): VfsRoots {
    const own = makeRoots();
    const skill = (path: string, ...lines: string[]) => {
      mkdirSync(dirname(join(own.workspaceDir, path)), { recursive: true });
      writeFileSync(join(own.workspaceDir, path), `${lines.join('\n')}\n`);
    };
    skill(
      'skills/graph.ts',
      "import { readGraph } from './servers/memory';",
      "import { memory } from './servers';",
      "import { triple } from './workspace/skills/math';",
      "import { quadruple } from './near';",
      'export async function count(): Promise<number> {',
      '  const graph = await memory.readGraph();',
      '  return triple((await readGraph()).entities.length) + quadruple(graph.relations.length);',
      '}',
    );
    skill('skills/near.ts', 'export const quadruple = (n: number): number => n * 4;');
    // A folder named like the SDK beside the skill: `./servers/...` still means the SDK.
    skill('skills/servers/memory.ts', 'export const readGraph = 42;');
    skill('deep/er/misuse.ts', "import { createEntities } from './servers/memory';", "export const bad = () => createEntities({ entities: 'none' });");
    skill('skills/typo.ts', "import { readGraph } from './servers/memoyr';", 'export const g = readGraph;');
    return own;
  }

  it('resolves ./servers/<s>, ./servers and ./workspace/... from /workspace/skills/ as from code.ts, and ./near beside the skill', () => {
    const local = new TypeChecker(skillRoots());
    expect(run("import { count } from './workspace/skills/graph';\nconst n: number = await count();\nreturn n;", local).lines).toEqual([]);
  });

  it('checks a skill against the real SDK types, and names a missing server as the skill wrote it', () => {
    const local = new TypeChecker(skillRoots());
    expect(run("import { bad } from './workspace/deep/er/misuse';\nreturn bad();", local).lines).toEqual([
      "workspace/deep/er/misuse.ts(2,43): error TS2322: Type 'string' is not assignable to type '{ name: string; entityType: string; observations: string[]; }[]'.",
    ]);
    expect(run("import { g } from './workspace/skills/typo';\nreturn g;", local).lines).toEqual([
      "workspace/skills/typo.ts(1,27): error TS2307: Cannot find module './servers/memoyr' or its corresponding type declarations.",
    ]);
  });
});
