import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type RunbyteConfig } from '../../src/config/index.js';
import { Executor, type ExecOutcome } from '../../src/exec/index.js';
import { generate } from '../../src/generate/index.js';
import { Hub } from '../../src/hub/index.js';
import { Vfs } from '../../src/vfs/index.js';
import { createWorkspace, type WorkspaceHooks } from '../../src/workspace/index.js';
import { reference, tempProject } from '../helpers/cli.js';

// The workspace end to end: agent code → check → bundle → QuickJS → @runbyte/fs → the folder,
// over a real SDK generated from the reference memory server and a live Hub, wired into Executor
// exactly as serve's engine wires it.

let project: string;
let config: RunbyteConfig;
let hub: Hub;
const executors: Executor[] = [];

beforeAll(async () => {
  project = tempProject({ mcpServers: { memory: reference.memory() } }, 'workspace');
  const path = join(project, 'runbyte.json');
  config = parseConfig(readFileSync(path, 'utf8'), path, {});
  const report = await generate(config);
  expect(report.failures).toEqual([]);
  hub = new Hub(config.servers, { connectTimeoutMs: 30_000 });
  expect(await hub.start()).toEqual([]);
});

afterAll(async () => {
  await Promise.allSettled(executors.map((executor) => executor.close()));
  await hub?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

interface Started {
  executor: Executor;
  hooks: WorkspaceHooks;
}

/** An executor with a workspace over `config.workspaceDir`: what serve's Engine builds once per process. */
function start(options: { quotaBytes?: number; maxOutputChars?: number; workspaceDir?: string } = {}): Started {
  const workspaceDir = options.workspaceDir ?? config.workspaceDir;
  const hooks = createWorkspace({ dir: workspaceDir, quotaBytes: options.quotaBytes ?? config.sandbox.workspaceQuotaMb * 2 ** 20 });
  const executor = new Executor({
    roots: { generatedDir: config.outDir, workspaceDir },
    limits: { timeoutMs: 20_000, memoryBytes: 256 * 2 ** 20, maxOutputChars: options.maxOutputChars ?? 40_000 },
    callTool: (server, tool, args, signal) => hub.callTool(server, tool, args, { signal }),
    host: hooks.host,
    modules: hooks.modules,
    keepOversized: hooks.keepOversized,
  });
  executors.push(executor);
  return { executor, hooks };
}

/** The parsed value of a successful execution; anything else fails the test with the full message. */
async function value(executor: Executor, code: string): Promise<unknown> {
  const outcome = await executor.execute(code);
  if (!outcome.ok) throw new Error(`expected success, got:\n${outcome.message}`);
  return JSON.parse(outcome.value);
}

async function failure(executor: Executor, code: string): Promise<Extract<ExecOutcome, { ok: false }>> {
  const outcome = await executor.execute(code);
  if (outcome.ok) throw new Error(`expected a failure, got: ${outcome.value}`);
  return outcome;
}

const src = (...lines: string[]) => lines.join('\n');

/** Every file under a folder, relative and sorted; [] when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('@runbyte/fs from agent code', () => {
  let first: Started;
  beforeAll(() => {
    first = start();
  });

  it('one execution writes, the next reads; list_directory and read_file see the files', async () => {
    const written = await value(
      first.executor,
      src(
        "import * as fs from '@runbyte/fs';",
        "await fs.writeFile('notes/todo.md', '- ship the workspace\\n');",
        "await fs.writeJson('/workspace/state/cursor.json', { page: 3, seen: ['a', 'b'] });",
        "return (await fs.listDir('/workspace', { recursive: true })).map((entry) => `${entry.path} ${entry.type}`);",
      ),
    );
    expect(written).toEqual(['/workspace/notes directory', '/workspace/notes/todo.md file', '/workspace/state directory', '/workspace/state/cursor.json file']);

    const read = await value(
      first.executor,
      src(
        "import { readFile, readJson, exists } from '@runbyte/fs';",
        "const cursor = await readJson<{ page: number; seen: string[] }>('state/cursor.json');",
        "return { todo: await readFile('./workspace/notes/todo.md'), next: cursor.page + 1, seen: cursor.seen.length, gone: await exists('nope.txt') };",
      ),
    );
    expect(read).toEqual({ todo: '- ship the workspace\n', next: 4, seen: 2, gone: false });

    const vfs = new Vfs({ generatedDir: config.outDir, workspaceDir: config.workspaceDir });
    expect(await vfs.list('/workspace')).toContain('notes/\nstate/');
    expect(await vfs.list('/workspace/notes')).toBe('todo.md');
    expect(await vfs.read('/workspace/notes/todo.md')).toBe('- ship the workspace\n');
    expect(readFileSync(join(config.workspaceDir, 'state/cursor.json'), 'utf8')).toBe('{\n  "page": 3,\n  "seen": [\n    "a",\n    "b"\n  ]\n}\n');
  });

  it('is typed: misuse of @runbyte/fs fails the type check', async () => {
    const outcome = await failure(first.executor, src("import * as fs from '@runbyte/fs';", "await fs.writeFile('x.txt', { a: 1 });"));
    expect(outcome.phase).toBe('Type check failed');
    expect(outcome.message).toMatch(
      /^Type check failed\ncode\.ts\(2,29\): error TS2345: Argument of type '\{ a: number; \}' is not assignable to parameter of type 'string'\./,
    );
  });

  // The file the type-checker checks `@runbyte/fs` against is the one list_directory and read_file show.
  it('is checked against what read_file shows at /node_modules/@runbyte/fs/index.ts', async () => {
    const outcome = await failure(first.executor, src("import * as fs from '@runbyte/fs';", "await fs.writeJSON('x.json', {});"));
    expect(outcome.message).toContain(`Property 'writeJSON' does not exist on type 'typeof import("/node_modules/@runbyte/fs/index")'.`);
    const vfs = new Vfs({ generatedDir: config.outDir, workspaceDir: config.workspaceDir }, { modules: first.hooks.modules });
    expect(await vfs.list('/')).toContain('node_modules/');
    const text = await vfs.read('/node_modules/@runbyte/fs/index.ts');
    expect(text).toBe(readFileSync(first.hooks.modules[0]!.hostPath, 'utf8'));
    expect(text).toMatch(/^export function writeJson\(/m);
  });

  it('throws FsError with a code the agent can test, and an uncaught one names the path', async () => {
    const caught = await value(
      first.executor,
      src(
        "import { readFile, FsError } from '@runbyte/fs';",
        'try {',
        "  await readFile('missing.txt');",
        '} catch (error) {',
        '  return { isFsError: error instanceof FsError, code: (error as FsError).code, message: (error as Error).message };',
        '}',
      ),
    );
    expect(caught).toEqual({ isFsError: true, code: 'ENOENT', message: '@runbyte/fs: /workspace/missing.txt: no such file' });

    const uncaught = await failure(first.executor, src("import * as fs from '@runbyte/fs';", "return await fs.readFile('/etc/passwd');"));
    expect(uncaught.phase).toBe('Runtime error');
    expect(uncaught.message.split('\n').slice(0, 2)).toEqual(['Runtime error', 'FsError: @runbyte/fs: /etc/passwd is outside /workspace']);
  });

  it('refuses escapes (../x, /etc/passwd, a link planted inside) and writes nothing', async () => {
    const outside = join(project, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'outside the workspace');
    mkdirSync(config.workspaceDir, { recursive: true });
    symlinkSync(outside, join(config.workspaceDir, 'planted'));
    const before = { project: filesUnder(project), secret: readFileSync(join(outside, 'secret.txt'), 'utf8') };

    const refused = await value(
      first.executor,
      src(
        "import * as fs from '@runbyte/fs';",
        'const attempts = [',
        "  () => fs.writeFile('../x.txt', 'pwned'),",
        "  () => fs.writeFile('/etc/passwd', 'pwned'),",
        "  () => fs.writeFile('planted/secret.txt', 'pwned'),",
        "  () => fs.writeFile('planted/new.txt', 'pwned'),",
        "  () => fs.readFile('planted/secret.txt'),",
        "  () => fs.remove('planted/secret.txt'),",
        "  () => fs.listDir('planted'),",
        ']',
        'const results = [];',
        'for (const attempt of attempts) {',
        '  try {',
        '    await attempt();',
        "    results.push('allowed');",
        '  } catch (error) {',
        '    results.push(`${error.code} ${error.message}`);',
        '  }',
        '}',
        'return results;',
      ),
    );
    const viaLink = (path: string) => `EACCES @runbyte/fs: /workspace/${path} is outside /workspace (a link on the way leads out of it)`;
    expect(refused).toEqual([
      'EACCES @runbyte/fs: ../x.txt is outside /workspace',
      'EACCES @runbyte/fs: /etc/passwd is outside /workspace',
      viaLink('planted/secret.txt'),
      viaLink('planted/new.txt'),
      viaLink('planted/secret.txt'),
      viaLink('planted/secret.txt'),
      viaLink('planted'),
    ]);
    expect(filesUnder(project)).toEqual(before.project);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe(before.secret);
    rmSync(join(config.workspaceDir, 'planted'));
  });

  it('sees a skill it just wrote, and the new text of a skill rewritten between executions', async () => {
    const make = (factor: number) =>
      src(
        "import * as fs from '@runbyte/fs';",
        `await fs.writeFile('skills/scale.ts', 'export const scale = (n: number): number => n * ${factor};\\n');`,
        'return true;',
      );
    const use = src("import { scale } from './workspace/skills/scale';", 'return scale(10);');
    await value(first.executor, make(3));
    expect(await value(first.executor, use)).toBe(30);
    // Same length, so only the content (and mtime) changes.
    await value(first.executor, make(4));
    expect(await value(first.executor, use)).toBe(40);
  });

  // Nobody tells check/ or bundle/ about these writes: both re-validate workspace files themselves.
  it('sees a module a skill imports appear after the skill was first checked', async () => {
    await value(
      first.executor,
      src(
        "import * as fs from '@runbyte/fs';",
        "await fs.writeFile('skills/outer.ts', \"import { inner } from './inner';\\nexport const outer = () => inner() + 1;\\n\");",
        'return true;',
      ),
    );
    const use = src("import { outer } from './workspace/skills/outer';", 'return outer();');
    const missing = await failure(first.executor, use);
    expect(missing.message).toContain("workspace/skills/outer.ts(1,23): error TS2307: Cannot find module './inner'");
    await value(first.executor, src("import * as fs from '@runbyte/fs';", "await fs.writeFile('skills/inner.ts', 'export const inner = () => 41;\\n');"));
    expect(await value(first.executor, use)).toBe(42);
  });

  // README.md, "The workspace and skills": code that ran as execute_code runs as a skill, imports unchanged.
  it('runs code it just ran, saved as a skill with its imports as written: ./servers/<s> and ./workspace/...', async () => {
    await value(
      first.executor,
      src("import * as fs from '@runbyte/fs';", "await fs.writeFile('skills/ten.ts', 'export const ten = (n: number): number => n * 10;\\n');"),
    );
    const body = [
      "import { createEntities, readGraph } from './servers/memory';",
      "import { ten } from './workspace/skills/ten';",
      "await createEntities({ entities: [{ name: 'Skilled', entityType: 'robot', observations: [] }] });",
      "return ten((await readGraph()).entities.filter((entity) => entity.entityType === 'robot').length);",
    ];
    expect(await value(first.executor, src(...body))).toBe(10);
    const skill = src(...body.slice(0, 2), 'export async function robots(): Promise<number> {', ...body.slice(2).map((line) => `  ${line}`), '}', '');
    await value(first.executor, src("import * as fs from '@runbyte/fs';", `await fs.writeFile('skills/robots/count.ts', ${JSON.stringify(skill)});`));
    expect(await value(first.executor, src("import { robots } from './workspace/skills/robots/count';", 'return await robots();'))).toBe(10);
  });
});

describe('skills across a restart', () => {
  const SKILL = src(
    "import { createEntities, readGraph } from '../../servers/memory';",
    "import * as fs from '@runbyte/fs';",
    '',
    '/** Adds people to the graph and logs them in the workspace. */',
    'export async function addPeople(names: string[]): Promise<number> {',
    "  await createEntities({ entities: names.map((name) => ({ name, entityType: 'person', observations: [] })) });",
    "  await fs.writeJson('logs/people.json', names);",
    '  const graph = await readGraph();',
    "  return graph.entities.filter((entity) => entity.entityType === 'person').length;",
    '}',
    '',
  );

  it('a skill saved by one executor is imported, type-checked and run by a new one', async () => {
    const before = start();
    await value(
      before.executor,
      src("import * as fs from '@runbyte/fs';", `await fs.writeFile('skills/people.ts', ${JSON.stringify(SKILL)});`, 'return true;'),
    );
    await before.executor.close();

    const after = start();
    const count = await value(after.executor, src("import { addPeople } from './workspace/skills/people';", "return await addPeople(['Ada', 'Grace']);"));
    expect(count).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(readFileSync(join(config.workspaceDir, 'logs/people.json'), 'utf8'))).toEqual(['Ada', 'Grace']);

    // The skill's types reach the agent's code.
    const misuse = await failure(after.executor, src("import { addPeople } from './workspace/skills/people';", "return await addPeople('Ada');"));
    expect(misuse.message).toMatch(
      /^Type check failed\ncode\.ts\(2,24\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'string\[\]'\./,
    );
  });

  it('a type error inside a skill fails the check with its own file and line', async () => {
    const { executor } = start();
    await value(
      executor,
      src(
        "import * as fs from '@runbyte/fs';",
        "await fs.writeFile('skills/broken.ts', 'export const ok = 1;\\nexport const bad: number = \"two\";\\n');",
        'return true;',
      ),
    );
    const outcome = await failure(executor, src("import { ok } from './workspace/skills/broken';", 'return ok;'));
    expect(outcome.message).toBe("Type check failed\nworkspace/skills/broken.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.");
  });

  it('a skill that no longer matches its tool after the SDK changes fails with its own file and line', async () => {
    const { executor } = start();
    const use = src("import { addPeople } from './workspace/skills/people';", "return await addPeople(['Linus']);");
    expect(await value(executor, use)).toBeGreaterThanOrEqual(1);

    // The server now wants a `source` on every entity: regenerate by hand, as a changed server would.
    const toolFile = join(config.outDir, 'servers/memory/createEntities.ts');
    const original = readFileSync(toolFile, 'utf8');
    const argsEnd =
      original.indexOf('export type CreateEntitiesResult') >= 0
        ? original.indexOf('export type CreateEntitiesResult')
        : original.indexOf('export interface CreateEntitiesResult');
    const changed = original.slice(0, argsEnd).replace('entityType: string;', 'entityType: string;\n    source: string;') + original.slice(argsEnd);
    expect(changed).not.toBe(original);
    writeFileSync(toolFile, changed);
    try {
      executor.invalidate([toolFile]);
      const outcome = await failure(executor, use);
      expect(outcome.phase).toBe('Type check failed');
      const [phase, first, detail] = outcome.message.split('\n');
      expect([phase, first]).toEqual([
        'Type check failed',
        "workspace/skills/people.ts(6,26): error TS2322: Type '{ name: string; entityType: string; observations: never[]; }[]' is not assignable to type '{ name: string; entityType: string; source: string; observations: string[]; }[]'.",
      ]);
      expect(detail).toContain("Property 'source' is missing");
    } finally {
      writeFileSync(toolFile, original);
      executor.invalidate([toolFile]);
    }
    expect(await value(executor, use)).toBeGreaterThanOrEqual(1);
  });
});

