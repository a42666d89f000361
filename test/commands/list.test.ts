import { describe, expect, it } from 'vitest';
import { reference, runCli, tempProject } from '../helpers/cli.js';

describe('runbyte list', () => {
  const dir = tempProject({ mcpServers: { filesystem: reference.filesystem(), memory: reference.memory(), down: { command: 'runbyte-not-installed' } } });

  it('prints each server and each tool on one line, and exits 1 naming a server that failed', async () => {
    const result = await runCli(['list'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^filesystem \(\d+ tools\)\n {2}create_directory {2}Create a new directory/m);
    expect(result.stdout).toMatch(/^memory \(9 tools\)$/m);
    expect(result.stdout).toMatch(/^ {2}read_graph {2}Read the entire knowledge graph$/m);
    expect(result.stderr).toMatch(/^✗ server "down": cannot start "runbyte-not-installed"/m);
  });

  it('narrows to one server, with --json', async () => {
    const result = await runCli(['list', 'memory', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const { servers } = JSON.parse(result.stdout);
    expect(servers).toHaveLength(1);
    expect(servers[0].name).toBe('memory');
    expect(servers[0].tools.map((tool: { name: string }) => tool.name)).toContain('create_entities');
  });

  it("--json carries each tool's annotations as the server sent them", async () => {
    const result = await runCli(['list', 'memory', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const tools: { name: string; annotations?: Record<string, unknown> }[] = JSON.parse(result.stdout).servers[0].tools;
    const byName = new Map(tools.map((tool) => [tool.name, tool.annotations]));
    expect(byName.get('delete_entities')).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false });
    expect(byName.get('read_graph')).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('names an unknown server (exit 2)', async () => {
    const result = await runCli(['list', 'nope'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no server named "nope"');
  });
});
