import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, tempProject } from '../helpers/cli.js';
import { serveStdio, texts, type Served } from '../helpers/serve.js';

// What a client sees of runbyte's manners: arguments the model got wrong come back as a tool result
// it can read and correct (isError, one plain sentence), not a JSON-RPC error; the server teaches the
// workflow at initialize, and says which tools only read.
describe('serve: protocol manners', () => {
  let served: Served;
  let client: Client;
  beforeAll(async () => {
    served = await serveStdio(tempProject({ mcpServers: { memory: reference.memory() } }, 'protocol'));
    client = served.client;
  });
  afterAll(() => served?.close());

  it.each([
    ['execute_code', {}, '"code" is missing: pass it as a string'],
    ['execute_code', { code: 42 }, '"code" must be a string, not a number'],
    ['read_file', {}, '"path" is missing: pass it as a string'],
    ['list_directory', { path: ['/servers'] }, '"path" must be a string, not an array'],
  ])('%s %j is a tool result with isError and one plain sentence', async (name, args, sentence) => {
    const result = await client.callTool({ name, arguments: args });
    expect(result.isError).toBe(true);
    expect(texts(result)).toEqual([sentence]);
  });

  it('teaches the workflow at initialize, and marks the reading tools read-only', async () => {
    expect(client.getInstructions()).toMatch(/search_tools.*execute_code/);
    const { tools } = await client.listTools();
    const hints = Object.fromEntries(tools.map((tool) => [tool.name, tool.annotations]));
    expect(hints).toEqual({
      list_directory: { readOnlyHint: true },
      read_file: { readOnlyHint: true },
      search_tools: { readOnlyHint: true },
      execute_code: { openWorldHint: true },
    });
  });

  it('declares logging, and accepts logging/setLevel', async () => {
    expect(client.getServerCapabilities()?.logging).toEqual({});
    await expect(client.setLoggingLevel('info')).resolves.toEqual({});
  });
});
