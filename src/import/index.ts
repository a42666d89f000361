import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseConfig } from '../config/index.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { didYouMean } from '../shared/suggest.js';
import { codex } from './codex.js';
import { identity, isRunbyte, type ServerEntry, serverName, toEntry, type Variable } from './entries.js';
import { goose } from './goose.js';
import { claudeCode, claudeDesktop, cursor, vscode, windsurf } from './json-clients.js';
import { type Client, type ClientFile, type FoundServer, type ImportContext, type RunbyteLaunch, SOURCE_IDS, type SourceId } from './types.js';

export type { ImportContext, RunbyteLaunch, SourceId } from './types.js';
export type { Variable } from './entries.js';
export { SOURCE_IDS } from './types.js';

/** Every client `runbyte import` knows, in the order they are read (README.md, `runbyte import`). */
export const CLIENTS: Client[] = [claudeCode, claudeDesktop, cursor, vscode, windsurf, codex, goose];

export interface ImportOptions {
  /** Client ids; all of them when empty. */
  sources: string[];
  /** The runbyte.json to write or merge into. */
  configPath: string;
  /** Replace servers of the same name already in runbyte.json. */
  force?: boolean;
  /** Write nothing, change no client. */
  dryRun?: boolean;
  /** Rewrite each client file that had servers to launch runbyte instead, with a backup beside it. */
  replace?: RunbyteLaunch;
}

/** What one client file gave. */
export interface FileReport {
  source: SourceId;
  label: string;
  path: string;
  part?: string;
  /** The servers as the client names them. */
  servers: string[];
  /** Why the file could not be read; the others are imported all the same. */
  error?: string;
  notes: string[];
}

export interface ImportReport {
  files: FileReport[];
  /** Names in runbyte.json. */
  added: string[];
  replaced: string[];
  /** Already in runbyte.json and kept (`--force` replaces them). */
  kept: string[];
  /** The same server found again in another file, imported once. */
  duplicates: { name: string; path: string; sameAs: string }[];
  variables: Variable[];
  configPath: string;
  /** runbyte.json as it is (or, with dryRun, would be) written. */
  config: Record<string, unknown>;
  written: boolean;
  /** `--replace`: each client file rewritten, and its backup. */
  rewritten: { path: string; backup: string; removed: string[] }[];
}

/** The clients and files `sources` names, every file whether or not it exists. */
export function clientFiles(sources: string[], ctx: ImportContext): { client: Client; file: ClientFile }[] {
  for (const source of sources) {
    if (!(SOURCE_IDS as readonly string[]).includes(source)) {
      throw new RunbyteError('USAGE', `${JSON.stringify(source)} is not a client runbyte imports from${didYouMean(source, SOURCE_IDS)}`, {
        suggestions: [`sources: ${SOURCE_IDS.join(', ')}`],
      });
    }
  }
  const chosen = sources.length === 0 ? CLIENTS : CLIENTS.filter((client) => sources.includes(client.id));
  return chosen.flatMap((client) => client.files(ctx).map((file) => ({ client, file })));
}

