import { cpSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTypeDiagnostic, prepareAgentCode, TypeChecker } from '../../src/check/index.js';
import type { VfsRoots } from '../../src/vfs/roots.js';

// The type-checker reads the tree through the one jail (src/vfs/jail.ts): what read_file would
// refuse does not exist for it, so no diagnostic and no type can carry a byte of it.

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'hunter2';

let base: string;
let roots: VfsRoots;
let outside: string;
let checker: TypeChecker;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'runbyte-check-jail-'));
  roots = { generatedDir: join(base, 'generated'), workspaceDir: join(base, 'workspace') };
  outside = join(base, 'outside');
  const { generatedDir, workspaceDir } = roots;
  cpSync(join(repo, 'test/fixtures/sdk'), generatedDir, { recursive: true });
  cpSync(join(repo, 'templates/runtime.ts'), join(generatedDir, 'runtime.ts'));
  mkdirSync(join(workspaceDir, 'skills'), { recursive: true });
  mkdirSync(join(outside, 'nested'), { recursive: true });
  writeFileSync(join(workspaceDir, 'skills/math.ts'), 'export const triple = (n: number): number => n * 3;\n');

  // What lies outside: a module and a declaration file whose types spell the secret.
  const secretModule = `export const secret = '${SECRET}';\n`;
  writeFileSync(join(outside, 'secret.ts'), secretModule);
  writeFileSync(join(outside, 'secret.d.ts'), `export declare const secret: '${SECRET}';\n`);
  writeFileSync(join(outside, 'nested/secret.ts'), secretModule);
  // In the generated folder, but outside servers/: not part of /servers either.
  writeFileSync(join(generatedDir, 'notes.ts'), secretModule);

  // Planted in the workspace.
  symlinkSync(join(outside, 'secret.ts'), join(workspaceDir, 'skills/linked.ts'));
  symlinkSync(join(outside, 'secret.d.ts'), join(workspaceDir, 'skills/typed.d.ts'));
  symlinkSync(join(outside, 'nested'), join(workspaceDir, 'nested'));
  linkSync(join(outside, 'secret.ts'), join(workspaceDir, 'skills/hard.ts'));
  // Planted in the generated SDK.
  const memory = join(generatedDir, 'servers/memory');
  symlinkSync(join(outside, 'secret.ts'), join(memory, 'linked.ts'));
  symlinkSync(join(outside, 'nested'), join(generatedDir, 'servers/planted'));
  symlinkSync(join(generatedDir, 'notes.ts'), join(memory, 'notes.ts'));
  linkSync(join(outside, 'nested/secret.ts'), join(memory, 'hard.ts'));
  // A folder with the reserved name of an atomic write's temp file (src/vfs/jail.ts, Names).
  mkdirSync(join(workspaceDir, 'skills/draft.1234.0123abcd.tmp'));
  writeFileSync(join(workspaceDir, 'skills/draft.1234.0123abcd.tmp/index.ts'), secretModule);

  // Links that stay inside their root are ordinary files.
  symlinkSync(join(workspaceDir, 'skills/math.ts'), join(workspaceDir, 'skills/alias.ts'));
  symlinkSync(join(memory, 'readGraph.ts'), join(memory, 'readGraphAlias.ts'));
  mkdirSync(join(workspaceDir, '.hidden'));
  writeFileSync(join(workspaceDir, '.hidden/double.ts'), 'export const double = (n: number): number => n * 2;\n');

  checker = new TypeChecker(roots);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The diagnostics of agent code, formatted as the agent sees them. */
function check(code: string, on: TypeChecker = checker): string[] {
  const prepared = prepareAgentCode(code);
  return on.check(prepared.text).map((d) => formatTypeDiagnostic(d, prepared.toSource));
}

/**
 * Code that would spell the secret in a diagnostic if the module were read: assigning its
 * `'hunter2'` literal type to `number` is an error that names the type.
 */
