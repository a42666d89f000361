/**
 * JSON Schema → TypeScript type tree (README.md, "The generated SDK": "map to the closest TypeScript type; the rest to
 * `unknown`, never to a compile error"). Schemas are untrusted: anything malformed, unresolvable,
 * cyclic or too deep becomes `unknown` with a short note, never `any` and never an exception.
 *
 * `$ref`s to `#/$defs/X` and `#/definitions/X` become named, exported types (`<Tool>X`), so
 * recursive schemas work; other `#/...` pointers are inlined with a cycle guard.
 */
import type { JsonSchema } from '../shared/tool-spec.js';
import { stableStringify } from '../shared/json.js';
import { commentLine, docText, stringLiteral } from './escape.js';
import { defTypeSuffix, hashedName } from './naming.js';
import { printDeclaration, printType } from './type-layout.js';
import { intersectionOf, keyword, NEVER, unionOf, UNKNOWN, unknownWith, type Member, type ObjectNode, type TypeNode } from './type-node.js';
import { compareStrings, isObject } from '../shared/values.js';

/** Deeper nesting than this becomes `unknown /* too deep *\/`. */
export const MAX_DEPTH = 24;
/** At most this many inlined `#/...` pointers per tool: a guard against exponential expansion. */
const MAX_INLINED = 200;
/** Longer `default` values are left out of the JSDoc. */
const MAX_DEFAULT_CHARS = 60;

type SchemaObject = { [key: string]: unknown };

