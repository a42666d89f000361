import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Vfs } from '../../src/vfs/index.js';
import { reference, runCli, tempProject } from '../helpers/cli.js';

describe("a server's instructions and offerings in the agent's tree", () => {
  it('list_directory /servers/everything shows README.md first, read_file gives its instructions and prompts', async () => {
    const dir = tempProject({ mcpServers: { everything: reference.everything(), filesystem: reference.filesystem() } });
    const result = await runCli(['generate'], { cwd: dir });
    expect(result.code).toBe(0);
    const generatedDir = join(dir, 'generated');
    const workspaceDir = join(dir, 'workspace');
    mkdirSync(workspaceDir, { recursive: true });
    // The tree serve's list_directory and read_file answer from.
    const vfs = new Vfs({ generatedDir, workspaceDir });

    const listing = (await vfs.list('/servers/everything', { withDescriptions: true })).split('\n');
    expect(listing[0]).toBe('README.md');
    expect(listing.at(-1)).toBe('index.ts');
    expect(listing.length).toBeGreaterThan(5);
    const readme = await vfs.read('/servers/everything/README.md');
    expect(readme).toBe(readFileSync(join(generatedDir, 'servers/everything/README.md'), 'utf8'));
    expect(readme).toContain('Everything Server');
    expect(readme).toContain('simple-prompt()');

    // filesystem offers nothing besides tools: no README; and README.md never counts as a function.
    expect(await vfs.list('/servers/filesystem')).not.toContain('README.md');
    const everything = (await vfs.list('/servers')).split('\n').find((line) => line.startsWith('everything/'));
    const functions = listing.filter((name) => name !== 'README.md' && name !== 'index.ts').length;
    expect(everything).toBe(`everything/ (${functions} functions)`);
  });
});
