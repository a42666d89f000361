import type { ServerSummary } from '../codegen/lock.js';
import { camelCase } from '../codegen/naming.js';
import { functionDocLines } from '../codegen/tool-doc.js';
import type { LockFile } from '../emit/lock.js';
import { describeToolFile, readInside } from '../vfs/index.js';
import { buildIndex, searchIndex, terms, type SearchIndex, type ToolDoc } from './rank.js';

/** How much of each tool an answer shows: its path; with its one-line description; with its types. */
export const DETAILS = ['name', 'summary', 'full'] as const;
export type Detail = (typeof DETAILS)[number];

export interface SearchRequest {
  query: string;
  /** Default `summary`. */
  detail?: Detail;
  /** Only this server's tools. */
  server?: string;
  /** How many tools at most; default 20 names, 5 summaries or 3 whole tools, at most MAX_LIMIT. */
  limit?: number;
}

export const MAX_LIMIT = 50;
const DEFAULT_LIMIT: Record<Detail, number> = { name: 20, summary: 5, full: 3 };

/** A request the agent can correct (an unknown server, a query with no words): said in one sentence. */
export class SearchError extends Error {
  override readonly name = 'SearchError';
}

/** One tool of the lock: where its file is, and what the file says. */
interface Entry {
  doc: ToolDoc;
  file: string;
  summary: string;
}

interface Built {
  index: SearchIndex;
  entries: Map<ToolDoc, Entry>;
  servers: Set<string>;
}

/**
 * The search index of the SDK in a generated folder, built from what agents read: the lock names
 * the servers and tools, each tool file gives its description, title and argument names. Rebuilt
 * when the lock changes (a regeneration writes it after the tool files, whoever runs it: `serve`
 * on a server's list_changed, or `runbyte generate`); a rebuild re-reads only the files of tools
 * whose hash changed. Reads go through the jail, as read_file's do.
 */
export class ToolCatalog {
  private built?: { key: string; value: Promise<Built> };
  /** By file and hash: what a tool's file said, kept across rebuilds. */
  private readonly files = new Map<string, Entry>();
  private readonly generatedDir: string;

  constructor(private readonly lock: LockFile) {
    this.generatedDir = lock.outDir;
  }

  /** The ranked tools as the agent reads them (README.md, "The four tools": search_tools). */
  async search(request: SearchRequest): Promise<string> {
    const detail = request.detail ?? 'summary';
    const limit = Math.min(MAX_LIMIT, request.limit ?? DEFAULT_LIMIT[detail]);
    if (terms(request.query).length === 0) throw new SearchError(`the query ${JSON.stringify(request.query)} has no words to search for`);
    const built = await this.current();
    if (request.server !== undefined && !built.servers.has(request.server)) {
      const known = [...built.servers].join(', ') || 'none yet';
      throw new SearchError(`no server named ${JSON.stringify(request.server)}; servers: ${known}`);
    }
    const hits = searchIndex(built.index, request.query, { server: request.server, limit });
    if (hits.length === 0) return `no tool matches ${JSON.stringify(request.query)}; try other words, or list_directory /servers`;
    const entries = hits.map((hit) => built.entries.get(hit.doc) as Entry);
    if (detail === 'full') return (await Promise.all(entries.map((entry) => this.whole(entry)))).join('\n\n');
    const docs = entries.map((entry) => entry.doc);
    if (detail === 'summary') {
      const lines = entries.map(({ doc, summary }) => (summary ? `${doc.server}.${doc.tool} - ${summary}` : `${doc.server}.${doc.tool}`));
      return [...lines, '', ...importLines(docs)].join('\n');
    }
    // Names are for scanning many: the import line of each server's best tool shows the pattern
    // (a function is its tool's name in camelCase), and only a tool named otherwise says its function.
    const lines = docs.map((doc) => (doc.fn === camelCase(doc.tool).text ? `${doc.server}.${doc.tool}` : `${doc.server}.${doc.tool} (${doc.fn})`));
    const best = docs.filter((doc, i) => docs.findIndex((other) => other.server === doc.server) === i);
    return [...lines, '', ...importLines(best)].join('\n');
  }

  /** Builds the index ahead of the first search (serve's start), so that one answers at once. */
  async warm(): Promise<void> {
    await this.current();
  }

