// The QuickJS WebAssembly module, compiled once per thread, and the factory of the fresh instances
// that runs use, one each (run.ts drives them).

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import {
  type EmscriptenModuleLoaderOptions,
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { HeapGuard, reservePages } from './heap.js';
import { wasm, type WasmMemory, type WasmModule } from './wasm.js';

const WASM_PAGE = 64 * 1024;
/** The QuickJS build imports a memory of at least 256 pages (16 MiB): its initial heap. */
const INITIAL_PAGES = 256;
/** The smallest ceiling: the initial heap for the guest plus the host's reserve above it. */
const MIN_PAGES = INITIAL_PAGES + reservePages(INITIAL_PAGES);
/** ...and at most 32768 pages (2 GiB), the most its heap can grow to. */
const MAX_PAGES = 32768;

/**
 * One fresh QuickJS WebAssembly instance, used for exactly one run. (Not serve's `Engine`: this is
 * the sandbox's interpreter and its memory.)
 */
export interface QuickJsInstance {
  module: QuickJSWASMModule;
  memory: WasmMemory;
  /** Bytes the memory may grow to. */
  maxBytes: number;
  /** The growth policy of `memory` (guest ceiling, host reserve). */
  heap: HeapGuard;
  /** Lines the instance printed (Emscripten's stdout/stderr, e.g. an abort message). */
  printed: string[];
}

let compiled: Promise<WasmModule> | undefined;

/** The QuickJS WebAssembly module, compiled once per process (~2 ms per instance after that). */
function compiledModule(): Promise<WasmModule> {
  compiled ??= (async () => {
    const require = createRequire(import.meta.url);
    const bytes = await readFile(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'));
    return wasm.compile(bytes);
  })().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return compiled;
}

/** Compiles the QuickJS WebAssembly module ahead of the first run. */
export async function compileQuickJs(): Promise<void> {
  await compiledModule();
}

/** The memory ceiling actually used for `memoryBytes`: whole pages, within what the build accepts. */
export function memoryPages(memoryBytes: number): number {
  const pages = Math.floor(memoryBytes / WASM_PAGE);
  return Math.min(MAX_PAGES, Math.max(MIN_PAGES, Number.isFinite(pages) ? pages : MIN_PAGES));
}

/**
 * A fresh QuickJS instance whose heap is a fixed `WebAssembly.Memory` that cannot grow past
 * `memoryBytes` (docs/decisions.md, trap 1: `setMemoryLimit` alone does not cap the heap, and a wasm
 * memory never shrinks, so each run gets its own and drops it afterwards).
 */
export async function newQuickJsInstance(memoryBytes: number): Promise<QuickJsInstance> {
  const pages = memoryPages(memoryBytes);
  const memory = new wasm.Memory({ initial: INITIAL_PAGES, maximum: pages });
  const heap = new HeapGuard(memory, pages);
  const printed: string[] = [];
  // Emscripten writes to console.log/console.error by default; stdout is the MCP wire under
  // `serve`, so keep whatever the instance prints (only ever an abort message) for the outcome.
  // (`print`/`printErr` are standard Emscripten module options that the library's type leaves out;
  // it passes every property through.)
  const emscriptenModule: EmscriptenModuleLoaderOptions & { print(text: string): void; printErr(text: string): void } = {
    print: (text: string) => keepLast(printed, text),
    printErr: (text: string) => keepLast(printed, text),
  };
  const variant = newVariant(releaseSyncVariant(), {
    wasmModule: await compiledModule(),
    wasmMemory: memory,
    emscriptenModule,
  });
  const module = await newQuickJSWASMModuleFromVariant(variant);
  return { module, memory, maxBytes: pages * WASM_PAGE, heap, printed };
}

/**
 * The release-sync variant. Node's ESM loader gives its `index.mjs`, whose default export is the
 * variant; TypeScript reads the package's CommonJS typings, where it sits one `default` deeper.
 */
function releaseSyncVariant(): QuickJSSyncVariant {
  const loaded: unknown = releaseSync.default;
  const isVariant = (value: unknown): value is QuickJSSyncVariant =>
    typeof value === 'object' && value !== null && 'importModuleLoader' in value && 'importFFI' in value;
  if (isVariant(loaded)) return loaded;
  const nested: unknown = (loaded as { default?: unknown }).default;
  if (isVariant(nested)) return nested;
  throw new Error('@jitl/quickjs-wasmfile-release-sync did not export a QuickJS variant');
}

function keepLast(lines: string[], text: string): void {
  lines.push(text);
  if (lines.length > 20) lines.shift();
}
