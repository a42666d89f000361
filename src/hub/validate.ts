import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { messageOf } from '../shared/errors.js';
import { stableStringify } from '../shared/json.js';
import { debug } from '../shared/log.js';
import type { JsonSchema, ToolCallResult, ToolSpec } from '../shared/tool-spec.js';

/**
 * A schema larger than this (as JSON) is not compiled: compiling is synchronous, so a huge schema
 * would hold every session of the hub while it compiles. Real output schemas are a few KB.
 */
export const MAX_SCHEMA_CHARS = 256 * 1024;

/**
 * A `pattern` with a quantified group that itself holds a quantifier (`(a+)+`, `(\w*)*`, `(a|b{2,})*`)
 * can take exponential time on a crafted string, and a regular expression cannot be interrupted:
 * such a schema is not compiled. Caught cheaply, by shape; false positives only cost validation.
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

/** One listed tool version's check: compiled on its first result, then reused. */
interface Entry {
  schema: JsonSchema;
  /** stableStringify of the schema: a re-listing with the same schema keeps the compiled check. */
  key: string;
  /** Undefined until the first result; null when the schema could not be compiled. */
  validate?: ValidateFunction | null;
  /** Said once per tool version: a result with no structuredContent. */
  toldMissing?: boolean;
}

/**
 * The outputSchema checks of every listed tool of every server (docs/architecture.md, hub/). Only a
 * tool seen in a listing is checked: the schema is what the generated `<Tool>Result` type was made
 * from, so a result that breaks it would reach typed code as a lie.
 */
export class ResultChecks {
  private readonly servers = new Map<string, Map<string, Entry>>();
  private readonly ajv = schemaAjv();

  /** The tools of one listing of `server`: schemas that changed start over, tools gone are dropped. */
  listed(server: string, tools: ToolSpec[]): void {
    const before = this.servers.get(server);
    const now = new Map<string, Entry>();
    for (const tool of tools) {
      if (tool.outputSchema === undefined) continue;
      const key = stableStringify(tool.outputSchema);
      const kept = before?.get(tool.name);
      now.set(tool.name, kept && kept.key === key ? kept : { schema: tool.outputSchema, key });
    }
    for (const [name, entry] of before ?? []) if (now.get(name) !== entry) this.release(entry);
    this.servers.set(server, now);
  }

  /** Forgets a server (removed or reconfigured: its next listing says what it has). */
  forget(server: string): void {
    for (const entry of this.servers.get(server)?.values() ?? []) this.release(entry);
    this.servers.delete(server);
  }

  /**
   * `result` when it is an error, has no structuredContent, or matches the tool's outputSchema;
   * otherwise an `isError` result whose text names the server, the tool and the first bad field.
   */
  check(server: string, tool: string, result: ToolCallResult): ToolCallResult {
    if (result.isError === true) return result;
    const entry = this.servers.get(server)?.get(tool);
    if (!entry) return result;
    if (result.structuredContent === undefined) {
      // Passed through (README.md, "What a tool call returns inside the code"): the spec asks a
      // server that declares an outputSchema to send structuredContent, but does not require it,
      // and servers that send the same data as JSON text have worked until now.
      if (!entry.toldMissing) debug(`server "${server}": tool "${tool}" declares an outputSchema but sent no structuredContent`);
      entry.toldMissing = true;
      return result;
    }
    const validate = this.compiled(server, tool, entry);
    if (!validate || validate(result.structuredContent)) return result;
    const problem = describeError(validate.errors?.[0], result.structuredContent);
    const text = `server "${server}": tool "${tool}" returned a result that does not match its outputSchema: ${problem}`;
    return { content: [{ type: 'text', text }], isError: true };
  }

  private compiled(server: string, tool: string, entry: Entry): ValidateFunction | null {
    if (entry.validate !== undefined) return entry.validate;
    entry.validate = null;
    if (entry.key.length > MAX_SCHEMA_CHARS) {
      debug(`server "${server}": tool "${tool}": its outputSchema is ${entry.key.length} characters; results are not checked against it`);
      return null;
    }
    const started = performance.now();
    try {
      entry.validate = this.ajv.compile(entry.schema as object);
    } catch (error) {
      debug(`server "${server}": tool "${tool}": its outputSchema does not compile (${messageOf(error)}); results are not checked against it`);
    }
    const ms = performance.now() - started;
    if (ms > 50) debug(`server "${server}": tool "${tool}": compiling its outputSchema took ${Math.round(ms)} ms`);
    return entry.validate;
  }

  private release(entry: Entry): void {
    // Ajv keeps every compiled schema; a server that re-lists all day must not grow the hub.
    if (entry.validate) this.ajv.removeSchema(entry.schema as object);
  }
}

/**
 * An Ajv for schemas a server sent (outputSchema here, inputSchema in call-one.ts): lenient about
 * the schema, safe against it, and stopping at the first error.
 */
export function schemaAjv(): Ajv {
  return new Ajv({
    strict: false,
    // The first error is all the message names; stopping there is also the cheapest.
    allErrors: false,
    // A server's schema is validated by compiling it; meta-validation would reject legal drafts
    // Ajv does not know (2019-09 `$schema`) instead of checking what it can.
    validateSchema: false,
    // Schemas with an $id are compiled for one tool, not registered: two servers may reuse an $id.
    addUsedSchema: false,
    // `format` is not checked: no format changes the TypeScript type a result is promised as,
    // and Ajv's format checks would be one more regular expression per string on the hot path.
    validateFormats: false,
    logger: false,
    code: { regExp: safeRegExp },
  });
}

/** Ajv's regular expression engine, refusing patterns with nested quantifiers (`code` is for Ajv's standalone output, unused here). */
const safeRegExp = Object.assign(
  (pattern: string, flags: string): RegExp => {
    if (NESTED_QUANTIFIER.test(pattern)) throw new Error(`the pattern ${JSON.stringify(pattern)} can take exponential time`);
    return new RegExp(pattern, flags);
  },
  { code: 'new RegExp' },
);

/**
 * The first Ajv error in plain words: `structuredContent.items[0].price must be number (got string)`.
 * `root` names the checked value; '' names properties alone (`items[0].price`, `the value` at the top).
 */
export function describeError(error: ErrorObject | undefined, data: unknown, root = 'structuredContent'): string {
  if (!error) return `${root || 'the value'} is invalid`;
  const segments = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescapePointer);
  const at = pathOf(root, segments);
  const value = valueAt(data, segments);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `${at} must be ${String(params.type).replaceAll(',', ' or ')} (got ${kindOf(value)})`;
    case 'required':
      return `${pathOf(root, [...segments, String(params.missingProperty)])} is missing`;
    case 'additionalProperties':
      return `${at} has a property the schema does not allow: ${JSON.stringify(params.additionalProperty)}`;
    case 'enum':
      return `${at} must be one of ${(params.allowedValues as unknown[]).map(short).join(', ')} (got ${short(value)})`;
    case 'const':
      return `${at} must be ${short(params.allowedValue)} (got ${short(value)})`;
    default:
      return `${at} ${error.message ?? `fails "${error.keyword}"`} (got ${short(value)})`;
  }
}

function pathOf(root: string, segments: string[]): string {
  const path = `${root}${segments.map(pathSegment).join('')}`;
  if (root !== '') return path;
  return path === '' ? 'the value' : path.replace(/^\./, '');
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function pathSegment(segment: string): string {
  if (/^\d+$/.test(segment)) return `[${segment}]`;
  return /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
}

function valueAt(data: unknown, segments: string[]): unknown {
  let current = data;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function short(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = kindOf(value);
  }
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