const leakAttempt = (specifier: string) => `import { secret } from '${specifier}';\nconst n: number = secret;\nreturn n;`;

describe('TypeChecker: links and names the jail refuses do not exist', () => {
  it.each([
    ['a workspace skill that is a symlink to a file outside', './workspace/skills/linked'],
    ['the same, by absolute path', '/workspace/skills/linked.ts'],
    ['a workspace .d.ts that is a symlink to a declaration file outside', './workspace/skills/typed'],
    ['a workspace folder that is a symlink to a folder outside', './workspace/nested/secret'],
    ['a workspace skill that is a hard link to a file outside', './workspace/skills/hard'],
    ['a symlink planted in generated/servers/', './servers/memory/linked'],
    ['a folder symlink planted in generated/servers/', '/servers/planted/secret'],
    ['a symlink in generated/servers/ to the generated folder outside servers/', './servers/memory/notes'],
    ['a hard link planted in generated/servers/', './servers/memory/hard'],
    ['a folder with the reserved name of a temp file', './workspace/skills/draft.1234.0123abcd.tmp'],
  ])('%s', (_label, specifier) => {
    const lines = check(leakAttempt(specifier));
    expect(lines).toEqual([`code.ts(1,24): error TS2307: Cannot find module '${specifier}' or its corresponding type declarations.`]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('is not read when a skill inside the workspace imports it either', () => {
    writeFileSync(join(roots.workspaceDir, 'skills/reexport.ts'), "export { secret } from './hard';\nexport const n: number = 1;\n");
    const lines = check("import { secret, n } from './workspace/skills/reexport';\nconst m: number = secret;\nreturn m + n;");
    expect(lines).toEqual(["workspace/skills/reexport.ts(1,24): error TS2307: Cannot find module './hard' or its corresponding type declarations."]);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('forgets a workspace skill replaced by a hard link, and an SDK file after invalidate()', () => {
    const own = new TypeChecker(roots);
    const skill = join(roots.workspaceDir, 'skills/swapped.ts');
    writeFileSync(skill, 'export const secret = 1;\n');
    expect(check(leakAttempt('./workspace/skills/swapped'), own)).toEqual([]);
    rmSync(skill);
    linkSync(join(outside, 'secret.ts'), skill);
    expect(check(leakAttempt('./workspace/skills/swapped'), own)).toEqual([
      "code.ts(1,24): error TS2307: Cannot find module './workspace/skills/swapped' or its corresponding type declarations.",
    ]);

    const tool = join(roots.generatedDir, 'servers/filesystem/swapped.ts');
    writeFileSync(tool, 'export const secret = 1;\n');
    expect(check(leakAttempt('./servers/filesystem/swapped'), own)).toEqual([]);
    rmSync(tool);
    symlinkSync(join(outside, 'secret.ts'), tool);
    own.invalidate([tool]);
    const lines = check(leakAttempt('./servers/filesystem/swapped'), own);
    expect(lines).toEqual(["code.ts(1,24): error TS2307: Cannot find module './servers/filesystem/swapped' or its corresponding type declarations."]);
  });
});

describe('TypeChecker: what stays inside still works', () => {
  it('follows a workspace symlink that stays in the workspace', () => {
    expect(check("import { triple } from './workspace/skills/alias';\nconst n: number = triple(2);\nreturn n;")).toEqual([]);
    expect(check("import { triple } from './workspace/skills/alias';\nconst s: string = triple(2);\nreturn s;")).toEqual([
      "code.ts(2,7): error TS2322: Type 'number' is not assignable to type 'string'.",
    ]);
  });

  it('follows an SDK symlink that stays in servers/', () => {
    expect(check("import { readGraph } from './servers/memory/readGraphAlias';\nconst g = await readGraph({});\nreturn g.entities.length;")).toEqual([]);
  });

  it('reads dotted names like any other', () => {
    expect(check("import { double } from './workspace/.hidden/double';\nreturn double(2);")).toEqual([]);
  });
});
