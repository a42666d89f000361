// The runbyte benchmark: `npm run bench` (builds first), or `node bench/index.js` after a build.
//
//   node bench/index.js [--quick]
//
// Runs every measurement on this machine with no network (local fixture and reference MCP
// servers only), prints one aligned plain-text table, and writes the same figures as JSON to
// bench/results.json. Times are medians over repeated runs, with min and max. --quick runs
// fewer rounds (for trying the benchmark itself out; not for figures you quote).
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchCodegen, githubCorpus, syntheticTools, toToolSpec } from './codegen.js';
import { benchExecute, benchLargeSdk } from './lib/execute.js';
import { BURST, benchLive } from './lib/live.js';
import { REPO, cleanup } from './lib/projects.js';
import { benchMemory, benchTransports } from './lib/serve.js';
import { round, sample, summarize } from './lib/stats.js';
import { renderTable } from './lib/table.js';
import { benchTrust } from './lib/trust.js';
import { ENCODING, benchTokens } from './lib/tokens.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 0.3 : 1;
const GOALS = {
  sizeRatio: 1.0,
  warmTrivialMs: 15,
  perCallRatio: 1.2,
  parallelMs: 80,
  tokenReduction: 0.99,
  searchReduction: 0.995,
  searchMs: 5,
  fixedChars: 1500,
};

if (!existsSync(join(REPO, 'dist/exec/index.js'))) {
  console.error('bench: no build found (dist/); run `npm run bench`, which builds first');
  process.exit(2);
}

const progress = (message) => process.stderr.write(`bench: ${message}\n`);
const started = performance.now();
const results = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    quick,
    tokenEncoding: ENCODING,
  },
};

