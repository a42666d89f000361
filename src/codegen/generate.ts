/**
 * Tool lists → the files of the generated SDK (README.md, "The generated SDK"). Pure: no
 * file system, no clock, no environment; the same input always gives byte-identical output, in
 * whatever order the tools came.
 */
import { RunbyteError } from '../shared/errors.js';
import { shortHash, stableStringify } from '../shared/json.js';
import type { ServerTools, ToolSpec } from '../shared/tool-spec.js';
import { commentLine, docText, jsDoc, parseStringLiteral, stringLiteral, visibleJson } from './escape.js';
import { compareStrings } from '../shared/values.js';
import { chooseNames, hashedName, namespaceIdentifier, namespaceIdentifiers, pascalCase, type NameChoice } from './naming.js';
import { printDeclaration } from './type-layout.js';
import { readmeText } from './readme.js';
import { exportedFunction, importDeclaration, namespaceReExport, printFile, reExport, type Statement } from './source-file.js';
import { SchemaConverter, type NameAllocator } from './schema.js';
import { acceptsEmptyObject, isObjectLike, type TypeNode } from './type-node.js';

/** A file of the SDK: `path` is posix and relative to the output folder. */
export interface GeneratedFile {
  path: string;
  text: string;
}

/** What the lock file and listings need to know about one generated tool. */
export interface ToolSummary {
  /** The tool's name on the server (what `callTool` sends). */
  name: string;
  /** The generated function (and file) name. */
  function: string;
  /** Path of the tool's file, relative to the output folder. */
  file: string;
  /** `shortHash` of the tool's definition as listed; `UNKNOWN_HASH` when read back from its file. */
  hash: string;
  /** First line of the description (or the title), for listings; '' when there is none. */
  description: string;
}

/** One server's part of the SDK, as recorded in runbyte.lock.json. */
export interface ServerSummary {
  server: string;
  /** Its namespace in `servers/index.ts` (when no other server's name collides with it). */
  namespace: string;
  /** `shortHash` of the tool list (names and hashes). */
  toolsHash: string;
  /** Sorted by name. */
  tools: ToolSummary[];
  /**
   * `shortHash` of `servers/<server>/README.md` (readme.ts) when there is one, so the lock, and a
   * review of its diff, shows a changed instruction or prompt as plainly as a changed tool.
   */
  readmeHash?: string;
}

/** The config guarantees this (README.md, "Config": server names are safe names); checked again here. */
const SERVER_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const RUNTIME = '../../runtime.js';
const UNDECLARED_RESULT = 'Undeclared by the server.';
const NOT_AN_OBJECT = "The server's inputSchema does not describe an object.";
const LOCK_FILE = 'runbyte.lock.json';
/** The hash of a tool whose definition is not known: read back from its file, not listed. */
export const UNKNOWN_HASH = 'unknown';

/** The one file of a server's folder that is not code; written only when it has something to say. */
export function readmePath(server: string): string {
  return `servers/${server}/README.md`;
}

function assertServerName(server: string): void {
  if (typeof server !== 'string' || !SERVER_NAME.test(server)) {
    throw new RunbyteError('INTERNAL', `codegen: unsafe server name ${JSON.stringify(server)}`, {
      suggestions: ['server names must match ^[A-Za-z][A-Za-z0-9_-]*$ (config/ validates them)'],
    });
  }
}

/**
 * The tool files and `servers/<server>/index.ts` of one server, and its summary for the lock.
 * Tools are sorted by name first; when a server lists one name twice, one definition is kept
 * (the one whose JSON sorts first), since both would be the same call on the wire.
 */
