// tokens section: what enters the model's context with a traditional MCP client versus runbyte.
// Counted with gpt-tokenizer's o200k_base encoding (GPT-4o's), a proxy for any given model's
// tokenizer: absolute counts differ between models, the ratios much less.
import { performance } from 'node:perf_hooks';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { githubCorpus } from '../codegen.js';
import { loadProjectConfig, project, servers } from './projects.js';
import { median, round, summarize } from './stats.js';

export const ENCODING = 'o200k_base';
export { countTokens };

/** What a traditional client puts in context for one tool: its tools/list entry's name, description and inputSchema. */
function definition(tool) {
  return { name: tool.name, description: tool.description, inputSchema: tool.inputSchema };
}

/** The scenarios: which servers, and which server and files the typical task reads. */
const SCENARIOS = [
  {
    key: 'reference',
    label: 'filesystem + memory',
    servers: () => ({ filesystem: servers.filesystem(), memory: servers.memory() }),
    listServer: 'filesystem',
    read: ['filesystem/readTextFile.ts', 'memory/createEntities.ts'],
  },
  {
    key: 'github',
    label: 'GitHub',
    servers: () => ({ github: servers.github() }),
    listServer: 'github',
    read: ['github/listIssues.ts', 'github/createIssue.ts'],
  },
  {
    key: 'synthetic',
    label: 'synthetic',
    servers: () => ({ synthetic: servers.synthetic(1000) }),
    listServer: 'synthetic',
    read: ['synthetic/listIssues0.ts', 'synthetic/createIssue0.ts'],
  },
  {
    key: 'total',
    label: 'GitHub + synthetic',
    servers: () => ({ github: servers.github(), synthetic: servers.synthetic(1000) }),
    listServer: 'github',
    read: ['github/listIssues.ts', 'github/createIssue.ts'],
    // The same task with search_tools in place of the listing: one search, then the two files.
    search: { query: 'list or create issues' },
  },
];

/** Warm search_tools queries timed over the 1,117-tool SDK (each a different question an agent asks). */
const SEARCH_QUERIES = [
  'open a pull request',
  'list issues',
  'create an issue with labels',
  'read a file from a repository',
  'star a repository',
  'search code',
  'merge a pull request',
  'add a comment to an issue',
  'list workflow runs',
  'get my user profile',
];

/**
 * @param {{ modelSees: { tools: object[], instructions: string }, workflow: { rawText: string, summaryText: string, code: string } }} input
 *   modelSees: the real tools/list (and instructions) of `serve`; workflow: from the execute section.
 */
