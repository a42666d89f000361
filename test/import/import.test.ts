import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { clientFiles, type ImportContext, importServers } from '../../src/import/index.js';
import { REPO, runCli } from '../helpers/cli.js';

const FIXTURES = join(REPO, 'test/fixtures/import');
const SECRETS = ['ghp_fixtureSecret0123456789', 'sntrys_fixtureSecret', 'fixturePassword', 'BSA_fixtureSecret', 'ctx7_fixtureSecret', 'lin_fixtureSecret'];

/** The fixture HOME and project in a fresh folder, with their placeholders filled in. */
function layout(): { root: string; home: string; project: string; ctx: ImportContext } {
  const root = mkdtempSync(join(tmpdir(), 'runbyte-import-'));
  cpSync(FIXTURES, root, { recursive: true });
  const home = join(root, 'home');
  const project = join(root, 'project');
  const fill = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) fill(path);
      else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('@@REPO@@', REPO).replaceAll('@@HOME@@', home).replaceAll('@@PROJECT@@', project));
    }
  };
  fill(root);
  return { root, home, project, ctx: { home, xdgConfigHome: join(home, '.config'), cwd: project, platform: 'linux', env: {} } };
}

const env = (home: string) => ({ HOME: home, XDG_CONFIG_HOME: join(home, '.config') });

