// `runbyte serve` (built, over HTTP) with a server that needs a login next to one that does not:
// serve starts and serves the other, keeps the protected server's SDK files, tells the agent
// what to run, and uses a login made from another terminal at the next call, without a restart.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference, runCli, tempProject } from '../helpers/cli.js';
import { type HttpServe, serveHttp, texts } from '../helpers/serve.js';
import { loginWithCli, type OAuthFixture, startOAuthServer } from './helpers.js';

let server: OAuthFixture;
let served: HttpServe | undefined;
beforeAll(async () => {
  server = await startOAuthServer(['--access-ttl', '60']);
});
afterAll(async () => {
  await served?.stop();
  await server?.close();
});

describe('serve with a server that needs a login', () => {
  it('serves the others, names the fix in the failed call, and picks up a login made meanwhile', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url }, memory: reference.memory() } }, 'auth-serve');
    // An SDK generated while logged in, then the login is gone.
    expect((await loginWithCli(dir, 'github')).code).toBe(0);
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const echoFile = join(dir, 'generated/servers/github/echo.ts');
    const echoText = readFileSync(echoFile, 'utf8');
    expect((await runCli(['auth', 'logout', 'github'], { cwd: dir })).code).toBe(0);

    served = await serveHttp(dir, ['--debug']);
    expect(served.stderr()).toContain('server "github": needs a login; run runbyte auth login github');
    // serve regenerated at start: the server it could not reach kept its files.
    expect(existsSync(echoFile) && readFileSync(echoFile, 'utf8')).toBe(echoText);

    const client = await served.connect();
    const execute = (code: string) => client.callTool({ name: 'execute_code', arguments: { code } });
    const memory = await execute("import { readGraph } from './servers/memory';\nreturn Object.keys(await readGraph({}));\n");
    expect(memory.isError).toBeFalsy();
    expect(JSON.parse(texts(memory)[0]!)).toEqual(['entities', 'relations']);

    const callGithub = "import { echo } from './servers/github';\nreturn await echo({ value: 'hello' });\n";
    const refused = await execute(callGithub);
    expect(refused.isError).toBe(true);
    expect(texts(refused)[0]).toContain('server "github": tool "echo" is unavailable: needs a login; run runbyte auth login github');

    // Another terminal, same user.
    expect((await loginWithCli(dir, 'github')).code).toBe(0);
    const answered = await execute(callGithub);
    expect(answered.isError).toBeFalsy();
    expect(texts(answered)[0]).toBe('"echo: hello"');
    expect(served.child.exitCode).toBeNull();
    for (const token of (await server.stats()).tokens) expect(served.stderr() + JSON.stringify(answered)).not.toContain(token);
  }, 60_000);
});
