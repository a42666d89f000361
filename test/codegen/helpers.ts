import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { readTools } from '../../src/hub/tools.js';
import type { ServerTools, ToolSpec } from '../../src/shared/tool-spec.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const CORPUS = join(REPO, 'test/fixtures/corpus/github-mcp-server.tools.json');
export const HOSTILE = join(REPO, 'test/fixtures/hostile-tools.json');
export const GOLDEN = join(REPO, 'test/golden');
export const RUNTIME = join(REPO, 'templates/runtime.ts');

export const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');

/** What hub/ makes of a `tools/list` entry (src/hub/tools.ts), annotations included. */
export function toToolSpec(entry: Record<string, unknown>): ToolSpec {
  const { tools } = readTools([entry]);
  if (tools.length !== 1) throw new Error(`hub/ left out the tools/list entry ${JSON.stringify(entry.name)}`);
  return tools[0];
}

/** The 117 tools of github/github-mcp-server, as the server lists them. */
export function githubEntries(): Record<string, unknown>[] {
  return (JSON.parse(readFileSync(CORPUS, 'utf8')) as { tools: Record<string, unknown>[] }).tools;
}

export function githubServer(): ServerTools {
  return { server: 'github', tools: githubEntries().map(toToolSpec) };
}

/** test/fixtures/hostile-tools.json: names, descriptions and schemas meant to break codegen. */
export function hostileServer(): ServerTools {
  // Through hub/'s reading, as `runbyte generate` sees the fixture server (test/commands/generate-sources.test.ts).
  return { server: 'hostile', tools: readTools((JSON.parse(readFileSync(HOSTILE, 'utf8')) as { tools: unknown[] }).tools).tools };
}

/** Every file under `dir`, as posix paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** A deterministic shuffle (mulberry32), so a failure can be reproduced. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Type-checks a generated tree as a user project would: the tree copied to a temporary folder
 * with templates/runtime.ts beside `servers/`, a consumer module that imports every server, and
 * strict options plus the stricter opt-ins. `esm` adds `"type": "module"` (else the files are
 * CommonJS under NodeNext). Declarations are emitted (to nowhere) so `declaration: true` users
 * are covered. `calls` is more code for the consumer module (calls into the SDK, as an agent
 * would write them). Returns the diagnostics as `file(line): TSnnnn message` lines.
 */
export function typeCheckTree(treeDir: string, options: { esm: boolean; calls?: string[] }): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'runbyte-golden-'));
  try {
    cpSync(treeDir, dir, { recursive: true });
    cpSync(RUNTIME, join(dir, 'runtime.ts'));
    if (options.esm) writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import * as servers from './servers/index.js';",
        'export const sdk = servers;',
        'export function firstServer() {',
        '  return Object.values(servers)[0];',
        '}',
        ...(options.calls ?? []),
        '',
      ].join('\n'),
    );
    const roots = listFiles(dir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(dir, file));
    const compilerOptions: import('typescript').CompilerOptions = {
      strict: true,
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: [],
      skipLibCheck: false,
      noUnusedLocals: true,
      noUnusedParameters: true,
      noImplicitReturns: true,
      noImplicitOverride: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noPropertyAccessFromIndexSignature: true,
      // verbatimModuleSyntax forbids ESM syntax in CommonJS files (any code, not just ours).
      verbatimModuleSyntax: options.esm,
      isolatedModules: true,
      forceConsistentCasingInFileNames: true,
    };
    const program = ts.createProgram(roots, compilerOptions);
    const emitted = program.emit(undefined, () => undefined);
    return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
      const where = d.file && d.start !== undefined ? `${relative(dir, d.file.fileName)}(${d.file.getLineAndCharacterOfPosition(d.start).line + 1})` : '';
      return `${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
