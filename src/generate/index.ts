import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerSummary } from '../codegen/index.js';
import type { RunbyteConfig } from '../config/index.js';
import { diffSdk, runtimeFile, writeSdk, type SdkDiff, type SdkFile } from '../emit/files.js';
import { Hub, hubOptions, type ServerFailure } from '../hub/index.js';
import { RunbyteError } from '../shared/errors.js';
import { GENERATOR } from '../shared/version.js';

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

/** Generates from an already connected hub (serve and watch keep theirs open). */
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
  const [listed, { generateRoot, generateServer }] = await Promise.all([hub.listAll(selected), loadCodegen()]);
  const failures = [...startFailures, ...listed.failures].filter((f) => selected.includes(f.server));
  const byName = new Map(listed.tools.filter((t) => selected.includes(t.server)).map((t) => [t.server, t]));

  const files: SdkFile[] = [await runtimeFile()];
  const summaries = new Map<string, ServerSummary>();
  for (const name of selected) {
    const tools = byName.get(name);
    if (!tools) continue;
    const generated = generateServer(tools);
    files.push(...generated.files);
    summaries.set(name, generated.summary);
  }

  // Servers that were not listed now (not selected, or failed) keep what the lock says they had,
  // so one server being down never deletes its SDK.
  const previous = await readLockSummaries(outDir);
  const configured = new Set(config.servers.map((server) => server.name));
  for (const summary of previous) {
    if (configured.has(summary.server) && !summaries.has(summary.server)) summaries.set(summary.server, summary);
  }
  files.push(...generateRoot([...summaries.values()], GENERATOR));

  const regenerated = new Set(byName.keys());
  const kept = [...summaries.keys()].filter((name) => !regenerated.has(name));
  const prunable = (await serverDirs(outDir)).filter((name) => !kept.includes(name));
  const scope = { servers: [...new Set([...prunable, ...regenerated])] };
  const diff = options.check ? await diffSdk(outDir, files, scope) : await writeSdk(outDir, files, scope);

  const failed = new Map(failures.map((f) => [f.server, f.message]));
  const servers: ServerReport[] = config.servers.map(({ name }) => {
    if (failed.has(name)) return { name, status: 'failed', tools: summaries.get(name)?.tools.length ?? 0, error: failed.get(name) };
    return {
      name,
      status: regenerated.has(name) ? 'generated' : 'kept',
      tools: summaries.get(name)?.tools.length ?? 0,
    };
  });
  return { outDir, check: options.check ?? false, servers, diff, failures };
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
