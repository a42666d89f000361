import type { RspackOptions } from '@rspack/core';
import { join } from 'node:path';
import type { VfsRoots } from '../vfs/roots.js';
import { ENTRY_PATH, VIRTUAL_ROOT, VirtualInputFs } from './input-fs.js';

/** The names the script and its map are emitted as (never written: they are taken from memory). */
export const SCRIPT_ASSET = 'bundle.js';
export const MAP_ASSET = `${SCRIPT_ASSET}.map`;

/** Syntax both QuickJS and swc handle natively: class fields, `??=`, optional chaining, top-level await. */
const TARGET = 'es2022';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ROOT = escapeRegExp(VIRTUAL_ROOT);

/**
 * The one Rspack configuration (docs/decisions.md, trap 7, and the measured bundle row):
 *
 * - the virtual tree lives under `VIRTUAL_ROOT`: `/code.ts` and `/workspace/…` are read through the
 *   JS input file system (`experiments.useInputFileSystem`, see input-fs.ts);
 * - the generated SDK is aliased to its host folder and read natively: it is the bulk of the files
 *   (a 1,000-tool server reached through `./servers` is 1,000 modules), and the JS file system
 *   costs ~0.1 ms a file where Rust's own costs next to nothing (cold: ~270 ms vs ~90 ms);
 * - `development` + `cache` + `incremental` with one reused compiler: a warm build only rebuilds
 *   the modules whose files are named in `modifiedFiles`;
 * - tree-shaking switched on explicitly, and the generated SDK marked side-effect-free, so that
 *   importing one tool of a 1,000-tool server bundles that tool, not the server;
 * - one classic script: an IIFE, no chunk loading, dynamic `import()` inlined (`eager`);
 * - the jail is guard.ts, a plugin the Bundler adds (`resolve.restrictions` cannot stand in for it:
 *   Rspack 2.3 then fails to resolve even the virtual entry).
 */
export function rspackOptions(roots: VfsRoots, extraModules: Record<string, string>): RspackOptions {
  const servers = join(roots.generatedDir, 'servers');
  const runtime = join(roots.generatedDir, 'runtime.ts');
  const virtual = (path: string) => VirtualInputFs.rspackPath(path);
  const alias: Record<string, string> = {
    // Relative imports are joined before aliases apply: `./servers/x` from /code.ts and
    // `../servers/x` from a workspace skill both arrive here as <VIRTUAL_ROOT>/servers/x.
    [virtual('/servers')]: servers,
    [`${virtual('/runtime.ts')}$`]: runtime,
    [`${virtual('/runtime.js')}$`]: runtime,
    [`${virtual('/runtime')}$`]: runtime,
    // Absolute imports name the virtual tree, as they do for the type-checker.
    '/servers': servers,
    '/runtime.ts$': runtime,
    '/runtime.js$': runtime,
    '/runtime$': runtime,
    '/workspace': virtual('/workspace'),
  };
  for (const [specifier, hostPath] of Object.entries(extraModules)) alias[`${specifier}$`] = hostPath;
  const generated = escapeRegExp(roots.generatedDir);

  return {
    context: VIRTUAL_ROOT,
    mode: 'development',
    target: TARGET,
    entry: { main: `.${ENTRY_PATH}` },
    devtool: 'hidden-source-map',
    cache: true,
    incremental: true,
    node: false,
    bail: false,
    performance: false,
    stats: false,
    infrastructureLogging: { level: 'error' },
    experiments: {
      useInputFileSystem: [new RegExp(`^${ROOT}(?:[\\\\/]|$)`)],
    },
    output: {
      path: VIRTUAL_ROOT,
      filename: SCRIPT_ASSET,
      iife: true,
      pathinfo: false,
      chunkFormat: false,
      chunkLoading: false,
      wasmLoading: false,
      workerChunkLoading: false,
      globalObject: 'globalThis',
      // Absolute here; the bundler turns `<VIRTUAL_ROOT>/code.ts` into the agent's `/code.ts`.
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    },
    resolve: {
      extensions: ['.ts', '.js', '.json'],
      // Generated tool files import '../../runtime.js' (NodeNext style) for runtime.ts.
      extensionAlias: { '.js': ['.ts', '.js'] },
      alias,
      // Paths stay as written: virtual ones virtual (a link in the workspace is the input file
      // system's business: its jail), host ones under the generated folder as configured.
      symlinks: false,
      // No node_modules: bare specifiers are the extra modules, and nothing else of the host.
      modules: [],
      // A package.json above the generated folder must not redirect an SDK file (the `browser` field).
      aliasFields: [],
      fullySpecified: false,
    },
    module: {
      parser: {
        // A type re-exported without `type` (fine under TypeScript's own rules) is not an error here.
        javascript: { dynamicImportMode: 'eager', typeReexportsPresence: 'tolerant' },
      },
      rules: [
        {
          test: /\.ts$/,
          loader: 'builtin:swc-loader',
          options: {
            jsc: { parser: { syntax: 'typescript' }, target: TARGET },
            isModule: true,
          },
          type: 'javascript/auto',
        },
        {
          // Code without a default export is an error here, not a script that sets nothing.
          test: new RegExp(`^${escapeRegExp(VirtualInputFs.rspackPath(ENTRY_PATH))}$`),
          parser: { exportsPresence: 'error' },
        },
        {
          // The SDK only defines functions: what is not imported is dropped.
          test: new RegExp(`^${generated}[\\\\/](?:servers[\\\\/]|runtime\\.ts$)`),
          sideEffects: false,
        },
      ],
    },
    optimization: {
      usedExports: true,
      providedExports: true,
      sideEffects: true,
      innerGraph: true,
      concatenateModules: true,
      mangleExports: false,
      minimize: false,
      moduleIds: 'named',
      chunkIds: 'named',
      runtimeChunk: false,
      splitChunks: false,
      nodeEnv: false,
      emitOnErrors: false,
    },
  };
}
