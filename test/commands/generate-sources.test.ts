import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, tempProject } from '../helpers/cli.js';
import { FIXTURE_SERVERS, startRemote, type RemoteFixture } from '../helpers/servers.js';

/** Every file under `dir`, as posix paths relative to it. */
function tree(dir: string, sub = ''): string[] {
  return readdirSync(join(dir, sub), { withFileTypes: true }).flatMap((entry) => {
    const path = sub ? `${sub}/${entry.name}` : entry.name;
    return entry.isDirectory() ? tree(dir, path) : [path];
  });
}

function fixture(script: string, ...args: string[]) {
  return { command: process.execPath, args: [join(FIXTURE_SERVERS, script), ...args] };
}

describe('generate over every downstream transport', () => {
  let http: RemoteFixture;
  let sse: RemoteFixture;
  beforeAll(async () => {
    [http, sse] = await Promise.all([startRemote('http', ['--token', 'open-sesame']), startRemote('sse', ['--token', 'open-sesame'])]);
  });
  afterAll(async () => {
    await Promise.all([http?.close(), sse?.close()]);
  });

  it('stdio, streamable HTTP and SSE servers each generate; ${VAR} in headers reaches the server expanded', async () => {
    const auth = { Authorization: 'Bearer ${REMOTE_TOKEN}' };
    const dir = tempProject({
      mcpServers: {
        local: fixture('faults.js'),
        streaming: { url: http.url, headers: auth },
        legacy: { type: 'sse', url: sse.url, headers: auth },
      },
    });
    const result = await runCli(['generate'], { cwd: dir, env: { REMOTE_TOKEN: 'open-sesame' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const server of ['local', 'streaming', 'legacy']) expect(result.stdout).toMatch(new RegExp(`✓ ${server} \\(\\d+ tools\\)`));
    const files = tree(join(dir, 'generated'));
    expect(files).toContain('servers/streaming/whoami.ts');
    expect(files).toContain('servers/legacy/whoami.ts');
    expect(files).toContain('servers/local/sleep.ts');

    // The servers refuse a wrong token: the expanded header is what got them to answer.
    const refused = await runCli(['generate', '--check'], { cwd: dir, env: { REMOTE_TOKEN: 'wrong' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/✗ server "streaming": .*401/);
  });
});

describe('generate from fixture servers reproduces the golden trees', () => {
  it.each([
    ['github', 'corpus.js', ['--shuffle', '--page-size', '7']],
    ['hostile', 'hostile.js', ['--shuffle']],
  ])('%s, served in shuffled order over several pages, gives the golden bytes', async (name, script, args) => {
    const dir = tempProject({ mcpServers: { [name]: fixture(script, ...args) } });
    const result = await runCli(['generate'], { cwd: dir });
    expect(result.code).toBe(0);
    const golden = join(REPO, 'test/golden', name);
    const out = join(dir, 'generated');
    const sources = tree(golden)
      .filter((path) => path.endsWith('.ts'))
      .sort();
    expect(
      tree(out)
        .filter((path) => path.startsWith('servers/'))
        .sort(),
    ).toEqual(sources);
    for (const path of sources) expect(readFileSync(join(out, path), 'utf8'), path).toBe(readFileSync(join(golden, path), 'utf8'));
    // Nothing outside the output folder: the project holds only what it held plus generated/.
    expect(readdirSync(dir).sort()).toEqual(['.home', 'data', 'generated', 'runbyte.json']);
  });
});
