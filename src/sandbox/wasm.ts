// The few WebAssembly APIs the sandbox uses, typed locally: the project's `lib` (ES2023) and
// @types/node 20 do not declare the `WebAssembly` namespace.

/** A compiled WebAssembly module (opaque here). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

interface WasmApi {
  Memory: { new (descriptor: { initial: number; maximum?: number }): WasmMemory; prototype: WasmMemory };
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

/** The host's `WebAssembly` global (the guest never gets one). */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