const errors = {};
/** Runs one section; a failure is reported in the table (and the exit status), not fatal to the others. */
async function section(name, what, fn) {
  progress(what);
  try {
    results[name] = await fn();
  } catch (error) {
    errors[name] = error instanceof Error ? error.message.split('\n')[0] : String(error);
    progress(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  }
}

try {
  await section('codegen', 'codegen', codegenSection);
  await section('sandbox', 'sandbox', async () => {
    const { benchSandbox } = await import('./sandbox.js');
    return benchSandbox({ rounds: Math.max(10, Math.round(30 * rounds)) });
  });
  await section('execute', 'execute (in-process, and cold starts)', () => benchExecute({ rounds }));
  await section('trust', 'learned result types, policy check, audit log', () => benchTrust({ rounds }));
  await section('transports', 'transports (serve over stdio and HTTP)', () => benchTransports({ rounds }));
  await section('memory', 'memory (serve with 1,117 tools)', () => benchMemory());
  if (results.memory) await section('largeSdk', 'execute with the 1,117-tool SDK', () => benchLargeSdk(results.memory.configPath, { rounds }));
  await section('live', 'live tools', () => benchLive({ rounds }));
  if (results.transports && results.execute) {
    await section('tokens', 'tokens', () => benchTokens({ modelSees: results.transports.modelSees, workflow: results.execute.workflow }));
  } else {
    errors.tokens = 'needs the transports and execute sections';
  }
} finally {
  cleanup();
}
results.errors = errors;
results.meta.totalSeconds = round((performance.now() - started) / 1000, 1);

const rows = tableRows(results);
results.goals = rows.filter((row) => row.pass !== undefined).map(({ label, median, unit, goal, pass }) => ({ label, value: median, unit, goal, pass }));
// The raw texts are long: keep their sizes in results.json, not the texts.
if (results.execute) delete results.execute.workflow.rawText;
if (results.memory) delete results.memory.configPath;

const heading = [
  `runbyte benchmark: ${results.meta.date.slice(0, 16).replace('T', ' ')} UTC, Node ${results.meta.node}, ${results.meta.platform}, ${results.meta.cpus} CPUs (${results.meta.cpuModel})${quick ? ', --quick' : ''}`,
  "Times: median, min and max over the runs shown. Tokens: gpt-tokenizer, o200k_base encoding (GPT-4o's), a proxy for any given model's tokenizer.",
  '',
].join('\n');
const table = `${heading}${renderTable(rows)}\n\n(${results.meta.totalSeconds} s in all; figures also in bench/results.json)`;
console.log(table);
results.table = table;
writeFileSync(join(REPO, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
if (Object.keys(errors).length > 0) process.exitCode = 1;

/** bench/codegen.js's figures (cold, size ratio), plus warm runs timed here for min and max. */
async function codegenSection() {
  const base = await benchCodegen({ runs: Math.max(3, Math.round(7 * rounds)) });
  const { generateSdk } = await import('../dist/codegen/index.js');
  const corpus = githubCorpus();
  const github = [{ server: 'github', tools: corpus.map(toToolSpec) }];
  const synthetic = [{ server: 'synthetic', tools: syntheticTools(1000, corpus) }];
  const githubWarm = await sample(() => generateSdk(github, 'runbyte bench'), { runs: Math.max(5, Math.round(15 * rounds)), warmup: 1 });
  const syntheticWarm = await sample(() => generateSdk(synthetic, 'runbyte bench'), { runs: Math.max(3, Math.round(9 * rounds)), warmup: 1 });
  return { ...base, githubWarm: summarize(githubWarm), syntheticWarm: summarize(syntheticWarm) };
}

function stat(label, summary, extra = {}) {
  return { label, median: summary.median, min: summary.min, max: summary.max, runs: summary.runs, unit: 'ms', ...extra };
}

function single(label, value, extra = {}) {
  return { label, median: value, runs: 1, unit: 'ms', ...extra };
}

function pct(value) {
  return `${(value * 100).toFixed(2)}%`;
}

function tableRows(r) {
  const rows = [];
  /** A section's rows, or a note saying why it has none. */
  const block = (title, ready, fill) => {
    rows.push({ section: title });
    const missing = ready.find(([name]) => !r[name]);
    if (missing) rows.push({ note: `ERROR: not measured: ${errors[missing[0]] ?? `needs the ${missing[0]} section`}` });
    else fill();
  };
  const { codegen, sandbox, execute, largeSdk, transports, memory, live, tokens, trust } = r;

  block('codegen (pure: tool specs -> SDK files, in memory)', [['codegen']], () => {
    rows.push(stat(`${codegen.github.tools} GitHub tools, warm`, codegen.githubWarm));
    rows.push(single(`${codegen.github.tools} GitHub tools, cold (first call in the process)`, codegen.github.coldMs));
    rows.push(stat(`${codegen.synthetic.tools.toLocaleString('en-US')} synthetic tools, warm`, codegen.syntheticWarm));
    rows.push(single(`${codegen.synthetic.tools.toLocaleString('en-US')} synthetic tools, cold`, codegen.synthetic.coldMs));
    rows.push({
      label: 'tool file / JSON definition, median size (117 GitHub tools)',
      median: codegen.sizeRatio.median,
      unit: 'x',
      digits: 3,
      goal: `<= ${GOALS.sizeRatio.toFixed(1)}x`,
      pass: codegen.sizeRatio.median <= GOALS.sizeRatio,
    });
    rows.push({ label: "  ... vs runbyte's ToolSpec (no annotations)", median: codegen.sizeRatio.medianVsToolSpec, unit: 'x', digits: 3 });
  });

  block('sandbox (QuickJS alone, bench/sandbox.js)', [['sandbox']], () => {
    rows.push({ label: 'fresh instance + `return 1`', median: sandbox.trivialMedianMs, min: sandbox.trivialMinMs, unit: 'ms', digits: 2 });
    rows.push({ label: 'bridged host call, sequential', median: sandbox.hostCallMicros, unit: 'us', digits: 1 });
    rows.push({
      label: `cancel → slot free (spinning guest, pool of 1 worker, ${sandbox.cancels} cancels)`,
      median: sandbox.cancelSlotFreeMedianMs,
      min: sandbox.cancelSlotFreeMinMs,
      max: sandbox.cancelSlotFreeMaxMs,
      runs: sandbox.cancels,
      unit: 'ms',
      digits: 2,
      goal: '< 50 ms',
      pass: sandbox.cancelSlotFreeMedianMs < 50,
    });
    rows.push({ note: `abort to the cancelled outcome: ${sandbox.cancelStopMedianMs} ms (median); slot free is until the next run's first host call` });
  });

  block('learned result types, policy and audit (bench/lib/trust.js; off the call path or once per execution)', [['trust'], ['execute']], () => {
    const micros = (label, summary, extra = {}) => stat(label, summary, { unit: 'us', digits: 1, ...extra });
    rows.push(micros("record a result's shape (echo-sized, as in the 100 sequential calls)", trust.recordEchoMicros));
    rows.push(micros(`record a result's shape (GitHub sample results, ${trust.githubResultChars} chars on average)`, trust.recordGithubMicros));
    const share = trust.recordEchoMicros.median / (execute.sequential100.perCallInCodeMs.median * 1000);
    rows.push({ label: '  recording / a call inside code', median: round(share * 100, 2), runs: 1, unit: '%', digits: 2, goal: '<= 3%', pass: share <= 0.03 });
    rows.push({
      label: `shapes file of ${trust.shapesFileTools} GitHub tools`,
      median: round(trust.shapesFileBytes / 1024, 1),
      runs: 1,
      unit: 'KB',
      digits: 1,
    });
    rows.push(micros('policy check of one execution (3 tools, 1,117-tool lock)', trust.authorizeMicros));
    rows.push(micros(`audit line appended to disk (${trust.auditLineBytes} bytes, 10 calls)`, trust.auditAppendMicros));
  });

  block('execute (in-process Executor + Hub over faults.js / server-filesystem)', [['execute']], () => {
    const seq = execute.sequential100;
    rows.push(
      stat('warm trivial script (`return 1`)', execute.warmTrivial, {
        goal: `<= ${GOALS.warmTrivialMs} ms`,
        pass: execute.warmTrivial.median <= GOALS.warmTrivialMs,
      }),
    );
    const p = execute.warmTrivialPhases;
    rows.push({
      note: `phases (median): check ${p.checkMs.median} ms, bundle ${p.bundleMs.median} ms, sandbox ${p.runMs.median} ms, outside them ${p.otherMs.median} ms`,
    });
    rows.push(stat('1 tool call (echo)', execute.oneCall));
    rows.push(stat('100 sequential calls, whole execute', seq.execute));
    rows.push(stat('  the same, with progress asked for (events + downstream progressToken)', seq.withProgress));
    rows.push(
      stat('  progress cost: with / without, per round', seq.progressRatio, {
        unit: 'x',
        digits: 3,
        goal: '<= 1.05x',
        pass: seq.progressRatio.median <= 1.05,
      }),
    );
    rows.push(stat('  per call inside code', seq.perCallInCodeMs, { digits: 3 }));
    rows.push(stat('  per call, direct hub.callTool', seq.perCallHubMs, { digits: 3 }));
    rows.push(stat('  per call, bare SDK Client tools/call', seq.perCallClientMs, { digits: 3 }));
    rows.push(
      stat('  per-call ratio, code / direct hub.callTool', seq.ratioVsHub, {
        unit: 'x',
        digits: 2,
        goal: `<= ${GOALS.perCallRatio}x`,
        pass: seq.ratioVsHub.median <= GOALS.perCallRatio,
      }),
    );
    rows.push(
      stat('  per-call ratio, code / bare SDK Client', seq.ratioVsClient, {
        unit: 'x',
        digits: 2,
        goal: `<= ${GOALS.perCallRatio}x`,
        pass: seq.ratioVsClient.median <= GOALS.perCallRatio,
      }),
    );
    rows.push({
      note: `per-call figures after ${seq.jitWarmupCalls.toLocaleString('en-US')} warm-up calls, ratios per round (each round times the three back to back); without it (the process's first few hundred calls): ${seq.firstHundredPerCallMs.toFixed(3)} ms a call in code, ${seq.firstHundredClientPerCallMs.toFixed(3)} ms with the bare Client`,
    });
    rows.push(
      stat('100 parallel 50 ms sleeps (Promise.all), whole execute', execute.parallel100Sleep50, {
        goal: `<= ${GOALS.parallelMs} ms`,
        pass: execute.parallel100Sleep50.median <= GOALS.parallelMs,
      }),
    );
    rows.push(stat('cold: `node bin/run.js run` to first result (2 servers)', execute.coldCli.toResult, { digits: 0 }));
    rows.push(stat('cold: `node bin/run.js run` to exit', execute.coldCli.toExit, { digits: 0 }));
    rows.push(stat('cold: first execute in a fresh process (1 tool call)', execute.firstExecute.first, { digits: 0 }));
    const f = execute.firstExecute.firstPhases;
    rows.push({
      note: `phases (median): check ${f.checkMs.median} ms, bundle ${f.bundleMs.median} ms, sandbox ${f.runMs.median} ms; the rest is loading TypeScript and Rspack`,
    });
    if (largeSdk) {
      rows.push(stat(`warm execute, ${memory.tools.toLocaleString('en-US')}-tool SDK, 2 calls`, largeSdk.warm));
      rows.push({
        note: `phases (median): check ${largeSdk.phases.checkMs.median} ms, bundle ${largeSdk.phases.bundleMs.median} ms, sandbox ${largeSdk.phases.runMs.median} ms; first: ${Math.round(largeSdk.firstMs)} ms`,
      });
    } else {
      rows.push({ note: `ERROR: 1,117-tool SDK not measured: ${errors.largeSdk ?? errors.memory ?? 'needs the memory section'}` });
    }
  });

  block('transports (real `node bin/run.js serve`, SDK Client; filesystem + memory servers)', [['transports']], () => {
    for (const [name, t] of [
      ['stdio', transports.stdio],
      ['HTTP', transports.http],
    ]) {
      rows.push(stat(`${name}: list_directory /servers`, t.listDirectory, { digits: 2 }));
      rows.push(stat(`${name}: read_file (one tool file)`, t.readFile, { digits: 2 }));
      rows.push(stat(`${name}: execute_code \`return 1\``, t.executeCode));
      rows.push(single(`${name}: start to initialized (regenerates the SDK)`, round(t.startMs, 0), { digits: 0 }));
      rows.push(single(`${name}: first execute_code after start`, round(t.firstExecuteMs, 0), { digits: 0 }));
    }
  });

  block('memory (VmRSS of the serve process, and of its compiler processes; downstream servers not included)', [['transports'], ['memory']], () => {
    const ref = transports.referenceMemory;
    rows.push({ label: 'serve, 2 reference servers: after start', median: ref.atStart.rssMiB, unit: 'MiB', runs: 1 });
    rows.push({
      label: `  its ${ref.compilers.count} compiler processes (type check + bundle), after the executions`,
      median: ref.compilers.rssMiB,
      unit: 'MiB',
      runs: 1,
    });
    rows.push({ label: `serve, 2 reference servers: after ${ref.executions} executions`, median: ref.afterExecutions.rssMiB, unit: 'MiB', runs: 1 });
    rows.push({ label: `serve, ${memory.tools.toLocaleString('en-US')} tools: after start`, median: memory.atStart.rssMiB, unit: 'MiB', runs: 1 });
    rows.push({
      label: `serve, ${memory.tools.toLocaleString('en-US')} tools: after ${memory.executions} executions`,
      median: memory.afterExecutions.rssMiB,
      unit: 'MiB',
      runs: 1,
    });
    rows.push({
      label: `  its ${memory.compilersAfter.count} compiler processes, after the executions`,
      median: memory.compilersAfter.rssMiB,
      unit: 'MiB',
      runs: 1,
    });
    rows.push({
      note: `peak (VmHWM) ${memory.afterExecutions.hwmMiB.toFixed(1)} MiB; its ${memory.children.count} server processes: ${memory.children.rssMiB.toFixed(1)} MiB more; start to initialized ${Math.round(memory.startMs)} ms; first execute ${Math.round(memory.firstExecuteMs)} ms, then ${memory.laterExecute.median} ms (median)`,
    });
  });

  block(`live tools (${BURST} tools/list_changed notifications from faults.js)`, [['live']], () => {
    if (live.todo) {
      rows.push({ note: `TODO: not measured: ${live.todo}` });
    } else {
      rows.push({
        label: 'notifications heard',
        median: live.notifications.median,
        min: live.notifications.min,
        max: live.notifications.max,
        runs: live.notifications.runs,
        digits: 0,
      });
      rows.push({
        label: 'regenerations they caused',
        median: live.regenerations.median,
        min: live.regenerations.min,
        max: live.regenerations.max,
        runs: live.regenerations.runs,
        digits: 0,
      });
      rows.push(stat('burst start to SDK current again', live.settledMs, { digits: 0 }));
      rows.push({ note: `debounce ${live.debounceMs} ms, at most ${live.maxDelayMs} ms` });
    }
  });

  block(`tokens (${ENCODING}): (a) traditional client, every definition in context; (b) runbyte's tools + a typical task`, [['tokens']], () => {
    rows.push({
      label: "runbyte's fixed cost: tools/list JSON + instructions",
      median: tokens.fixed.chars,
      unit: 'chars',
      digits: 0,
      goal: `< ${GOALS.fixedChars.toLocaleString('en-US')} chars`,
      pass: tokens.fixed.chars < GOALS.fixedChars,
    });
    rows.push({ label: '  the same, in tokens', median: tokens.fixed.tokens, unit: 'tokens', digits: 0 });
    for (const key of ['reference', 'github', 'synthetic', 'total']) {
      const s = tokens.scenarios[key];
      const name = `${s.label}, ${s.tools.toLocaleString('en-US')} tools`;
      rows.push({ label: `${name}: (a) traditional`, median: s.traditional.tokens, unit: 'tokens', digits: 0 });
      rows.push({ label: `${name}: (b) runbyte`, median: s.runbyte.tokens, unit: 'tokens', digits: 0 });
      const isTotal = key === 'total';
      rows.push({
        label: `${name}: (b) below (a) by`,
        median: pct(s.reduction),
        goal: isTotal ? `>= ${GOALS.tokenReduction * 100}%` : undefined,
        pass: isTotal ? s.reduction >= GOALS.tokenReduction : undefined,
      });
    }
    const total = tokens.scenarios.total;
    rows.push({ note: `(b) = fixed ${tokens.fixed.tokens} + ${total.runbyte.steps.map((step) => `${step.call} ${step.tokens}`).join(' + ')}` });
    rows.push({
      note: `listing that server without descriptions (${total.withoutDescriptions.listingTokens} tokens) instead: (b) ${total.withoutDescriptions.tokens.toLocaleString('en-US')} tokens, ${pct(total.withoutDescriptions.reduction)} below (a)`,
    });
    const search = total.search;
    if (search) {
      const totalName = `${total.label}, ${total.tools.toLocaleString('en-US')} tools`;
      rows.push({ label: `${totalName}: (b) with search_tools in place of the listings`, median: search.tokens, unit: 'tokens', digits: 0 });
      rows.push({
        label: `${totalName}: that (b) below (a) by`,
        median: pct(search.reduction),
        goal: `>= ${GOALS.searchReduction * 100}%`,
        pass: search.reduction >= GOALS.searchReduction,
      });
      rows.push({ note: `(b) = fixed ${tokens.fixed.tokens} + ${search.steps.map((step) => `${step.call} ${step.tokens}`).join(' + ')}` });
      rows.push({
        label: `${totalName}: (b) with two search_tools detail "full" (no reads)`,
        median: search.full.tokens,
        unit: 'tokens',
        digits: 0,
      });
      rows.push({
        label: `${totalName}: that (b) below (a) by`,
        median: pct(search.full.reduction),
        goal: `>= ${GOALS.searchReduction * 100}%`,
        pass: search.full.reduction >= GOALS.searchReduction,
      });
      rows.push(
        stat(`search_tools over ${total.tools.toLocaleString('en-US')} tools, warm (summary, 10 queries x 3)`, search.warmMs, {
          digits: 3,
          goal: `< ${GOALS.searchMs} ms`,
          pass: search.warmMs.median < GOALS.searchMs,
        }),
      );
      rows.push({ note: `first search (reads the lock and every tool file, builds the index): ${search.coldMs} ms` });
    }
    const files = tokens.toolFileVsDefinition;
    rows.push({
      label: `tool file / its JSON definition, median of ${files.tools} GitHub tools`,
      median: files.medianTokenRatio,
      min: files.minTokenRatio,
      max: files.maxTokenRatio,
      unit: 'x tokens',
      digits: 3,
      goal: '<= 1.0x',
      pass: files.medianTokenRatio <= 1,
    });
    rows.push({
      note: `${files.largerThanDefinition} of ${files.tools} files have more tokens than {name, description, inputSchema}; by characters the median is ${files.medianCharRatio}x; against the whole tools/list entry (annotations too) ${files.medianTokenRatioVsListedEntry}x in tokens`,
    });
  });

  block(`tokens (${ENCODING}): (c) intermediate data: a large orders CSV read through server-filesystem, aggregated in code`, [['tokens'], ['execute']], () => {
    const i = tokens.intermediate;
    rows.push({ note: `${execute.workflow.file}: ${execute.workflow.rows.toLocaleString('en-US')} rows, ${i.rawChars.toLocaleString('en-US')} chars` });
    rows.push({ label: 'raw tool result a traditional client would put in context', median: i.rawTokens, unit: 'tokens', digits: 0 });
    rows.push({ label: 'summary execute_code returns', median: i.summaryTokens, unit: 'tokens', digits: 0 });
    rows.push({ label: 'the code the agent writes (sent once)', median: i.codeTokens, unit: 'tokens', digits: 0 });
    rows.push({ label: 'summary below raw by', median: pct(i.reduction) });
    rows.push(stat('that execute_code, whole (warm)', execute.workflow.execute));
  });
  return rows;
}