export function generateServer(input: ServerTools): { files: GeneratedFile[]; summary: ServerSummary } {
  const { server } = input;
  assertServerName(server);
  const tools = uniqueTools(input.tools);
  const names = chooseNames(tools.map((tool) => tool.name));

  // Every Args/Result name is reserved before any `$defs` type gets one, so a definition can
  // only ever be the one renamed (with a hash of its tool and schema), never a tool's own types.
  // The global types the files use must not be shadowed (`Object`: type-layout.ts, OBJECT_MEMBERS).
  const taken = new Set<string>(['Untyped', 'Promise', 'Record', 'Object']);
  for (const choice of names.values()) {
    taken.add(`${pascalCase(choice.identifier)}Args`);
    taken.add(`${pascalCase(choice.identifier)}Result`);
  }
  const allocate: NameAllocator = (preferred, hashKey) => {
    let name = preferred;
    for (let digits = 4; taken.has(name); digits++) name = hashedName(preferred, hashKey, digits);
    taken.add(name);
    return name;
  };

  const files: GeneratedFile[] = [];
  const summaries: ToolSummary[] = [];
  const exports: { fn: string; statement: Statement }[] = [];
  for (const tool of tools) {
    const choice = names.get(tool.name) as NameChoice;
    const file = toolFile(server, tool, choice, allocate);
    files.push({ path: file.path, text: file.text });
    exports.push({ fn: choice.identifier, statement: reExport(`./${choice.identifier}.js`, [choice.identifier], file.types) });
    summaries.push({
      name: tool.name,
      function: choice.identifier,
      file: file.path,
      hash: shortHash(tool),
      description: firstLine(textOf(tool.description) || textOf(tool.title)),
    });
  }
  const toolsHash = shortHash(summaries.map((tool) => [tool.name, tool.hash]));
  const count = `${tools.length} ${tools.length === 1 ? 'tool' : 'tools'}`;
  const index = printFile([
    `// Code generated by runbyte from MCP server "${server}" (${count}, ${toolsHash}). DO NOT EDIT.`,
    ...(exports.length > 0 ? exports.sort((a, b) => compareStrings(a.fn, b.fn)).map((e) => e.statement) : ['export {};']),
  ]);
  files.push({ path: `servers/${server}/index.ts`, text: index });
  const summary: ServerSummary = { server, namespace: namespaceIdentifier(server), toolsHash, tools: summaries };
  const readme = readmeText(input);
  if (readme !== undefined) {
    files.push({ path: readmePath(server), text: readme });
    summary.readmeHash = shortHash(readme);
  }
  return { files, summary };
}

function uniqueTools(tools: ToolSpec[]): ToolSpec[] {
  const byName = new Map<string, ToolSpec[]>();
  for (const tool of tools) {
    const same = byName.get(tool.name);
    if (same) same.push(tool);
    else byName.set(tool.name, [tool]);
  }
  return [...byName.keys()].sort(compareStrings).map((name) => {
    const same = byName.get(name) as ToolSpec[];
    if (same.length === 1) return same[0];
    // Rare (a server bug): compare the definitions themselves so the pick ignores list order.
    return same.map((tool) => ({ tool, json: stableStringify(tool) })).sort((a, b) => compareStrings(a.json, b.json))[0].tool;
  });
}

function toolFile(server: string, tool: ToolSpec, choice: NameChoice, allocate: NameAllocator): { path: string; text: string; types: string[] } {
  const fn = choice.identifier;
  const prefix = pascalCase(fn);
  const argsName = `${prefix}Args`;
  const resultName = `${prefix}Result`;
  const converter = new SchemaConverter(prefix, tool.name, allocate);
  converter.convertRoot(tool.inputSchema, argsName, 'input');
  const declared = tool.outputSchema !== undefined;
  if (declared) converter.convertRoot(tool.outputSchema as NonNullable<ToolSpec['outputSchema']>, resultName, 'output');
  const { roots, defs } = converter.namedTypes();
  const lookup = (name: string): TypeNode | undefined => converter.lookup(name);

  // The arguments of `tools/call` are a JSON object whatever the schema says.
  let args = roots[0];
  if (!isObjectLike(args.node, lookup)) {
    args = {
      name: argsName,
      node: { kind: 'object', members: [], index: { kind: 'keyword', name: 'unknown' } },
      doc: [args.doc, NOT_AN_OBJECT].filter(Boolean).join('\n\n'),
    };
  }

  const statements: Statement[] = [
    // The path and the callTool line already name the server; agents pay for every repeated byte.
    '// Code generated by runbyte. DO NOT EDIT.',
    importDeclaration(RUNTIME, ['callTool'], declared ? [] : ['Untyped']),
    printDeclaration(argsName, args.node, args.doc),
    declared ? printDeclaration(resultName, roots[1].node, roots[1].doc) : `${jsDoc(UNDECLARED_RESULT, '')}export type ${resultName} = Untyped;`,
    exportedFunction({
      name: fn,
      doc: functionDoc(tool, choice),
      parameter: { name: 'args', type: argsName, initializer: acceptsEmptyObject(args.node, lookup) ? '{}' : undefined },
      returnType: `Promise<${resultName}>`,
      body: `return callTool(${stringLiteral(server)}, ${stringLiteral(tool.name)}, args);`,
    }),
    ...defs.map((def) => printDeclaration(def.name, def.node, def.doc)),
  ];
  return {
    path: `servers/${server}/${fn}.ts`,
    text: printFile(statements, true),
    types: [argsName, resultName, ...defs.map((def) => def.name)],
  };
}

