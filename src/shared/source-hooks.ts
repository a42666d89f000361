// Lets a worker thread or a child process run this project's .ts sources, as vitest runs them.
// Only from sources: the built dist/ never uses it.

/**
 * A `data:` URL for `--import` (or a worker's first import) that registers module hooks which
 * resolve `./x.js` to `./x.ts` when only the .ts exists and transpile .ts with the project's own
 * TypeScript. A spawned runtime would otherwise fail on the first .ts it loads.
 */
export function sourceHooksBootstrap(): string {
  const hooks = `
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const require = createRequire(${JSON.stringify(import.meta.url)});
let ts;
export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const js = new URL(specifier, context.parentURL);
    const tsUrl = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (!existsSync(js) && existsSync(tsUrl)) return { url: tsUrl.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  ts ??= require('typescript');
  const { outputText } = ts.transpileModule(readFileSync(new URL(url), 'utf8'), {
    fileName: fileURLToPath(url),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}`;
  const bootstrap = `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return `data:text/javascript,${encodeURIComponent(bootstrap)}`;
}
