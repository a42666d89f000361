import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/index.js';
import { REPO, runCli, tempProject } from '../helpers/cli.js';
import { type HttpServe, type Served, serveHttp, serveStdio, texts } from '../helpers/serve.js';

// What was reviewed is what runs (README.md, "Pinned tools, policy and the audit log"), against
// test/fixtures/servers/reviewed.js: a server whose `greet` changes under the SDK (`rug_pull`).

const REVIEWED = join(REPO, 'test/fixtures/servers/reviewed.js');

function project(extra: Record<string, unknown> = {}): string {
  return tempProject(
    {
      mcpServers: { reviewed: { command: process.execPath, args: [REVIEWED, '--state', '${RUNBYTE_CONFIG_DIR}/rug.state'] } },
      server: { timeout: 20 },
      ...extra,
    },
    'reviewed',
  );
}

async function execute(client: Client, code: string): Promise<{ text: string; blocks: string[]; isError: boolean }> {
  const result = await client.callTool({ name: 'execute_code', arguments: { code } });
  const blocks = texts(result);
  return { text: blocks.join('\n'), blocks, isError: result.isError === true };
}

/** Every file under `dir`, with the hash of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[path.slice(dir.length)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return files;
}

/** What `attempt` resolves with once it stops throwing; rejects with its last error after `ms`. */
async function eventually<T>(attempt: () => T | Promise<T>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function audit(dir: string): AuditRecord[] {
  const path = join(dir, '.runbyte/audit.jsonl');
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditRecord)
    : [];
}