function own(object: SchemaObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** A named type of a tool file: from `$defs`/`definitions`, or the Args/Result root. */
export interface NamedType {
  name: string;
  node: TypeNode;
  /** JSDoc text, escaped. */
  doc: string;
}

/** Hands out a type name not used elsewhere in the server: `preferred`, else a hashed variant. */
export type NameAllocator = (preferred: string, hashKey: string) => string;

interface Root {
  id: string;
  schema: JsonSchema;
  /** The name `$ref: "#"` refers to: the Args or Result type. */
  selfName: string;
}

interface PendingDef {
  name: string;
  schema: unknown;
  root: Root;
}

const DEF_REF = /^#\/(\$defs|definitions)\/([^/]+)$/;

/**
 * Converts the schemas of one tool. Call `convertRoot` for the input (and output) schema, then
 * read `namedTypes()`: the roots and every referenced definition, alias cycles resolved.
 */
export class SchemaConverter {
  private readonly roots: NamedType[] = [];
  private readonly defs: NamedType[] = [];
  private readonly defNames = new Map<string, string>();
  private readonly closures = new Map<string, string>();
  private readonly pending: PendingDef[] = [];
  private readonly inlining = new Set<string>();
  private inlined = 0;

  /**
   * @param prefix the PascalCase prefix of the tool's type names (`ReadTextFile`)
   * @param toolName the tool's wire name, for hashing renamed definitions
   * @param allocate the server-wide type name allocator
   */
  constructor(
    private readonly prefix: string,
    private readonly toolName: string,
    private readonly allocate: NameAllocator,
  ) {}

  /** Converts a root schema named `selfName` (`id` tells input and output apart). */
  convertRoot(schema: JsonSchema, selfName: string, id: string): TypeNode {
    const root: Root = { id, schema, selfName };
    const node = this.convert(schema, root, 0);
    this.roots.push({ name: selfName, node, doc: isObject(schema) ? describe(schema) : '' });
    for (let def = this.pending.shift(); def; def = this.pending.shift()) {
      const defNode = this.convert(def.schema, def.root, 0);
      this.defs.push({ name: def.name, node: defNode, doc: isObject(def.schema) ? describe(def.schema) : '' });
    }
    return node;
  }

  /**
   * The roots (in the order converted) and the definitions (sorted by name). A type that is an
   * alias of itself through unions, intersections or other aliases (`A = B | string`, `B = A`)
   * is not valid TypeScript: such types become `unknown /* cyclic $ref *\/`. Recursion through
   * properties and array items is fine and kept.
   */
  namedTypes(): { roots: NamedType[]; defs: NamedType[] } {
    const all = [...this.roots, ...this.defs];
    const byName = new Map(all.map((t) => [t.name, t]));
    const cyclic = aliasCycles(all);
    for (const name of cyclic) {
      const type = byName.get(name);
      if (type) type.node = unknownWith('cyclic $ref');
    }
    const defs = [...this.defs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { roots: this.roots, defs };
  }

  /** Looks up a named type's node (for root checks such as "is it an object?"). */
  lookup(name: string): TypeNode | undefined {
    return this.roots.find((t) => t.name === name)?.node ?? this.defs.find((t) => t.name === name)?.node;
  }

  private convert(schema: unknown, root: Root, depth: number): TypeNode {
    if (schema === true) return UNKNOWN;
    if (schema === false) return NEVER;
    if (!isObject(schema)) return unknownWith('invalid schema');
    if (depth > MAX_DEPTH) return unknownWith('too deep');
    const ref = own(schema, '$ref');
    if (ref !== undefined) {
      return typeof ref === 'string' ? this.ref(ref, root, depth) : unknownWith('invalid $ref');
    }
    if (Object.hasOwn(schema, 'const')) return literalOf(schema.const, depth);
    const values = own(schema, 'enum');
    if (values !== undefined) {
      return Array.isArray(values) ? unionOf(values.map((value) => literalOf(value, depth))) : unknownWith('invalid enum');
    }

    const parts: TypeNode[] = [];
    const base = this.typed(schema, root, depth);
    if (base) parts.push(base);
    for (const keyword of ['anyOf', 'oneOf'] as const) {
      const options = own(schema, keyword);
      if (options === undefined) continue;
      parts.push(
        Array.isArray(options) && options.length > 0
          ? unionOf(options.map((option) => this.convert(option, root, depth + 1)))
          : unknownWith(`invalid ${keyword}`),
      );
    }
    const all = own(schema, 'allOf');
    if (all !== undefined) {
      parts.push(Array.isArray(all) ? intersectionOf(all.map((part) => this.convert(part, root, depth + 1))) : unknownWith('invalid allOf'));
    }
    if (parts.length === 0) return UNKNOWN;
    // `{ type: 'object', oneOf: [{...}, {...}] }`: the variants say more than `Record<string, unknown>`.
    if (base && parts.length > 1 && isOpenRecord(base) && parts.slice(1).every(isObjectType)) parts.shift();
    const node = intersectionOf(parts);
    // OpenAPI 3.0 style, still common in MCP servers generated from OpenAPI.
    return own(schema, 'nullable') === true ? unionOf([node, keyword('null')]) : node;
  }

  /** The part of a schema given by `type` (or implied by `properties` / `items`). */
  private typed(schema: SchemaObject, root: Root, depth: number): TypeNode | undefined {
    const type = own(schema, 'type');
    if (Array.isArray(type)) {
      if (type.length === 0) return unknownWith('invalid type');
      return unionOf(type.map((t) => (typeof t === 'string' ? this.single(t, schema, root, depth) : unknownWith('invalid type'))));
    }
    if (typeof type === 'string') return this.single(type, schema, root, depth);
    if (type !== undefined) return unknownWith('invalid type');
    if (['properties', 'additionalProperties', 'patternProperties', 'required'].some((k) => own(schema, k) !== undefined)) {
      return this.object(schema, root, depth);
    }
    if (own(schema, 'items') !== undefined || own(schema, 'prefixItems') !== undefined) return this.array(schema, root, depth);
    return undefined;
  }

  private single(type: string, schema: SchemaObject, root: Root, depth: number): TypeNode {
    switch (type) {
      case 'string':
        return keyword('string');
      case 'number':
      case 'integer':
        return keyword('number');
      case 'boolean':
        return keyword('boolean');
      case 'null':
        return keyword('null');
      case 'array':
        return this.array(schema, root, depth);
      case 'object':
        return this.object(schema, root, depth);
      default:
        return unknownWith('unsupported type');
    }
  }

  private object(schema: SchemaObject, root: Root, depth: number): TypeNode {
    const properties = own(schema, 'properties');
    const required = own(schema, 'required');
    const requiredSet = new Set(Array.isArray(required) ? required.filter((r): r is string => typeof r === 'string') : []);
    const members: Member[] = [];
    if (isObject(properties)) {
      for (const [name, property] of Object.entries(properties)) {
        members.push({
          name,
          optional: !requiredSet.has(name),
          type: this.convert(property, root, depth + 1),
          doc: isObject(property) ? describe(property) : '',
        });
      }
    }
    // A required name without a property schema must still be present, with any value.
    for (const name of requiredSet) {
      if (!members.some((m) => m.name === name)) members.push({ name, optional: false, type: UNKNOWN, doc: '' });
    }

    // Types of the properties not listed: `additionalProperties` and `patternProperties` schemas.
    // Absent or `true` means "anything", `false` means "nothing else".
    const additional = own(schema, 'additionalProperties');
    const patterns = own(schema, 'patternProperties');
    const extraSchemas = [...(additional === undefined || additional === true ? [] : [additional]), ...(isObject(patterns) ? Object.values(patterns) : [])];
    const extra = extraSchemas.map((s) => this.convert(s, root, depth + 1));
    const extraType = unionOf(extra);
    const closed = extraType.kind === 'keyword' && extraType.name === 'never';

    if (members.length === 0) {
      // `Record<string, unknown>` when anything goes, `Record<string, never>` for `{}` exactly.
      return { kind: 'object', members, index: extra.length === 0 ? UNKNOWN : extraType };
    }
    const node: ObjectNode = { kind: 'object', members };
    // With properties, an open object gets no index signature (so typos in property names still
    // fail), a closed one needs none; a typed one does, widened by the property types, which
    // TypeScript requires to fit it.
    if (extra.length > 0 && !closed) node.index = unionOf([extraType, ...members.map((m) => m.type)]);
    return node;
  }

  private array(schema: SchemaObject, root: Root, depth: number): TypeNode {
    const prefixItems = own(schema, 'prefixItems');
    const items = own(schema, 'items');
    const tuple = Array.isArray(prefixItems) ? prefixItems : Array.isArray(items) ? items : undefined;
    if (tuple) {
      const restSchema = Array.isArray(prefixItems) ? items : own(schema, 'additionalItems');
      const rest = restSchema === undefined || restSchema === false ? undefined : this.convert(restSchema, root, depth + 1);
      const elements = tuple.map((item) => this.convert(item, root, depth + 1));
      if (elements.length === 0) return rest ? { kind: 'array', element: rest } : { kind: 'tuple', elements, required: 0 };
      const minItems = own(schema, 'minItems');
      const required = typeof minItems === 'number' ? Math.max(0, Math.min(elements.length, Math.floor(minItems))) : 0;
      return { kind: 'tuple', elements, required, rest };
    }
    return { kind: 'array', element: items === undefined ? UNKNOWN : this.convert(items, root, depth + 1) };
  }

  private ref(ref: string, root: Root, depth: number): TypeNode {
    if (ref === '#') return { kind: 'ref', name: root.selfName };
    const def = DEF_REF.exec(ref);
    if (def) {
      const key = decodePointerToken(def[2]);
      const container = isObject(root.schema) ? own(root.schema, def[1]) : undefined;
      if (key !== undefined && isObject(container) && Object.hasOwn(container, key)) {
        return { kind: 'ref', name: this.defName(root, def[1], key, container[key]) };
      }
      return unknownWith('unresolved $ref');
    }
    if (!ref.startsWith('#/')) return unknownWith('unresolved $ref');
    const target = resolvePointer(root.schema, ref);
    if (target === undefined) return unknownWith('unresolved $ref');
    const guard = `${root.id}\0${ref}`;
    if (this.inlining.has(guard)) return unknownWith('cyclic $ref');
    if (++this.inlined > MAX_INLINED) return unknownWith('schema too large');
    this.inlining.add(guard);
    try {
      return this.convert(target, root, depth + 1);
    } finally {
      this.inlining.delete(guard);
    }
  }

  /**
   * The type name of a definition. Input and output schemas often carry the same definitions:
   * when a definition and everything it references are identical, both share one type.
   */
  private defName(root: Root, container: string, key: string, schema: unknown): string {
    const local = `${root.id}\0${container}\0${key}`;
    const known = this.defNames.get(local);
    if (known) return known;
    const signature = this.closure(root, container, key);
    let name = this.defNames.get(signature);
    if (!name) {
      name = this.allocate(this.prefix + defTypeSuffix(key), `${this.toolName}\0${signature}`);
      this.defNames.set(signature, name);
      this.pending.push({ name, schema, root });
    }
    this.defNames.set(local, name);
    return name;
  }

  /** A signature of a definition with every definition it reaches (unique to the root if it points at the root). */
  private closure(root: Root, container: string, key: string): string {
    const cacheKey = `${root.id}\0${container}\0${key}`;
    const cached = this.closures.get(cacheKey);
    if (cached) return cached;
    const schema = root.schema as SchemaObject;
    const reached = new Map<string, unknown>();
    let rootBound = false;
    const queue: [string, string][] = [[container, key]];
    while (queue.length > 0) {
      const [c, k] = queue.pop() as [string, string];
      const id = `${c}/${k}`;
      if (reached.has(id)) continue;
      const defs = own(schema, c);
      const def = isObject(defs) ? own(defs, k) : undefined;
      reached.set(id, def);
      forEachRef(def, (ref) => {
        const m = DEF_REF.exec(ref);
        const token = m ? decodePointerToken(m[2]) : undefined;
        if (m && token !== undefined) queue.push([m[1], token]);
        else rootBound = true;
      });
    }
    const entries = [...reached].sort(([a], [b]) => compareStrings(a, b));
    const signature = `${container}/${key}\0${rootBound ? root.id : ''}\0${stableStringify(entries)}`;
    this.closures.set(cacheKey, signature);
    return signature;
  }
}

/** The JSDoc text of a schema: its description, `@deprecated`, a short `@default` unless the description mentions one. */
export function describe(schema: SchemaObject): string {
  const lines: string[] = [];
  const description = own(schema, 'description');
  if (typeof description === 'string') {
    const text = docText(description);
    if (text) lines.push(text);
  }
  if (own(schema, 'deprecated') === true) lines.push('@deprecated');
  const fallback = own(schema, 'default');
  // Descriptions often say it already ("(default: 30)"): then it is not repeated.
  if (fallback !== undefined && !(typeof description === 'string' && /default/i.test(description))) {
    const json = JSON.stringify(fallback);
    if (json !== undefined && json.length <= MAX_DEFAULT_CHARS) lines.push(`@default ${commentLine(json)}`);
  }
  return lines.join('\n');
}

/** The type of a JSON value used as `const` or in `enum`. */
export function literalOf(value: unknown, depth = 0): TypeNode {
  if (depth > MAX_DEPTH) return unknownWith('too deep');
  switch (typeof value) {
    case 'string':
      return { kind: 'literal', text: stringLiteral(value) };
    case 'number':
      return Number.isFinite(value) ? { kind: 'literal', text: String(value) } : keyword('number');
    case 'boolean':
      return { kind: 'literal', text: String(value) };
    case 'object': {
      if (value === null) return keyword('null');
      if (Array.isArray(value)) {
        const elements = value.map((item) => literalOf(item, depth + 1));
        return { kind: 'tuple', elements, required: elements.length };
      }
      const members: Member[] = Object.entries(value).map(([name, v]) => ({
        name,
        optional: false,
        type: literalOf(v, depth + 1),
        doc: '',
      }));
      return members.length === 0 ? { kind: 'object', members, index: NEVER } : { kind: 'object', members };
    }
    default:
      return unknownWith('invalid schema');
  }
}

/** RFC 6901 token (also percent-decoded, as it sits in a URI fragment); undefined when invalid. */
function decodePointerToken(token: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    return undefined;
  }
  return decoded.replace(/~1/g, '/').replace(/~0/g, '~');
}

function resolvePointer(schema: JsonSchema, ref: string): unknown {
  let current: unknown = schema;
  for (const raw of ref.slice(2).split('/')) {
    const token = decodePointerToken(raw);
    if (token === undefined) return undefined;
    if (Array.isArray(current) && /^(0|[1-9][0-9]*)$/.test(token)) current = current[Number(token)];
    else if (isObject(current)) current = own(current, token);
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function forEachRef(value: unknown, visit: (ref: string) => void): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) stack.push(...current);
    else if (isObject(current)) {
      for (const [key, child] of Object.entries(current)) {
        if (key === '$ref' && typeof child === 'string') visit(child);
        else stack.push(child);
      }
    }
  }
}

