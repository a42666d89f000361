import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatBundleDiagnostic } from '../../src/bundle/index.js';
import { toDiagnostics, type RspackErrorLike } from '../../src/bundle/diagnostics.js';
import { VIRTUAL_ROOT, VirtualInputFs } from '../../src/bundle/input-fs.js';

const CODE = VirtualInputFs.rspackPath('/code.ts');
const SKILL = VirtualInputFs.rspackPath('/workspace/skills/x.ts');
const swc = (path: string) => ({ identifier: () => `builtin:swc-loader??ruleSet[1].rules[0].use[0]!${path}` });

const texts: Record<string, string> = {
  [CODE]: "import { a } from './servers/memory';\nimport { b } from './servers/nowhere.js';\nimport fs from 'node:fs';\n",
  [SKILL]: "\nimport { gone } from '../../servers/gone';\n",
};
const paths = {
  virtualPath: (path: string) => VirtualInputFs.virtualPath(path),
  sourceText: (path: string) => texts[path],
};

// Messages as Rspack 2.3 words them (miette reports, code frames in transpiled coordinates).
const cases: { given: RspackErrorLike; want: string }[] = [
  {
    given: {
      message: `  × Module not found: Can't resolve './x' in '${VIRTUAL_ROOT}'\n   ╭─[1:0]\n 1 │ import { x } from './x';\n   · ──\n   ╰────\n`,
      module: swc(CODE),
      loc: { start: { line: 1, column: 1 } },
    },
    want: "code.ts:1:1: Module not found: Can't resolve './x'",
  },
  {
    given: {
      message: `  × Cannot find module '${VIRTUAL_ROOT}/servers/nowhere.ts' for matched aliased key '${VIRTUAL_ROOT}/servers'\n`,
      module: swc(CODE),
      loc: { start: { line: 1, column: 1 } },
    },
    want: "code.ts:2:19: Module not found: Can't resolve './servers/nowhere.js'",
  },
  {
    given: {
      message: `  × Cannot find module '${VIRTUAL_ROOT}/servers/gone' for matched aliased key '${VIRTUAL_ROOT}/servers'\n`,
      module: swc(SKILL),
      loc: { start: { line: 1, column: 1 } },
    },
    want: "workspace/skills/x.ts:2:22: Module not found: Can't resolve '../../servers/gone'",
  },
  {
    given: {
      message:
        "  × Module build failed (from builtin:swc-loader):\n  ╰─▶   × Syntax Error: Expression expected\n         ╭─[3:25]\n       3 │   return tool1({a:'1'}) +* ;\n         ·                          ─\n         ╰────\n",
      module: swc(CODE),
    },
    want: 'code.ts:3:26: Syntax Error: Expression expected',
  },
  {
    given: {
      message:
        '  × Module build failed:\n  ╰─▶   × Reading from "node:fs" is not handled by plugins (Unhandled scheme).\n        │ Rspack supports "data:" and "file:" URIs by default.\n        │ You may need an additional plugin to handle "node:" URIs.\n',
      module: { identifier: () => 'node:fs' },
    },
    want: "code.ts:3:16: Module not found: Can't resolve 'node:fs'",
  },
  {
    given: { message: '\u001b[31m  × something odd happened\u001b[39m\n' },
    want: 'something odd happened',
  },
  {
    // Terminal codes other than colours: a hyperlink (OSC 8) and a bold that is switched off.
    given: { message: '  × \u001b]8;;https://rspack.rs/errors\u0007see the docs\u001b]8;;\u0007 \u001b[1mnow\u001b[22m\n' },
    want: 'see the docs now',
  },
  {
    given: {
      message: "  × ESModulesLinkingError: export 'default' (imported as 'main') was not found in './code.ts' (possible exports: x)\n",
      module: { identifier: () => VirtualInputFs.rspackPath('/__runbyte_entry__.js') },
    },
    want: 'code.ts: no default export: the code must export default an async function',
  },
];

describe('toDiagnostics', () => {
  it.each(cases)('$want', ({ given, want }) => {
    expect(toDiagnostics([given], paths).map((diagnostic) => formatBundleDiagnostic(diagnostic))).toEqual([want]);
  });

  it("names the agent's code as the caller says (runbyte run FILE), and only the agent's code", () => {
    const found = toDiagnostics([cases[0]!.given, cases[2]!.given], paths).map((diagnostic) => formatBundleDiagnostic(diagnostic, 'orders.ts'));
    expect(found).toEqual([
      "orders.ts:1:1: Module not found: Can't resolve './x'",
      "workspace/skills/x.ts:2:22: Module not found: Can't resolve '../../servers/gone'",
    ]);
  });

  it('drops duplicates', () => {
    expect(toDiagnostics([cases[0]!.given, cases[0]!.given], paths)).toHaveLength(1);
  });
});

describe('the bundle/ boundary', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

  it('loads @rspack/core only lazily: no value import of it anywhere in src/', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && /^\s*import\s+(?!type\b)[^;]*from\s+'@rspack\/core'/m.test(readFileSync(path, 'utf8'))) offenders.push(path);
      }
    };
    walk(join(root, 'src'));
    expect(offenders).toEqual([]);
  });
});