/** A description or title as given, '' when absent (or not a string: hub/ should not pass one). */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function functionDoc(tool: ToolSpec, choice: NameChoice): string {
  const description = docText(textOf(tool.description));
  const text = description || docText(textOf(tool.title));
  const note = choice.reason ? `MCP tool ${commentLine(JSON.stringify(tool.name))} (renamed: ${choice.reason}).` : '';
  const line = annotationLine(tool, text);
  return [text, note, line].filter(Boolean).join('\n\n');
}

/** The hints in the order the MCP spec lists them, as JSDoc tags (README.md, "The generated SDK"). */
const HINT_TAGS = [
  ['readOnlyHint', '@readOnly'],
  ['destructiveHint', '@destructive'],
  ['idempotentHint', '@idempotent'],
  ['openWorldHint', '@openWorld'],
] as const;
const TITLE_MAX = 80;

/**
 * One line of JSDoc tags for a tool's annotations: each hint the server sent as `true`, `@task`
 * for a tool the server runs only as a task, then `@title` with the annotations' title when it says something neither the name nor `shown` (the
 * text already above the line) does. A hint that is `false` or absent is left out
 * (`destructiveHint: false` would only add noise). The title comes last, is cut to `TITLE_MAX`
 * characters, and every `@` in it is escaped, so it cannot end in a tag of its own. '' when
 * there is nothing to show.
 */
export function annotationLine(tool: ToolSpec, shown = ''): string {
  const annotations: Record<string, unknown> = typeof tool.annotations === 'object' && tool.annotations !== null ? { ...tool.annotations } : {};
  const tags: string[] = HINT_TAGS.filter(([hint]) => annotations[hint] === true).map(([, tag]) => tag);
  // Called as an MCP task and awaited until it ends: it may take long.
  if (tool.taskSupport === 'required') tags.push('@task');
  const title = textOf(annotations.title).trim();
  if (title !== '' && title !== tool.name && docText(title) !== shown) {
    const chars = [...title];
    const cut =
      chars.length > TITLE_MAX
        ? `${chars
            .slice(0, TITLE_MAX - 1)
            .join('')
            .trimEnd()}…`
        : title;
    const text = commentLine(cut).replace(/(^|\s)@/g, '$1\\@');
    if (text !== '') tags.push(`@title ${text}`);
  }
  return tags.join(' ');
}

