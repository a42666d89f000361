import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, isolatedEnv, reference, tempProject } from '../helpers/cli.js';
import { texts } from '../helpers/serve.js';

/** `runbyte serve` over stdio, in front of server-everything, driven by `client`. */
async function serveWith(client: Client): Promise<Client> {
  const cwd = tempProject({ mcpServers: { everything: reference.everything() }, server: { timeout: 15 } }, 'capabilities');
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve'], cwd, env: isolatedEnv(cwd) as Record<string, string>, stderr: 'pipe' }),
  );
  return client;
}

async function run(client: Client, code: string): Promise<string> {
  const result = await client.callTool({ name: 'execute_code', arguments: { code } });
  return texts(result).join('\n');
}

const CALLS = `
import { getRootsList, triggerElicitationRequest, triggerSamplingRequest } from './servers/everything';
const attempt = async (call: () => Promise<unknown>) => {
  try {
    return { ok: await call() };
  } catch (error) {
    return { error: String((error as Error).message) };
  }
};
return {
  sampling: await attempt(() => triggerSamplingRequest({ prompt: 'hello', maxTokens: 10 })),
  elicitation: await attempt(() => triggerElicitationRequest({})),
  roots: await attempt(() => getRootsList({})),
};
`;

describe('client capabilities forwarded to downstream servers', () => {
  let client: Client;
  const seen: string[] = [];
  beforeAll(async () => {
    client = new Client({ name: 'capable', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {}, roots: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      seen.push(`sampling: ${JSON.stringify(request.params.messages[0]?.content)}`);
      return { role: 'assistant', model: 'canned-model', content: { type: 'text', text: 'canned sample 7e3a' } };
    });
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'accept', content: { name: 'Ada Lovelace', check: true } }));
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///canned/root-9b1', name: 'canned root' }] }));
    await serveWith(client);
  });
  afterAll(() => client?.close());

  it("answers sampling, elicitation and roots with the agent's client", async () => {
    const text = await run(client, CALLS);
    const value = JSON.parse(text.split('\nconsole:')[0]!) as Record<string, { ok?: string; error?: string }>;
    expect(value.sampling?.ok).toContain('canned sample 7e3a');
    expect(value.sampling?.ok).toContain('canned-model');
    expect(seen.some((line) => line.includes('hello'))).toBe(true);
    expect(value.elicitation?.ok).toContain('Ada Lovelace');
    expect(value.roots?.ok).toContain('file:///canned/root-9b1');
  });
});

describe('a client that declares none of them', () => {
  let client: Client;
  beforeAll(async () => {
    client = await serveWith(new Client({ name: 'plain', version: '1.0.0' }));
  });
  afterAll(() => client?.close());

  it('fails sampling and elicitation fast with a ToolError saying what is missing; roots are the config folder', async () => {
    const started = Date.now();
    const text = await run(client, CALLS);
    const value = JSON.parse(text.split('\nconsole:')[0]!) as Record<string, { ok?: string; error?: string }>;
    expect(value.sampling?.error).toContain("runbyte's client does not support sampling");
    expect(value.elicitation?.error).toContain("runbyte's client does not support elicitation");
    expect(value.roots?.ok).toMatch(/file:\/\/\/\S*runbyte-capabilities-/);
    // Refused at once, well before the execution's 15 s limit.
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
