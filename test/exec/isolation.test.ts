import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CODE_CHARS } from '../../src/exec/index.js';
import { failureOf, startExec, valueFrom, type ExecFixture } from './helpers.js';

const PATHOLOGICAL = readFileSync(join(import.meta.dirname, '../fixtures/code/pathological-types.ts'), 'utf8');

// Agent input that used to take the whole process down, or stall every other execution: the
// compilers (compile/) run it in processes of their own, under the execution's deadline.
describe('exec: the type-checker and the bundler are isolated', () => {
  let fixture: ExecFixture;

  beforeAll(async () => {
    fixture = await startExec([], { timeoutMs: 2_000 });
  });
  afterAll(() => fixture?.close());

  it('survives a module that crashes Rspack, and the next execution works', async () => {
    // Rspack 2.3 panics (SIGABRT) on a `declare class` re-exported from an imported module.
    mkdirSync(join(fixture.dir, 'workspace/skills'), { recursive: true });
    writeFileSync(join(fixture.dir, 'workspace/skills/p.ts'), 'declare class B {}\nexport { B };\n');
    const outcome = await fixture.run("import { B } from './workspace/skills/p';\nreturn typeof B;");
    expect(failureOf(outcome)).toMatch(/^Bundle failed\n/);
    expect(valueFrom(await fixture.run('return 1;'))).toBe(1);
  });

  it('counts type-checking against the time limit and names the phase', async () => {
    await fixture.executor.warm(); // both compilers up (the test before may have crashed one)
    const started = performance.now();
    const slow = fixture.run(PATHOLOGICAL);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Another session meanwhile: answered at once by the other compiler.
    const quickStart = performance.now();
    expect(valueFrom(await fixture.run('return 1;'))).toBe(1);
    expect(performance.now() - quickStart).toBeLessThan(1_000);

    const outcome = await slow;
    expect(outcome).toMatchObject({ ok: false, phase: 'Timed out', message: 'Timed out after 2 s (type check)' });
    expect(performance.now() - started).toBeLessThan(3_500);
    expect(valueFrom(await fixture.run('return 2;'))).toBe(2);
  });

  it('refuses code over the size limit before checking it', async () => {
    const code = `return ${JSON.stringify('x'.repeat(MAX_CODE_CHARS))};`;
    const outcome = await fixture.run(code);
    expect(outcome).toMatchObject({ ok: false, phase: 'Type check failed' });
    expect(failureOf(outcome)).toBe('Type check failed\ncode.ts: the code is 1.0 MB long; at most 1.0 MB is accepted');
  });
});
