// Entry of a compiler process (pool.ts starts it): one warm TypeScript checker and one Rspack
// compiler over the virtual tree, taking one compile at a time. It runs in its own process because
// both work on input the agent controls: a native crash of Rspack, a type that takes minutes or a
// heap that fills up ends this process, never the server that started it.

import { readFileSync } from 'node:fs';
import { Bundler, formatBundleDiagnostic } from '../bundle/index.js';
import { formatTypeDiagnostic, prepareAgentCode, TypeChecker } from '../check/index.js';
import { messageOf } from '../shared/errors.js';
import { CODE_PATH, modulePath } from '../vfs/roots.js';
import type { Compiled, CompilerSetup, FromCompiler, ToCompiler } from './protocol.js';
import { SerialQueue } from '../shared/values.js';

const send = (message: FromCompiler) => process.send?.(message);
// The server is gone (or closed the channel): nothing is left to compile for.
process.on('disconnect', () => process.exit(0));

const setup = JSON.parse(process.argv[2] ?? '{}') as CompilerSetup;
const extraFiles: Record<string, string> = {};
for (const module of setup.modules) extraFiles[modulePath(module.specifier)] = readFileSync(module.hostPath, 'utf8');
const checker = new TypeChecker(setup.roots, { extraFiles });
const bundler = new Bundler(setup.roots, {
  extraModules: Object.fromEntries(setup.modules.map((module) => [module.specifier, module.hostPath])),
});

/** Compiles are serialised: the pool sends one at a time, and priming must not overlap one. */
const queue = new SerialQueue();
const serial = <T>(work: () => Promise<T>): Promise<T> => queue.run(work);

process.on('message', (message: ToCompiler) => {
  if (message.type === 'invalidate') {
    checker.invalidate(message.hostPaths);
    bundler.invalidate(message.hostPaths);
  } else if (message.type === 'prime') {
    void serial(() => compile(message.code, 'code.ts')).catch(() => undefined);
  } else {
    const { id, code, codeName } = message;
    void serial(() => compile(code, codeName, () => send({ type: 'stage', id, stage: 'bundle' }))).then(
      (result) => send({ type: 'done', id, result }),
      (error: unknown) => send({ type: 'failed', id, message: messageOf(error) }),
    );
  }
});

/** `codeName`: what the agent's code is called in the diagnostics (protocol.ts, ToCompiler). */
async function compile(code: string, codeName: string, bundling?: () => void): Promise<Compiled> {
  let started = performance.now();
  const prepared = prepareAgentCode(code);
  const diagnostics = checker.check(prepared.text);
  const checkMs = performance.now() - started;
  if (diagnostics.length > 0) {
    return { ok: false, stage: 'check', lines: diagnostics.map((d) => formatTypeDiagnostic(d, prepared.toSource, codeName)), checkMs, bundleMs: 0 };
  }
  bundling?.();
  started = performance.now();
  const bundled = await bundler.bundle(prepared.text);
  const bundleMs = performance.now() - started;
  if (!bundled.ok) {
    // The bundler speaks in the prepared module's lines; the agent wants its own.
    const lines = bundled.errors.map((error) =>
      formatBundleDiagnostic(
        error.file === CODE_PATH && error.line > 0 ? { ...error, ...prepared.toSource(error.line, Math.max(1, error.column)) } : error,
        codeName,
      ),
    );
    return { ok: false, stage: 'bundle', lines, checkMs, bundleMs };
  }
  return { ok: true, script: bundled.script, map: bundled.map, layout: prepared.layout, checkMs, bundleMs };
}

await bundler.warm();
if (setup.prime) await serial(() => compile(setup.prime!, 'code.ts')).catch(() => undefined);
send({ type: 'ready' });
