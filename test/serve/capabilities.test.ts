import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { rmSync } from 'node:fs';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, isolatedEnv, reference, tempProject } from '../helpers/cli.js';
import { executeText, serveHttp, type HttpServe } from '../helpers/serve.js';

/** `runbyte serve` over stdio, in front of server-everything, driven by `client`. */
async function serveWith(client: Client): Promise<Client> {
  const cwd = tempProject({ mcpServers: { everything: reference.everything() }, server: { timeout: 15 } }, 'capabilities');
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [BIN, 'serve'], cwd, env: isolatedEnv(cwd) as Record<string, string>, stderr: 'pipe' }),
  );
  return client;
}

const run = executeText;

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

describe('two HTTP sessions at once', () => {
  let serve: HttpServe;
  let dir: string;
  beforeAll(async () => {
    dir = tempProject({ mcpServers: { everything: reference.everything() }, server: { timeout: 15 } }, 'capabilities-http');
    serve = await serveHttp(dir);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A session whose client answers elicitation with `name`, counting the requests it is asked. */
  async function session(name: string): Promise<{ client: Client; asked: () => number }> {
    let asked = 0;
    const client = new Client({ name, version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, () => {
      asked += 1;
      return { action: 'accept', content: { name, check: true } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
    return { client, asked: () => asked };
  }

  it('never hand one session the elicitation of another: each gets its own answer, or a refusal to retry', async () => {
    const [ada, bob] = await Promise.all([session('Ada'), session('Bob')]);
    const elicit =
      "import { triggerElicitationRequest } from './servers/everything';\ntry {\n  return JSON.stringify(await triggerElicitationRequest({}));\n} catch (error) {\n  return `refused: ${(error as Error).message}`;\n}";
    for (let round = 0; round < 3; round++) {
      const [fromAda, fromBob] = await Promise.all([run(ada.client, elicit), run(bob.client, elicit)]);
      expect(fromAda).not.toContain('Bob');
      expect(fromBob).not.toContain('Ada');
      for (const [text, own] of [
        [fromAda, 'Ada'],
        [fromBob, 'Bob'],
      ] as const) {
        expect(text.includes(own) || text.includes('two sessions are calling server \\"everything\\" at once')).toBe(true);
      }
    }
    // Alone, a session is always answered by its own client.
    expect(await run(ada.client, elicit)).toContain('Ada');
    expect(ada.asked() + bob.asked()).toBeGreaterThan(0);
    await Promise.all([ada.client.close(), bob.client.close()]);
  }, 60_000);
});
