import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { isolatedEnv, reference, REPO, runCli, tempProject } from '../helpers/cli.js';

const typescript = createRequire(import.meta.url)('typescript') as typeof ts;

const PROGRAM = `import { connect } from 'runbyte';
import { setToolCaller } from './generated/runtime.js';
import { createEntities, readGraph } from './generated/servers/memory/index.js';

const servers = await connect();
setToolCaller(servers.callTool);
try {
  await createEntities({ entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] });
  const graph = await readGraph();
  console.log(JSON.stringify(graph.entities.map((entity) => entity.name)));
} finally {
  await servers.close();
}
`;

describe('the generated SDK in an ordinary Node program', () => {
  it('compiles under --strict and calls live servers once callTool is bound', async () => {
    const dir = tempProject({ mcpServers: { memory: reference.memory() } });
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules/runbyte'), 'dir');
    writeFileSync(join(dir, 'main.ts'), PROGRAM);

    const program = typescript.createProgram([join(dir, 'main.ts')], {
      strict: true,
      target: typescript.ScriptTarget.ES2022,
      module: typescript.ModuleKind.NodeNext,
      moduleResolution: typescript.ModuleResolutionKind.NodeNext,
      outDir: join(dir, 'out'),
      rootDir: dir,
      types: [],
      skipLibCheck: true,
    });
    const diagnostics = typescript.getPreEmitDiagnostics(program).map((d) => typescript.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
    program.emit();
    writeFileSync(join(dir, 'out/package.json'), '{ "type": "module" }\n');

    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'out/main.js')], { cwd: dir, env: isolatedEnv(dir) });
    expect(JSON.parse(stdout)).toEqual(['Ada']);
  });
});