function firstLine(text: string): string {
  return (
    text
      .split(/\r\n|[\r\n\u2028\u2029]/)
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

/**
 * `servers/index.ts` (every server as a namespace, sorted) and `runbyte.lock.json` (servers,
 * tools, hashes, `generator`; no timestamps). Two servers whose names give the same namespace
 * are told apart by the tool-name rules (a hash suffix on the one not spelled exactly so).
 */
export function generateRoot(summaries: ServerSummary[], generator: string): GeneratedFile[] {
  const sorted = [...summaries].sort((a, b) => compareStrings(a.server, b.server));
  for (let i = 0; i < sorted.length; i++) {
    assertServerName(sorted[i].server);
    if (i > 0 && sorted[i - 1].server === sorted[i].server) {
      throw new RunbyteError('INTERNAL', `codegen: server "${sorted[i].server}" was given twice`);
    }
  }
  const namespaces = namespaceIdentifiers(sorted.map((s) => s.server));
  const exports = sorted.map((s) => namespaceReExport(`./${s.server}/index.js`, namespaces.get(s.server) as string));
  const index = printFile(['// Code generated by runbyte. DO NOT EDIT.', ...(exports.length > 0 ? exports : ['export {};'])]);
  return [
    { path: LOCK_FILE, text: lockText(sorted, generator) },
    { path: 'servers/index.ts', text: index },
  ];
}

/**
 * The lock as stable JSON: keys sorted at every level, 2-space indent, trailing newline, hidden
 * characters escaped (`visibleJson`). Built
 * with own data properties (`Object.fromEntries`) rather than through `stableStringify`, whose
 * plain-object copy would drop a tool named `__proto__`.
 */
function lockText(summaries: ServerSummary[], generator: string): string {
  const servers = Object.fromEntries(
    summaries.map((s) => [
      s.server,
      {
        // Before `tools`: the keys stay sorted.
        ...(s.readmeHash === undefined ? {} : { readmeHash: s.readmeHash }),
        tools: Object.fromEntries(
          [...s.tools].sort((a, b) => compareStrings(a.name, b.name)).map((t) => [t.name, { file: t.file, function: t.function, hash: t.hash }]),
        ),
        toolsHash: s.toolsHash,
      },
    ]),
  );
  return `${visibleJson(JSON.stringify({ generator, servers }, null, 2))}\n`;
}

/**
 * Reads a lock written by `generateRoot` back into summaries (descriptions are not in the lock:
 * they come back empty). Throws a RunbyteError when the text is not such a lock.
 */
export function parseLock(text: string): ServerSummary[] {
  const invalid = (why: string): RunbyteError =>
    new RunbyteError('STALE_SDK', `runbyte.lock.json: ${why}`, { suggestions: ['run `runbyte generate` to rewrite it'] });
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (cause) {
    throw new RunbyteError('STALE_SDK', 'runbyte.lock.json is not valid JSON', { cause });
  }
  if (!isRecord(lock) || !isRecord(lock.servers)) throw invalid('no "servers" object');
  const summaries: ServerSummary[] = [];
  for (const [server, entry] of Object.entries(lock.servers)) {
    if (!SERVER_NAME.test(server)) throw invalid(`unsafe server name ${JSON.stringify(server)}`);
    if (!isRecord(entry) || typeof entry.toolsHash !== 'string' || !isRecord(entry.tools)) {
      throw invalid(`server "${server}" needs "toolsHash" and "tools"`);
    }
    const tools: ToolSummary[] = [];
    for (const [name, tool] of Object.entries(entry.tools)) {
      if (!isRecord(tool) || typeof tool.function !== 'string' || typeof tool.file !== 'string' || typeof tool.hash !== 'string') {
        throw invalid(`tool ${JSON.stringify(name)} of server "${server}" needs "function", "file" and "hash"`);
      }
      tools.push({ name, function: tool.function, file: tool.file, hash: tool.hash, description: '' });
    }
    tools.sort((a, b) => compareStrings(a.name, b.name));
    const summary: ServerSummary = { server, namespace: namespaceIdentifier(server), toolsHash: entry.toolsHash, tools };
    if (typeof entry.readmeHash === 'string') summary.readmeHash = entry.readmeHash;
    summaries.push(summary);
  }
  return summaries.sort((a, b) => compareStrings(a.server, b.server));
}

/** The one line of a tool file that is code: `return callTool('<server>', '<tool>', args);`. */
const CALL_LINE = /^ {2}return callTool\(('(?:[^'\\\n]|\\.)*'), ('(?:[^'\\\n]|\\.)*'), args\);$/m;

/**
 * One server's summary read back from its tool files as generateServer wrote them (`files`: the
 * `.ts` files of `servers/<server>/`, index.ts included or not, and its README.md if any, whose
 * hash is kept): how a server that is down keeps
 * its place in `servers/index.ts` and the lock when the lock cannot be read. Names and files come
 * from each file's `callTool` line; definitions are not in the files, so every hash is
 * `UNKNOWN_HASH` (the next listing of the server replaces them). Files that are not tool files
 * of this server are left out.
 */
export function summaryFromFiles(server: string, files: GeneratedFile[]): ServerSummary {
  assertServerName(server);
  const tools: ToolSummary[] = [];
  const seen = new Set<string>();
  for (const file of [...files].sort((a, b) => compareStrings(a.path, b.path))) {
    const fn = /^servers\/([^/]+)\/([A-Za-z_$][A-Za-z0-9_$]*)\.ts$/.exec(file.path);
    if (!fn || fn[1] !== server || fn[2] === 'index') continue;
    const call = CALL_LINE.exec(file.text);
    if (!call || parseStringLiteral(call[1]) !== server) continue;
    const name = parseStringLiteral(call[2]);
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    tools.push({ name, function: fn[2], file: file.path, hash: UNKNOWN_HASH, description: '' });
  }
  tools.sort((a, b) => compareStrings(a.name, b.name));
  const toolsHash = shortHash(tools.map((tool) => [tool.name, tool.hash]));
  const summary: ServerSummary = { server, namespace: namespaceIdentifier(server), toolsHash, tools };
  const readme = files.find((file) => file.path === readmePath(server));
  if (readme) summary.readmeHash = shortHash(readme.text);
  return summary;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Everything: each server's files, `servers/index.ts` and the lock, sorted by path. */
export function generateSdk(servers: ServerTools[], generator: string): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const summaries: ServerSummary[] = [];
  for (const server of servers) {
    const generated = generateServer(server);
    files.push(...generated.files);
    summaries.push(generated.summary);
  }
  files.push(...generateRoot(summaries, generator));
  return files.sort((a, b) => compareStrings(a.path, b.path));
}
