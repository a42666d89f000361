import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, tempProject } from '../helpers/cli.js';
import { serveStdio, texts, type Served } from '../helpers/serve.js';

/**
 * What the model sees of runbyte, from a real `serve`: the server's instructions (if any) and its
 * four tools' names, descriptions and schemas. Every character of it is paid in every
 * conversation, so it is pinned here (a change shows up as a snapshot diff to review) and capped.
 */
const FIXED_COST_LIMIT = 1_500;

describe('what the model sees', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serveStdio(tempProject({ mcpServers: { memory: reference.memory() } }, 'tools-snapshot'));
  });
  afterAll(() => served?.close());

  it('is pinned: four tools, their descriptions and schemas, and the instructions', async () => {
    const { tools } = await served.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['list_directory', 'read_file', 'search_tools', 'execute_code']);
    const seen = { instructions: served.client.getInstructions() ?? null, tools };
    await expect(`${JSON.stringify(seen, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/tools.json');
  });

  // Agents write `fs.writeJson(...)` and test `FsError` codes from what they are told here and what
  // read_file shows: the list must be whole, and the file it names must be the module's own.
  it('execute_code names every function of @runbyte/fs, and a file read_file shows them in', async () => {
    const { tools } = await served.client.listTools();
    const description = tools.find((tool) => tool.name === 'execute_code')?.description ?? '';
    const listed = /'@runbyte\/fs'` \(([^;)]+)/.exec(description)?.[1]?.split(', ') ?? [];
    const path = /\/node_modules\/\S+\.ts/.exec(description)?.[0] ?? '(no path in the description)';
    const read = await served.client.callTool({ name: 'read_file', arguments: { path } });
    expect(read.isError ?? false, texts(read).join('\n')).toBe(false);
    const text = texts(read).join('\n');
    const exported = [...text.matchAll(/^export (?:async )?function (\w+)/gm)].map((match) => match[1]);
    expect(exported.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual([...exported].sort());
    expect(text).toMatch(/^export class FsError /m);
    expect(texts(await served.client.callTool({ name: 'list_directory', arguments: { path: '/' } }))).toEqual(['servers/\nworkspace/\nnode_modules/']);
  });

  it(`costs fewer than ${FIXED_COST_LIMIT.toLocaleString('en-US')} characters (tools/list JSON plus instructions)`, async () => {
    const { tools } = await served.client.listTools();
    const listJson = JSON.stringify({ tools });
    const instructions = served.client.getInstructions() ?? '';
    expect(listJson.length + instructions.length).toBeLessThan(FIXED_COST_LIMIT);
  });
});
