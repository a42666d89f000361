import { spawn } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, NODE_MODULES, isolatedEnv, reference, tempProject, type CliResult } from '../helpers/cli.js';
import { serveHttp, type HttpServe } from '../helpers/serve.js';

/**
 * A third-party client: the official MCP Inspector's CLI mode lists and calls runbyte's tools,
 * over stdio (runbyte as its child) and over streamable HTTP. The Inspector's own `--config` flag
 * takes a client config file, so runbyte's config is given as `-c` on the runbyte command line.
 */
const INSPECTOR = realpathSync(join(NODE_MODULES, '.bin/mcp-inspector'));

function inspector(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [INSPECTOR, '--cli', ...args], {
      cwd,
      env: isolatedEnv(cwd),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`mcp-inspector ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The JSON the Inspector prints for a successful method. */
// biome-ignore lint/suspicious/noExplicitAny: the Inspector's JSON is read loosely by the assertions below
function answer(result: CliResult): any {
  expect(result.code, `mcp-inspector failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
  const start = result.stdout.indexOf('{');
  expect(start, `no JSON on stdout:\n${result.stdout}\n${result.stderr}`).toBeGreaterThanOrEqual(0);
  return JSON.parse(result.stdout.slice(start));
}

// biome-ignore lint/suspicious/noExplicitAny: a tools/call result as the Inspector printed it
function firstText(result: any): string {
  return result.content[0].text;
}

describe('the MCP Inspector CLI against runbyte serve', () => {
  let cwd: string;
  let config: string;
  /** runbyte serve over stdio, as the Inspector's target command. */
  let target: string[];

  beforeAll(() => {
    cwd = tempProject({ mcpServers: { memory: reference.memory() } }, 'inspector');
    config = join(cwd, 'runbyte.json');
    target = [process.execPath, BIN, 'serve', '-c', config];
  });

  it('lists the four tools over stdio', async () => {
    const listed = answer(await inspector([...target, '--method', 'tools/list'], cwd));
    expect(listed.tools.map((tool: { name: string }) => tool.name)).toEqual(['list_directory', 'read_file', 'search_tools', 'execute_code']);
    for (const tool of listed.tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.description.length).toBeGreaterThan(20);
    }
  });

  it('calls execute_code', async () => {
    const called = answer(await inspector([...target, '--method', 'tools/call', '--tool-name', 'execute_code', '--tool-arg', 'code=return 1+1'], cwd));
    expect(called.isError).toBeFalsy();
    expect(firstText(called)).toBe('2');
  });

  it('calls execute_code that calls a downstream tool', async () => {
    const code = "import { readGraph } from './servers/memory';\nconst graph = await readGraph();\nreturn { entities: graph.entities.length };";
    const called = answer(await inspector([...target, '--method', 'tools/call', '--tool-name', 'execute_code', '--tool-arg', `code=${code}`], cwd));
    expect(called.isError).toBeFalsy();
    expect(JSON.parse(firstText(called))).toEqual({ entities: 0 });
  });

  it('calls list_directory (with a boolean argument) and read_file', async () => {
    const servers = answer(await inspector([...target, '--method', 'tools/call', '--tool-name', 'list_directory', '--tool-arg', 'path=/servers'], cwd));
    expect(firstText(servers)).toBe('memory/ (9 functions)\nindex.ts');

    const memory = answer(
      await inspector(
        [...target, '--method', 'tools/call', '--tool-name', 'list_directory', '--tool-arg', 'path=/servers/memory', 'withDescriptions=true'],
        cwd,
      ),
    );
    expect(firstText(memory)).toContain('createEntities.ts - Create multiple new entities in the knowledge graph');

    const file = answer(
      await inspector([...target, '--method', 'tools/call', '--tool-name', 'read_file', '--tool-arg', 'path=/servers/memory/readGraph.ts'], cwd),
    );
    expect(firstText(file)).toContain('export function readGraph(');
  });

  it('reports a type error as an isError result', async () => {
    const called = answer(
      await inspector([...target, '--method', 'tools/call', '--tool-name', 'execute_code', '--tool-arg', 'code=const n: number = "x"; return n;'], cwd),
    );
    expect(called.isError).toBe(true);
    expect(firstText(called)).toMatch(/^Type check failed\ncode\.ts\(1,7\): error TS2322/);
  });

  it('starts runbyte from a client config file (the mcpServers entry the README documents)', async () => {
    const clientConfig = join(cwd, 'client.json');
    writeFileSync(clientConfig, JSON.stringify({ mcpServers: { runbyte: { command: process.execPath, args: [BIN, 'serve', '--config', config] } } }));
    const listed = answer(await inspector(['--config', clientConfig, '--server', 'runbyte', '--method', 'tools/list'], cwd));
    expect(listed.tools.map((tool: { name: string }) => tool.name)).toEqual(['list_directory', 'read_file', 'search_tools', 'execute_code']);
  });

  describe('over streamable HTTP', () => {
    let server: HttpServe;
    beforeAll(async () => {
      server = await serveHttp(cwd);
    });
    afterAll(() => server?.stop());

    it('lists the tools and calls execute_code', async () => {
      const listed = answer(await inspector([server.url, '--method', 'tools/list'], cwd));
      expect(listed.tools.map((tool: { name: string }) => tool.name)).toEqual(['list_directory', 'read_file', 'search_tools', 'execute_code']);
      const called = answer(await inspector([server.url, '--method', 'tools/call', '--tool-name', 'execute_code', '--tool-arg', 'code=return [6 * 7]'], cwd));
      expect(JSON.parse(firstText(called))).toEqual([42]);
    });
  });
});
