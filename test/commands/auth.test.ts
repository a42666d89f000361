// `runbyte auth login|status|logout` and OAuth in list, generate and run (the built CLI) against a
// real OAuth-protected MCP server (test/fixtures/servers/oauth.js: the SDK's auth router and
// bearer middleware, 2-second access tokens, rotating refresh tokens).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationUrl, loginWithCli, type OAuthFixture, startOAuthServer } from '../auth/helpers.js';
import { BIN, type CliResult, isolatedEnv, runCli, tempProject } from '../helpers/cli.js';

let server: OAuthFixture;
let preRegistered: OAuthFixture;
beforeAll(async () => {
  [server, preRegistered] = await Promise.all([
    startOAuthServer(['--access-ttl', '2']),
    startOAuthServer(['--access-ttl', '60', '--no-registration', '--client-id', 'runbyte-ci', '--client-secret', 'ci-secret']),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), preRegistered?.close()]);
});

const tokenFile = (dir: string, name = 'github') => join(dir, '.home/.local/state/runbyte/auth', `${name}.json`);

async function status(dir: string): Promise<{ server: string; state: string; note?: string; expiresAt?: string; refreshable?: boolean; scopes?: string[] }[]> {
  const result = await runCli(['auth', 'status', '--json'], { cwd: dir });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout).servers;
}

/** Writes `code` to FILE in the project and runs `runbyte run FILE`. */
function run(dir: string, file: string, code: string): Promise<CliResult> {
  writeFileSync(join(dir, file), code);
  return runCli(['run', file], { cwd: dir });
}

/** Every file under `dir` (the isolated HOME, where the token store lives, left out), as text. */
function projectText(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || path.startsWith(join(dir, '.home'))) continue;
    text += readFileSync(path, 'latin1');
  }
  return text;
}