function isOpenRecord(node: TypeNode): boolean {
  return node.kind === 'object' && node.members.length === 0 && node.index?.kind === 'keyword' && node.index.name === 'unknown';
}

/** An object type for sure, or a named type (which a `$ref` to an object usually is). */
function isObjectType(node: TypeNode): boolean {
  switch (node.kind) {
    case 'object':
    case 'ref':
      return true;
    case 'union':
      return node.types.every(isObjectType);
    case 'intersection':
      return node.types.some(isObjectType);
    default:
      return false;
  }
}

/** Names that are aliases of themselves: cycles through unions, intersections and bare refs only. */
function aliasCycles(types: NamedType[]): Set<string> {
  const edges = new Map(types.map((t) => [t.name, directRefs(t.node)]));
  const cyclic = new Set<string>();
  for (const start of edges.keys()) {
    // Depth-first search for a path back to `start`.
    const seen = new Set<string>();
    const stack = [...(edges.get(start) ?? [])];
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (name === start) {
        cyclic.add(start);
        break;
      }
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...(edges.get(name) ?? []));
    }
  }
  return cyclic;
}

function directRefs(node: TypeNode): string[] {
  switch (node.kind) {
    case 'ref':
      return [node.name];
    case 'union':
    case 'intersection':
      return node.types.flatMap(directRefs);
    default:
      return [];
  }
}

/**
 * One schema as TypeScript text, for tests and tools: `type` is the inline type of the schema
 * (what a property of that schema would be), `declarations` the named types it needs.
 */
export function schemaToTypeScript(schema: JsonSchema, name = 'T'): { type: string; declarations: string[] } {
  const taken = new Set([name]);
  const converter = new SchemaConverter(name, name, (preferred, hashKey) => {
    let chosen = preferred;
    for (let digits = 4; taken.has(chosen); digits++) chosen = hashedName(preferred, hashKey, digits);
    taken.add(chosen);
    return chosen;
  });
  converter.convertRoot(schema, name, 'input');
  const { roots, defs } = converter.namedTypes();
  return {
    type: printType(roots[0].node, ''),
    declarations: defs.map((def) => printDeclaration(def.name, def.node, def.doc)),
  };
}
