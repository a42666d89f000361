import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readPrompts, readResources, readResourceTemplates, readTools } from '../../src/hub/tools.js';
import { setDebug } from '../../src/shared/log.js';
import { fixtureServer, REPO, referenceServer } from '../helpers/servers.js';

const CORPUS = join(REPO, 'test/fixtures/corpus/github-mcp-server.tools.json');
const HOSTILE = join(REPO, 'test/fixtures/hostile-tools.json');

function toolsIn(file: string): unknown[] {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  return Array.isArray(json) ? json : json.tools;
}

const hubs: Hub[] = [];
async function started(...servers: ReturnType<typeof fixtureServer>[]): Promise<Hub> {
  const hub = new Hub(servers, { connectTimeoutMs: 10_000 });
  hubs.push(hub);
  expect(await hub.start()).toEqual([]);
  return hub;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
  vi.restoreAllMocks();
});

describe('listTools: every page', () => {
  const corpus = toolsIn(CORPUS) as { name: string; inputSchema: unknown; description?: string; annotations?: { title?: string } }[];
  const sortedNames = corpus.map((tool) => tool.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  it.each([
    ['50 per page (3 pages)', ['--page-size', '50']],
    ['1 per page (117 pages)', ['--page-size', '1']],
    ['shuffled', ['--shuffle']],
  ])('reads all 117 corpus tools, %s, sorted by name with schemas as sent', async (_, args) => {
    expect(corpus).toHaveLength(117);
    const hub = await started(fixtureServer('github', 'corpus.js', [CORPUS, ...args]));
    const tools = await hub.listTools('github');
    expect(tools.map((tool) => tool.name)).toEqual(sortedNames);
    for (const tool of tools) {
      const sent = corpus.find((entry) => entry.name === tool.name)!;
      expect(tool.inputSchema).toEqual(sent.inputSchema);
      expect(tool.description).toEqual(sent.description);
    }
  });

  it('corpus.js finds the corpus by itself and echoes calls', async () => {
    const hub = await started(fixtureServer('github', 'corpus.js'));
    expect(await hub.listTools('github')).toHaveLength(117);
    const result = await hub.callTool('github', 'get_me', { a: [1] });
    expect(JSON.parse(String(result.content?.[0].text))).toEqual({ tool: 'get_me', args: { a: [1] } });
  });

  it('takes the title from annotations.title when there is no top-level title', async () => {
    const hub = await started(fixtureServer('github', 'corpus.js', [CORPUS]));
    const tools = await hub.listTools('github');
    const withTitle = corpus.find((tool) => tool.annotations?.title)!;
    expect(tools.find((tool) => tool.name === withTitle.name)?.title).toBe(withTitle.annotations?.title);
  });

  it("keeps every tool's annotations as sent (the corpus sends only known keys)", async () => {
    const hub = await started(fixtureServer('github', 'corpus.js', [CORPUS]));
    const tools = await hub.listTools('github');
    expect(tools.filter((tool) => tool.annotations?.destructiveHint === true).length).toBeGreaterThan(0);
    for (const tool of tools) expect(tool.annotations, tool.name).toEqual(corpus.find((entry) => entry.name === tool.name)?.annotations);
  });
});

describe('listTools: lenient with malformed tools', () => {
  it('hostile.js: malformed schemas do not lose the server; only nameless or repeated entries are left out, and logged', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const sent = toolsIn(HOSTILE);
    const named = sent.filter(
      (entry): entry is { name: string } => typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string',
    );
    const expected = [...new Set(named.map((entry) => entry.name))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

    const hub = await started(fixtureServer('hostile', 'hostile.js', ['--page-size', '7']));
    const all = await hub.listAll();
    expect(all.failures).toEqual([]);
    const tools = all.tools.find((entry) => entry.server === 'hostile')!.tools;
    expect(tools.map((tool) => tool.name)).toEqual(expected);
    for (const tool of tools) expect(['object', 'boolean']).toContain(typeof tool.inputSchema);

    const logged = stderr.mock.calls.map((call) => String(call[0])).join('');
    if (named.length < sent.length) expect(logged).toMatch(/runbyte: server "hostile": left out tools\/list entry #\d+/);
    expect(hub.connected()).toEqual(['hostile']);
    // And the server still answers calls.
    const result = await hub.callTool('hostile', tools[0].name, {});
    expect(JSON.parse(String(result.content?.[0].text)).tool).toBe(tools[0].name);
  });
});

describe('readTools', () => {
  const o = { type: 'object' };
  it.each([
    [
      'a boolean property schema is kept',
      [{ name: 'a', inputSchema: { type: 'object', properties: { x: true } } }],
      [{ name: 'a', inputSchema: { type: 'object', properties: { x: true } } }],
      0,
    ],
    ['"type": 42 is kept', [{ name: 'a', inputSchema: { type: 42 } }], [{ name: 'a', inputSchema: { type: 42 } }], 0],
    ['a boolean inputSchema is kept', [{ name: 'a', inputSchema: true }], [{ name: 'a', inputSchema: true }], 0],
    ['a missing inputSchema becomes any object', [{ name: 'a' }], [{ name: 'a', inputSchema: o }], 1],
    ['an array inputSchema becomes any object', [{ name: 'a', inputSchema: [1] }], [{ name: 'a', inputSchema: o }], 1],
    ['no name: left out', [{ inputSchema: o }, { name: 'b', inputSchema: o }], [{ name: 'b', inputSchema: o }], 1],
    ['a number name: left out', [{ name: 3, inputSchema: o }], [], 1],
    ['an empty name: kept (it is callable)', [{ name: '', inputSchema: o }], [{ name: '', inputSchema: o }], 0],
    ['null and strings: left out', [null, 'x', 4], [], 3],
    [
      'a repeated name: the first is kept',
      [
        { name: 'a', inputSchema: o, description: 'one' },
        { name: 'a', inputSchema: o, description: 'two' },
      ],
      [{ name: 'a', inputSchema: o, description: 'one' }],
      1,
    ],
    ['a non-string description is left out', [{ name: 'a', inputSchema: o, description: 5 }], [{ name: 'a', inputSchema: o }], 0],
    ['an unusable outputSchema is left out', [{ name: 'a', inputSchema: o, outputSchema: 'x' }], [{ name: 'a', inputSchema: o }], 1],
    [
      'outputSchema and title are kept',
      [{ name: 'a', title: 'A', inputSchema: o, outputSchema: o }],
      [{ name: 'a', title: 'A', inputSchema: o, outputSchema: o }],
      0,
    ],
    [
      'title falls back to annotations.title',
      [{ name: 'a', inputSchema: o, annotations: { title: 'T' } }],
      [{ name: 'a', title: 'T', inputSchema: o, annotations: { title: 'T' } }],
      0,
    ],
    [
      'annotations: the known hints (false too) and a string title are kept, the rest dropped',
      [{ name: 'a', inputSchema: o, annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: 'yes', title: 5, color: 'red' } }],
      [{ name: 'a', inputSchema: o, annotations: { readOnlyHint: true, destructiveHint: false } }],
      0,
    ],
    ['annotations with nothing usable are left out', [{ name: 'a', inputSchema: o, annotations: { idempotentHint: 1 } }], [{ name: 'a', inputSchema: o }], 0],
    ['non-object annotations are left out', [{ name: 'a', inputSchema: o, annotations: [true] }], [{ name: 'a', inputSchema: o }], 0],
    [
      'sorted by code unit, not locale',
      [
        { name: 'b', inputSchema: o },
        { name: 'B', inputSchema: o },
        { name: 'a', inputSchema: o },
      ],
      [
        { name: 'B', inputSchema: o },
        { name: 'a', inputSchema: o },
        { name: 'b', inputSchema: o },
      ],
      0,
    ],
  ])('%s', (_, given, want, notes) => {
    const read = readTools(given as unknown[]);
    expect(read.tools).toEqual(want);
    expect(read.notes).toHaveLength(notes as number);
  });
});

describe('listAll: instructions, resources, resource templates and prompts', () => {
  it("carries server-everything's instructions and every offering next to its tools", async () => {
    const hub = await started(referenceServer.everything('everything'));
    const { tools, failures } = await hub.listAll();
    expect(failures).toEqual([]);
    const [everything] = tools;
    expect(everything.tools.length).toBeGreaterThan(3);
    expect(everything.instructions).toMatch(/^# Everything Server/);
    expect(everything.prompts?.map((prompt) => prompt.name)).toContain('args-prompt');
    expect(everything.prompts?.find((prompt) => prompt.name === 'args-prompt')?.arguments).toEqual([
      { name: 'city', required: true },
      { name: 'state', required: false },
    ]);
    expect(everything.resourceTemplates?.map((template) => template.uriTemplate)).toContain('demo://resource/dynamic/text/{resourceId}');
    expect(everything.resources?.length).toBeGreaterThan(0);
  });

  it('a failing prompts/list is a --debug line: the tools and the other offerings stay', async () => {
    const hub = await started(referenceServer.everything('everything'));
    const request = Client.prototype.request;
    vi.spyOn(Client.prototype, 'request').mockImplementation(function (this: Client, ...args: Parameters<Client['request']>) {
      if (args[0].method === 'prompts/list') return Promise.reject(new Error('prompts are broken'));
      return request.apply(this, args) as ReturnType<Client['request']>;
    } as Client['request']);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    setDebug(true);
    try {
      const { tools, failures } = await hub.listAll();
      expect(failures).toEqual([]);
      expect(tools[0].tools.length).toBeGreaterThan(3);
      expect(tools[0].prompts).toBeUndefined();
      expect(tools[0].resourceTemplates?.length).toBeGreaterThan(0);
      expect(tools[0].instructions).toBeDefined();
    } finally {
      setDebug(false);
    }
    expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toMatch(
      /server "everything": prompts\/list left out of the README: .*prompts are broken/,
    );
  });

  it('reads entries leniently: no uri, uriTemplate or name drops the entry with a note', () => {
    expect(readResources([{ uri: 'a://1', name: 'one', mimeType: 'x' }, { name: 'no uri' }, 'junk'])).toEqual({
      resources: [{ uri: 'a://1', name: 'one' }],
      notes: ['left out resources/list entry #2: it has no string "uri"', 'left out resources/list entry #3: it has no string "uri"'],
    });
    expect(readResourceTemplates([{ uriTemplate: 'a://{x}', description: 7 }, { uri: 'a://1' }]).resourceTemplates).toEqual([{ uriTemplate: 'a://{x}' }]);
    expect(readPrompts([{ name: 'p', arguments: [{ name: 'a', required: 'yes' }, { required: true }, null] }, { description: 'no name' }])).toEqual({
      prompts: [{ name: 'p', arguments: [{ name: 'a' }] }],
      notes: ['left out prompts/list entry #2: it has no string "name"'],
    });
  });
});