describe('runbyte auth against an OAuth-protected server', () => {
  it('login, then list, generate and run; status shows the state; logout forgets; no token leaks anywhere', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url } } }, 'auth');
    const outputs: CliResult[] = [];
    const cli = async (args: string[]) => {
      const result = await runCli(args, { cwd: dir });
      outputs.push(result);
      return result;
    };

    const before = await cli(['list']);
    expect(before.code).toBe(1);
    expect(before.stderr).toBe('✗ server "github": needs a login; run runbyte auth login github\n');
    expect(await status(dir)).toEqual([{ server: 'github', url: server.url, state: 'not logged in' }]);

    const login = await loginWithCli(dir, 'github');
    outputs.push(login);
    expect(login.code).toBe(0);
    expect(login.landing?.status).toBe(200);
    expect(login.landing?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    expect(login.stdout).toMatch(/^Logged in to github \(http:\/\/127\.0\.0\.1:\d+\/mcp\): scopes tools:read tools:call; the access token expires \S+Z/m);
    // The resource parameter named the MCP endpoint; PKCE and registration were the SDK's.
    const afterLogin = await server.stats();
    expect(afterLogin.resources).toContain(server.url);

    // User-private: 0600 file in a 0700 folder.
    expect(statSync(tokenFile(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(join(tokenFile(dir), '..')).mode & 0o777).toBe(0o700);

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^github \(2 tools\)/);
    const generate = await cli(['generate']);
    expect(generate.code).toBe(0);
    expect(existsSync(join(dir, 'generated/servers/github/echo.ts'))).toBe(true);
    const ran = await run(dir, 'hello.ts', "import { echo } from './servers/github';\nreturn await echo({ value: 'hi' });\n");
    outputs.push(ran);
    expect(ran).toMatchObject({ code: 0, stdout: '"echo: hi"\n' });

    const [loggedIn] = await status(dir);
    expect(loggedIn).toMatchObject({ server: 'github', state: 'logged in', refreshable: true, scopes: ['tools:read', 'tools:call'] });
    expect(Date.parse(loggedIn!.expiresAt!)).toBeGreaterThan(Date.now() - 60_000);
    outputs.push(await cli(['auth', 'status']));
    outputs.push(await cli(['list', '--debug']));

    const revocations = (await server.stats()).revocations;
    const logout = await cli(['auth', 'logout', 'github']);
    expect(logout).toMatchObject({ code: 0, stdout: 'github: logged out (tokens revoked at the server)\n' });
    expect(existsSync(tokenFile(dir))).toBe(false);
    expect((await server.stats()).revocations).toBe(revocations + 2);
    expect((await status(dir))[0]!.state).toBe('not logged in');

    // No token the server issued is in the project, the SDK, or any output.
    const { tokens } = await server.stats();
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const everything = projectText(dir) + outputs.map((output) => output.stdout + output.stderr).join('\n');
    for (const token of tokens) expect(everything).not.toContain(token);
  });

  it('an expired access token is refreshed, once for two concurrent calls; a revoked refresh token fails the call in one line', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url } } }, 'auth-refresh');
    expect((await loginWithCli(dir, 'github')).code).toBe(0);
    // The server counts its refresh grants (whoami says how many): one call, then two at once
    // after the 2-second token expired.
    const ran = await run(
      dir,
      'refresh.ts',
      "import { whoami } from './servers/github';\n" +
        'const before = ((await whoami({})) as { refreshGrants: number }).refreshGrants;\n' +
        'await new Promise((resolve) => setTimeout(resolve, 2500));\n' +
        'const both = (await Promise.all([whoami({}), whoami({})])) as { refreshGrants: number }[];\n' +
        'return both.map((seen) => seen.refreshGrants - before);\n',
    );
    // One refresh for both; refresh tokens rotate, so two at once would have failed one call.
    expect(ran).toMatchObject({ code: 0, stdout: '[1,1]\n' });

    // The server drops every token (the access token is refused early, on a 401) and will not
    // honour the refresh token: one line names the fix.
    await server.expireAccessTokens();
    await server.revokeRefreshTokens();
    const failed = await runCli(['list'], { cwd: dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('✗ server "github": login expired; run runbyte auth login github\n');
    expect((await status(dir))[0]).toMatchObject({ state: 'expired' });
    // generate keeps the files of a server it cannot reach for want of a login.
    const sdkFile = join(dir, 'generated/servers/github/whoami.ts');
    const sdkText = readFileSync(sdkFile, 'utf8');
    const generate = await runCli(['generate'], { cwd: dir });
    expect(generate.code).toBe(1);
    expect(generate.stderr).toContain('server "github": login expired; run runbyte auth login github');
    expect(readFileSync(sdkFile, 'utf8')).toBe(sdkText);
    const call = await run(dir, 'after.ts', "import { echo } from './servers/github';\nreturn await echo({ value: 'x' });\n");
    expect(call.code).toBe(1);
    // The start-up report names the server, and the call's error is one line that says what to do.
    expect(call.stderr).toBe(
      'runbyte: ✗ server "github": login expired; run runbyte auth login github\n' +
        'Runtime error\n' +
        'Error: server "github": tool "echo" is unavailable: login expired; run runbyte auth login github\n' +
        '    at after.ts:2:18\n',
    );
  }, 30_000);

  it('a pre-registered client (no dynamic registration at the server) logs in from oauth.clientId', async () => {
    const dir = tempProject(
      { mcpServers: { corp: { url: preRegistered.url, oauth: { clientId: 'runbyte-ci', clientSecret: '${CORP_SECRET}', scopes: ['tools:read'] } } } },
      'auth-pre',
    );
    const login = await loginWithCli(dir, 'corp', [], { CORP_SECRET: 'ci-secret' });
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/^Logged in to corp \(.*\): scopes tools:read;/m);
    expect((await preRegistered.stats()).registrations).toBe(0);
    writeFileSync(join(dir, 'who.ts'), "import { whoami } from './servers/corp';\nreturn await whoami({});\n");
    const whoOk = await runCli(['run', 'who.ts'], { cwd: dir, env: { CORP_SECRET: 'ci-secret' } });
    expect(whoOk).toMatchObject({ code: 0 });
    expect(JSON.parse(whoOk.stdout)).toMatchObject({ clientId: 'runbyte-ci', scopes: ['tools:read'] });
  });

  it('a token for one URL is never sent to another: a changed URL is not logged in', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url } } }, 'auth-url');
    expect((await loginWithCli(dir, 'github')).code).toBe(0);
    writeFileSync(join(dir, 'runbyte.json'), JSON.stringify({ mcpServers: { github: { url: server.otherUrl } } }));
    const seenBefore = (await server.stats()).bearer['/other'].length;
    expect(await status(dir)).toEqual([{ server: 'github', url: server.otherUrl, state: 'not logged in', note: 'the stored login is for another URL' }]);
    const list = await runCli(['list'], { cwd: dir });
    expect(list.stderr).toBe('✗ server "github": needs a login; run runbyte auth login github\n');
    expect((await server.stats()).bearer['/other'].length).toBe(seenBefore);
  });

  it('a configured Authorization header wins over a stored login', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url } } }, 'auth-header');
    expect((await loginWithCli(dir, 'github')).code).toBe(0);
    writeFileSync(join(dir, 'runbyte.json'), JSON.stringify({ mcpServers: { github: { url: server.url, headers: { Authorization: 'Bearer mine' } } } }));
    const list = await runCli(['list'], { cwd: dir });
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/^✗ server "github": cannot connect to .*: HTTP 401/);
    expect((await server.stats()).bearer['/mcp'].at(-1)).toBe('mine');
    expect((await status(dir))[0]).toMatchObject({ state: 'not needed', note: 'an Authorization header is configured' });
  });

  it('without a browser to open it only prints the URL; the wait ends at --timeout, or at Ctrl-C, with one line', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url } } }, 'auth-wait');
    // No DISPLAY in the isolated environment: nothing to open, and that is no failure.
    const timedOut = await runCli(['auth', 'login', 'github', '--timeout', '1'], { cwd: dir });
    expect(timedOut.code).toBe(1);
    expect(authorizationUrl(timedOut.stdout)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?response_type=code&/);
    expect(timedOut.stdout).not.toContain('opening it in your browser');
    expect(timedOut.stderr).toMatch(/^Error: no login for github arrived at http:\/\/127\.0\.0\.1:\d+\/callback within 1 s\nTry this: /);

    const child = spawn(process.execPath, [BIN, 'auth', 'login', 'github', '--no-browser'], {
      cwd: dir,
      env: isolatedEnv(dir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Ctrl-C stops')) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toBe('Error: login for github stopped\n');
    expect(existsSync(tokenFile(dir))).toBe(false);
  });

  it('names the configured servers for an unknown one, and refuses a stdio server', async () => {
    const dir = tempProject({ mcpServers: { github: { url: server.url }, local: { command: process.execPath, args: ['-e', '0'] } } }, 'auth-usage');
    const unknown = await runCli(['auth', 'login', 'gh'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no server named "gh" in .*runbyte\.json\nTry this: configured servers: github, local\n/);
    // A URL that answers without credentials does not ask for a login.
    writeFileSync(join(dir, 'open.json'), JSON.stringify({ mcpServers: { open: { url: `${server.base}/_test/stats` } } }));
    const open = await runCli(['auth', 'login', 'open', '--config', 'open.json'], { cwd: dir });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/^Error: server "open" does not ask for a login: it answered HTTP 200 without one\n/);
    const stdio = await runCli(['auth', 'logout', 'local'], { cwd: dir });
    expect(stdio.code).toBe(2);
    expect(stdio.stderr).toMatch(/server "local" is started by runbyte \(stdio\): only remote servers \(a "url"\) log in\nTry this: remote servers: github\n/);
  });
});
