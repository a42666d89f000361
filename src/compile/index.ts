// compile/: type-check and bundle agent code off the main process (docs/architecture.md). A pool of
// warm compiler processes, each with the check/ and bundle/ stages, under a deadline and a memory
// ceiling; a compiler that is killed or crashes is replaced, and only its execution fails.

export {
  CompilerPool,
  DEFAULT_COMPILER_MEMORY_MB,
  DEFAULT_COMPILERS,
  type CompileFault,
  type CompileOptions,
  type CompileOutcome,
  type CompileStage,
  type CompilerPoolOptions,
} from './pool.js';
export type { Compiled } from './protocol.js';
export type { ExtraModule } from './types.js';
