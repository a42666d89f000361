import { join } from 'node:path';
import { launchEntry, objectAt, parseJsonFile, readServerMap, replaceInJson } from './json.js';
import type { Client, ClientFile, ImportContext, SourceId } from './types.js';

/** A file whose servers are the object at `serversPath` in the `mcpServers` format. */
function serverMapFile(source: SourceId, path: string, serversPath: string[], options: { comments?: boolean; vscode?: boolean } = {}): ClientFile {
  return {
    source,
    path,
    read: (text) => {
      const servers = objectAt(parseJsonFile(text, options.comments ?? false), serversPath);
      return servers ? readServerMap(servers) : [];
    },
    replace: (text, names, runbyte) => replaceInJson(text, serversPath, names, launchEntry(runbyte, options.vscode)),
  };
}

/** `~/Library/Application Support` on macOS, the XDG config folder elsewhere: where Electron apps keep their settings. */
function appSupport(ctx: ImportContext): string {
  return ctx.platform === 'darwin' ? join(ctx.home, 'Library', 'Application Support') : ctx.xdgConfigHome;
}

/** Claude Desktop: `claude_desktop_config.json`, plain JSON, `mcpServers`. */
export const claudeDesktop: Client = {
  id: 'claude-desktop',
  label: 'Claude Desktop',
  files: (ctx) => [serverMapFile('claude-desktop', join(appSupport(ctx), 'Claude', 'claude_desktop_config.json'), ['mcpServers'])],
};

/**
 * Claude Code: the project's `.mcp.json`, then `~/.claude.json`, whose `mcpServers` are the user's
 * and whose `projects.<folder>.mcpServers` are those of one project: the current folder's only.
 */
export const claudeCode: Client = {
  id: 'claude-code',
  label: 'Claude Code',
  files: (ctx) => {
    const user = join(ctx.home, '.claude.json');
    return [
      serverMapFile('claude-code', join(ctx.cwd, '.mcp.json'), ['mcpServers']),
      serverMapFile('claude-code', user, ['mcpServers']),
      { ...serverMapFile('claude-code', user, ['projects', ctx.cwd, 'mcpServers']), part: `projects["${ctx.cwd}"]` },
    ];
  },
};

/** Cursor: the project's `.cursor/mcp.json` and the user's `~/.cursor/mcp.json`; JSON with comments. */
export const cursor: Client = {
  id: 'cursor',
  label: 'Cursor',
  files: (ctx) => [
    serverMapFile('cursor', join(ctx.cwd, '.cursor', 'mcp.json'), ['mcpServers'], { comments: true }),
    serverMapFile('cursor', join(ctx.home, '.cursor', 'mcp.json'), ['mcpServers'], { comments: true }),
  ],
};

/**
 * VS Code: the workspace's `.vscode/mcp.json` and the user's `mcp.json` (key `servers`), and the
 * user's `settings.json` (key `mcp.servers`); JSON with comments.
 */
export const vscode: Client = {
  id: 'vscode',
  label: 'VS Code',
  files: (ctx) => {
    const user = join(appSupport(ctx), 'Code', 'User');
    return [
      serverMapFile('vscode', join(ctx.cwd, '.vscode', 'mcp.json'), ['servers'], { comments: true, vscode: true }),
      serverMapFile('vscode', join(user, 'mcp.json'), ['servers'], { comments: true, vscode: true }),
      serverMapFile('vscode', join(user, 'settings.json'), ['mcp', 'servers'], { comments: true, vscode: true }),
    ];
  },
};

/** Windsurf: `~/.codeium/windsurf/mcp_config.json`, `mcpServers`, remote servers as `serverUrl`. */
export const windsurf: Client = {
  id: 'windsurf',
  label: 'Windsurf',
  files: (ctx) => [serverMapFile('windsurf', join(ctx.home, '.codeium', 'windsurf', 'mcp_config.json'), ['mcpServers'])],
};
