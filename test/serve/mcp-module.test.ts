import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, reference, tempProject } from '../helpers/cli.js';
import { type Served, serveStdio, texts } from '../helpers/serve.js';

/** The value an execute_code returned (the text before any console block), parsed. */
async function run(served: Served, code: string): Promise<{ value: unknown; text: string; isError: boolean }> {
  const result = await served.client.callTool({ name: 'execute_code', arguments: { code } });
  const text = texts(result)
    .filter((block) => !block.startsWith('tools: '))
    .join('\n');
  const json = text.split('\nconsole:')[0]!;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = undefined;
  }
  return { value, text, isError: result.isError === true };
}

describe('@runbyte/mcp: resources and prompts from code', () => {
  let served: Served;
  beforeAll(async () => {
    const dir = tempProject({ mcpServers: { everything: reference.everything(), memory: reference.memory() }, server: { timeout: 20 } }, 'mcp-module');
    served = await serveStdio(dir);
  }, 60_000);
  afterAll(() => served?.close());

  it('lists and reads resources, reads the resource_link a tool returned, and gets a prompt with its arguments', async () => {
    const { value, text } = await run(
      served,
      `
import { getPrompt, listPrompts, listResources, listResourceTemplates, readResource, type ResourceLink } from '@runbyte/mcp';
import { getResourceLinks } from './servers/everything';

const resources = await listResources('everything');
const [first] = await readResource('everything', resources[0].uri);
const links = (await getResourceLinks({ count: 2 })) as ResourceLink[];
const link = links.find((block) => block.type === 'resource_link')!;
const [linked] = await readResource('everything', link);
const prompts = await listPrompts('everything');
const prompt = await getPrompt('everything', 'args-prompt', { city: 'Lisbon', state: 'PT' });
return {
  count: resources.length,
  firstUri: first.uri === resources[0].uri,
  firstHasBody: typeof (first.text ?? first.blob) === 'string',
  templates: (await listResourceTemplates('everything')).map((template) => template.uriTemplate),
  linked: { uri: linked.uri === link.uri, body: typeof (linked.text ?? linked.blob) === 'string' },
  prompts: prompts.map((p) => p.name),
  message: prompt.messages[0],
};
`,
    );
    const result = value as Record<string, unknown>;
    expect(result, text).toBeDefined();
    expect(result.count).toBeGreaterThan(0);
    expect(result.firstUri).toBe(true);
    expect(result.firstHasBody).toBe(true);
    expect(result.templates).toContain('demo://resource/dynamic/text/{resourceId}');
    expect(result.linked).toEqual({ uri: true, body: true });
    expect(result.prompts).toEqual(expect.arrayContaining(['simple-prompt', 'args-prompt']));
    expect(result.message).toEqual({ role: 'user', content: { type: 'text', text: "What's weather in Lisbon, PT?" } });
  });

  it('fails with an McpError naming the server: unknown server, no resources offered, unknown resource', async () => {
    const { value, text } = await run(
      served,
      `
import { McpError, listResources, listPrompts, readResource } from '@runbyte/mcp';
const attempt = async (call: () => Promise<unknown>) => {
  try {
    await call();
    return 'no error';
  } catch (error) {
    return { isMcpError: error instanceof McpError, server: (error as McpError).server, message: (error as Error).message };
  }
};
return {
  unknown: await attempt(() => listResources('evrything')),
  none: await attempt(() => listPrompts('memory')),
  missing: await attempt(() => readResource('everything', 'demo://no/such/resource')),
  notUri: await attempt(() => readResource('everything', 42 as never)),
};
`,
    );
    const result = value as Record<string, { isMcpError: boolean; server: string; message: string }>;
    expect(result, text).toBeDefined();
    expect(result.unknown).toMatchObject({ isMcpError: true, server: 'evrything' });
    expect(result.unknown!.message).toMatch(/no server by that name is configured \(configured servers: everything, memory\)/);
    expect(result.none).toMatchObject({ isMcpError: true, server: 'memory', message: 'server "memory" offers no prompts' });
    expect(result.missing!.message).toMatch(/^server "everything": resource "demo:\/\/no\/such\/resource" failed: /);
    expect(result.notUri!.message).toBe('@runbyte/mcp: readResource takes a URI or a resource_link block');
  });

  it('is typed: a prompt argument that is not a string fails the type check, and read_file shows the module', async () => {
    const { text, isError } = await run(served, `import { getPrompt } from '@runbyte/mcp';\nreturn getPrompt('everything', 'args-prompt', { city: 7 });`);
    expect(isError).toBe(true);
    expect(text).toMatch(/^Type check failed\ncode\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    const file = await served.client.callTool({ name: 'read_file', arguments: { path: '/node_modules/@runbyte/mcp/index.ts' } });
    expect(texts(file).join('')).toBe(readFileSync(join(REPO, 'templates/mcp.ts'), 'utf8'));
  });
});
