import type { JsonSchema, PromptArgumentSpec, PromptSpec, ResourceSpec, ResourceTemplateSpec, ToolAnnotations, ToolSpec } from '../shared/tool-spec.js';
import { compareStrings, isObject } from '../shared/values.js';

/** What the lenient reading of `tools/list` kept, and why it left out the rest. */
export interface ReadTools {
  tools: ToolSpec[];
  /** One line per entry left out or repaired, for the log. */
  notes: string[];
}

/**
 * Turns the raw `tools` entries of every `tools/list` page into ToolSpecs, sorted by name.
 *
 * Lenient on purpose (docs/decisions.md, trap 9: the SDK rejects a whole list for one bad schema): schemas
 * are kept exactly as sent, however malformed (codegen maps what it cannot read to `unknown`).
 * Only an entry without a string name is dropped, as is a second tool with the same name.
 * A missing or non-schema `inputSchema` becomes `{ "type": "object" }`; a non-schema
 * `outputSchema` is left out; a non-string description or title is left out. Of `annotations`,
 * only the known hints that are booleans and a string title are kept; of `execution`, a
 * `taskSupport` of `required` or `optional`.
 */
export function readTools(entries: unknown[]): ReadTools {
  const byName = new Map<string, ToolSpec>();
  const notes: string[] = [];
  entries.forEach((entry, index) => {
    // An empty name is odd but callable; codegen gives it a deterministic identifier.
    if (!isObject(entry) || typeof entry.name !== 'string') {
      const name = isObject(entry) ? entry.name : undefined;
      const why = name === undefined ? 'it has no name' : `its name is not a string (${short(name)})`;
      notes.push(`left out tools/list entry #${index + 1}: ${why}`);
      return;
    }
    const name = entry.name;
    if (byName.has(name)) {
      notes.push(`left out a second tool named ${JSON.stringify(name)} (tools/list entry #${index + 1})`);
      return;
    }
    let inputSchema: JsonSchema;
    if (isSchema(entry.inputSchema)) {
      inputSchema = entry.inputSchema;
    } else {
      inputSchema = { type: 'object' };
      notes.push(`tool ${JSON.stringify(name)} has no usable inputSchema (${short(entry.inputSchema)}); treating it as any object`);
    }
    const spec: ToolSpec = { name, inputSchema };
    const title = typeof entry.title === 'string' ? entry.title : isObject(entry.annotations) ? entry.annotations.title : undefined;
    if (typeof title === 'string') spec.title = title;
    if (typeof entry.description === 'string') spec.description = entry.description;
    const annotations = readAnnotations(entry.annotations);
    if (annotations) spec.annotations = annotations;
    const taskSupport = isObject(entry.execution) ? entry.execution.taskSupport : undefined;
    if (taskSupport === 'required' || taskSupport === 'optional') spec.taskSupport = taskSupport;
    if (isSchema(entry.outputSchema)) {
      spec.outputSchema = entry.outputSchema;
    } else if (entry.outputSchema !== undefined && entry.outputSchema !== null) {
      notes.push(`tool ${JSON.stringify(name)} has an unusable outputSchema (${short(entry.outputSchema)}); ignoring it`);
    }
    byName.set(name, spec);
  });
  const tools = [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
  return { tools, notes };
}

/**
 * The entries of a paginated list that have a string `key`, each built by `build`; the others are
 * dropped with a note naming the list and the entry's place. Order is the server's; codegen sorts.
 */
function readEntries<T>(entries: unknown[], method: string, key: string, build: (entry: Record<string, unknown>) => T): { kept: T[]; notes: string[] } {
  const notes: string[] = [];
  const kept: T[] = [];
  entries.forEach((entry, index) => {
    if (isObject(entry) && typeof entry[key] === 'string') kept.push(build(entry));
    else notes.push(`left out ${method} entry #${index + 1}: it has no string "${key}"`);
  });
  return { kept, notes };
}

/** `resources/list` entries, leniently: no string `uri`, dropped; a non-string name or description, left out. */
export function readResources(entries: unknown[]): { resources: ResourceSpec[]; notes: string[] } {
  const { kept, notes } = readEntries(entries, 'resources/list', 'uri', (entry) => ({ uri: entry.uri as string, ...texts(entry) }));
  return { resources: kept, notes };
}

/** `resources/templates/list` entries, as readResources reads `resources/list` (keyed by `uriTemplate`). */
export function readResourceTemplates(entries: unknown[]): { resourceTemplates: ResourceTemplateSpec[]; notes: string[] } {
  const { kept, notes } = readEntries(entries, 'resources/templates/list', 'uriTemplate', (entry) => ({
    uriTemplate: entry.uriTemplate as string,
    ...texts(entry),
  }));
  return { resourceTemplates: kept, notes };
}

export function readPrompts(entries: unknown[]): { prompts: PromptSpec[]; notes: string[] } {
  const { kept, notes } = readEntries(entries, 'prompts/list', 'name', (entry) => {
    const prompt: PromptSpec = { name: entry.name as string };
    if (typeof entry.description === 'string') prompt.description = entry.description;
    if (Array.isArray(entry.arguments)) {
      prompt.arguments = entry.arguments
        .filter((arg): arg is Record<string, unknown> => isObject(arg) && typeof arg.name === 'string')
        .map((arg): PromptArgumentSpec => ({ name: arg.name as string, ...(typeof arg.required === 'boolean' ? { required: arg.required } : {}) }));
    }
    return prompt;
  });
  return { prompts: kept, notes };
}

function texts(entry: Record<string, unknown>): { name?: string; description?: string } {
  return {
    ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
    ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
  };
}

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

function readAnnotations(value: unknown): ToolAnnotations | undefined {
  if (!isObject(value)) return undefined;
  const annotations: ToolAnnotations = {};
  if (typeof value.title === 'string') annotations.title = value.title;
  for (const hint of HINTS) {
    const flag = value[hint];
    if (typeof flag === 'boolean') annotations[hint] = flag;
  }
  return Object.keys(annotations).length > 0 ? annotations : undefined;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'boolean' || isObject(value);
}

function short(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
