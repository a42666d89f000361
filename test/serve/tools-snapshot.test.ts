import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, tempProject } from '../helpers/cli.js';
import { serveStdio, type Served } from '../helpers/serve.js';

/**
 * What the model sees of runbyte, from a real `serve`: the server's instructions (if any) and its
 * three tools' names, descriptions and schemas. Every character of it is paid in every
 * conversation, so it is pinned here (a change shows up as a snapshot diff to review) and capped.
 */
const FIXED_COST_LIMIT = 1_500;

describe('what the model sees', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serveStdio(tempProject({ mcpServers: { memory: reference.memory() } }, 'tools-snapshot'));
  });
  afterAll(() => served?.close());

  it('is pinned: three tools, their descriptions and schemas, and the instructions', async () => {
    const { tools } = await served.client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['list_directory', 'read_file', 'execute_code']);
    const seen = { instructions: served.client.getInstructions() ?? null, tools };
    await expect(`${JSON.stringify(seen, null, 2)}\n`).toMatchFileSnapshot('__snapshots__/tools.json');
  });

  it(`costs fewer than ${FIXED_COST_LIMIT.toLocaleString('en-US')} characters (tools/list JSON plus instructions)`, async () => {
    const { tools } = await served.client.listTools();
    const listJson = JSON.stringify({ tools });
    const instructions = served.client.getInstructions() ?? '';
    expect(listJson.length + instructions.length).toBeLessThan(FIXED_COST_LIMIT);
  });
});
