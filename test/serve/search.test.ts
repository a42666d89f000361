import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, reference, tempProject } from '../helpers/cli.js';
import { serveStdio, texts, type Served } from '../helpers/serve.js';

/**
 * search_tools over a large catalog, through a real `serve`: the 117 GitHub tools, 1,000 synthetic
 * copies of them (`list_issues_0`, ... as the benchmark serves them) and the memory server.
 */
describe('search_tools over 1,126 tools', () => {
  let served: Served;
  const search = async (args: Record<string, unknown>) => {
    const result = await served.client.callTool({ name: 'search_tools', arguments: args });
    return { isError: result.isError ?? false, text: texts(result).join('\n') };
  };

  beforeAll(async () => {
    const node = process.execPath;
    const dir = tempProject(
      {
        mcpServers: {
          github: { command: node, args: [join(REPO, 'test/fixtures/servers/corpus.js')] },
          synthetic: { command: node, args: [join(REPO, 'bench/fixtures/synthetic-server.js'), '--count', '1000'] },
          memory: reference.memory(),
        },
        server: { connectTimeout: 60 },
      },
      'search',
    );
    served = await serveStdio(dir);
  }, 120_000);
  afterAll(() => served?.close());

  it('finds github.create_pull_request in the top 3 for "open a pull request", with its import line', async () => {
    const { isError, text } = await search({ query: 'open a pull request', limit: 3 });
    expect(isError).toBe(false);
    const [lines, imports] = text.split('\n\n');
    expect(lines?.split('\n').map((line) => line.split(' - ')[0])).toContain('github.create_pull_request');
    expect(lines).toContain('github.create_pull_request - Create a new pull request in a GitHub repository.');
    expect(imports).toMatch(/^import \{ (\w+, )*createPullRequest(, \w+)* \} from '\.\/servers\/github';$/m);
  });

  it('finds memory tools for "remember a fact about a person"', async () => {
    const { text } = await search({ query: 'remember a fact about a person', detail: 'summary', limit: 3 });
    const lines = text.split('\n\n')[0]!.split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^memory\.\w+ - \S/);
    expect(text).toMatch(/^import \{ \w+, \w+, \w+ \} from '\.\/servers\/memory';$/m);
  });

  it('costs under 300 tokens for 20 results with detail "name"', async () => {
    // Long names on purpose: `synthetic.add_pull_request_review_comment_reaction_3` and the like.
    const { text } = await search({ query: 'pull request review comment', detail: 'name', limit: 20 });
    const [paths, imports] = text.split('\n\n');
    expect(paths!.split('\n')).toHaveLength(20);
    for (const path of paths!.split('\n')) expect(path).toMatch(/^(github|synthetic)\.\w+$/);
    // The best tool of each server shows the import line; the others follow the same pattern.
    expect(imports!.split('\n')).toEqual([expect.stringMatching(/^import \{ \w+ \} from '\.\/servers\/github';$/), expect.stringMatching(/synthetic/)]);
    expect(countTokens(text)).toBeLessThan(300);
  });

  it('gives the tool file\'s types with detail "full", and keeps to one server', async () => {
    const { text } = await search({ query: 'create an issue', detail: 'full', server: 'synthetic', limit: 1 });
    expect(text).toMatch(/^\/\/ synthetic\.create_issue_\d\nimport \{ createIssue\d \} from '\.\/servers\/synthetic';\n/);
    expect(text).toMatch(/^export interface CreateIssue\dArgs \{$/m);
    expect(text).not.toContain('DO NOT EDIT');
  });

  it('answers a mistake with one sentence the model can act on', async () => {
    expect(await search({ query: 'issues', server: 'gitlab' })).toEqual({ isError: true, text: expect.stringMatching(/^no server named "gitlab"; servers: /) });
    expect((await search({ query: 'issues', detail: 'all' })).text).toBe('"detail" must be "name", "summary" or "full", not "all"');
    expect((await search({ query: 'issues', limit: 0 })).text).toBe('"limit" must be a whole number from 1 to 50');
    expect((await search({})).text).toBe('"query" is missing: pass it as a string');
    expect((await search({ query: 'the of a' })).text).toMatch(/has no words to search for$/);
    expect(await search({ query: 'xylophone' })).toEqual({ isError: false, text: expect.stringMatching(/^no tool matches "xylophone"/) });
  });
});

/** search_tools follows live tools: a server's list_changed regenerates its files and the lock, and the next search sees them. */
describe('search_tools and live tools', () => {
  let served: Served;
  const found = async (query: string) => {
    const result = await served.client.callTool({ name: 'search_tools', arguments: { query, detail: 'name', server: 'faults' } });
    return texts(result).join('\n');
  };
  const within = async (ms: number, check: () => Promise<boolean>) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    const dir = tempProject({ mcpServers: { faults: { command: process.execPath, args: [join(REPO, 'test/fixtures/servers/faults.js')] } } }, 'search-live');
    served = await serveStdio(dir);
  }, 60_000);
  afterAll(() => served?.close());

  it('finds a tool added at run time, and no longer one removed', async () => {
    expect(await found('summon dragon')).toMatch(/^no tool matches/);
    const run = (code: string) => served.client.callTool({ name: 'execute_code', arguments: { code } });
    expect(texts(await run("import { addTool } from './servers/faults';\nreturn await addTool({ name: 'summon_dragon' });"))[0]).toBe('"added summon_dragon"');
    await within(3000, async () => (await found('summon dragon')).startsWith('faults.summon_dragon\n'));
    expect(await found('summon dragon')).toContain("import { summonDragon } from './servers/faults';");
    await run("import { removeTool } from './servers/faults';\nreturn await removeTool({ name: 'summon_dragon' });");
    await within(3000, async () => !(await found('summon dragon')).includes('summon_dragon'));
  });
});
