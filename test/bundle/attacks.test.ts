// The bundler's jail (src/bundle/guard.ts): agent code that silences the type-checker must still
// bundle nothing but the virtual tree. Every route by which Rspack could read or list a host file is
// tried against a secret folder outside every root; the secret must never reach the script, and the
// refusal must name the specifier as the agent wrote it, at its position in code.ts.
import { linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bundler, type BundleResult } from '../../src/bundle/index.js';
import type { VfsRoots } from '../../src/vfs/roots.js';
import { runBundle, writeSdk } from './helpers.js';

const FS_MODULE = join(dirname(fileURLToPath(import.meta.url)), '../../templates/fs.ts');
const SECRET = 'SECRET_7c1e_do_not_bundle';
const CREDS = 'CREDS_93ab_do_not_bundle';
const ONLY = 'only ./servers/..., ./workspace/... and @runbyte/fs can be imported';

const temps: string[] = [];
let roots: VfsRoots;
let bundler: Bundler;

const src = (...lines: string[]) => `${lines.join('\n')}\n`;
const q = JSON.stringify;

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

function makeRoots(): VfsRoots {
  const root = temp('runbyte-attacks-');
  const made = { generatedDir: join(root, 'generated'), workspaceDir: join(root, 'workspace') };
  writeSdk(made.generatedDir, { memory: [{ name: 'read_graph', fn: 'readGraph' }] });
  mkdirSync(join(made.workspaceDir, 'skills'), { recursive: true });
  writeFileSync(
    join(made.workspaceDir, 'skills/graph.ts'),
    "import { readGraph } from '../../servers/memory/index.js';\nexport const graph = () => readGraph({});\n",
  );
  writeFileSync(join(made.workspaceDir, 'skills/math.ts'), 'export const triple = (n: number): number => n * 3;\n');
  writeFileSync(join(made.workspaceDir, 'rows.json'), '{ "rows": [1, 2] }\n');
  return made;
}

/** The refusal, as one message; fails when the bundle succeeded or the secret shows anywhere. */
function refusal(result: BundleResult): string {
  const text = JSON.stringify(result);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(CREDS);
  if (result.ok) throw new Error(`expected a refusal, got a bundle of ${result.script.length} characters`);
  expect(result.message).toContain('refused');
  return result.message;
}

const body = (...lines: string[]) => src('export default async function __runbyteMain() {', ...lines, '}');

/** A folder outside every root (made now: the test tables name it): the secret text, a creds.json, modules that export the secret. */
const outside = temp('runbyte-secret-');
const secretFile = join(outside, 'secret.txt');

beforeAll(() => {
  roots = makeRoots();
  writeFileSync(secretFile, `${SECRET}\n`);
  writeFileSync(join(outside, 'creds.json'), JSON.stringify({ token: CREDS }));
  writeFileSync(join(outside, 'mod.ts'), `export const secret = ${q(SECRET)};\n`);
  mkdirSync(join(outside, 'nested'));
  writeFileSync(join(outside, 'nested/mod.ts'), `export const secret = ${q(SECRET)};\n`);
  bundler = new Bundler(roots, { extraModules: { '@runbyte/fs': FS_MODULE } });
});

