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
 * only the known hints that are booleans and a string title are kept.
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
 * The entries of every `resources/list` page, leniently: an entry without a string `uri` is
 * dropped (with a note), a non-string name or description is left out. Order is the server's;
 * codegen sorts.
 */
export function readResources(entries: unknown[]): { resources: ResourceSpec[]; notes: string[] } {
  const notes: string[] = [];
  const resources: ResourceSpec[] = [];
  entries.forEach((entry, index) => {
    if (!isObject(entry) || typeof entry.uri !== 'string') {
      notes.push(`left out resources/list entry #${index + 1}: it has no string "uri"`);
      return;
    }
    resources.push({ uri: entry.uri, ...texts(entry) });
  });
  return { resources, notes };
}

/** `resources/templates/list` entries, as readResources reads `resources/list` (keyed by `uriTemplate`). */
export function readResourceTemplates(entries: unknown[]): { resourceTemplates: ResourceTemplateSpec[]; notes: string[] } {
  const notes: string[] = [];
  const resourceTemplates: ResourceTemplateSpec[] = [];
  entries.forEach((entry, index) => {
    if (!isObject(entry) || typeof entry.uriTemplate !== 'string') {
      notes.push(`left out resources/templates/list entry #${index + 1}: it has no string "uriTemplate"`);
      return;
    }
    resourceTemplates.push({ uriTemplate: entry.uriTemplate, ...texts(entry) });
  });
  return { resourceTemplates, notes };
}

/**
 * `prompts/list` entries: an entry without a string name is dropped; of `arguments`, only
 * entries with a string name are kept, with `required` when it is a boolean.
 */
export function readPrompts(entries: unknown[]): { prompts: PromptSpec[]; notes: string[] } {
  const notes: string[] = [];
  const prompts: PromptSpec[] = [];
  entries.forEach((entry, index) => {
    if (!isObject(entry) || typeof entry.name !== 'string') {
      notes.push(`left out prompts/list entry #${index + 1}: it has no string "name"`);
      return;
    }
    const prompt: PromptSpec = { name: entry.name };
    if (typeof entry.description === 'string') prompt.description = entry.description;
    if (Array.isArray(entry.arguments)) {
      prompt.arguments = entry.arguments
        .filter((arg): arg is Record<string, unknown> => isObject(arg) && typeof arg.name === 'string')
        .map((arg): PromptArgumentSpec => ({ name: arg.name as string, ...(typeof arg.required === 'boolean' ? { required: arg.required } : {}) }));
    }
    prompts.push(prompt);
  });
  return { prompts, notes };
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
