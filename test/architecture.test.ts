import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');
const tsm = createRequire(import.meta.url)('typescript') as typeof ts;

interface Import {
  file: string;
  folder: string;
  specifier: string;
}

/**
 * Every import of every source file, by folder (`hub`, `exec`, ...; `.` for src/index.ts), as the
 * TypeScript scanner reads them: static imports and re-exports, `import()`, `require()` and
 * `import x = require()`, whatever the quotes.
 */
function importsOf(dir: string): Import[] {
  const found: Import[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...importsOf(path));
    } else if (entry.name.endsWith('.ts')) {
      const file = relative(SRC, path);
      const folder = file.includes('/') ? file.split('/')[0]! : '.';
      const text = readFileSync(path, 'utf8');
      const { importedFiles } = tsm.preProcessFile(text, true, true);
      for (const { fileName } of importedFiles) found.push({ file, folder, specifier: fileName });
      // A createRequire(...)('x') load is a call the scanner does not see as an import.
      for (const match of text.matchAll(/createRequire\([^)]*\)\(\s*(['"`])([^'"`]+)\1\s*\)/g)) found.push({ file, folder, specifier: match[2]! });
    }
  }
  return found;
}

const all = importsOf(SRC);

/** Heavy dependencies each belong to one stage (docs/architecture.md). */
const OWNERS: [RegExp, string[]][] = [
  [/^@oclif\/core/, ['commands']],
  [/^ts-morph/, ['codegen']],
  [/^typescript$/, ['check']],
  [/^@rspack\/core/, ['bundle']],
  [/^(quickjs-emscripten|@jitl\/)/, ['sandbox']],
  // The MCP client and its transports are hub/'s; the SDK's OAuth client (`auth()`) is auth/'s.
  [/^@modelcontextprotocol\/sdk\/client\/(?!auth\.js$)/, ['hub']],
  [/^@modelcontextprotocol\/sdk\/client\/auth\.js$/, ['auth']],
  [/^@modelcontextprotocol\/sdk\/server/, ['serve']],
  [/^chokidar/, ['watch']],
];

describe('architecture', () => {
  it('reads imports as TypeScript does: any quotes, re-exports, dynamic imports and createRequire loads', () => {
    const of = (file: string) => all.filter((found) => found.file === file).map((found) => found.specifier);
    expect(of('check/typescript.ts')).toContain('typescript');
    expect(of('exec/index.ts')).toContain('../compile/index.js'); // a dynamic import()
    expect(of('compile/index.ts')).toContain('./pool.js'); // an export ... from
    const sample = tsm.preProcessFile('import a from "x";\nexport * from \'y\';\nconst b = await import("z");', true, true);
    expect(sample.importedFiles.map((file) => file.fileName)).toEqual(['x', 'y', 'z']);
  });

  it.each(OWNERS)('%s is imported only by its stage', (pattern, owners) => {
    const offenders = all.filter(({ specifier, folder }) => pattern.test(specifier) && !owners.includes(folder));
    expect(offenders).toEqual([]);
  });

  it('auth/ never imports hub/ (hub/ uses auth/, not the other way round)', () => {
    expect(all.filter(({ specifier, folder }) => folder === 'auth' && /\/hub\//.test(specifier))).toEqual([]);
  });

  it('nothing imports commands/', () => {
    expect(all.filter(({ specifier, folder }) => folder !== 'commands' && /\/commands\//.test(specifier))).toEqual([]);
  });

  it('exec, sandbox, check, bundle and codegen never import hub/ (tools arrive as an injected function)', () => {
    const offenders = all.filter(({ specifier, folder }) => ['exec', 'sandbox', 'check', 'bundle', 'codegen'].includes(folder) && /\/hub\//.test(specifier));
    expect(offenders).toEqual([]);
  });

  it('codegen is pure: no file system, no network', () => {
    expect(all.filter(({ specifier, folder }) => folder === 'codegen' && /^node:(fs|net|http|child_process)/.test(specifier))).toEqual([]);
  });
});