afterAll(async () => {
  await bundler.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('the two reported attacks, as written', () => {
  it('reads neither a host file as text nor a host folder through a context', async () => {
    const code = src(
      'export default async function __runbyteMain() {',
      '// @ts-ignore',
      `const t = (await import(${q(secretFile)}, { with: { type: 'text' } })).default;`,
      '// @ts-ignore',
      `const c = import.meta.webpackContext(${q(outside)}, { recursive: true, regExp: /\\.json$/ });`,
      "return { t, files: c.keys(), creds: c('./creds.json') };",
      '}',
    );
    const message = refusal(await bundler.bundle(code));
    expect(message.split('\n').sort()).toEqual([
      `code.ts:3:25: import of ${q(secretFile)} refused: ${ONLY}`,
      `code.ts:5:38: listing ${q(outside)} refused: folders cannot be listed (require.context, import.meta.webpackContext, a computed path); import each file by its literal path`,
    ]);
  });

  it('refuses /etc/passwd and /proc/self/environ by name', async () => {
    const code = body(
      "  const a = (await import('/etc/passwd', { with: { type: 'text' } })).default;",
      "  const b = (await import('/proc/self/environ', { with: { type: 'bytes' } })).default;",
      '  return [a, b];',
    );
    expect(
      refusal(await bundler.bundle(code))
        .split('\n')
        .sort(),
    ).toEqual([`code.ts:2:27: import of "/etc/passwd" refused: ${ONLY}`, `code.ts:3:27: import of "/proc/self/environ" refused: ${ONLY}`]);
  });
});

describe('every other route out of the tree', () => {
  // [label, code, what the one error line must contain]
  const routes = (): [string, string, string][] => [
    [
      'a static import of a host .ts file',
      src(`import { secret } from ${q(join(outside, 'mod.ts'))};`, 'export default async () => secret;'),
      `import of ${q(join(outside, 'mod.ts'))} refused: ${ONLY}`,
    ],
    [
      'a static import of host JSON',
      src(`import creds from ${q(join(outside, 'creds.json'))};`, 'export default async () => creds;'),
      `import of ${q(join(outside, 'creds.json'))} refused`,
    ],
    [
      'host JSON with { type: "json" }',
      src(`import creds from ${q(join(outside, 'creds.json'))} with { type: 'json' };`, 'export default async () => creds;'),
      'refused',
    ],
    [
      'a relative path that climbs out',
      src(`import { secret } from ${q(`../../../..${join(outside, 'mod.ts')}`)};`, 'export default async () => secret;'),
      `import of ${q(`../../../..${join(outside, 'mod.ts')}`)} refused: ${ONLY}`,
    ],
    [
      '/servers/.. out of the tree',
      src(`import { secret } from ${q(`/servers/../../../..${join(outside, 'mod.ts')}`)};`, 'export default async () => secret;'),
      'refused',
    ],
    [
      './servers/.. out of the tree',
      src(`import { secret } from ${q(`./servers/../../../..${join(outside, 'mod.ts')}`)};`, 'export default async () => secret;'),
      'refused',
    ],
    [
      'a file: URL',
      src(`import { secret } from ${q(`file://${join(outside, 'mod.ts')}`)};`, 'export default async () => secret;'),
      `import of ${q(`file://${join(outside, 'mod.ts')}`)} refused`,
    ],
    [
      'a data: URL',
      src(`import { secret } from 'data:text/javascript,export const secret = 1';`, 'export default async () => secret;'),
      'import of "data:text/javascript,export const secret = 1" refused',
    ],
    [
      'an http: URL',
      src("import { secret } from 'https://example.com/x.js';", 'export default async () => secret;'),
      'import of "https://example.com/x.js" refused',
    ],
    ['a node: builtin', src("import { readFileSync } from 'node:fs';", 'export default async () => readFileSync;'), 'import of "node:fs" refused'],
    [
      'a package from node_modules',
      src("import pkg from 'vitest/package.json';", 'export default async () => pkg;'),
      `import of "vitest/package.json" refused: ${ONLY}`,
    ],
    [
      'an inline loader',
      src(`import text from ${q(`!!raw-loader!${secretFile}`)};`, 'export default async () => text;'),
      'refused: loaders, queries and fragments (!, ?, #) cannot be used in an import',
    ],
    [
      'an inline loader on a tree file',
      src("import text from './workspace/skills/math.ts!=!./workspace/skills/graph.ts';", 'export default async () => text;'),
      'refused: loaders, queries and fragments',
    ],
    ['a ?raw query', src(`import text from ${q(`${secretFile}?raw`)};`, 'export default async () => text;'), 'refused: loaders, queries and fragments'],
    [
      'a ?raw query on a tree file',
      src("import text from './workspace/skills/math.ts?raw';", 'export default async () => text;'),
      'import of "./workspace/skills/math.ts?raw" refused',
    ],
    ['bytes of a host file', body(`  return (await import(${q(secretFile)}, { with: { type: 'bytes' } })).default;`), 'refused'],
    [
      'text of a tree file',
      body("  return (await import('./workspace/skills/math.ts', { with: { type: 'text' } })).default;"),
      `import of "./workspace/skills/math.ts" with { type: "text" } refused: the only import attribute is { type: 'json' }`,
    ],
    ['bytes of a tree file', body("  return (await import('./workspace/rows.json', { with: { type: 'bytes' } })).default;"), 'with { type: "bytes" } refused'],
    [
      'require.context',
      body(`  // @ts-ignore`, `  const c = require.context(${q(outside)}, true, /\\.json$/);`, '  return c.keys();'),
      `listing ${q(outside)} refused`,
    ],
    ['require.context of the workspace', body('  // @ts-ignore', "  return require.context('./workspace', true).keys();"), 'listing "./workspace" refused'],
    [
      'import.meta.webpackContext of the SDK',
      body('  // @ts-ignore', "  return import.meta.webpackContext('./servers', { recursive: true }).keys();"),
      'listing "./servers" refused',
    ],
    [
      'a template literal import()',
      body(`  const name = 'creds';`, `  return import(\`${outside}/\${name}.json\`);`),
      `code.ts:3:17: listing ${q(outside)} refused`,
    ],
    ['import() of a variable', body(`  const path = ${q(secretFile)};`, '  return import(path);'), 'import() or require() of a computed path refused'],
    [
      'require() of a variable',
      body(`  const path = ${q(secretFile)};`, '  // @ts-ignore', '  return require(path);'),
      'import() or require() of a computed path refused',
    ],
    [
      'require() of a host file',
      body('  // @ts-ignore', `  return require(${q(join(outside, 'creds.json'))});`),
      `import of ${q(join(outside, 'creds.json'))} refused`,
    ],
    ['require of an aliased require', body('  // @ts-ignore', '  const r = require;', `  return r(${q(join(outside, 'creds.json'))});`), 'refused'],
    ['new URL() of a host file', body(`  return new URL(${q(`../../../..${secretFile}`)}, import.meta.url).href;`), 'refused'],
    [
      'new URL() of a tree file',
      body("  return new URL('./workspace/skills/math.ts', import.meta.url).href;"),
      'new URL() of "./workspace/skills/math.ts" refused',
    ],
    [
      'new Worker()',
      body('  // @ts-ignore', "  return new Worker(new URL('./workspace/skills/math.ts', import.meta.url));"),
      'of "./workspace/skills/math.ts" refused',
    ],
  ];

  it.each(routes().map(([label, code, expected]) => ({ label, code, expected })))('refuses $label', async ({ code, expected }) => {
    const message = refusal(await bundler.bundle(code));
    expect(message).toMatch(/^code\.ts:\d+:\d+: /);
    expect(message).toContain(expected);
  });

  it('refuses the same routes from a workspace skill, naming the skill', async () => {
    writeFileSync(
      join(roots.workspaceDir, 'skills/evil.ts'),
      `\nexport const read = async () => (await import(${q(secretFile)}, { with: { type: 'text' } })).default;\n`,
    );
    const message = refusal(await bundler.bundle(src("import { read } from './workspace/skills/evil';", 'export default async () => read();')));
    expect(message).toBe(`workspace/skills/evil.ts:2:47: import of ${q(secretFile)} refused: ${ONLY}`);
    // Still refused when the skill comes from Rspack's cache.
    expect(refusal(await bundler.bundle(src("import { read } from './workspace/skills/evil';", 'export default async () => [read()];')))).toBe(message);
  });
});

describe('links planted in the roots', () => {
  let own: VfsRoots;
  let ownBundler: Bundler;

  beforeAll(() => {
    own = makeRoots();
    ownBundler = new Bundler(own, { extraModules: { '@runbyte/fs': FS_MODULE } });
    const memory = join(own.generatedDir, 'servers/memory');
    symlinkSync(join(outside, 'mod.ts'), join(memory, 'linked.ts'));
    symlinkSync(secretFile, join(memory, 'linked.json'));
    symlinkSync(join(outside, 'nested'), join(own.generatedDir, 'servers/planted'));
    linkSync(join(outside, 'mod.ts'), join(memory, 'hard.ts'));
    symlinkSync(join(outside, 'mod.ts'), join(own.workspaceDir, 'linked.ts'));
    symlinkSync(join(outside, 'nested'), join(own.workspaceDir, 'nested'));
    linkSync(join(outside, 'mod.ts'), join(own.workspaceDir, 'hard.ts'));
    // A link that stays inside its root is an ordinary file.
    symlinkSync(join(own.workspaceDir, 'skills/math.ts'), join(own.workspaceDir, 'alias.ts'));
    // The reserved name of an atomic write's temp file (src/vfs/jail.ts, Names).
    mkdirSync(join(own.workspaceDir, 'd.1234.0123abcd.tmp'));
    writeFileSync(join(own.workspaceDir, 'd.1234.0123abcd.tmp/mod.ts'), 'export const x = 1;\n');
  });

  afterAll(() => ownBundler.close());

  it.each([
    ['a symlink to a host file in the SDK', './servers/memory/linked', 'it is a link to a file outside /servers'],
    ['a symlink to host text in the SDK', './servers/memory/linked.json', 'it is a link to a file outside /servers'],
    ['a symlinked folder in the SDK', './servers/planted/mod', 'it is a link to a file outside /servers'],
    ['the same, by absolute path', '/servers/planted/mod', 'it is a link to a file outside /servers'],
    ['a hard link in the SDK', './servers/memory/hard', 'it is a file with more than one hard link'],
    ['a symlink to a host file in the workspace', './workspace/linked', 'it is a link to a file outside /workspace'],
    ['a symlinked folder in the workspace', './workspace/nested/mod', 'it is a link to a file outside /workspace'],
    ['a hard link in the workspace', './workspace/hard', 'it is a file with more than one hard link'],
    ['a reserved name in the workspace', './workspace/d.1234.0123abcd.tmp/mod', 'names ending in .<pid>.<hex>.tmp are reserved for atomic writes'],
  ])('refuses %s', async (_label, specifier, reason) => {
    const message = refusal(await ownBundler.bundle(src(`import * as m from ${q(specifier)};`, 'export default async () => m;')));
    expect(message).toBe(`code.ts:1:20: import of ${q(specifier)} refused: ${reason}`);
  });

  it('refuses an SDK file that becomes a link after it was bundled, on every later bundle', async () => {
    const code = src("import { readGraph } from './servers/memory';", 'export default async () => readGraph({});');
    expect((await ownBundler.bundle(code)).ok).toBe(true);
    // Swapped for a link by something else on the host, then announced as a change (watch/ does).
    const file = join(own.generatedDir, 'servers/memory/readGraph.ts');
    writeFileSync(join(outside, 'readGraph.ts'), `export const readGraph = (_: unknown) => ${q(SECRET)};\n`);
    symlinkSync(join(outside, 'readGraph.ts'), `${file}.new`);
    renameSync(`${file}.new`, file);
    ownBundler.invalidate([file]);
    const refused = 'servers/memory/index.ts:2:69: import of "./readGraph.js" refused: it is a link to a file outside /servers';
    expect(refusal(await ownBundler.bundle(code)).split('\n')).toContain(refused);
    expect(refusal(await ownBundler.bundle(`${code}// again\n`)).split('\n')).toContain(refused);
  });
});

describe('what stays allowed', () => {
  it('bundles the SDK, workspace skills, workspace JSON (also with { type: "json" }), @runbyte/fs, a literal import() and require()', async () => {
    const code = src(
      "import { readGraph } from './servers/memory';",
      "import { memory } from '/servers';",
      "import { graph } from './workspace/skills/graph';",
      "import { triple } from '/workspace/skills/math.ts';",
      "import rows from './workspace/rows.json' with { type: 'json' };",
      "import * as fs from '@runbyte/fs';",
      'export default async function __runbyteMain() {',
      "  const lazy = await import('./workspace/skills/math.js');",
      '  // @ts-ignore',
      "  const required = require('./servers/memory/readGraph.js');",
      '  return [await readGraph({}), await memory.readGraph({}), await graph(), triple(2), lazy.triple(3), rows.rows, typeof fs.readFile, typeof required.readGraph];',
      '}',
    );
    const result = await bundler.bundle(code);
    if (!result.ok) throw new Error(result.message);
    const call = { server: 'memory', tool: 'read_graph', args: {} };
    expect((await runBundle(result.script)).value).toEqual([call, call, call, 6, 9, [1, 2], 'function', 'function']);
  });

  it('follows a workspace link that stays in the workspace', async () => {
    symlinkSync(join(roots.workspaceDir, 'skills/math.ts'), join(roots.workspaceDir, 'skills/alias.ts'));
    const result = await bundler.bundle(src("import { triple } from './workspace/skills/alias';", 'export default async () => triple(5);'));
    if (!result.ok) throw new Error(result.message);
    expect((await runBundle(result.script)).value).toBe(15);
  });
});
