// execute section: the in-process Executor (dist/exec) with a real Hub (dist/hub) over faults.js
// and the reference filesystem server, the SDK generated into a temporary project with
// dist/generate; plus cold starts (the built CLI's `run`, and a fresh process's first execute).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, REPO, generateSdk, isolatedEnv, project, servers } from './projects.js';
import { sample, summarize } from './stats.js';

/** Bridged calls made before the per-call figures are taken (see benchExecute). */
const JIT_WARMUP_CALLS = 3000;

const LIMITS = { timeoutMs: 30_000, memoryBytes: 256 * 2 ** 20, maxOutputChars: 40_000 };

const TRIVIAL = 'return 1;';
const ONE_CALL = "import { echo } from './servers/faults';\nconst { value } = await echo({ value: 1 });\nreturn value;";
const sequential = (n) =>
  `import { echo } from './servers/faults';\nconst n = ${n};\nlet last = 0;\nfor (let i = 0; i < n; i++) last = (await echo({ value: i })).value as number;\nreturn last;`;
const PARALLEL_SLEEPS =
  "import { sleep } from './servers/faults';\nconst answers = await Promise.all(Array.from({ length: 100 }, () => sleep({ ms: 50 })));\nreturn answers.length;";

/** Pulls a large file through the filesystem server, aggregates it in code, returns a summary. */
export const WORKFLOW = `import { readTextFile } from './servers/filesystem';

const { content } = await readTextFile({ path: 'orders-large.csv' });
const [header, ...lines] = content.trim().split('\\n');
const columns = header.split(',');
const byRegion: Record<string, { orders: number; revenue: number }> = {};
for (const line of lines) {
  const order = Object.fromEntries(line.split(',').map((value, i) => [columns[i], value]));
  if (order.status === 'cancelled') continue;
  const region = (byRegion[order.region] ??= { orders: 0, revenue: 0 });
  region.orders += 1;
  region.revenue += Number(order.quantity) * Number(order.unit_price);
}
return Object.entries(byRegion).map(([region, r]) => ({ region, orders: r.orders, revenue: Math.round(r.revenue) }));
`;

/** Each run gets a distinct script (a trailing comment), as an agent's would be: no cache hits on identical text. */
const variant = (code, i) => `${code}\n// run ${i}`;

