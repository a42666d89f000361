import { spawn } from 'node:child_process';
import { BIN, isolatedEnv } from '../helpers/cli.js';
import { startListening } from '../helpers/servers.js';

/** What test/fixtures/servers/oauth.js reports at /_test/stats. */
export interface OAuthStats {
  registrations: number;
  authorizations: number;
  codeGrants: number;
  refreshGrants: number;
  revocations: number;
  /** Every access and refresh token it issued. */
  tokens: string[];
  /** The bearer tokens each endpoint received. */
  bearer: { '/mcp': string[]; '/other': string[]; '/sse': string[] };
  /** The `resource` of each authorization request. */
  resources: string[];
}

export interface OAuthFixture {
  base: string;
  /** The protected MCP endpoint. */
  url: string;
  /** A second protected endpoint (another resource). */
  otherUrl: string;
  /** A protected endpoint of the older SSE transport. */
  sseUrl: string;
  stats(): Promise<OAuthStats>;
  revokeRefreshTokens(): Promise<void>;
  expireAccessTokens(): Promise<void>;
  close(): Promise<void>;
}

/** Starts test/fixtures/servers/oauth.js on 127.0.0.1 (flags: `--access-ttl N`, `--no-registration --client-id X`). */
export async function startOAuthServer(args: string[] = []): Promise<OAuthFixture> {
  const { url: base, close } = await startListening('oauth.js', args);
  const post = async (path: string) => void (await fetch(`${base}${path}`, { method: 'POST' })).body?.cancel();
  return {
    base,
    url: `${base}/mcp`,
    otherUrl: `${base}/other`,
    sseUrl: `${base}/sse`,
    stats: async () => (await (await fetch(`${base}/_test/stats`)).json()) as OAuthStats,
    revokeRefreshTokens: () => post('/_test/revoke-refresh'),
    expireAccessTokens: () => post('/_test/expire-access'),
    close,
  };
}

/**
 * Does what the user's browser does with an authorization URL: follows the redirects (the
 * fixture consents at once) until the loopback listener answers. Returns that answer.
 */
export async function followAuthorization(url: string): Promise<{ status: number; url: string; text: string }> {
  let next = url;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(next, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      next = new URL(location, next).href;
      continue;
    }
    return { status: response.status, url: next, text: await response.text() };
  }
  throw new Error(`too many redirects from ${url}`);
}

/** The authorization URL in what `auth login` printed, if it has printed it. */
export function authorizationUrl(output: string): string | undefined {
  return /^ {2}(http\S+)$/m.exec(output)?.[1];
}

export interface LoginRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the loopback listener answered the "browser". */
  landing?: { status: number; url: string; text: string };
}

/**
 * `runbyte auth login <server> --no-browser` from the built CLI, as a user in another terminal:
 * reads the printed URL from stdout and follows it.
 */
export function loginWithCli(cwd: string, server: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<LoginRun> {
  const child = spawn(process.execPath, [BIN, 'auth', 'login', server, '--no-browser', ...args], {
    cwd,
    env: isolatedEnv(cwd, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: LoginRun = { code: null, stdout: '', stderr: '' };
  let following: Promise<unknown> | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
    const url = authorizationUrl(run.stdout);
    if (url && !following) following = followAuthorization(url).then((landing) => (run.landing = landing));
  });
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`auth login timed out\nstdout: ${run.stdout}\nstderr: ${run.stderr}`));
    }, 30_000);
    child.on('close', async (code) => {
      clearTimeout(timer);
      await following?.catch(() => {});
      run.code = code;
      resolve(run);
    });
  });
}