export async function benchTokens({ modelSees, workflow }) {
  const { Hub } = await import('../../dist/hub/index.js');
  const { generateWith } = await import('../../dist/generate/index.js');
  const { Vfs } = await import('../../dist/vfs/index.js');
  const { toolIdentifiers } = await import('../../dist/codegen/index.js');
  const { ToolCatalog } = await import('../../dist/search/index.js');
  const { LockFile } = await import('../../dist/emit/lock.js');

  const fixedJson = JSON.stringify({ tools: modelSees.tools });
  const fixed = {
    chars: fixedJson.length + modelSees.instructions.length,
    tokens: countTokens(fixedJson) + (modelSees.instructions ? countTokens(modelSees.instructions) : 0),
  };

  const scenarios = {};
  let githubFiles;
  for (const scenario of SCENARIOS) {
    const { configPath } = project(`tokens-${scenario.key}`, scenario.servers());
    const config = await loadProjectConfig(configPath);
    const hub = new Hub(config.servers, { connectTimeoutMs: 60_000 });
    let listed;
    try {
      const failures = await hub.start();
      if (failures.length > 0) throw new Error(failures.map((failure) => failure.message).join('; '));
      listed = await hub.listAll();
      const report = await generateWith(hub, config);
      if (report.failures.length > 0) throw new Error(report.failures.map((failure) => failure.message).join('; '));
    } finally {
      await hub.close();
    }
    const tools = listed.tools.flatMap((server) => server.tools.map((tool) => ({ server: server.server, tool })));
    const traditionalJson = JSON.stringify({ tools: tools.map(({ tool }) => definition(tool)) });

    // The typical task, with the real vfs text an agent reads.
    const vfs = new Vfs({ generatedDir: config.outDir, workspaceDir: config.workspaceDir });
    const steps = [
      { call: 'list_directory /servers', text: await vfs.list('/servers') },
      {
        call: `list_directory /servers/${scenario.listServer} withDescriptions`,
        text: await vfs.list(`/servers/${scenario.listServer}`, { withDescriptions: true }),
      },
      ...(await Promise.all(scenario.read.map(async (path) => ({ call: `read_file /servers/${path}`, text: await vfs.read(`/servers/${path}`) })))),
    ];
    for (const step of steps) step.tokens = countTokens(step.text);
    const taskTokens = steps.reduce((sum, step) => sum + step.tokens, 0);
    // The same task with the server listed without descriptions (the file names only).
    const plainListing = countTokens(await vfs.list(`/servers/${scenario.listServer}`));
    const plainTask = taskTokens - steps[1].tokens + plainListing;
    const traditional = countTokens(traditionalJson);
    const runbyte = fixed.tokens + taskTokens;
    let search;
    if (scenario.search) {
      // search_tools as serve answers it (the engine's catalog over the generated folder).
      const catalog = new ToolCatalog(new LockFile(config.outDir));
      const started = performance.now();
      const found = await catalog.search({ query: scenario.search.query });
      const coldMs = performance.now() - started;
      const searchStep = { call: `search_tools "${scenario.search.query}"`, text: found };
      searchStep.tokens = countTokens(found);
      const reads = steps.slice(2);
      const withSearch = fixed.tokens + searchStep.tokens + reads.reduce((sum, step) => sum + step.tokens, 0);
      // detail "full" for the two tools instead of the search and the two reads.
      const full = await Promise.all(
        ['list issues', 'create an issue'].map(async (query) => countTokens(await catalog.search({ query, detail: 'full', limit: 1 }))),
      );
      const withFull = fixed.tokens + full.reduce((sum, tokens) => sum + tokens, 0);
      const warm = [];
      for (let pass = 0; pass < 3; pass++) {
        for (const query of SEARCH_QUERIES) {
          const at = performance.now();
          await catalog.search({ query, detail: 'summary' });
          warm.push(performance.now() - at);
        }
      }
      search = {
        query: scenario.search.query,
        tokens: withSearch,
        steps: [searchStep, ...reads].map(({ call, text, tokens }) => ({ call, chars: text.length, tokens })),
        reduction: 1 - withSearch / countTokens(traditionalJson),
        full: { tokens: withFull, reduction: 1 - withFull / countTokens(traditionalJson) },
        coldMs: round(coldMs, 1),
        warmMs: summarize(warm, 3),
      };
    }
    scenarios[scenario.key] = {
      label: scenario.label,
      servers: listed.tools.length,
      tools: tools.length,
      traditional: { chars: traditionalJson.length, tokens: traditional },
      runbyte: { tokens: runbyte, fixed: fixed.tokens, task: taskTokens, steps: steps.map(({ call, text, tokens }) => ({ call, chars: text.length, tokens })) },
      reduction: 1 - runbyte / traditional,
      withoutDescriptions: { listingTokens: plainListing, tokens: fixed.tokens + plainTask, reduction: 1 - (fixed.tokens + plainTask) / traditional },
      ...(search ? { search } : {}),
    };

    // Each generated tool file against its tool's definition (the GitHub corpus, all 117 tools).
    if (scenario.key === 'github') {
      const github = listed.tools.find((server) => server.server === 'github').tools;
      const names = toolIdentifiers(github.map((tool) => tool.name));
      const listedEntries = new Map(githubCorpus().map((entry) => [entry.name, entry]));
      const ratios = [];
      const charRatios = [];
      const listedRatios = [];
      for (const tool of github) {
        const text = await vfs.read(`/servers/github/${names.get(tool.name)}.ts`);
        const json = JSON.stringify(definition(tool));
        const tokens = countTokens(text);
        ratios.push(tokens / countTokens(json));
        charRatios.push(text.length / json.length);
        // Against the whole tools/list entry (annotations and all), as bench/codegen.js compares sizes.
        listedRatios.push(tokens / countTokens(JSON.stringify(listedEntries.get(tool.name))));
      }
      githubFiles = {
        tools: github.length,
        medianTokenRatio: round(median(ratios), 3),
        maxTokenRatio: round(Math.max(...ratios), 3),
        minTokenRatio: round(Math.min(...ratios), 3),
        medianCharRatio: round(median(charRatios), 3),
        medianTokenRatioVsListedEntry: round(median(listedRatios), 3),
        largerThanDefinition: ratios.filter((ratio) => ratio > 1).length,
      };
    }
  }

  const raw = countTokens(workflow.rawText);
  const summary = countTokens(workflow.summaryText);
  return {
    encoding: ENCODING,
    fixed,
    scenarios,
    toolFileVsDefinition: githubFiles,
    intermediate: {
      rawChars: workflow.rawText.length,
      rawTokens: raw,
      summaryChars: workflow.summaryText.length,
      summaryTokens: summary,
      codeTokens: countTokens(workflow.code),
      reduction: 1 - summary / raw,
    },
  };
}
