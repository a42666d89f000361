import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, tempProject } from '../helpers/cli.js';
import { serveHttp, texts, type HttpServe } from '../helpers/serve.js';

const PATHOLOGICAL = readFileSync(join(import.meta.dirname, '../fixtures/code/pathological-types.ts'), 'utf8');
const SECRET = 'correct-horse-battery-staple';

// The boundary as an agent meets it: one `serve` over HTTP, two sessions. What one session's code
// does to the type-checker, the bundler or the workspace must neither reach the host's files nor
// stop the other session.
describe('serve: agent code reaches nothing outside the virtual tree and stalls no other session', () => {
  let dir: string;
  let outside: string;
  let serve: HttpServe;
  let agent: Client;
  let other: Client;

  beforeAll(async () => {
    dir = tempProject({ mcpServers: { memory: reference.memory() }, server: { timeout: 4 } }, 'isolation');
    outside = mkdtempSync(join(tmpdir(), 'runbyte-host-'));
    mkdirSync(join(outside, 'folder'));
    writeFileSync(join(outside, 'secret.txt'), SECRET);
    writeFileSync(join(outside, 'folder/creds.json'), JSON.stringify({ token: SECRET }));
    serve = await serveHttp(dir, [], { RUNBYTE_ISOLATION_SECRET: SECRET });
    [agent, other] = await Promise.all([serve.connect(), serve.connect()]);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  const execute = async (client: Client, code: string) => {
    const result = await client.callTool({ name: 'execute_code', arguments: { code } }, undefined, { timeout: 60_000 });
    return { isError: result.isError === true, text: texts(result).join('\n') };
  };

  /** How long the other session waits for `return 1` while `busy` runs in the agent's. */
  const otherSessionMs = async (busy: Promise<unknown>) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    expect(await execute(other, 'return 1;')).toEqual({ isError: false, text: '1' });
    const ms = performance.now() - started;
    await busy;
    return ms;
  };

  it('cannot read a host file or list a host folder, whatever @ts-ignore says', async () => {
    const code = [
      '// @ts-ignore',
      `const t = (await import('${join(outside, 'secret.txt')}', { with: { type: 'text' } })).default;`,
      '// @ts-ignore',
      `const c = import.meta.webpackContext('${join(outside, 'folder')}', { recursive: true, regExp: /\\.json$/ });`,
      "return { t, files: c.keys(), creds: c('./creds.json') };",
    ].join('\n');
    const result = await execute(agent, code);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^Bundle failed\n/);
    expect(result.text).toContain('secret.txt');
    expect(result.text).not.toContain(SECRET);
  });

  it("cannot read the server's environment or command line", async () => {
    for (const path of ['/proc/self/environ', '/proc/self/cmdline']) {
      const result = await execute(agent, `// @ts-ignore\nconst t = (await import(\`${path}\`, { with: { type: 'text' } })).default;\nreturn t;`);
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/^Bundle failed\n/);
      expect(result.text).not.toContain(SECRET);
    }
  });

  it("answers the other session at once while the agent's types take seconds to check", async () => {
    const busy = execute(agent, PATHOLOGICAL);
    expect(await otherSessionMs(busy)).toBeLessThan(1_000);
    // Stopped by whichever limit it meets first: the deadline, or the compiler's memory ceiling.
    const stopped = await busy;
    expect(stopped.isError).toBe(true);
    expect(stopped.text).toMatch(/^(Timed out after 4 s \(type check\)|Type check failed\nthe type checker ran out of memory \(limit 1,024 MB\).*)$/);
  });

  it('answers the other session at once while the agent sends a 3.8 MB program', async () => {
    // Under the 4 MiB a message may have, over the 1 Mi characters code may have.
    const lines = Array.from({ length: 76_000 }, (_, i) => `const v${i} = ${i} + ${i} * 2; // ${'pad'.repeat(5)}`);
    const code = `${lines.join('\n')}\nreturn 1;`;
    expect(code.length).toBeGreaterThan(3.8e6);
    expect(code.length).toBeLessThan(4 * 2 ** 20 - 1000);
    const busy = execute(agent, code);
    expect(await otherSessionMs(busy)).toBeLessThan(1_000);
    expect((await busy).text).toMatch(/^Type check failed\ncode\.ts: the code is 3\.\d MB long; at most 1\.0 MB is accepted$/);
  });

  it("answers the other session's writes at once while the agent's 20,000 queued writes are cut off", async () => {
    const flood =
      "import * as fs from '@runbyte/fs';\nfor (let i = 0; i < 20000; i++) void fs.writeFile('many/d' + i + '/f', '').catch(() => {});\nreturn 'queued';";
    const busy = execute(agent, flood);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const write = "import * as fs from '@runbyte/fs';\nawait fs.writeFile('mine.txt', 'ok');\nreturn await fs.readFile('mine.txt');";
    expect(await execute(other, write)).toEqual({ isError: false, text: '"ok"' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await busy).toEqual({ isError: false, text: '"queued"' });
  });

  // Last: a crashed compiler is replaced at once, but takes a moment to start warm again.
  it('survives a skill that crashes the bundler, and both sessions go on', async () => {
    const save = "import * as fs from '@runbyte/fs';\nawait fs.writeFile('skills/p.ts', 'declare class B {}\\nexport { B };');\nreturn 'saved';";
    expect(await execute(agent, save)).toEqual({ isError: false, text: '"saved"' });
    const crash = await execute(agent, "import { B } from './workspace/skills/p';\nreturn typeof B;");
    expect(crash.isError).toBe(true);
    expect(crash.text).toMatch(/^Bundle failed\n/);
    expect(serve.child.exitCode).toBeNull();
    expect(await execute(agent, 'return 2;')).toEqual({ isError: false, text: '2' });
    expect(await execute(other, 'return 3;')).toEqual({ isError: false, text: '3' });
  });
});