/** The context of the running process: HOME, XDG_CONFIG_HOME, the working folder. */
export function processContext(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ImportContext {
  const home = env.HOME || homedir();
  return { home, xdgConfigHome: env.XDG_CONFIG_HOME || join(home, '.config'), cwd, platform: process.platform, env };
}

/**
 * Finds the MCP servers configured in the chosen clients' files and writes or merges them into
 * runbyte.json: one entry per server however many files name it, secrets as `${VAR}` references
 * (entries.ts), names made safe. A file that cannot be parsed is reported and the others imported.
 */
export async function importServers(options: ImportOptions, ctx: ImportContext): Promise<ImportReport> {
  const existing = await readExisting(options.configPath);
  const files: FileReport[] = [];
  const found: { server: FoundServer; file: ClientFile; report: FileReport }[] = [];
  for (const { client, file } of clientFiles(options.sources, ctx)) {
    if (!existsSync(file.path)) continue;
    const report: FileReport = { source: client.id, label: client.label, path: file.path, ...(file.part ? { part: file.part } : {}), servers: [], notes: [] };
    try {
      const servers = file.read(await readFile(file.path, 'utf8'));
      if (servers.length === 0 && file.part) continue;
      for (const server of servers) {
        if (isRunbyte(server)) continue;
        report.servers.push(server.name);
        for (const note of server.notes) report.notes.push(`${server.name}: ${note}`);
        if (server.command !== undefined || server.url !== undefined) found.push({ server, file, report });
      }
    } catch (error) {
      report.error = messageOf(error);
    }
    files.push(report);
  }

  const listKey = existing.servers !== undefined && existing.mcpServers === undefined ? 'servers' : 'mcpServers';
  const servers = { ...((existing[listKey] as Record<string, ServerEntry> | undefined) ?? {}) };
  const before = new Set(Object.keys(servers));
  const report: ImportReport = {
    files,
    added: [],
    replaced: [],
    kept: [],
    duplicates: [],
    variables: [],
    configPath: options.configPath,
    config: {},
    written: false,
    rewritten: [],
  };
  // Which runbyte name each client file's server ended under: what --replace removes from that file.
  const settled = new Map<string, string>();
  const claimed = new Map<string, string>();
  const taken = new Map<string, string>();
  for (const { server, file } of found) {
    const key = identity(server);
    const display = displayPath(file.path, ctx.home, ctx.cwd);
    const first = settled.get(key);
    if (first !== undefined) {
      report.duplicates.push({ name: server.name, path: display, sameAs: first });
      continue;
    }
    let name = serverName(server.name);
    // Two different servers with one name: the later one is named after its client.
    if (taken.has(name.toLowerCase())) name = serverName(`${name}-${file.source}`);
    taken.set(name.toLowerCase(), key);
    settled.set(key, name);
    const entry = toEntry(server, name, display, claimed, report.variables);
    // Variables the client's file already named as references must be set for runbyte too.
    for (const match of JSON.stringify(entry).matchAll(/\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const variable = match[1]!;
      if (variable === 'HOME' || variable === 'RUNBYTE_CONFIG_DIR') continue;
      if (report.variables.some((known) => known.name === variable && known.server === name)) continue;
      report.variables.push({ name: variable, server: name, from: `named in ${display}` });
    }
    const already = [...before].find((other) => other.toLowerCase() === name.toLowerCase());
    if (already !== undefined && !options.force) {
      report.kept.push(already);
      continue;
    }
    if (already !== undefined) delete servers[already];
    servers[name] = entry;
    (already !== undefined ? report.replaced : report.added).push(name);
  }
  report.config = { ...existing, [listKey]: sortKeys(servers) };
  check(report.config, options.configPath);
  if (options.dryRun) return report;

  if (report.added.length + report.replaced.length > 0) {
    await writeAtomic(options.configPath, `${JSON.stringify(report.config, null, 2)}\n`);
    report.written = true;
  }
  if (options.replace) report.rewritten = await replaceInClients(found, settled, options.replace);
  return report;
}

async function readExisting(path: string): Promise<Record<string, unknown>> {
  if (!existsSync(path)) return {};
  const text = await readFile(path, 'utf8');
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new RunbyteError('CONFIG_INVALID', `${path}: invalid JSON: ${messageOf(error)}`, {
      suggestions: ['fix it, or import into another file with --config'],
    });
  }
  throw new RunbyteError('CONFIG_INVALID', `${path}: expected a JSON object`);
}

/** The merged config must load as runbyte.json does (every variable taken as set). */
function check(config: Record<string, unknown>, path: string): void {
  const text = JSON.stringify(config);
  const names = [...text.matchAll(/\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!);
  parseConfig(text, path, Object.fromEntries(names.map((name) => [name, 'set'])));
}

/**
 * `--replace`: each client file that had imported servers loses them and gains runbyte's entry;
 * the file as it was is kept beside it (`<file>.runbyte-backup`, or `.runbyte-backup.N` when an
 * earlier backup is there: the first one holds the original).
 */
async function replaceInClients(
  found: { server: FoundServer; file: ClientFile }[],
  settled: Map<string, string>,
  launch: RunbyteLaunch,
): Promise<ImportReport['rewritten']> {
  const byPath = new Map<string, { file: ClientFile; names: string[] }[]>();
  for (const { server, file } of found) {
    if (!settled.has(identity(server))) continue;
    const parts = byPath.get(file.path) ?? [];
    const part = parts.find((candidate) => candidate.file === file);
    if (part) part.names.push(server.name);
    else parts.push({ file, names: [server.name] });
    byPath.set(file.path, parts);
  }
  const rewritten: ImportReport['rewritten'] = [];
  for (const [path, parts] of byPath) {
    const original = await readFile(path, 'utf8');
    let text = original;
    parts.forEach(({ file, names }, index) => {
      text = file.replace(text, names, index === 0 ? launch : undefined);
    });
    const backup = freeBackupPath(path);
    await writeFile(backup, original);
    await writeAtomic(path, text);
    rewritten.push({ path, backup, removed: parts.flatMap((part) => part.names) });
  }
  return rewritten;
}

function freeBackupPath(path: string): string {
  let candidate = `${path}.runbyte-backup`;
  for (let n = 1; existsSync(candidate); n++) candidate = `${path}.runbyte-backup.${n}`;
  return candidate;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${process.pid}.runbyte-import.tmp`);
  await writeFile(temp, text);
  await rename(temp, path);
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `./...` for paths under the working folder, `~/...` for paths under HOME. */
export function displayPath(path: string, home: string, cwd = process.cwd()): string {
  if (path.startsWith(`${cwd}/`)) return `./${path.slice(cwd.length + 1)}`;
  return path.startsWith(`${home}/`) ? `~/${path.slice(home.length + 1)}` : path;
}
