import { findServer, type RunbyteConfig } from '../config/index.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { didYouMean } from '../shared/suggest.js';
import type { JsonSchema } from '../shared/tool-spec.js';
import { ShapeStore } from '../shapes/index.js';
import { Hub } from './hub.js';
import { hubOptions } from './options.js';
import { loadToolValue } from './tool-value.js';
import { describeError, MAX_SCHEMA_CHARS, schemaAjv } from './validate.js';

/** What one `runbyte call` gives: the tool's value, or the tool's own error (exit 1). */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Calls one tool of one configured server, live: `target` is `server.tool`, `pairs` are
 * `key=value` words and `json` the `--args` object (README.md, `runbyte call`). The arguments are
 * checked against the tool's inputSchema before anything is sent. The value follows the SDK's one
 * result rule (`toolValue` of templates/runtime.ts). Usage mistakes (an unknown server or tool,
 * with the nearest name; a bad argument, naming the property) throw RunbyteError('USAGE'); a
 * server that does not start throws SERVER_FAILED; a tool that answers `isError` is `ok: false`.
 */
export async function callOne(config: RunbyteConfig, target: string, pairs: string[], json?: string): Promise<CallOutcome> {
  const dot = target.indexOf('.');
  if (dot <= 0 || dot === target.length - 1) {
    throw new RunbyteError('USAGE', `${JSON.stringify(target)}: expected SERVER.TOOL, like memory.read_graph`, {
      suggestions: [`configured servers: ${config.servers.map((server) => server.name).join(', ') || '(none)'}; \`runbyte list SERVER\` names its tools`],
    });
  }
  const serverName = target.slice(0, dot);
  const toolName = target.slice(dot + 1);
  const server = findServer(config, serverName);
  // Parsed before the server starts: a malformed --args or key=value costs no process.
  const base = parseJsonArgs(json);
  const hub = new Hub([server], hubOptions(config));
  try {
    const [failure] = await hub.start();
    if (failure) throw new RunbyteError('SERVER_FAILED', failure.message);
    const tools = await hub.listTools(serverName);
    const tool = tools.find((candidate) => candidate.name === toolName);
    if (!tool) {
      const names = tools.map((candidate) => candidate.name);
      throw new RunbyteError('USAGE', `server "${serverName}" has no tool "${toolName}"${didYouMean(toolName, names)}`, {
        suggestions: [`\`runbyte list ${serverName}\` names its ${names.length} tools`],
      });
    }
    const args = { ...base, ...parsePairs(pairs, tool.inputSchema) };
    checkArgs(target, args, tool.inputSchema);
    const result = await hub.callTool(serverName, toolName, args);
    const toolValue = await loadToolValue();
    let value: unknown;
    try {
      value = toolValue(serverName, toolName, result);
    } catch (error) {
      return { ok: false, error: messageOf(error) };
    }
    // A tool without an outputSchema: its value's shape joins what its result type is learned from.
    if (tool.outputSchema === undefined && config.shapesDir) {
      const shapes = new ShapeStore(config.shapesDir);
      shapes.observe(serverName, toolName, value);
      await shapes.flush();
    }
    return { ok: true, value };
  } finally {
    await hub.close();
  }
}

function parseJsonArgs(json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new RunbyteError('USAGE', `--args: not valid JSON: ${messageOf(error)}`, { suggestions: [`quote it for the shell: --args '{"path": "notes.md"}'`] });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RunbyteError('USAGE', '--args: expected a JSON object of arguments, like {"path": "notes.md"}');
  }
  return value as Record<string, unknown>;
}

/**
 * `key=value` words as arguments. The value is read as JSON when it parses (`n=3`, `ok=true`,
 * `x=null`, `tags=["a"]`, `q="3"`), else it is the text itself; when the tool's inputSchema types
 * the property as a string only, the text is always kept as it is (`path=2024` stays "2024").
 */
export function parsePairs(pairs: string[], schema: JsonSchema): Record<string, unknown> {
  const properties = propertiesOf(schema);
  const args: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      const hint = Object.keys(properties).length ? ` (this tool takes: ${Object.keys(properties).join(', ')})` : '';
      throw new RunbyteError('USAGE', `${JSON.stringify(pair)}: expected key=value${hint}`, {
        suggestions: ['or pass every argument at once with --args JSON'],
      });
    }
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    if (Object.hasOwn(args, key)) throw new RunbyteError('USAGE', `${key}: given twice`);
    args[key] = stringOnly(properties[key]) ? text : asJson(text);
  }
  return args;
}

function asJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function propertiesOf(schema: JsonSchema): Record<string, unknown> {
  const properties = (schema as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {};
}

function stringOnly(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'string';
}

/** The arguments against the tool's inputSchema: the first problem names the property. */
function checkArgs(target: string, args: Record<string, unknown>, schema: JsonSchema): void {
  const known = Object.keys(propertiesOf(schema));
  if (known.length > 0) {
    // A name the schema does not list is most likely a typo, whatever additionalProperties says.
    const stray = Object.keys(args).find((key) => !known.includes(key));
    const extra = (schema as { additionalProperties?: unknown }).additionalProperties;
    if (stray !== undefined && (extra === undefined || extra === false)) {
      throw new RunbyteError('USAGE', `${target}: unknown argument "${stray}"${didYouMean(stray, known)}`, {
        suggestions: [`its arguments: ${known.join(', ')}`],
      });
    }
  }
  if (JSON.stringify(schema).length > MAX_SCHEMA_CHARS) return;
  let validate: ReturnType<ReturnType<typeof schemaAjv>['compile']>;
  try {
    validate = schemaAjv().compile(schema as object);
  } catch {
    // A schema Ajv cannot compile is the server's problem: the server checks its own arguments.
    return;
  }
  if (validate(args)) return;
  throw new RunbyteError('USAGE', `${target}: argument ${describeError(validate.errors?.[0], args, '')}`, {
    suggestions: [`\`runbyte list ${target.split('.')[0]} --json\` shows its tools; the generated SDK types them`],
  });
}
