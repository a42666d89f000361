import { readdir, readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative } from 'node:path';
import type { GeneratedFile, ServerSummary, ToolDrift } from '../codegen/index.js';
import type { RunbyteConfig } from '../config/index.js';
import { applySdk, diffSdk, ownedFiles, readServerFiles, runtimeFile, type SdkDiff } from '../emit/files.js';
import { Hub, hubOptions, type ServerFailure } from '../hub/index.js';
import { RunbyteError } from '../shared/errors.js';
import type { ResultType, ServerTools } from '../shared/tool-spec.js';
import { seen, ShapeStore, toSchema } from '../shapes/index.js';
import { GENERATOR } from '../shared/version.js';

export { type FilePatch, sdkPatches } from './diff.js';

/**
 * The generate job: list the tools of the configured servers (hub/), turn them into files
 * (codegen/), and write or check them (emit/). Shared by `generate`, `serve` and `--watch`.
 */
export interface GenerateOptions {
  /** Output folder; default `config.outDir`. */
  outDir?: string;
  /**
   * Regenerate only these servers; the others keep their files and lock entries. Omitted: all of
   * them. Empty: none (only the root files are rewritten and servers no longer configured pruned).
   */
  servers?: string[];
  /** Write nothing; report what would change. */
  check?: boolean;
  /**
   * Type the results of tools without an outputSchema from the shapes of real results
   * (`.runbyte/shapes/`); default true. runbyte.json's `outputSchemas` apply either way.
   */
  learned?: boolean;
  /**
   * Refuse, writing nothing, a write that would remove every server of the SDK or more than half
   * of the files under `servers/` (`generate` without `--prune`). Off for serve and `--watch`,
   * which follow their config as it is edited (a server removed there is pruned at once).
   */
  refuseMassRemoval?: boolean;
}

export interface ServerReport {
  name: string;
  /** `generated`: listed now; `kept`: not listed (failed or not selected), its files left as they were. */
  status: 'generated' | 'failed' | 'kept';
  tools: number;
  error?: string;
}

export interface GenerateReport {
  outDir: string;
  check: boolean;
  servers: ServerReport[];
  diff: SdkDiff;
  failures: ServerFailure[];
  /**
   * With `check`: the tools of the servers listed now that differ from the SDK on disk (its lock and
   * files): new, changed (and in what) or removed. A server the lock does not know has only new
   * tools. Empty when the SDK was written.
   */
  drift: ToolDrift[];
  /** Every file of the SDK as generated now (written, or with `check` only compared). */
  files: GeneratedFile[];
}

/** Connects to the servers, generates, and disconnects. */
export async function generate(config: RunbyteConfig, options: GenerateOptions = {}): Promise<GenerateReport> {
  const selected = selectServers(config, options.servers);
  const hub = new Hub(
    config.servers.filter((server) => selected.includes(server.name)),
    hubOptions(config),
  );
  try {
    const failures = await hub.start();
    return await generateWith(hub, config, { ...options, servers: selected }, failures);
  } finally {
    await hub.close();
  }
}

/**
 * Generates from an already connected hub (serve and watch keep theirs open).
 *
 * What it never does: touch the folder of a configured server that was not listed this time (not
 * selected, or down), whatever the lock says; such a server keeps its lock entry, or, when the
 * lock cannot be read, an entry read back from its files. With `refuseMassRemoval`, removing every
 * server or more than half of the files under `servers/` is refused (docs/architecture.md, generate/).
 */
export async function generateWith(
  hub: Hub,
  config: RunbyteConfig,
  options: GenerateOptions = {},
  startFailures: ServerFailure[] = [],
): Promise<GenerateReport> {
  const outDir = options.outDir ?? config.outDir;
  const selected = selectServers(config, options.servers);
  // Only the selected servers are listed: a list_changed from one server must not re-list (or
  // restart) the others.
  const [listed, codegen] = await Promise.all([hub.listAll(selected), loadCodegen()]);
  const failures = [...startFailures, ...listed.failures].filter((f) => selected.includes(f.server));
  const byName = new Map(listed.tools.filter((t) => selected.includes(t.server)).map((t) => [t.server, t]));

  const files: GeneratedFile[] = [await runtimeFile()];
  const summaries = new Map<string, ServerSummary>();
  for (const name of selected) {
    const listedTools = byName.get(name);
    if (!listedTools) continue;
    const types = await resultTypes(config, listedTools, options.learned !== false);
    const tools = types ? { ...listedTools, resultTypes: types } : listedTools;
    const generated = codegen.generateServer(tools);
    files.push(...generated.files);
    summaries.set(name, generated.summary);
  }

  // A configured server not listed now keeps its folder as it is, and its entry: the lock's, or
  // (no readable lock, or no entry in it) one read back from its files. Servers no longer
  // configured are pruned.
  const regenerated = new Set(byName.keys());
  const configured = new Set(config.servers.map((server) => server.name));
  const onDisk = await serverDirs(outDir);
  const kept = onDisk.filter((name) => configured.has(name) && !regenerated.has(name));
  const locked = new Map((await readLockSummaries(outDir)).map((summary) => [summary.server, summary]));
  for (const name of kept) {
    summaries.set(name, locked.get(name) ?? codegen.summaryFromFiles(name, await readServerFiles(outDir, name)));
  }
  files.push(...codegen.generateRoot([...summaries.values()], GENERATOR));
  const drift: ToolDrift[] = [];
  // Only a check compares tool by tool (it re-reads the changed servers' files): a write has no use for it.
  for (const name of options.check ? regenerated : []) {
    const live = summaries.get(name)!;
    const reviewed = locked.get(name);
    if (reviewed?.toolsHash === live.toolsHash) continue;
    const onDiskFiles = new Map((await readServerFiles(outDir, name)).map((file) => [`servers/${name}/${basename(file.path)}`, file.text]));
    const liveFiles = new Map(files.filter((file) => file.path.startsWith(`servers/${name}/`)).map((file) => [file.path, file.text]));
    drift.push(...codegen.serverDrift(reviewed, live, onDiskFiles, liveFiles));
  }

  const scope = { servers: [...new Set([...onDisk.filter((name) => !configured.has(name)), ...regenerated])] };
  const diff = await diffSdk(outDir, files, scope);
  if (!options.check) {
    if (options.refuseMassRemoval) await assertNoMassRemoval(outDir, diff, summaries.size);
    await applySdk(outDir, files, diff);
  }

  const failed = new Map(failures.map((f) => [f.server, f.message]));
  const servers: ServerReport[] = config.servers.map(({ name }) => {
    if (failed.has(name)) return { name, status: 'failed', tools: summaries.get(name)?.tools.length ?? 0, error: failed.get(name) };
    return {
      name,
      status: regenerated.has(name) ? 'generated' : 'kept',
      tools: summaries.get(name)?.tools.length ?? 0,
    };
  });
  return { outDir, check: options.check ?? false, servers, diff, failures, drift, files };
}