  /** The index for the lock as it is now: built once per version of the lock. */
  private async current(): Promise<Built> {
    const lock = await this.lock.current();
    const key = lock.version;
    if (this.built?.key !== key) {
      const value = this.build(lockEntries(lock.servers));
      this.built = { key, value };
      // A failed build is not kept: the next search tries again.
      value.catch(() => {
        if (this.built?.value === value) this.built = undefined;
      });
    }
    return this.built.value;
  }

  private async build(listed: LockedTool[]): Promise<Built> {
    const entries = await mapLimited(listed, 32, async (tool) => {
      const cacheKey = `${tool.file}\0${tool.hash}`;
      const cached = tool.hash === 'unknown' ? undefined : this.files.get(cacheKey);
      if (cached) return cached;
      const text = await this.read(tool.file).catch(() => '');
      const entry: Entry = { doc: toolDoc(tool.server, tool.name, tool.fn, text), file: tool.file, summary: describeToolFile(text) };
      this.files.set(cacheKey, entry);
      return entry;
    });
    // Entries of tools no longer listed are dropped with the old index.
    const live = new Set(listed.map((tool) => `${tool.file}\0${tool.hash}`));
    for (const key of this.files.keys()) if (!live.has(key)) this.files.delete(key);
    return {
      index: buildIndex(entries.map((entry) => entry.doc)),
      entries: new Map(entries.map((entry) => [entry.doc, entry])),
      servers: new Set(listed.map((tool) => tool.server)),
    };
  }

  /** One tool whole: its path, the import line, and its file as read_file shows it, less the two lines every file has. */
  private async whole(entry: Entry): Promise<string> {
    const text = await this.read(entry.file).catch(() => '');
    const body = text.replace(/^\/\/ Code generated by runbyte[^\n]*\n/, '').replace(/^import [^\n]*'\.\.\/\.\.\/runtime\.js';\n/, '');
    return [`// ${entry.doc.server}.${entry.doc.tool}`, ...importLines([entry.doc]), body.trim()].join('\n');
  }

  private async read(rel: string): Promise<string> {
    return (await readInside(this.generatedDir, rel)).toString('utf8');
  }
}

/** `import { a, b } from './servers/github';`, one line per server, in the order the tools came. */
function importLines(docs: ToolDoc[]): string[] {
  const byServer = new Map<string, string[]>();
  for (const doc of docs) byServer.set(doc.server, [...(byServer.get(doc.server) ?? []), doc.fn]);
  return [...byServer].map(([server, fns]) => `import { ${[...new Set(fns)].join(', ')} } from './servers/${server}';`);
}

interface LockedTool {
  server: string;
  name: string;
  fn: string;
  file: string;
  hash: string;
}

/** The tools of the lock's servers whose files are the SDK's own: a lock that names another path is not followed. */
function lockEntries(servers: ServerSummary[]): LockedTool[] {
  return servers.flatMap(({ server, tools }) =>
    tools
      .filter((tool) => /^servers\/[A-Za-z][\w-]*\/[\w$]+\.ts$/.test(tool.file))
      .map((tool) => ({ server, name: tool.name, fn: tool.function, file: tool.file, hash: tool.hash })),
  );
}

/**
 * What search reads of a generated tool file: the JSDoc of its function (the description, and the
 * `@title` tag) and the property names of its `...Args` type, at every depth.
 */
export function toolDoc(server: string, tool: string, fn: string, text: string): ToolDoc {
  const lines = functionDocLines(text);
  const tags = lines.filter((line) => line.startsWith('@')).join(' ');
  const title = /@title (.*)$/.exec(tags)?.[1] ?? '';
  const description = lines.filter((line) => !line.startsWith('@')).join(' ');
  const args = /^export (?:interface|type) [\w$]+Args\b[^\n]*\n?/m.exec(text);
  let properties: string[] = [];
  if (args) {
    const rest = text.slice(args.index + args[0].length);
    const close = rest.search(/^(?:\}|export )/m);
    // Comments out first: a description may hold `{ x: 1 }`. Members are at the start of a line or after `{` or `;` (inline objects).
    const block = (close < 0 ? rest : rest.slice(0, close)).replace(/\/\*[\s\S]*?\*\//g, '');
    properties = [...block.matchAll(/(?:^\s+|[{;]\s*)(?:readonly )?('(?:[^'\\\n]|\\.)*'|[\p{L}\p{N}_$]+)\??:/gmu)].map((match) =>
      match[1]!.replace(/^'|'$/g, ''),
    );
  }
  return { server, tool, fn, title, description, properties };
}

/** `fn` over `items`, at most `limit` at once, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
