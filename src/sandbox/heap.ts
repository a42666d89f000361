// Keeps a slice of the guest's WebAssembly memory for the host.
//
// The QuickJS glue (quickjs-emscripten) copies host strings into the heap with a `malloc` whose
// result it never checks: once a memory bomb has filled the heap, the next `newString` would
// write through a null pointer. So the guest may only grow the memory up to a soft ceiling
// (past it QuickJS gets NULL and throws a catchable "out of memory"), while host-side work may
// use the reserve above it. Host work that has to reach into the reserve marks the heap
// exhausted, and the run then ends as a memory fault before the guest can eat the reserve.
//
// Growth goes through Emscripten's `emscripten_resize_heap`, which calls `memory.grow` on the
// Memory object we pass in; it tries 20%, 10% and 5% over-growth (or exactly the request when
// that is larger) and treats a throw as "try the next size".

import { wasm, type WasmMemory } from './wasm.js';

const WASM_PAGE = 64 * 1024;

/** Growth policy of one run's memory. Install it before QuickJS allocates. */
export class HeapGuard {
  /** True while guest code runs: growth stops at the soft ceiling. */
  guestMode = false;
  /** Host work had to grow into the reserve: the run must end as a memory fault. */
  exhausted = false;
  readonly softPages: number;
  private lastRefusedDelta = -1;

  constructor(
    private readonly memory: WasmMemory,
    readonly maxPages: number,
  ) {
    this.softPages = maxPages - reservePages(maxPages);
    const grow = wasm.Memory.prototype.grow;
    memory.grow = (delta: number): number => this.grow(grow, delta);
  }

  /**
   * The guest's heap has reached (about) its ceiling at some point: wasm memory never shrinks.
   * QuickJS can fail in odd ways when it runs out (throwing `null`, dropping promise jobs), so
   * such failures are reported as memory faults when this holds.
   */
  nearCeiling(): boolean {
    return this.memory.buffer.byteLength / WASM_PAGE >= this.softPages * 0.9;
  }

  /** Runs `body` as guest code (soft ceiling), restoring the previous mode after. */
  asGuest<T>(body: () => T): T {
    return this.withMode(true, body);
  }

  /** Runs `body` as host work (reserve usable), restoring the previous mode after. */
  asHost<T>(body: () => T): T {
    return this.withMode(false, body);
  }

  private withMode<T>(guest: boolean, body: () => T): T {
    const previous = this.guestMode;
    this.guestMode = guest;
    try {
      return body();
    } finally {
      this.guestMode = previous;
    }
  }

  private grow(nativeGrow: (this: WasmMemory, delta: number) => number, delta: number): number {
    const current = this.memory.buffer.byteLength / WASM_PAGE;
    const next = current + delta;
    if (next > this.softPages) {
      if (this.guestMode) throw new RangeError('the guest heap reached its ceiling');
      // Host work: decline the generous over-growth attempts so that only what is needed comes
      // out of the reserve. A repeated delta is Emscripten asking for exactly its request.
      if (delta !== this.lastRefusedDelta && next / current > 1.075) {
        this.lastRefusedDelta = delta;
        throw new RangeError('over-growth into the reserve declined');
      }
    }
    let previous: number;
    try {
      previous = nativeGrow.call(this.memory, delta);
    } catch (error) {
      this.lastRefusedDelta = delta;
      throw error;
    }
    this.lastRefusedDelta = -1;
    if (next > this.softPages) this.exhausted = true;
    return previous;
  }
}

/** Pages kept for the host: 1/16 of the memory, at least 4 MiB (covers a 5% over-growth plus a string chunk). */
export function reservePages(maxPages: number): number {
  return Math.max((4 * 1024 * 1024) / WASM_PAGE, Math.ceil(maxPages / 16));
}
