import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');

/** Every import specifier of every source file, by folder (`hub`, `exec`, ...; `.` for src/index.ts). */
function imports(): { file: string; folder: string; specifier: string }[] {
  const found: { file: string; folder: string; specifier: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const file = relative(SRC, path);
        const folder = file.includes('/') ? file.split('/')[0]! : '.';
        const text = readFileSync(path, 'utf8');
        // Static and dynamic imports, and createRequire(...)('x') loads.
        for (const match of text.matchAll(/(?:from|import|\))\s*\(?\s*'([^']+)'/g)) found.push({ file, folder, specifier: match[1]! });
      }
    }
  };
  walk(SRC);
  return found;
}

const all = imports();

/** Heavy dependencies each belong to one stage (docs/architecture.md). */
const OWNERS: [RegExp, string[]][] = [
  [/^@oclif\/core/, ['commands']],
  [/^ts-morph/, ['codegen']],
  [/^typescript$/, ['check']],
  [/^@rspack\/core/, ['bundle']],
  [/^(quickjs-emscripten|@jitl\/)/, ['sandbox']],
  [/^@modelcontextprotocol\/sdk\/client/, ['hub']],
  [/^@modelcontextprotocol\/sdk\/server/, ['serve']],
  [/^chokidar/, ['watch']],
];

describe('architecture', () => {
  it.each(OWNERS)('%s is imported only by its stage', (pattern, owners) => {
    const offenders = all.filter(({ specifier, folder }) => pattern.test(specifier) && !owners.includes(folder));
    expect(offenders).toEqual([]);
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