export async function benchExecute({ rounds = 1 } = {}) {
  const scale = (n) => Math.max(3, Math.round(n * rounds));
  const { dir, configPath } = project('exec', { faults: servers.faults(), filesystem: servers.filesystem() });
  const { config } = await generateSdk(configPath);

  // Cold first: these spawn fresh processes, so nothing this process has loaded helps them.
  const coldCli = await coldCliRuns(dir, configPath, scale(5));
  const firstExecute = await firstExecuteRuns(configPath, scale(5));

  const { hub, executor } = await engineParts(config);
  let direct;
  try {
    await startHub(hub);
    direct = await directClient(config.servers.find((server) => server.name === 'faults'));
    const run = async (code, expected, options) => {
      const outcome = await executor.execute(code, options);
      if (!outcome.ok) throw new Error(`bench script failed: ${outcome.message}`);
      if (expected !== undefined && outcome.value !== expected) throw new Error(`bench script returned ${outcome.value}, not ${expected}`);
      return outcome;
    };

    // Warm up the checker, bundler and sandbox with every kind of script first.
    for (const code of [TRIVIAL, ONE_CALL, sequential(3), PARALLEL_SLEEPS]) await run(variant(code, 'warmup'));

    const phases = { checkMs: [], bundleMs: [], runMs: [], otherMs: [] };
    const trivial = await sample(
      async (i) => {
        const started = performance.now();
        const { timings } = await run(variant(TRIVIAL, i), '1');
        const total = performance.now() - started;
        for (const key of ['checkMs', 'bundleMs', 'runMs']) phases[key].push(timings[key]);
        // Outside the three timed phases: preparing the code, cutting output, awaits between them.
        phases.otherMs.push(total - timings.checkMs - timings.bundleMs - timings.runMs);
      },
      { runs: scale(30), warmup: 3 },
    );
    const oneCall = await sample((i) => run(variant(ONE_CALL, i), '1'), { runs: scale(20), warmup: 2 });

    // Per-call cost inside code: sandbox run time of 100 sequential calls minus that of the same
    // script with n = 0, over 100. Against: 100 sequential hub.callTool, and a bare SDK Client.
    // V8 needs a few thousand bridged calls to optimise the host side (the QuickJS glue, the MCP
    // SDK): the first 100 calls of the process are measured as they come, the rest after a warm-up.
    const firstZero = await run(variant(sequential(0), 'first'), '0');
    const firstHundred = await run(variant(sequential(100), 'first'), '99');
    const firstHundredPerCall = (firstHundred.timings.runMs - firstZero.timings.runMs) / 100;
    const [firstDirect] = await (async () => {
      const started = performance.now();
      for (let i = 0; i < 100; i++) await direct.client.callTool({ name: 'echo', arguments: { value: i } });
      return [(performance.now() - started) / 100];
    })();
    await run(variant(sequential(JIT_WARMUP_CALLS), 'jit'), String(JIT_WARMUP_CALLS - 1));
    for (let i = 0; i < JIT_WARMUP_CALLS; i += 1) await hub.callTool('faults', 'echo', { value: i });
    for (let i = 0; i < JIT_WARMUP_CALLS; i += 1) await direct.client.callTool({ name: 'echo', arguments: { value: i } });
    // Rounds pair the three measurements back to back, so load from elsewhere on the machine
    // hits them alike; the ratios are taken per round.
    const hundredExecute = [];
    const perCallInCode = [];
    const perCallHub = [];
    const perCallClient = [];
    const ratioHub = [];
    const ratioClient = [];
    // The same 100 calls when the client asked for progress: an event per call start, end and
    // downstream report, and a progressToken on each downstream call (serve turns each event
    // into a notification; here the listener only counts them).
    const withProgress = [];
    const progressRatio = [];
    let events = 0;
    const listening = { onEvent: () => (events += 1) };
    const timeCalls = async (call) => {
      const started = performance.now();
      for (let i = 0; i < 100; i++) await call(i);
      return (performance.now() - started) / 100;
    };
    for (let i = -1; i < scale(15); i++) {
      const zeroOutcome = await run(variant(sequential(0), i), '0');
      const started = performance.now();
      const hundred = await run(variant(sequential(100), i), '99');
      const executeMs = performance.now() - started;
      const inCode = (hundred.timings.runMs - zeroOutcome.timings.runMs) / 100;
      const progressStarted = performance.now();
      await run(variant(sequential(100), `progress ${i}`), '99', listening);
      const progressMs = performance.now() - progressStarted;
      const viaHub = await timeCalls((value) => hub.callTool('faults', 'echo', { value }));
      const viaClient = await timeCalls((value) => direct.client.callTool({ name: 'echo', arguments: { value } }));
      if (i < 0) continue; // warm-up round
      hundredExecute.push(executeMs);
      withProgress.push(progressMs);
      progressRatio.push(progressMs / executeMs);
      perCallInCode.push(inCode);
      perCallHub.push(viaHub);
      perCallClient.push(viaClient);
      ratioHub.push(inCode / viaHub);
      ratioClient.push(inCode / viaClient);
    }

    const parallel = await sample((i) => run(variant(PARALLEL_SLEEPS, i), '100'), { runs: scale(10), warmup: 1 });

    // The intermediate-data workflow, for the tokens section: the raw tool result a traditional
    // client would have put in context, and the summary execute_code returns instead.
    const raw = await hub.callTool('filesystem', 'read_text_file', { path: 'orders-large.csv' });
    const rawText = (raw.content ?? []).map((block) => block.text ?? '').join('\n');
    const workflowOutcome = await run(WORKFLOW);
    const workflowMs = await sample((i) => run(variant(WORKFLOW, i)), { runs: scale(5) });

    return {
      warmTrivial: summarize(trivial),
      warmTrivialPhases: Object.fromEntries(Object.entries(phases).map(([key, values]) => [key, summarize(values)])),
      oneCall: summarize(oneCall),
      sequential100: {
        execute: summarize(hundredExecute),
        withProgress: summarize(withProgress),
        progressRatio: summarize(progressRatio, 3),
        progressEvents: events,
        perCallInCodeMs: summarize(perCallInCode, 3),
        perCallHubMs: summarize(perCallHub, 3),
        perCallClientMs: summarize(perCallClient, 3),
        ratioVsHub: summarize(ratioHub),
        jitWarmupCalls: JIT_WARMUP_CALLS,
        firstHundredPerCallMs: firstHundredPerCall,
        firstHundredClientPerCallMs: firstDirect,
        ratioVsClient: summarize(ratioClient),
      },
      parallel100Sleep50: summarize(parallel),
      coldCli,
      firstExecute,
      workflow: {
        file: 'orders-large.csv',
        rows: rawText.trim().split('\n').length - 1,
        rawText,
        summaryText: workflowOutcome.value,
        code: WORKFLOW,
        execute: summarize(workflowMs),
      },
    };
  } finally {
    await direct?.close();
    await executor.close();
    await hub.close();
  }
}

