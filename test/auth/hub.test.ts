// The hub and auth/ together, in this process, against a real OAuth-protected MCP server
// (test/fixtures/servers/oauth.js): a server that needs a login fails alone and by name, a login
// made elsewhere is used at the next call, a token the server drops early costs one refresh
// however many calls hit the 401, and the token store keeps its files private.
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authDir, login, loginPath } from '../../src/auth/index.js';
import { readLogin } from '../../src/auth/store.js';
import type { RemoteServerConfig, ServerConfig } from '../../src/config/types.js';
import { Hub } from '../../src/hub/index.js';
import { referenceServer } from '../helpers/servers.js';
import { authorizationUrl, followAuthorization, type OAuthFixture, startOAuthServer } from './helpers.js';

let server: OAuthFixture;
const savedState = process.env.XDG_STATE_HOME;
beforeAll(async () => {
  server = await startOAuthServer(['--access-ttl', '60']);
});
afterAll(async () => {
  await server?.close();
  if (savedState === undefined) delete process.env.XDG_STATE_HOME;
  else process.env.XDG_STATE_HOME = savedState;
});

let state: string;
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

/** Each test its own token store. */
function freshStore(): void {
  state = mkdtempSync(join(tmpdir(), 'runbyte-auth-state-'));
  process.env.XDG_STATE_HOME = state;
}

const github = (url = server.url): RemoteServerConfig => ({ name: 'github', transport: 'http', url, headers: {} });

function hub(...servers: ServerConfig[]): Hub {
  const created = new Hub(servers, { connectTimeoutMs: 5000 });
  hubs.push(created);
  return created;
}

/** `auth login` as the domain function, the browser played by fetch. */
async function logIn(config: RemoteServerConfig) {
  let following: Promise<unknown> | undefined;
  const result = await login(config, {
    browser: false,
    timeoutMs: 10_000,
    say: (line) => {
      const url = authorizationUrl(line);
      if (url) following = followAuthorization(url);
    },
  });
  await following;
  return result;
}

describe('OAuth in the hub', () => {
  it('a server that needs a login fails by name and does not hold up the others; a login made meanwhile is used at the next call', async () => {
    freshStore();
    const memory = referenceServer.memory('memory', join(state, 'memory.jsonl'));
    const h = hub(github(), memory);
    expect(await h.start()).toEqual([{ server: 'github', message: 'server "github": needs a login; run runbyte auth login github' }]);
    expect((await h.listTools('memory')).length).toBeGreaterThan(0);
    await expect(h.callTool('github', 'echo', { value: 'x' })).rejects.toThrow(
      'server "github": tool "echo" is unavailable: needs a login; run runbyte auth login github',
    );
    // Asked again at once, it says the same thing (not "keeps dying").
    await expect(h.callTool('github', 'echo', { value: 'x' })).rejects.toThrow(/is unavailable: needs a login; run runbyte auth login github$/);

    const result = await logIn(github());
    expect(result).toMatchObject({ server: 'github', scopes: ['tools:read', 'tools:call'], refreshable: true });
    // The same hub, no restart: the next call reads the new login.
    expect((await h.callTool('github', 'echo', { value: 'after login' })).content).toEqual([{ type: 'text', text: 'echo: after login' }]);
  });

  it('a token the server refuses early (401) is refreshed once for concurrent calls, and the calls go on', async () => {
    freshStore();
    await logIn(github());
    const h = hub(github());
    expect(await h.start()).toEqual([]);
    const { refreshGrants } = await server.stats();
    await server.expireAccessTokens();
    const results = await Promise.all(['a', 'b', 'c'].map((value) => h.callTool('github', 'echo', { value })));
    expect(results.map((result) => result.content)).toEqual(['a', 'b', 'c'].map((value) => [{ type: 'text', text: `echo: ${value}` }]));
    expect((await server.stats()).refreshGrants).toBe(refreshGrants + 1);
    // The new tokens are stored for the next process.
    const stored = await readLogin('github');
    expect((await server.stats()).bearer['/mcp'].at(-1)).toBe(stored?.tokens?.access_token);
  });

  it('the SSE transport sends the token on its stream and its POSTs, and refreshes on a 401 too', async () => {
    freshStore();
    const legacy: RemoteServerConfig = { name: 'legacy', transport: 'sse', url: server.sseUrl, headers: {} };
    const h = hub(legacy);
    expect(await h.start()).toEqual([{ server: 'legacy', message: 'server "legacy": needs a login; run runbyte auth login legacy' }]);
    await logIn(legacy);
    expect((await h.callTool('legacy', 'echo', { value: 'sse' })).content).toEqual([{ type: 'text', text: 'echo: sse' }]);
    const { refreshGrants } = await server.stats();
    await server.expireAccessTokens();
    expect((await h.callTool('legacy', 'echo', { value: 'again' })).content).toEqual([{ type: 'text', text: 'echo: again' }]);
    const stats = await server.stats();
    expect(stats.refreshGrants).toBe(refreshGrants + 1);
    expect(stats.bearer['/sse'].at(-1)).toBe((await readLogin('legacy'))?.tokens?.access_token);
  });

  it('a login is bound to its URL: the same server name at another URL sends no token there', async () => {
    freshStore();
    await logIn(github());
    const seen = (await server.stats()).bearer['/other'].length;
    const h = hub(github(server.otherUrl));
    expect(await h.start()).toEqual([{ server: 'github', message: 'server "github": needs a login; run runbyte auth login github' }]);
    expect((await server.stats()).bearer['/other'].length).toBe(seen);
  });

  it('a configured Authorization header wins: no OAuth provider, the 401 is reported as it is', async () => {
    freshStore();
    await logIn(github());
    const h = hub({ ...github(), headers: { Authorization: 'Bearer configured' } });
    const [failure] = await h.start();
    expect(failure?.message).toMatch(/^server "github": cannot connect to .*: HTTP 401/);
    expect((await server.stats()).bearer['/mcp'].at(-1)).toBe('configured');
  });
});

describe('the token store', () => {
  it('is a 0600 file in a 0700 folder under $XDG_STATE_HOME/runbyte/auth, and looser modes are fixed', async () => {
    freshStore();
    await logIn(github());
    expect(authDir()).toBe(join(state, 'runbyte/auth'));
    expect(statSync(loginPath('github')).mode & 0o777).toBe(0o600);
    expect(statSync(authDir()).mode & 0o777).toBe(0o700);
    chmodSync(loginPath('github'), 0o644);
    chmodSync(authDir(), 0o755);
    expect(await readLogin('github')).toMatchObject({ server: 'github', url: server.url });
    expect(statSync(loginPath('github')).mode & 0o777).toBe(0o600);
    await logIn(github());
    expect(statSync(authDir()).mode & 0o777).toBe(0o700);
  });

  it('defaults to ~/.local/state, and ignores a relative XDG_STATE_HOME', () => {
    expect(authDir({ HOME: '/home/ada' })).toBe('/home/ada/.local/state/runbyte/auth');
    expect(authDir({ HOME: '/home/ada', XDG_STATE_HOME: 'state' })).toBe('/home/ada/.local/state/runbyte/auth');
    expect(authDir({ HOME: '/home/ada', XDG_STATE_HOME: '/var/state' })).toBe('/var/state/runbyte/auth');
  });

  it('a file that is not a runbyte login counts as none', async () => {
    freshStore();
    await logIn(github());
    writeFileSync(loginPath('github'), '{"server":"someone-else"}');
    expect(await readLogin('github')).toBeUndefined();
  });
});