/**
 * The result types runbyte supplies for a server's tools that have no outputSchema: runbyte.json's
 * `outputSchemas` first, else (when `learned`) the shapes recorded from their real results.
 */
async function resultTypes(config: RunbyteConfig, listed: ServerTools, learned: boolean): Promise<Record<string, ResultType> | undefined> {
  const shapes = learned && config.shapesDir ? await new ShapeStore(config.shapesDir).read(listed.server) : {};
  const types: Record<string, ResultType> = {};
  for (const tool of listed.tools) {
    if (tool.outputSchema !== undefined) continue;
    const given = config.outputSchemas?.[`${listed.server}.${tool.name}`];
    if (given !== undefined) {
      types[tool.name] = { schema: given, from: 'outputSchemas' };
      continue;
    }
    const shape = Object.hasOwn(shapes, tool.name) ? shapes[tool.name] : undefined;
    if (!shape) continue;
    types[tool.name] = { schema: toSchema(shape), from: { results: seen(shape) } };
  }
  return Object.keys(types).length > 0 ? types : undefined;
}

/**
 * Throws, before anything is written, when `diff` would leave the SDK without servers, or remove
 * more than half of the files under `servers/`: an emptied config, a wrong `--config`, or a
 * server answering with a fraction of its tools would otherwise delete what no run can bring
 * back. One line: what would go, and how to let it.
 */
async function assertNoMassRemoval(outDir: string, diff: SdkDiff, serversLeft: number): Promise<void> {
  if (diff.removed.length === 0) return;
  const total = (await ownedFiles(outDir)).length;
  const everyServer = serversLeft === 0;
  if (!everyServer && diff.removed.length * 2 <= total) return;
  const byFolder = new Map<string, number>();
  for (const path of diff.removed) {
    const folder = path.split('/').slice(0, 2).join('/');
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + 1);
  }
  const what = [...byFolder].map(([folder, count]) => `${folder}/: ${count} ${count === 1 ? 'file' : 'files'}`).join(', ');
  const which = everyServer ? 'every server from the SDK' : `${diff.removed.length} of the ${total} SDK files`;
  throw new RunbyteError('USAGE', `refusing to remove ${which} in ${displayPath(outDir)} (${what}); rerun \`runbyte generate\` with --prune to remove them`);
}

/** `outDir` relative to the working folder when it is inside it, else as it is. */
function displayPath(outDir: string): string {
  const rel = relative(process.cwd(), outDir);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? outDir : rel;
}

function selectServers(config: RunbyteConfig, names: string[] | undefined): string[] {
  const all = config.servers.map((server) => server.name);
  if (!names) return all;
  for (const name of names) {
    if (!all.includes(name)) {
      throw new RunbyteError('USAGE', `no server named "${name}" in ${config.path}`, {
        suggestions: [all.length ? `configured servers: ${all.join(', ')}` : 'add it under "mcpServers"'],
      });
    }
  }
  return all.filter((name) => names.includes(name));
}

/**
 * codegen/ (ts-morph) takes ~400 ms to load: commands load it only when they generate. Callers that
 * know they will generate can start it early, e.g. while servers connect.
 */
export function loadCodegen(): Promise<typeof import('../codegen/index.js')> {
  return import('../codegen/index.js');
}

/** What the lock in `outDir` says each server had; empty when there is no readable lock. */
export async function readLockSummaries(outDir: string): Promise<ServerSummary[]> {
  const text = await readFile(join(outDir, 'runbyte.lock.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  try {
    return (await loadCodegen()).parseLock(text);
  } catch {
    return [];
  }
}

async function serverDirs(outDir: string): Promise<string[]> {
  const entries = await readdir(join(outDir, 'servers'), { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
}