/** A Hub and an Executor wired as serve's Engine wires them (without the workspace and live tools). */
async function engineParts(config) {
  const { Hub } = await import('../../dist/hub/index.js');
  const { Executor } = await import('../../dist/exec/index.js');
  const hub = new Hub(config.servers, { connectTimeoutMs: 60_000, callTimeoutMs: 30_000 });
  const executor = new Executor({
    roots: { generatedDir: config.outDir, workspaceDir: config.workspaceDir },
    limits: LIMITS,
    callTool: (server, tool, args, signal) => hub.callTool(server, tool, args, { signal }),
  });
  return { hub, executor };
}

async function startHub(hub) {
  const failures = await hub.start();
  if (failures.length > 0) throw new Error(failures.map((failure) => failure.message).join('; '));
}

/** A bare MCP SDK Client on the faults server: what a traditional client's tools/call costs. */
async function directClient(config) {
  const transport = new StdioClientTransport({ command: config.command, args: config.args, cwd: config.cwd, stderr: 'ignore' });
  const client = new Client({ name: 'runbyte-bench', version: '1.0.0' });
  await client.connect(transport);
  await client.listTools();
  return { client, close: () => client.close() };
}

/** `node bin/run.js run cold.ts`: spawn to the first byte of the result on stdout, and to exit. */
async function coldCliRuns(dir, configPath, runs) {
  const file = join(dir, 'cold.ts');
  writeFileSync(file, ONE_CALL);
  const toResult = [];
  const toExit = [];
  for (let i = 0; i < runs; i++) {
    const { firstOutputMs, exitMs, stdout, stderr, code } = await spawnTimed(process.execPath, [BIN, 'run', file, '--config', configPath], {
      cwd: dir,
      env: isolatedEnv(dir),
    });
    if (code !== 0 || stdout.trim() !== '1') throw new Error(`runbyte run exited ${code}: ${stdout}${stderr}`);
    toResult.push(firstOutputMs);
    toExit.push(exitMs);
  }
  return { toResult: summarize(toResult), toExit: summarize(toExit) };
}

/** A fresh node process per run (bench/lib/first-execute.js): the first execute() in-process. */
async function firstExecuteRuns(configPath, runs) {
  const first = [];
  const second = [];
  const phases = { checkMs: [], bundleMs: [], runMs: [] };
  for (let i = 0; i < runs; i++) {
    const { stdout, stderr, code } = await spawnTimed(process.execPath, [join(REPO, 'bench/lib/first-execute.js'), configPath], {
      cwd: REPO,
      env: process.env,
    });
    if (code !== 0) throw new Error(`first-execute.js exited ${code}: ${stderr}`);
    const result = JSON.parse(stdout.trim().split('\n').at(-1));
    first.push(result.firstMs);
    second.push(result.secondMs);
    for (const key of Object.keys(phases)) phases[key].push(result.firstTimings[key]);
  }
  return {
    first: summarize(first),
    second: summarize(second),
    firstPhases: Object.fromEntries(Object.entries(phases).map(([key, values]) => [key, summarize(values)])),
  };
}

export function spawnTimed(command, args, { cwd, env, timeoutMs = 120_000 }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstOutputMs;
    child.stdout.on('data', (chunk) => {
      firstOutputMs ??= performance.now() - started;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} took longer than ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, firstOutputMs, exitMs: performance.now() - started });
    });
  });
}

/**
 * Warm execute against a large SDK (the memory section's project: the GitHub corpus and 1,000
 * synthetic tools, 1,117 in all), in-process, with the time of each phase.
 */
export async function benchLargeSdk(configPath, { rounds = 1 } = {}) {
  const runs = Math.max(3, Math.round(15 * rounds));
  const { loadProjectConfig } = await import('./projects.js');
  const config = await loadProjectConfig(configPath);
  const { hub, executor } = await engineParts(config);
  const code =
    "import { listIssues } from './servers/github';\nimport { createIssue0 } from './servers/synthetic';\n" +
    "const a = await listIssues({ owner: 'o', repo: 'r' });\nconst b = await createIssue0({ owner: 'o', repo: 'r', title: 't' });\nreturn [a.tool, b.tool];";
  try {
    await startHub(hub);
    const phases = { checkMs: [], bundleMs: [], runMs: [] };
    const [firstMs] = await (async () => {
      const started = performance.now();
      const outcome = await executor.execute(code);
      if (!outcome.ok) throw new Error(outcome.message);
      return [performance.now() - started];
    })();
    const total = await sample(
      async (i) => {
        const outcome = await executor.execute(variant(code, i));
        if (!outcome.ok) throw new Error(outcome.message);
        for (const key of Object.keys(phases)) phases[key].push(outcome.timings[key]);
      },
      { runs, warmup: 2 },
    );
    return {
      firstMs,
      warm: summarize(total),
      phases: Object.fromEntries(Object.entries(phases).map(([key, values]) => [key, summarize(values)])),
    };
  } finally {
    await executor.close();
    await hub.close();
  }
}