describe('serve --locked: a tool that changed since the SDK was reviewed is not callable', () => {
  let dir: string;
  let served: Served;
  let before: Record<string, string>;
  beforeAll(async () => {
    dir = project();
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    before = snapshot(join(dir, 'generated'));
    served = await serveStdio(dir, ['--locked']);
  }, 60_000);
  afterAll(() => served?.close());

  it('serves the reviewed tools; after a rug pull the changed one fails in one line, the others still work, the SDK is untouched', async () => {
    const greet = "import { greet } from './servers/reviewed';\nreturn await greet({ name: 'Ada' });";
    expect((await execute(served.client, greet)).blocks[0]).toBe('"hello Ada"');
    expect((await execute(served.client, "import { rugPull } from './servers/reviewed';\nreturn await rugPull({});")).blocks[0]).toBe('"pulled"');

    // The server announced tools/list_changed: runbyte compares again and refuses the changed tool.
    const refused = await eventually(async () => {
      const outcome = await execute(served.client, greet);
      if (!outcome.isError) throw new Error(`still callable: ${outcome.text}`);
      return outcome;
    }, 10_000);
    expect(refused.text).toContain('reviewed.greet changed since the SDK was reviewed (description, input schema); run runbyte generate and review the diff');
    const shout = await execute(served.client, "import { shout } from './servers/reviewed';\nreturn await shout({ text: 'still here' });");
    expect(shout.blocks[0]).toBe('"STILL HERE"');
    // A tool new since the review is not callable either, even by hand through the runtime.
    const byHand = await execute(served.client, "import { callTool } from './runtime';\nreturn await callTool('reviewed', 'exfiltrate', {});");
    expect(byHand.isError).toBe(true);

    const listing = texts(await served.client.callTool({ name: 'list_directory', arguments: { path: '/servers/reviewed' } }))[0]!;
    expect(listing.split('\n')).toContain('greet.ts [changed since review: description, input schema; not callable]');
    expect(listing.split('\n')).toContain('shout.ts');
    expect(snapshot(join(dir, 'generated'))).toEqual(before);
  }, 60_000);

  it('generate --check exits 1 naming the tools, and runbyte diff shows the change', async () => {
    // The fixture keeps its rug pull in a state file, so a new process sees the changed tools too.
    const check = await runCli(['generate', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      'drift:   reviewed.greet changed since the SDK was reviewed (description, input schema); run runbyte generate and review the diff',
    );
    expect(check.stdout).toContain('drift:   reviewed.exfiltrate is new since the SDK was reviewed; run runbyte generate and review the diff');

    const diff = await runCli(['diff', 'reviewed'], { cwd: dir });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('# reviewed.greet changed since the SDK was reviewed (description, input schema)');
    expect(diff.stdout).toContain('--- a/servers/reviewed/greet.ts');
    expect(diff.stdout).toContain('+++ b/servers/reviewed/greet.ts');
    expect(diff.stdout).toMatch(/^-.*Greets someone\.( \*\/)?$/m);
    expect(diff.stdout).toMatch(/^\+ {2}key: string;$/m);
    expect(diff.stdout).toContain('+++ b/servers/reviewed/exfiltrate.ts');
    expect(snapshot(join(dir, 'generated'))).toEqual(before);
  }, 60_000);
});

describe('the manifest: a script calls only the tools it imports', () => {
  let served: Served;
  let dir: string;
  beforeAll(async () => {
    dir = project();
    served = await serveStdio(dir);
  }, 60_000);
  afterAll(() => served?.close());

  it('counts the tools a workspace skill imports, and a skill that calls one by hand is refused like any code', async () => {
    const save = await execute(
      served.client,
      [
        "import * as fs from '@runbyte/fs';",
        "await fs.writeFile('skills/loud.ts', \"import { shout } from './servers/reviewed';\\nexport const loud = (text: string) => shout({ text });\\n\");",
        "await fs.writeFile('skills/sneaky.ts', \"import { callTool } from '/runtime';\\nexport const sneaky = () => callTool('reviewed', 'wipe', {});\\n\");",
        'return true;',
      ].join('\n'),
    );
    expect(save.blocks[0], save.text).toBe('true');
    const loud = await execute(served.client, "import { loud } from './workspace/skills/loud';\nreturn await loud('hi');");
    expect(loud.blocks).toEqual(['"HI"', 'tools: reviewed.shout']);
    const sneaky = await execute(served.client, "import { sneaky } from './workspace/skills/sneaky';\nreturn await sneaky();");
    expect(sneaky.isError).toBe(true);
    expect(sneaky.text).toContain('reviewed.wipe was not called: this script does not import it (it imports no tools)');
  }, 60_000);

  it('refuses the bridge called by hand and callTool for a tool the script did not import; names what it may call', async () => {
    const bridge = await execute(
      served.client,
      "import { shout } from './servers/reviewed';\nawait shout({ text: 'a' });\nreturn await (globalThis as any).__runbyteCallTool('reviewed', 'wipe', {});",
    );
    expect(bridge.isError).toBe(true);
    expect(bridge.text).toContain(
      "reviewed.wipe was not called: this script does not import it (it may call reviewed.shout); import it from './servers/reviewed'",
    );
    expect(bridge.blocks.at(-1)).toBe('tools: reviewed.shout');

    const runtime = await execute(served.client, "import { callTool } from './runtime';\nreturn await callTool('reviewed', 'greet', { name: 'x' });");
    expect(runtime.text).toContain('reviewed.greet was not called: this script does not import it (it imports no tools)');
    // The bundle keeps only what the code uses: a namespace import that reaches one tool may call that one.
    const ok = await execute(served.client, "import * as reviewed from './servers/reviewed';\nreturn await reviewed.greet({ name: 'Ada' });");
    expect(ok.blocks[0]).toBe('"hello Ada"');
    expect(ok.blocks.at(-1)).toBe('tools: reviewed.greet');
    const every = await execute(served.client, "import * as reviewed from './servers/reviewed';\nreturn Object.keys(reviewed).length;");
    // Every tool, then; wipe among them is destructive, and this client cannot be asked.
    expect(every.blocks[0]).toMatch(/^Not allowed\nreviewed\.wipe \(destructive\) needs approval/);
    expect(every.blocks.at(-1)).toBe('tools: reviewed.{greet, rug_pull, shout, wipe}');
  }, 60_000);
});

describe('policy: deny, and ask through the client', () => {
  let dir: string;
  let serve: HttpServe;
  /** An HTTP session whose client answers elicitation with `action`, or declares no elicitation. */
  async function session(action: 'accept' | 'decline' | undefined, asked: string[] = []): Promise<Client> {
    const client = new Client({ name: `answers-${action ?? 'nothing'}`, version: '1.0.0' }, { capabilities: action ? { elicitation: {} } : {} });
    if (action) {
      client.setRequestHandler(ElicitRequestSchema, (request) => {
        asked.push(request.params.message);
        return { action };
      });
    }
    await client.connect(new StreamableHTTPClientTransport(new URL(serve.url)));
    return client;
  }
  const WIPE_AFTER_WRITE = (file: string) =>
    `import * as fs from '@runbyte/fs';\nimport { wipe } from './servers/reviewed';\nimport { shout } from './servers/reviewed';\nawait fs.writeFile('${file}', 'ran');\nawait shout({ text: 'x' });\nreturn await wipe({});`;

  beforeAll(async () => {
    dir = project({ policy: { 'reviewed.greet': 'deny' } });
    serve = await serveHttp(dir);
  }, 60_000);
  afterAll(() => serve?.stop());

  it('deny: a script that imports the tool fails before anything runs', async () => {
    const client = await session(undefined);
    const denied = await execute(
      client,
      `import * as fs from '@runbyte/fs';\nimport { greet } from './servers/reviewed';\nawait fs.writeFile('denied.txt', 'ran');\nreturn await greet({ name: 'x' });`,
    );
    expect(denied.isError).toBe(true);
    expect(denied.blocks[0]).toBe('Not allowed\ndenied by runbyte.json policy: reviewed.greet (policy "reviewed.greet": "deny"); nothing ran');
    expect(existsSync(join(dir, '.runbyte/workspace/denied.txt'))).toBe(false);
  });

  it('ask (a destructive tool by default): accepted runs, declined does not, and a client without elicitation is refused', async () => {
    const asked: string[] = [];
    const yes = await execute(await session('accept', asked), WIPE_AFTER_WRITE('accepted.txt'));
    expect(yes.blocks[0]).toBe('"wiped"');
    expect(existsSync(join(dir, '.runbyte/workspace/accepted.txt'))).toBe(true);
    // The request names exactly the imported tools that need approval: wipe, not shout.
    expect(asked).toEqual(['A script wants to call tools that need your approval (runbyte.json policy):\n- reviewed.wipe (destructive)\nAllow this run?']);

    const no = await execute(await session('decline'), WIPE_AFTER_WRITE('declined.txt'));
    expect(no.isError).toBe(true);
    expect(no.blocks[0]).toBe('Not allowed\nthe user declined to approve reviewed.wipe (destructive); nothing ran');
    expect(existsSync(join(dir, '.runbyte/workspace/declined.txt'))).toBe(false);

    const unable = await execute(await session(undefined), WIPE_AFTER_WRITE('unasked.txt'));
    expect(unable.blocks[0]).toBe(
      'Not allowed\nreviewed.wipe (destructive) needs approval and runbyte\'s client cannot be asked: it does not support elicitation; nothing ran (or allow it in runbyte.json "policy", e.g. "reviewed.wipe": "allow")',
    );
    expect(existsSync(join(dir, '.runbyte/workspace/unasked.txt'))).toBe(false);
  }, 60_000);

  it('the audit log holds one line per execution, with its calls and the answers', async () => {
    const records = await eventually(() => {
      const lines = audit(dir);
      if (lines.length < 4) throw new Error(`${lines.length} lines`);
      return lines;
    }, 5_000);
    expect(records.map((record) => [record.outcome, record.approval?.answer])).toEqual([
      ['Not allowed', undefined],
      ['ok', 'accepted'],
      ['Not allowed', 'declined'],
      ['Not allowed', 'refused'],
    ]);
    const accepted = records[1]!;
    expect(accepted.tools).toEqual(['reviewed.shout', 'reviewed.wipe']);
    expect(accepted.calls.map((call) => [call.server, call.tool, call.ok])).toEqual([
      ['reviewed', 'shout', true],
      ['reviewed', 'wipe', true],
    ]);
    // No arguments or results unless audit.arguments is on.
    expect(accepted.calls[0]).not.toHaveProperty('args');
    expect(accepted.code).toMatch(/^sha256-[0-9a-f]{16}$/);
    expect(new Set(records.map((record) => record.session)).size).toBe(4);

    const printed = await runCli(['audit', '--last', '2'], { cwd: dir });
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME \(UTC\) +SESSION +OUTCOME +MS +CALLS +APPROVAL$/);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/Not allowed .* - +refused: reviewed\.wipe$/);
  }, 30_000);
});
