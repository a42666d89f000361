// Learned result types on the GitHub corpus: 20 tools typed from sample results shaped like
// GitHub's REST responses, generated with the rest of the 117 and type-checked under --strict.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSdk } from '../../src/codegen/index.js';
import type { ResultType } from '../../src/shared/tool-spec.js';
import { merge, type Shape, seen, shapeOf, toSchema } from '../../src/shapes/index.js';
import { GENERATOR } from '../../src/shared/version.js';
import { githubServer, REPO, typeCheckTree } from '../codegen/helpers.js';

const SAMPLES = JSON.parse(readFileSync(join(REPO, 'test/fixtures/corpus/github-results.json'), 'utf8')) as Record<string, unknown[]>;

function learned(): Record<string, ResultType> {
  const types: Record<string, ResultType> = {};
  for (const [tool, results] of Object.entries(SAMPLES)) {
    const shape = results.map(shapeOf).reduce<Shape | undefined>((all, one) => merge(all, one), undefined)!;
    types[tool] = { schema: toSchema(shape), from: { results: seen(shape) } };
  }
  return types;
}

describe('learned result types on the GitHub corpus', () => {
  const server = { ...githubServer(), resultTypes: learned() };
  const files = generateSdk([server], GENERATOR);
  const dir = mkdtempSync(join(tmpdir(), 'runbyte-github-learned-'));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.text);
  }
  const text = (path: string) => files.find((file) => file.path === path)!.text;

  it('types the 20 sampled tools and leaves the other 97 Untyped', () => {
    expect(Object.keys(SAMPLES)).toHaveLength(20);
    const typed = files.filter((file) => file.text.includes('Learned from'));
    expect(typed).toHaveLength(20);
    expect(files.filter((file) => file.text.includes('Promise<Untyped>'))).toHaveLength(97);
    expect(text('servers/github/getMe.ts')).toMatch(/export interface GetMeResult \{[\s\S]*company: null;[\s\S]*login: string;/);
    // list_issues: one page with issues, one without: the optional parts are marked.
    expect(text('servers/github/listIssues.ts')).toMatch(/endCursor: string \| null;/);
    expect(text('servers/github/getFileContents.ts')).toMatch(/GetFileContentsResult =/);
  });

  it('compiles under --strict (and the stricter opt-ins) as ES modules and CommonJS, with code that uses the learned fields', () => {
    const calls = [
      "import { getMe, listIssues, searchRepositories, listPullRequests, getGist } from './servers/github/index.js';",
      'export async function use() {',
      '  const me = await getMe();',
      "  const page = await listIssues({ owner: 'octo', repo: 'app' });",
      "  const found = await searchRepositories({ query: 'mcp' });",
      "  const pulls = await listPullRequests({ owner: 'octo', repo: 'app' });",
      "  const gist = await getGist({ gist_id: 'x' });",
      '  return [me.login, page.issues.map((i) => i.number), found.items.map((r) => r.full_name), pulls.map((p) => p.head.ref), Object.keys(gist.files)];',
      '}',
    ];
    expect(typeCheckTree(dir, { esm: true, calls })).toEqual([]);
    expect(typeCheckTree(dir, { esm: false })).toEqual([]);
    const misuse = typeCheckTree(dir, { esm: true, calls: [...calls.slice(0, 3), '  return me.logn;', '}'] });
    expect(misuse.join('\n')).toMatch(/Property 'logn' does not exist on type 'GetMeResult'/);
  });
});
