// Temporary runbyte projects for the benchmark: a runbyte.json over local servers (no network),
// a data folder for the filesystem server, and the SDK generated with the built dist/generate.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(REPO, 'bin/run.js');
const NODE_MODULES = join(REPO, 'node_modules');
const FIXTURES = join(REPO, 'test/fixtures/servers');

/** Raw `mcpServers` entries (the runbyte.json format), every server started with this node. */
export const servers = {
  faults: () => ({ command: process.execPath, args: [join(FIXTURES, 'faults.js')] }),
  filesystem: (dataDir = 'data') => ({
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-filesystem/dist/index.js'), dataDir],
  }),
  memory: () => ({
    command: process.execPath,
    args: [join(NODE_MODULES, '@modelcontextprotocol/server-memory/dist/index.js')],
    env: { MEMORY_FILE_PATH: '${RUNBYTE_CONFIG_DIR}/memory.jsonl' },
  }),
  /** The 117 GitHub MCP tools (test/fixtures/servers/corpus.js). */
  github: () => ({ command: process.execPath, args: [join(FIXTURES, 'corpus.js')] }),
  /** `count` synthetic tools (bench/fixtures/synthetic-server.js). */
  synthetic: (count = 1000) => ({
    command: process.execPath,
    args: [join(REPO, 'bench/fixtures/synthetic-server.js'), '--count', String(count)],
  }),
};

let root;

/** The folder every temporary project of this run lives in; removed by cleanup(). */
function benchRoot() {
  root ??= mkdtempSync(join(tmpdir(), 'runbyte-bench-'));
  return root;
}

export function cleanup() {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

/** A deterministic orders CSV in the format of examples/data/orders.csv, `rows` lines long. */
export function ordersCsv(rows) {
  const customers = ['Acme Corp', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises', 'Tyrell', 'Cyberdyne', 'Soylent'];
  const regions = ['EMEA', 'AMER', 'APAC', 'LATAM'];
  const products = [
    ['Widget', 9.5],
    ['Gadget', 120],
    ['Sprocket', 33.25],
    ['Gizmo', 54.9],
    ['Doohickey', 4.75],
  ];
  const statuses = ['shipped', 'shipped', 'shipped', 'pending', 'cancelled'];
  // mulberry32: a tiny PRNG with a fixed seed, so every run reads the same file.
  let seed = 42;
  const next = (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0;
  };
  const lines = ['id,customer,region,product,quantity,unit_price,status'];
  for (let i = 0; i < rows; i++) {
    const [product, price] = products[next(products.length)];
    lines.push(
      [
        1001 + i,
        customers[next(customers.length)],
        regions[next(regions.length)],
        product,
        1 + next(50),
        price.toFixed(2),
        statuses[next(statuses.length)],
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A fresh project folder: runbyte.json with these `mcpServers`, `data/` (examples/data plus
 * `orders-large.csv` of `largeRows` orders), and an isolated HOME for child processes.
 */
export function project(name, mcpServers, { timeout = 30, largeRows = 2000, extra = {} } = {}) {
  const dir = join(benchRoot(), name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO, 'examples/data'), join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data/orders-large.csv'), ordersCsv(largeRows));
  mkdirSync(join(dir, '.home'), { recursive: true });
  const config = { mcpServers, server: { timeout, connectTimeout: 60 }, ...extra };
  const configPath = join(dir, 'runbyte.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { dir, configPath };
}

/** The environment for a spawned runbyte: no user config leaks in (as test/helpers/cli.ts does). */
export function isolatedEnv(dir, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: join(dir, '.home'),
    XDG_CONFIG_HOME: join(dir, '.home', '.config'),
    NODE_OPTIONS: '',
    ...extra,
  };
}

/** Loads a project's config with the built dist/config. */
export async function loadProjectConfig(configPath) {
  const { loadConfig } = await import('../../dist/config/index.js');
  return loadConfig({ configPath, env: { ...process.env } });
}

/** Generates the project's SDK with the built dist/generate (connects, lists, writes, disconnects). */
export async function generateSdk(configPath) {
  const config = await loadProjectConfig(configPath);
  const { generate } = await import('../../dist/generate/index.js');
  const report = await generate(config);
  const failed = report.servers.filter((server) => server.status === 'failed');
  if (failed.length > 0) throw new Error(`generate failed: ${failed.map((server) => server.error).join('; ')}`);
  return { config, report };
}
