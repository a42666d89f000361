// The bundler's jail seen from an execution: code that silences the type-checker to read a host
// file or list a host folder fails in the bundle phase, and the refusal names what it wrote.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { failureOf, startExec, type ExecFixture } from './helpers.js';

const SECRET = 'SECRET_51d0_do_not_bundle';
let fx: ExecFixture;
let outside: string;

beforeAll(async () => {
  outside = mkdtempSync(join(tmpdir(), 'runbyte-exec-secret-'));
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  writeFileSync(join(outside, 'creds.json'), JSON.stringify({ token: SECRET }));
  fx = await startExec([]);
});

afterAll(async () => {
  await fx?.close();
  rmSync(outside, { recursive: true, force: true });
});

it('answers the reported attack with Bundle failed, naming each specifier in the agent’s lines', async () => {
  const secretFile = join(outside, 'secret.txt');
  const code = [
    '// @ts-ignore',
    `const t = (await import(${JSON.stringify(secretFile)}, { with: { type: 'text' } })).default;`,
    '// @ts-ignore',
    `const c = import.meta.webpackContext(${JSON.stringify(outside)}, { recursive: true, regExp: /\\.json$/ });`,
    "return { t, files: c.keys(), creds: c('./creds.json') };",
  ].join('\n');
  const outcome = await fx.run(code);
  const message = failureOf(outcome);
  expect(message).not.toContain(SECRET);
  const [phase, ...lines] = message.split('\n');
  expect(phase).toBe('Bundle failed');
  expect(lines.sort()).toEqual([
    `code.ts:2:25: import of ${JSON.stringify(secretFile)} refused: only ./servers/... and ./workspace/... can be imported`,
    `code.ts:4:38: listing ${JSON.stringify(outside)} refused: folders cannot be listed (require.context, import.meta.webpackContext, a computed path); import each file by its literal path`,
  ]);
});
