import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { typescript } from '../check/typescript.js';
import type { ToolCallResult } from '../shared/tool-spec.js';

export type ToolValue = (server: string, tool: string, result: ToolCallResult) => unknown;

const RUNTIME_TEMPLATE = fileURLToPath(new URL('../../templates/runtime.ts', import.meta.url));

/**
 * `toolValue` of templates/runtime.ts: the one result rule (docs/architecture.md, "One concern, one
 * place"), which the SDK runs in the sandbox and in users' programs. It is TypeScript that ships
 * as source in every SDK, so here it is transpiled once (per process) and imported, never copied.
 */
export function loadToolValue(): Promise<ToolValue> {
  loading ??= transpiled();
  return loading;
}

let loading: Promise<ToolValue> | undefined;

async function transpiled(): Promise<ToolValue> {
  const source = await readFile(RUNTIME_TEMPLATE, 'utf8');
  const ts = typescript();
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const runtime = (await import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`)) as { toolValue: ToolValue };
  return runtime.toolValue;
}