describe('runbyte import (every client, from fixture files in their real formats)', async () => {
  const { home, project } = layout();
  const result = await runCli(['import', '--json'], { cwd: project, env: env(home) });
  const report = JSON.parse(result.stdout);
  const written = readFileSync(join(project, 'runbyte.json'), 'utf8');
  const servers = JSON.parse(written).mcpServers;

  it('reads each client file: JSON, JSON with comments, TOML and YAML', () => {
    const byFile = Object.fromEntries(
      report.files.map((file: { path: string; part?: string; servers: string[] }) => [
        `${file.path.replace(home, '~').replace(project, '.')}${file.part ? ' (project)' : ''}`,
        file.servers,
      ]),
    );
    expect(byFile).toEqual({
      './.mcp.json': ['docs', 'search'],
      '~/.claude.json': ['sentry'],
      '~/.claude.json (project)': ['postgres'],
      '~/.config/Claude/claude_desktop_config.json': ['github', 'memory'],
      '~/.cursor/mcp.json': ['memory', 'filesystem'],
      './.vscode/mcp.json': ['github', 'playwright'],
      '~/.config/Code/User/settings.json': ['time'],
      '~/.config/Code/User/mcp.json': [],
      '~/.codeium/windsurf/mcp_config.json': ['zapier', 'brave-search'],
      '~/.codex/config.toml': ['context7', 'figma', 'old-tool'],
      '~/.config/goose/config.yaml': ['fetch', 'linear'],
    });
    // Only this project's servers of ~/.claude.json; Goose's built-in extension is no MCP server.
    expect(Object.keys(servers)).not.toContain('unrelated');
    expect(Object.keys(servers)).not.toContain('developer');
  });

  it('a malformed file is reported by its path (exit 1) and every other file is imported', () => {
    expect(result.code).toBe(1);
    const broken = report.files.find((file: { path: string }) => file.path.endsWith('Code/User/mcp.json'));
    expect(broken.error).toBe('invalid JSON (with comments): CommaExpected at line 4 column 3');
    expect(Object.keys(servers)).toHaveLength(17);
  });

  it('writes a runbyte.json that loads, with each server in runbyte terms', () => {
    const vars = Object.fromEntries([...written.matchAll(/\$\{([A-Z_0-9]+)/g)].map((match) => [match[1], 'x']));
    const config = parseConfig(written, join(project, 'runbyte.json'), vars);
    expect(config.disabledServers).toEqual(['brave-search', 'linear', 'old-tool']);
    expect(servers.docs).toEqual({ type: 'sse', url: 'https://docs.example.com/sse' });
    expect(servers.zapier).toEqual({ url: 'https://actions.zapier.com/mcp/fixture/sse' });
    expect(servers.context7).toMatchObject({ command: 'npx', timeout: 120 });
    expect(servers.figma).toEqual({ url: 'https://mcp.figma.com/mcp', headers: { Authorization: 'Bearer ${FIGMA_OAUTH_TOKEN}' } });
    expect(servers.fetch).toEqual({ command: 'uvx', args: ['mcp-server-fetch'], env: { FETCH_USER_AGENT: '${FETCH_USER_AGENT}' }, timeout: 300 });
    expect(servers.playwright.args).toEqual(['@playwright/mcp@latest', '--output-dir', '${RUNBYTE_CONFIG_DIR}/shots']);
    expect(servers.filesystem.args[1]).toBe('${HOME}');
  });

  it('the same server in two clients is imported once; two servers of one name both are', () => {
    expect(report.duplicates).toEqual([{ name: 'memory', path: '~/.cursor/mcp.json', sameAs: 'memory' }]);
    expect(servers.github.command).toBe('npx');
    expect(servers['github-vscode']).toEqual({ url: 'https://api.githubcopilot.com/mcp/', headers: { Authorization: 'Bearer ${GITHUB_TOKEN}' } });
  });

  it('secrets from env and headers stay in the client files: runbyte.json names variables, the report lists them', () => {
    for (const secret of SECRETS) {
      expect(written).not.toContain(secret);
      expect(result.stdout).not.toContain(secret);
    }
    expect(servers.github.env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_PERSONAL_ACCESS_TOKEN}' });
    expect(servers.postgres.env).toEqual({ DATABASE_URL: '${DATABASE_URL}' });
    expect(servers.sentry.headers).toEqual({ Authorization: 'Bearer ${SENTRY_TOKEN}' });
    const names = report.variables.map((variable: { name: string; server: string }) => `${variable.server}:${variable.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'github:GITHUB_PERSONAL_ACCESS_TOKEN',
        'postgres:DATABASE_URL',
        'sentry:SENTRY_TOKEN',
        'github-vscode:GITHUB_TOKEN',
        'brave-search:BRAVE_API_KEY',
        'context7:CONTEXT7_API_KEY',
        'linear:LINEAR_TOKEN',
        'figma:FIGMA_OAUTH_TOKEN',
        'search:SEARCH_API_KEY',
      ]),
    );
  });

  it('names what it could not carry over (VS Code envFile)', () => {
    const vscode = report.files.find((file: { path: string }) => file.path.endsWith('.vscode/mcp.json'));
    expect(vscode.notes).toEqual(['playwright: envFile "${workspaceFolder}/.env" is not read by runbyte: export its variables']);
  });
});

describe('merging into an existing runbyte.json', () => {
  it('keeps a server of the same name unless --force; keeps the other keys; --dry-run writes nothing', async () => {
    const { project, ctx } = layout();
    const path = join(project, 'runbyte.json');
    writeFileSync(path, JSON.stringify({ mcpServers: { time: { command: 'my-time' } }, sandbox: { memoryMb: 128 } }));
    const dry = await importServers({ sources: ['vscode'], configPath: path, dryRun: true }, ctx);
    expect(dry.written).toBe(false);
    expect(JSON.parse(readFileSync(path, 'utf8')).mcpServers).toEqual({ time: { command: 'my-time' } });
    const kept = await importServers({ sources: ['vscode'], configPath: path }, ctx);
    expect(kept.kept).toEqual(['time']);
    expect(kept.added).toEqual(['github', 'playwright']);
    let config = JSON.parse(readFileSync(path, 'utf8'));
    expect(config.mcpServers.time).toEqual({ command: 'my-time' });
    expect(config.sandbox).toEqual({ memoryMb: 128 });
    const forced = await importServers({ sources: ['vscode'], configPath: path, force: true }, ctx);
    expect(forced.replaced).toEqual(['github', 'playwright', 'time']);
    config = JSON.parse(readFileSync(path, 'utf8'));
    expect(config.mcpServers.time.command).toBe('uvx');
  });

  it('an unknown SOURCE names the nearest client (exit 2); --dry-run prints the config on stdout', async () => {
    const { home, project } = layout();
    const wrong = await runCli(['import', 'cursr'], { cwd: project, env: env(home) });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(
      'Error: "cursr" is not a client runbyte imports from; did you mean "cursor"?\nTry this: sources: claude-desktop, claude-code, cursor, vscode, windsurf, codex, goose\n',
    );
    const dry = await runCli(['import', 'windsurf', '--dry-run'], { cwd: project, env: env(home) });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).mcpServers['brave-search']).toMatchObject({ disabled: true, env: { BRAVE_API_KEY: '${BRAVE_API_KEY}' } });
    expect(dry.stderr).toContain('Windsurf: ~/.codeium/windsurf/mcp_config.json: zapier, brave-search');
    expect(existsSync(join(project, 'runbyte.json'))).toBe(false);
  });
});

describe('--replace', () => {
  it('rewrites each client file to start runbyte, keeps a backup, and the files still parse in their formats', async () => {
    const { home, project, ctx } = layout();
    const files = {
      cursor: join(home, '.cursor/mcp.json'),
      codex: join(home, '.codex/config.toml'),
      goose: join(home, '.config/goose/config.yaml'),
      claude: join(home, '.claude.json'),
      vscode: join(project, '.vscode/mcp.json'),
    };
    const originals = Object.fromEntries(Object.entries(files).map(([key, path]) => [key, readFileSync(path, 'utf8')]));
    const launch = { command: process.execPath, args: [join(REPO, 'bin/run.js'), 'serve', '--config', join(project, 'runbyte.json')] };
    const report = await importServers(
      { sources: ['cursor', 'codex', 'goose', 'claude-code', 'vscode'], configPath: join(project, 'runbyte.json'), replace: launch },
      ctx,
    );
    expect(report.rewritten.map((entry) => entry.path).sort()).toEqual(
      [files.cursor, files.codex, files.goose, files.claude, files.vscode, join(project, '.mcp.json'), join(home, '.config/Code/User/settings.json')].sort(),
    );
    for (const [key, path] of Object.entries(files)) expect(readFileSync(`${path}.runbyte-backup`, 'utf8')).toBe(originals[key]);

    const cursor = parseJsonc(readFileSync(files.cursor, 'utf8'));
    expect(cursor).toEqual({ mcpServers: { runbyte: launch } });
    expect(readFileSync(files.cursor, 'utf8')).toContain('// Cursor reads this file as JSON with comments.');
    expect(parseJsonc(readFileSync(files.vscode, 'utf8')).servers).toEqual({ runbyte: { type: 'stdio', ...launch } });
    expect(parseToml(readFileSync(files.codex, 'utf8'))).toEqual({ model: 'gpt-5', mcp_servers: { runbyte: launch } });
    const goose = parseYaml(readFileSync(files.goose, 'utf8'));
    expect(Object.keys(goose.extensions)).toEqual(['developer', 'runbyte']);
    expect(goose.extensions.runbyte).toMatchObject({ type: 'stdio', cmd: launch.command, args: launch.args, enabled: true });
    expect(readFileSync(files.goose, 'utf8')).toContain('# Goose configuration');
    // ~/.claude.json: its other settings stay; one runbyte entry for the file, the project's list emptied.
    const claude = JSON.parse(readFileSync(files.claude, 'utf8'));
    expect(claude.numStartups).toBe(12);
    expect(claude.mcpServers).toEqual({ runbyte: launch });
    expect(claude.projects[project].mcpServers).toEqual({});
    expect(claude.projects['/somewhere/else'].mcpServers).toEqual({ unrelated: { command: 'npx', args: ['-y', 'unrelated-server'] } });

    // A second import finds runbyte itself in the clients and does not import it.
    const again = await importServers({ sources: ['cursor'], configPath: join(project, 'runbyte.json') }, ctx);
    expect(again.files[0]!.servers).toEqual([]);
  });

  it('the rewritten client config starts a working runbyte over the imported servers', async () => {
    const { home, project } = layout();
    const result = await runCli(['import', 'cursor', '--replace'], { cwd: project, env: env(home) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '~/.cursor/mcp.json now starts runbyte (memory, filesystem moved to ./runbyte.json); backup: ~/.cursor/mcp.json.runbyte-backup',
    );
    const entry = parseJsonc(readFileSync(join(home, '.cursor/mcp.json'), 'utf8')).mcpServers.runbyte;
    // As Cursor would start it, with the variable the import asked for.
    const client = new Client({ name: 'cursor-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: entry.command,
        args: entry.args,
        env: { PATH: process.env.PATH!, HOME: home, MEMORY_FILE_PATH: join(home, 'memory.jsonl') },
        stderr: 'pipe',
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['execute_code', 'list_directory', 'read_file']));
      const listing = await client.callTool({ name: 'list_directory', arguments: { path: '/servers' } });
      const text = (listing.content as { text: string }[])[0]!.text;
      expect(text).toContain('memory/');
      expect(text).toContain('filesystem/');
    } finally {
      await client.close();
    }
  });
});

describe('where each client keeps its files', () => {
  const paths = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}, xdg = '/home/ada/.config') =>
    clientFiles([], { home: '/home/ada', xdgConfigHome: xdg, cwd: '/work/app', platform, env }).map(
      ({ file }) => `${file.source} ${file.path}${file.part ? ` ${file.part}` : ''}`,
    );

  it('Linux (XDG_CONFIG_HOME and CODEX_HOME honoured)', () => {
    expect(paths('linux', { CODEX_HOME: '/opt/codex' }, '/xdg')).toEqual([
      'claude-code /work/app/.mcp.json',
      'claude-code /home/ada/.claude.json',
      'claude-code /home/ada/.claude.json projects["/work/app"]',
      'claude-desktop /xdg/Claude/claude_desktop_config.json',
      'cursor /work/app/.cursor/mcp.json',
      'cursor /home/ada/.cursor/mcp.json',
      'vscode /work/app/.vscode/mcp.json',
      'vscode /xdg/Code/User/mcp.json',
      'vscode /xdg/Code/User/settings.json',
      'windsurf /home/ada/.codeium/windsurf/mcp_config.json',
      'codex /opt/codex/config.toml',
      'goose /xdg/goose/config.yaml',
    ]);
  });

  it('macOS: Claude Desktop and VS Code under ~/Library/Application Support', () => {
    const mac = paths('darwin');
    expect(mac).toContain('claude-desktop /home/ada/Library/Application Support/Claude/claude_desktop_config.json');
    expect(mac).toContain('vscode /home/ada/Library/Application Support/Code/User/mcp.json');
    expect(mac).toContain('vscode /home/ada/Library/Application Support/Code/User/settings.json');
    expect(mac).toContain('codex /home/ada/.codex/config.toml');
    expect(mac).toContain('goose /home/ada/.config/goose/config.yaml');
  });
});
