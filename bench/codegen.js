// Codegen benchmark: run after `npm run build` (it imports ../dist/codegen/index.js).
//
//   node bench/codegen.js
//
// Prints the time to generate the SDK of the 117 GitHub MCP tools and of 1,000 synthetic tools
// (cold: the first call in the process; warm: the median of several calls), and the median size
// of a generated tool file relative to its tool's JSON definition (target: ≤ 1.0).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const CORPUS = fileURLToPath(new URL('../test/fixtures/corpus/github-mcp-server.tools.json', import.meta.url));
const GENERATOR = 'runbyte bench';

/** The corpus entries, as listed by the server (annotations, icons and all). */
export function githubCorpus() {
  return JSON.parse(readFileSync(CORPUS, 'utf8')).tools;
}

/** What hub/ makes of a `tools/list` entry (src/hub/tools.ts). */
export function toToolSpec(entry) {
  const spec = { name: entry.name, inputSchema: entry.inputSchema };
  const title = typeof entry.title === 'string' ? entry.title : entry.annotations?.title;
  if (typeof title === 'string') spec.title = title;
  if (typeof entry.description === 'string') spec.description = entry.description;
  if (entry.outputSchema !== undefined) spec.outputSchema = entry.outputSchema;
  return spec;
}

/** `count` realistic tools: the corpus over and over, each copy with its own names. */
export function syntheticTools(count, corpus = githubCorpus()) {
  const tools = [];
  for (let i = 0; i < count; i++) {
    const base = toToolSpec(corpus[i % corpus.length]);
    tools.push({ ...base, name: `${base.name}_${Math.floor(i / corpus.length)}` });
  }
  return tools;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function time(fn) {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function round(value, digits = 1) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Runs the benchmark and returns the numbers (milliseconds, ratios).
 * @param {{ runs?: number }} [options] warm runs per measurement (default 7)
 */
export async function benchCodegen({ runs = 7 } = {}) {
  const importStart = performance.now();
  const { generateSdk, toolIdentifiers } = await import('../dist/codegen/index.js');
  const importMs = performance.now() - importStart;

  const corpus = githubCorpus();
  const github = [{ server: 'github', tools: corpus.map(toToolSpec) }];
  const synthetic = [{ server: 'synthetic', tools: syntheticTools(1000, corpus) }];

  const githubCold = time(() => generateSdk(github, GENERATOR));
  const githubWarm = median(Array.from({ length: runs }, () => time(() => generateSdk(github, GENERATOR))));
  const syntheticCold = time(() => generateSdk(synthetic, GENERATOR));
  const syntheticWarm = median(Array.from({ length: runs }, () => time(() => generateSdk(synthetic, GENERATOR))));

  // Size: each tool's file against JSON.stringify of the tool as the server listed it, and
  // against the ToolSpec runbyte keeps (no annotations or icons: the stricter comparison).
  const files = new Map(generateSdk(github, GENERATOR).map((file) => [file.path, file.text]));
  const names = toolIdentifiers(corpus.map((tool) => tool.name));
  const listed = [];
  const kept = [];
  for (const tool of corpus) {
    const text = files.get(`servers/github/${names.get(tool.name)}.ts`);
    listed.push(text.length / JSON.stringify(tool).length);
    kept.push(text.length / JSON.stringify(toToolSpec(tool)).length);
  }

  return {
    importMs: round(importMs),
    github: { tools: corpus.length, coldMs: round(githubCold), warmMs: round(githubWarm) },
    synthetic: { tools: 1000, coldMs: round(syntheticCold), warmMs: round(syntheticWarm) },
    sizeRatio: { median: round(median(listed), 3), medianVsToolSpec: round(median(kept), 3) },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchCodegen();
  console.log(`codegen: import ${result.importMs} ms`);
  console.log(`codegen: ${result.github.tools} GitHub tools: ${result.github.warmMs} ms warm (median), ${result.github.coldMs} ms cold`);
  console.log(`codegen: ${result.synthetic.tools} synthetic tools: ${result.synthetic.warmMs} ms warm (median), ${result.synthetic.coldMs} ms cold`);
  console.log(`codegen: tool file / JSON definition: median ${result.sizeRatio.median}x (vs runbyte's ToolSpec: ${result.sizeRatio.medianVsToolSpec}x)`);
}
