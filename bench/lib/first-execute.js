// Child process of the execute benchmark: the first execute() of a fresh process, in-process.
//
//   node bench/lib/first-execute.js CONFIG
//
// Starts a Hub over the project's servers (not timed), then times loading dist/exec plus the
// first Executor.execute() (TypeScript and Rspack load, cold type-check, first bundle, QuickJS
// compile, one tool call), and a second execute for contrast. Prints one JSON line on stdout.
import { performance } from 'node:perf_hooks';
import { loadProjectConfig } from './projects.js';

const configPath = process.argv[2];
const CODE = "import { echo } from './servers/faults';\nconst { value } = await echo({ value: 'first' });\nreturn value;";

const config = await loadProjectConfig(configPath);
const { Hub } = await import('../../dist/hub/index.js');
const hub = new Hub(config.servers, { connectTimeoutMs: 60_000, callTimeoutMs: 30_000 });
const failures = await hub.start();
if (failures.length > 0) throw new Error(failures.map((failure) => failure.message).join('; '));

const started = performance.now();
const { Executor } = await import('../../dist/exec/index.js');
const executor = new Executor({
  roots: { generatedDir: config.outDir, workspaceDir: config.workspaceDir },
  limits: { timeoutMs: 30_000, memoryBytes: 256 * 2 ** 20, maxOutputChars: 40_000 },
  callTool: (server, tool, args, signal) => hub.callTool(server, tool, args, { signal }),
});
const first = await executor.execute(CODE);
const firstMs = performance.now() - started;
if (!first.ok) throw new Error(`first execute failed: ${first.message}`);
if (first.value !== '"first"') throw new Error(`first execute returned ${first.value}`);

const secondStarted = performance.now();
const second = await executor.execute(`${CODE}\n// again`);
const secondMs = performance.now() - secondStarted;
if (!second.ok) throw new Error(`second execute failed: ${second.message}`);

await executor.close();
await hub.close();
process.stdout.write(`${JSON.stringify({ firstMs, firstTimings: first.timings, secondMs })}\n`);
process.exit(0);
