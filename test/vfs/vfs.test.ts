import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeToolFile, Vfs, VfsError } from '../../src/vfs/index.js';
import { FS_MODULE, FS_TEMPLATE } from '../../src/workspace/index.js';

let vfs: Vfs;
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'runbyte-vfs-'));
  const generatedDir = join(root, 'generated');
  const workspaceDir = join(root, 'workspace');
  mkdirSync(join(generatedDir, 'servers/memory'), { recursive: true });
  mkdirSync(join(generatedDir, 'servers/filesystem'), { recursive: true });
  mkdirSync(join(workspaceDir, 'skills'), { recursive: true });
  writeFileSync(join(generatedDir, 'runtime.ts'), '// runtime\n');
  writeFileSync(join(generatedDir, 'servers/index.ts'), "export * as memory from './memory/index.js';\n");
  writeFileSync(join(generatedDir, 'servers/memory/index.ts'), '// index\n');
  writeFileSync(
    join(generatedDir, 'servers/memory/readGraph.ts'),
    '/** Not this one */\nexport interface ReadGraphArgs {}\n\n/**\n * Read the entire knowledge graph\n * @tool read_graph\n */\nexport function readGraph() {}\n',
  );
  writeFileSync(join(generatedDir, 'servers/memory/createEntities.ts'), 'export function createEntities() {}\n');
  // What the server offers besides tools (codegen/readme.ts): listed first, never counted as a function.
  writeFileSync(join(generatedDir, 'servers/memory/README.md'), '# memory\n');
  writeFileSync(join(generatedDir, 'servers/filesystem/index.ts'), '// index\n');
  writeFileSync(join(workspaceDir, 'notes.txt'), 'hello');
  writeFileSync(join(workspaceDir, 'skills/math.ts'), 'export const triple = (n: number) => n * 3;\n');
  writeFileSync(join(root, 'secret.txt'), 'outside');
  symlinkSync(join(root, 'secret.txt'), join(workspaceDir, 'link-out'));
  symlinkSync(root, join(workspaceDir, 'dir-out'));
  symlinkSync(join(workspaceDir, 'notes.txt'), join(workspaceDir, 'link-in'));
  vfs = new Vfs({ generatedDir, workspaceDir });
});

describe('list_directory', () => {
  it.each([
    ['/', 'servers/\nworkspace/'],
    ['', 'servers/\nworkspace/'],
    ['/servers', 'filesystem/ (0 functions)\nmemory/ (2 functions)\nindex.ts'],
    ['servers/', 'filesystem/ (0 functions)\nmemory/ (2 functions)\nindex.ts'],
    ['/servers/memory', 'README.md\ncreateEntities.ts\nreadGraph.ts\nindex.ts'],
    ['/servers/filesystem/../memory', 'README.md\ncreateEntities.ts\nreadGraph.ts\nindex.ts'],
    // Links that lead out are not listed (jail.ts); one that stays inside is listed as what it leads to.
    ['/workspace', 'link-in\nnotes.txt\nskills/'],
  ])('%s', async (path, want) => {
    expect(await vfs.list(path)).toBe(want);
  });

  it('adds one-line descriptions from the JSDoc of each tool function', async () => {
    expect(await vfs.list('/servers/memory', { withDescriptions: true })).toBe(
      'README.md\ncreateEntities.ts\nreadGraph.ts - Read the entire knowledge graph\nindex.ts',
    );
  });
});

describe('read_file and the jail', () => {
  it('reads SDK and workspace files, following links that stay inside', async () => {
    expect(await vfs.read('/servers/memory/index.ts')).toBe('// index\n');
    expect(await vfs.read('/workspace/skills/math.ts')).toContain('triple');
    expect(await vfs.read('/workspace/link-in')).toBe('hello');
  });

  it.each([
    ['/etc/passwd', /outside the virtual filesystem/],
    ['/servers/../../secret.txt', /outside the virtual filesystem/],
    ['../secret.txt', /outside the virtual filesystem/],
    ['/workspace/../secret.txt', /outside the virtual filesystem/],
    ['/runtime.ts', /outside the virtual filesystem/],
    ['/workspace/link-out', /links outside \/workspace/],
    ['/workspace/dir-out/secret.txt', /links outside \/workspace/],
    ['/servers/memory/nope.ts', /no such file/],
    ['/servers/memory', /is a directory/],
  ])('refuses %s', async (path, message) => {
    const error = await vfs.read(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VfsError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('describeToolFile', () => {
  it.each([
    ['/**\n * Read a file. Handles encodings.\n */\nexport function f() {}\n', 'Read a file.'],
    ['/** Version 1.2 of the API: lists repos */\nexport function f() {}\n', 'Version 1.2 of the API: lists repos'],
    [`/** ${'x'.repeat(150)} */\nexport function f() {}\n`, `${'x'.repeat(99)}…`],
  ])('takes the first sentence of %j', (text, want) => {
    expect(describeToolFile(text)).toBe(want);
  });

  it('ignores JSDoc that is not on the exported function', () => {
    expect(describeToolFile('/** a property */\nexport interface X {}\nexport function f() {}\n')).toBe('');
  });
});

// The modules agents import by a bare name are readable where the type-checker reads them
// (src/vfs/roots.ts, modulePath), so `@runbyte/fs`'s functions and FsError codes need no guessing.
describe('/node_modules: the modules imported by a bare name', () => {
  let withFs: Vfs;
  beforeAll(() => {
    withFs = new Vfs(vfs.roots, { modules: [FS_MODULE] });
  });

  it.each([
    ['/', 'servers/\nworkspace/\nnode_modules/'],
    ['/node_modules', '@runbyte/'],
    ['node_modules/@runbyte/', 'fs/'],
    ['/node_modules/@runbyte/fs', 'index.ts'],
    ['/servers/../node_modules/@runbyte/fs', 'index.ts'],
  ])('lists %s', async (path, want) => {
    expect(await withFs.list(path)).toBe(want);
  });

  it('reads @runbyte/fs as templates/fs.ts, its declarations and documentation included', async () => {
    const text = await withFs.read('/node_modules/@runbyte/fs/index.ts');
    expect(text).toBe(readFileSync(FS_TEMPLATE, 'utf8'));
    expect(text).toContain('export function writeJson(path: string, value: unknown): Promise<void>');
    expect(text).toContain("export type FsErrorCode = 'ENOENT'");
  });

  it.each([
    ['/node_modules/lodash/index.ts', 'read', '/node_modules/lodash/index.ts: no such file or directory; /node_modules holds only @runbyte/fs'],
    ['/node_modules/@runbyte/fs', 'read', '/node_modules/@runbyte/fs: is a directory; use list_directory'],
    ['/node_modules/@runbyte/fs/index.ts', 'list', '/node_modules/@runbyte/fs/index.ts: not a directory; use read_file'],
    [
      '/node_modules/@runbyte/../../secret.txt',
      'read',
      '/node_modules/@runbyte/../../secret.txt: outside the virtual filesystem; paths start with /servers, /workspace or /node_modules',
    ],
  ] as const)('refuses %s (%s)', async (path, how, message) => {
    await expect(how === 'read' ? withFs.read(path) : withFs.list(path)).rejects.toThrow(new VfsError(message));
  });

  it('is not there without modules', async () => {
    await expect(vfs.read('/node_modules/@runbyte/fs/index.ts')).rejects.toThrow(/outside the virtual filesystem; paths start with \/servers or \/workspace$/);
  });
});
