// bundle/: Rspack → one classic script + source map, or diagnostics. The only @rspack/core user,
// and it loads it lazily (bundler.ts): importing this file costs nothing.
export { Bundler, type BundleResult, type BundlerOptions, type RawSourceMap } from './bundler.js';
export { formatBundleDiagnostic, type BundleDiagnostic } from './diagnostics.js';
