// What learned result types, the policy check and the audit log cost, per call and per execution.
//
// - Recording a shape: the host's work after a successful call of an untyped tool (the value by the
//   SDK's result rule, its shape, the merge into the tool's shape), for the echo-sized results of
//   the 100-sequential-calls run and for the GitHub sample results (test/fixtures/corpus).
// - The shapes file of the 20 sampled GitHub tools, on disk.
// - Per execution: the policy check (the lock's tool files, the manifest, the policy) and one
//   audit line appended to disk.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { githubCorpus, syntheticTools } from '../codegen.js';
import { REPO } from './projects.js';
import { round, summarize } from './stats.js';

const dist = (path) => import(join(REPO, 'dist', path));

/** Microseconds per call of `fn`, over `calls` calls, `runs` times (after as many calls untimed, for the JIT). */
function perCallMicros(fn, calls, runs) {
  for (let i = 0; i < calls * runs; i++) fn(i);
  const samples = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    samples.push(((performance.now() - started) * 1000) / calls);
  }
  return summarize(samples, 2);
}

export async function benchTrust({ rounds = 1 } = {}) {
  const { ShapeStore } = await dist('shapes/index.js');
  const { loadToolValue } = await dist('hub/index.js');
  const { Guard } = await dist('policy/index.js');
  const { AuditLog } = await dist('audit/index.js');
  const toolValue = await loadToolValue();
  const runs = Math.max(5, Math.round(20 * rounds));

  // The results as a server sends them: JSON text, parsed again by the result rule.
  const echo = Array.from({ length: 100 }, (_, i) => ({ content: [{ type: 'text', text: JSON.stringify({ value: i }) }] }));
  const samples = JSON.parse(readFileSync(join(REPO, 'test/fixtures/corpus/github-results.json'), 'utf8'));
  const github = Object.values(samples).flatMap((results) => results.map((value) => ({ content: [{ type: 'text', text: JSON.stringify(value) }] })));
  const githubChars = Math.round(github.reduce((sum, result) => sum + result.content[0].text.length, 0) / github.length);

  // What the engine does after a call: the value by the result rule, into the store (in memory).
  const recorder = new ShapeStore(mkdtempSync(join(tmpdir(), 'runbyte-bench-record-')));
  const record = (results) => (i) => recorder.observe('s', 't', toolValue('s', 't', results[i % results.length]));
  const recordEcho = perCallMicros(record(echo), 100, runs);
  const recordGithub = perCallMicros(record(github), 100, runs);

  const store = new ShapeStore(mkdtempSync(join(tmpdir(), 'runbyte-bench-shapes-')));
  for (const [tool, results] of Object.entries(samples)) for (const value of results) store.observe('github', tool, value);
  await store.flush();
  const shapesFileBytes = statSync(join(store.dir, 'github.json')).size;

  // The policy check of one execution (three tools imported) against the lock of a 1,117-tool SDK.
  const { generateRoot, generateServer } = await dist('codegen/index.js');
  const sdk = mkdtempSync(join(tmpdir(), 'runbyte-bench-lock-'));
  const summaries = [
    generateServer({ server: 'github', tools: githubCorpus().map((entry) => ({ name: entry.name, inputSchema: entry.inputSchema })) }).summary,
    generateServer({ server: 'synthetic', tools: syntheticTools(1000) }).summary,
  ];
  for (const file of generateRoot(summaries, 'bench')) if (file.path === 'runbyte.lock.json') writeFileSync(join(sdk, file.path), file.text);
  const { LockFile } = await dist('emit/lock.js');
  const guard = new Guard({ lock: new LockFile(sdk), policy: { 'github.delete_*': 'deny', 'synthetic.*': 'ask' }, tool: async () => undefined });
  const files = ['/servers/github/searchCode.ts', '/servers/github/getMe.ts', '/servers/github/listIssues.ts'];
  await guard.authorize(files, undefined);
  const authorizeSamples = [];
  for (let i = 0; i < runs * 10; i++) {
    const started = performance.now();
    await guard.authorize(files, undefined);
    authorizeSamples.push((performance.now() - started) * 1000);
  }

  const audit = new AuditLog({ path: join(mkdtempSync(join(tmpdir(), 'runbyte-bench-audit-')), 'audit.jsonl'), arguments: false, maxBytes: 10 * 2 ** 20 });
  const line = {
    time: new Date().toISOString(),
    session: 'bench',
    code: 'sha256-0000000000000000',
    tools: ['github.search_code', 'memory.read_graph'],
    calls: Array.from({ length: 10 }, () => ({ server: 'github', tool: 'search_code', ms: 1.2, ok: true })),
    outcome: 'ok',
    timings: { checkMs: 10, bundleMs: 3, runMs: 20, totalMs: 33 },
  };
  const auditSamples = [];
  for (let i = 0; i < runs * 10; i++) {
    const started = performance.now();
    await audit.append(line);
    auditSamples.push((performance.now() - started) * 1000);
  }

  return {
    recordEchoMicros: recordEcho,
    recordGithubMicros: recordGithub,
    githubResultChars: githubChars,
    shapesFileBytes,
    shapesFileTools: Object.keys(samples).length,
    authorizeMicros: summarize(authorizeSamples, 1),
    auditAppendMicros: summarize(auditSamples, 1),
    auditLineBytes: round(Buffer.byteLength(JSON.stringify(line)) + 1, 0),
  };
}
