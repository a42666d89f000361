import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, runCli, tempProject } from '../helpers/cli.js';
import { serveHttp, serveStdio, texts, type HttpServe, type Served } from '../helpers/serve.js';

const MULTI_SERVER = `
import { createEntities, readGraph } from './servers/memory';
import { readTextFile } from '/servers/filesystem';

const csv = await readTextFile({ path: 'orders.csv' });
const rows = String(csv.content ?? csv).trim().split('\\n').slice(1).map((line) => line.split(','));
const customers = [...new Set(rows.map((row) => row[1]))].sort();
await createEntities({ entities: customers.map((name) => ({ name, entityType: 'customer', observations: [] })) });
const graph = await readGraph();
console.log('customers', customers.length);
return { customers: customers.length, inGraph: graph.entities.length };
`;

function project() {
  return tempProject({
    mcpServers: { filesystem: reference.filesystem(), memory: reference.memory() },
    server: { timeout: 3 },
  });
}

/** The same conversation over any transport. */
function conversation(getClient: () => Client) {
  it('lists its four tools', async () => {
    const { tools } = await getClient().listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['list_directory', 'read_file', 'search_tools', 'execute_code']);
  });

  it('lists /, /servers and a server with descriptions', async () => {
    const client = getClient();
    expect(texts(await client.callTool({ name: 'list_directory', arguments: { path: '/' } }))).toEqual(['servers/\nworkspace/\nnode_modules/']);
    const servers = texts(await client.callTool({ name: 'list_directory', arguments: { path: '/servers' } }))[0]!;
    expect(servers).toMatch(/^filesystem\/ \(\d+ functions\)\nmemory\/ \(9 functions\)\nindex\.ts$/);
    const memory = texts(await client.callTool({ name: 'list_directory', arguments: { path: '/servers/memory', withDescriptions: true } }))[0]!;
    expect(memory).toContain('createEntities.ts - Create multiple new entities in the knowledge graph');
    expect(memory.split('\n').at(-1)).toBe('index.ts');
  });

  it('reads a tool file and refuses a traversal', async () => {
    const client = getClient();
    const file = texts(await client.callTool({ name: 'read_file', arguments: { path: '/servers/memory/readGraph.ts' } }))[0]!;
    expect(file).toContain('export function readGraph(');
    const refused = await client.callTool({ name: 'read_file', arguments: { path: '/servers/../../../etc/passwd' } });
    expect(refused.isError).toBe(true);
    expect(texts(refused)[0]).toMatch(/outside the virtual filesystem/);
  });

  it('runs a multi-server execution, then a type error, a timeout, and a normal execution', async () => {
    const client = getClient();
    const ok = await client.callTool({ name: 'execute_code', arguments: { code: MULTI_SERVER } });
    expect(ok.isError).toBeFalsy();
    const [value, consoleText] = texts(ok);
    expect(JSON.parse(value!)).toEqual({ customers: 8, inGraph: expect.any(Number) });
    expect(JSON.parse(value!).inGraph).toBeGreaterThanOrEqual(8);
    expect(consoleText).toBe('console:\ncustomers 8');

    const typeError = await client.callTool({
      name: 'execute_code',
      arguments: { code: "import { searchNodes } from './servers/memory';\n\nawait searchNodes({ qeury: 'Acme' });\n" },
    });
    expect(typeError.isError).toBe(true);
    expect(texts(typeError)[0]).toMatch(
      /^Type check failed\ncode\.ts\(3,21\): error TS2561: Object literal may only specify known properties, but 'qeury' does not exist in type 'SearchNodesArgs'\. Did you mean to write 'query'\?/,
    );

    const timeout = await client.callTool({ name: 'execute_code', arguments: { code: 'while (true) {}' } });
    expect(timeout.isError).toBe(true);
    expect(texts(timeout)[0]).toMatch(/^Timed out after 3 s/);

    const after = await client.callTool({ name: 'execute_code', arguments: { code: 'return 6 * 7;' } });
    expect(texts(after)).toEqual(['42']);
  });
}

describe('serve over stdio', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serveStdio(project());
  });
  afterAll(() => served?.close());
  conversation(() => served.client);
});

describe('serve over streamable HTTP', () => {
  let server: HttpServe;
  let client: Client;
  beforeAll(async () => {
    server = await serveHttp(project(), [], { RUNBYTE_TOKEN: 'sesame' });
    client = await server.connect({ Authorization: 'Bearer sesame' });
  });
  afterAll(() => server?.stop());
  conversation(() => client);

  it('answers 401 without the token and 403 to a foreign Origin', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(server.url, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(server.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer wrong' }, body })).status).toBe(401);
    const foreign = await fetch(server.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer sesame', origin: 'https://evil.example' }, body });
    expect(foreign.status).toBe(403);
    const local = await fetch(server.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer sesame', origin: 'http://localhost:5173' }, body });
    expect(local.status).toBe(200);
  });

  it('serves 16 concurrent clients, 5 executions each, with no failures and no crossed results', async () => {
    const clients = await Promise.all(Array.from({ length: 16 }, () => server.connect({ Authorization: 'Bearer sesame' })));
    const results = await Promise.all(
      clients.map((c, i) =>
        Promise.all(
          Array.from({ length: 5 }, async (_, j) => {
            const code = `import { listAllowedDirectories } from './servers/filesystem';\nawait listAllowedDirectories();\nconsole.log('client ${i} run ${j}');\nreturn { i: ${i}, j: ${j} };`;
            const result = await c.callTool({ name: 'execute_code', arguments: { code } });
            return { i, j, result };
          }),
        ),
      ),
    );
    for (const { i, j, result } of results.flat()) {
      expect(result.isError).toBeFalsy();
      expect(texts(result)).toEqual([JSON.stringify({ i, j }), `console:\nclient ${i} run ${j}`, 'tools: filesystem.list_allowed_directories']);
    }
  });
});

describe('serve keeps a reviewed SDK it cannot replace', () => {
  it('serves the SDK on disk as it is when the config lists no servers, instead of removing it', async () => {
    const dir = tempProject({ mcpServers: { memory: reference.memory() } }, 'keep');
    try {
      expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
      writeFileSync(join(dir, 'runbyte.json'), JSON.stringify({ mcpServers: {} }));
      const served = await serveStdio(dir);
      try {
        const listing = texts(await served.client.callTool({ name: 'list_directory', arguments: { path: '/servers' } }))[0]!;
        expect(listing).toMatch(/^memory\/ \(9 functions\)\nindex\.ts$/);
      } finally {
        await served.close();
      }
      expect(existsSync(join(dir, 'generated/servers/memory/readGraph.ts'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
