import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateServer } from '../../src/codegen/index.js';
import { buildIndex, searchIndex, terms, toolDoc, type ToolDoc } from '../../src/search/index.js';
import type { ServerTools } from '../../src/shared/tool-spec.js';
import { githubServer, REPO } from '../codegen/helpers.js';

const doc = (server: string, tool: string, description = '', properties: string[] = [], title = ''): ToolDoc => ({
  server,
  tool,
  fn: tool.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
  title,
  description,
  properties,
});

/** The documents search reads from the files codegen writes for these tools. */
function docsOf(server: ServerTools): ToolDoc[] {
  const { files, summary } = generateServer(server);
  const text = new Map(files.map((file) => [file.path, file.text]));
  return summary.tools.map((tool) => toolDoc(server.server, tool.name, tool.function, text.get(tool.file) ?? ''));
}

/** The memory reference server's tools, from this repo's committed SDK. */
function memoryDocs(): ToolDoc[] {
  const dir = join(REPO, 'generated/servers/memory');
  const lock = JSON.parse(readFileSync(join(REPO, 'generated/runbyte.lock.json'), 'utf8')) as {
    servers: { memory: { tools: Record<string, { file: string; function: string }> } };
  };
  expect(readdirSync(dir).length).toBeGreaterThan(5);
  return Object.entries(lock.servers.memory.tools).map(([name, tool]) =>
    toolDoc('memory', name, tool.function, readFileSync(join(REPO, 'generated', tool.file), 'utf8')),
  );
}

describe('terms', () => {
  it.each([
    ['create_pull_request', ['create', 'pull', 'request']],
    ['createPullRequest', ['create', 'pull', 'request']],
    ['list-issues', ['list', 'issue']],
    ['XMLParser getHTTPResponse2', ['xml', 'parser', 'get', 'http', 'response', '2']],
    ['Open a pull request for the branches', ['open', 'pull', 'request', 'branch']],
    ['entities statuses process', ['entity', 'status', 'process']],
  ])('%s', (text, want) => {
    expect(terms(text)).toEqual(want);
  });
});

describe('ranking', () => {
  const docs = [
    doc('github', 'create_pull_request', 'Create a new pull request in a GitHub repository.', ['owner', 'repo', 'title']),
    doc('github', 'update_pull_request_state', 'Update the state of an existing pull request (open or closed).'),
    doc('github', 'list_issues', 'List issues in a repository.', ['state']),
    doc('memory', 'add_observations', 'Add new observations to existing entities in the knowledge graph'),
    doc('files', 'read_file', 'Read a file', ['path'], 'Read file'),
  ];

  it('ranks a word of the name above the same word in a description', () => {
    const hits = searchIndex(buildIndex(docs), 'issues');
    expect(hits.map((hit) => hit.doc.tool)).toEqual(['list_issues']);
    const state = searchIndex(buildIndex(docs), 'state');
    expect(state[0]?.doc.tool).toBe('update_pull_request_state');
  });

  it('prefers the tool whose name the query makes up more of', () => {
    // The second says "issue" more often, in a longer name and its arguments; the first is named for it.
    const twoTools = [
      doc('gh', 'list_issues', 'List issues in a repository.', ['state']),
      doc('gh', 'remove_sub_issue', 'Remove a sub-issue from a parent issue.', ['issue_number', 'sub_issue_id']),
    ];
    expect(searchIndex(buildIndex(twoTools), 'issues').map((hit) => hit.doc.tool)).toEqual(['list_issues', 'remove_sub_issue']);
  });

  it('matches related words: "open" a pull request is create_pull_request', () => {
    expect(searchIndex(buildIndex(docs), 'open a pull request')[0]?.doc.tool).toBe('create_pull_request');
    expect(searchIndex(buildIndex(docs), 'remember a fact about a person')[0]?.doc.tool).toBe('add_observations');
  });

  it('is the same in any input order, ties going by server then tool', () => {
    const twins = [doc('b', 'same', 'find things'), doc('a', 'same', 'find things'), doc('a', 'alike', 'find things')];
    const order = (input: ToolDoc[]) => searchIndex(buildIndex(input), 'find').map((hit) => `${hit.doc.server}.${hit.doc.tool}`);
    expect(order(twins)).toEqual(['a.alike', 'a.same', 'b.same']);
    expect(order([...twins].reverse())).toEqual(order(twins));
  });

  it('keeps one server, and at most limit hits; nothing for words no tool has', () => {
    const index = buildIndex(docs);
    expect(searchIndex(index, 'pull request', { server: 'memory' })).toEqual([]);
    expect(searchIndex(index, 'pull request', { limit: 1 })).toHaveLength(1);
    expect(searchIndex(index, 'zebra')).toEqual([]);
  });

  it('reads a tool file: description, @title and argument names at every depth', () => {
    const [createEntities] = docsOf({
      server: 'memory',
      tools: [
        {
          name: 'create_entities',
          description: 'Create entities.\n\nMore text.',
          annotations: { title: 'Make them', readOnlyHint: true },
          inputSchema: {
            type: 'object',
            properties: {
              entities: { type: 'array', items: { type: 'object', properties: { entityType: { type: 'string' }, 'odd name': { type: 'string' } } } },
            },
          },
        },
      ],
    });
    expect(createEntities).toEqual({
      server: 'memory',
      tool: 'create_entities',
      fn: 'createEntities',
      title: 'Make them',
      description: 'Create entities. More text.',
      properties: ['entities', 'entityType', 'odd name'],
    });
  });
});

describe('over 1,126 real tools (GitHub, 1,000 copies of it, memory)', () => {
  const github = githubServer();
  const synthetic: ServerTools = {
    server: 'synthetic',
    tools: Array.from({ length: 1000 }, (_slot, i) => {
      // As bench/fixtures/synthetic-server.js serves them: without annotations.
      const { annotations: _, ...base } = github.tools[i % github.tools.length]!;
      return { ...base, name: `${base.name}_${Math.floor(i / github.tools.length)}` };
    }),
  };
  const index = buildIndex([...docsOf(github), ...docsOf(synthetic), ...memoryDocs()]);
  const top = (query: string, limit = 5) => searchIndex(index, query, { limit }).map((hit) => `${hit.doc.server}.${hit.doc.tool}`);

  it.each([
    ['open a pull request', 'github.create_pull_request', 3],
    ['list issues', 'github.list_issues', 3],
    ['merge a pull request', 'github.merge_pull_request', 3],
    ['read a file from a repository', 'github.get_file_contents', 5],
    ['star a repository', 'github.star_repository', 3],
  ])('"%s" finds %s in the top %i', (query, want, within) => {
    expect(top(query, within)).toContain(want);
  });

  it('"remember a fact about a person" finds memory tools first', () => {
    const hits = top('remember a fact about a person', 3);
    expect(
      hits.every((hit) => hit.startsWith('memory.')),
      hits.join(', '),
    ).toBe(true);
  });

  it('answers within 5 ms warm', () => {
    for (let i = 0; i < 20; i++) top('open a pull request', 20);
    const started = performance.now();
    for (let i = 0; i < 20; i++) top(`create an issue with labels ${i}`, 20);
    expect((performance.now() - started) / 20).toBeLessThan(5);
  });
});