describe('limits', () => {
  it('enforces the quota inside the sandbox with a clear error, and writes nothing', async () => {
    const workspaceDir = join(project, 'small-workspace');
    const { executor } = start({ quotaBytes: 10_000, workspaceDir });
    await value(executor, src("import * as fs from '@runbyte/fs';", "await fs.writeFile('a.txt', 'a'.repeat(6000));"));
    const outcome = await failure(executor, src("import * as fs from '@runbyte/fs';", "await fs.writeFile('b.txt', 'b'.repeat(6000));"));
    expect(outcome.message.split('\n').slice(0, 2)).toEqual([
      'Runtime error',
      'FsError: @runbyte/fs: writing /workspace/b.txt (5.9 KB) would exceed the workspace quota of 9.8 KB (5.9 KB in use); remove files you no longer need first (fs.remove)',
    ]);
    expect(filesUnder(workspaceDir)).toEqual(['a.txt']);
  });

  it('keeps a cut result in the workspace; the next execution reads it from the handle, and so does read_file', async () => {
    const { executor } = start({ maxOutputChars: 200 });
    const outcome = await executor.execute('return Array.from({ length: 500 }, (_, index) => ({ index, square: index * index }));');
    if (!outcome.ok) throw new Error(outcome.message);
    const match = /the full value is in (\/workspace\/results\/\S+\.json)\]$/.exec(outcome.value);
    expect(match, outcome.value).not.toBeNull();
    const handle = match![1]!;
    expect(outcome.value).toMatch(/^\[\{"index":0,"square":0\},/);

    const total = await value(
      executor,
      src(
        "import { readJson } from '@runbyte/fs';",
        `const rows = await readJson<{ index: number; square: number }[]>(${JSON.stringify(handle)});`,
        'return { rows: rows.length, last: rows[rows.length - 1] };',
      ),
    );
    expect(total).toEqual({ rows: 500, last: { index: 499, square: 249001 } });

    const vfs = new Vfs({ generatedDir: config.outDir, workspaceDir: config.workspaceDir });
    expect(JSON.parse(await vfs.read(handle))).toHaveLength(500);
    expect(await vfs.list('/workspace/results')).toContain(handle.slice('/workspace/results/'.length));
  });

  it('two concurrent executions writing the same file never leave it half-written', async () => {
    const { executor } = start();
    // A second process sharing the folder (a second `runbyte serve`): its own workspace, its own queue.
    const other = start();
    const writer = (letter: string) =>
      src(
        "import * as fs from '@runbyte/fs';",
        'for (let round = 0; round < 5; round++) {',
        `  await fs.writeFile('shared/big.txt', '${letter}'.repeat(2_000_000));`,
        '}',
        'return true;',
      );
    const reader = src(
      "import * as fs from '@runbyte/fs';",
      'const seen = [];',
      'for (let round = 0; round < 20; round++) {',
      "  const text = await fs.readFile('shared/big.txt').catch(() => '');",
      "  if (text) seen.push(text.length === 2_000_000 && (text === 'a'.repeat(2_000_000) || text === 'b'.repeat(2_000_000) || text === 'c'.repeat(2_000_000)));",
      '}',
      'return seen.every(Boolean);',
    );
    const results = await Promise.all([
      value(executor, writer('a')),
      value(executor, writer('b')),
      value(other.executor, writer('c')),
      value(other.executor, reader),
    ]);
    expect(results).toEqual([true, true, true, true]);
    const final = readFileSync(join(config.workspaceDir, 'shared/big.txt'), 'utf8');
    expect(final.length).toBe(2_000_000);
    expect(['a', 'b', 'c'].map((letter) => letter.repeat(2_000_000))).toContain(final);
    expect(filesUnder(join(config.workspaceDir, 'shared'))).toEqual(['big.txt']);
  });
});
