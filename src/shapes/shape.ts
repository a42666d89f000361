// The shape of the values a tool returned: kinds, property names, array elements, and how often each
// was seen; never a value. Merging only ever widens a shape. Pure.

import type { JsonSchema } from '../shared/tool-spec.js';

/**
 * One position in a value: how many values of each kind were seen there. Several kinds make a
 * union. An object is either a record of named properties or, when its keys look like data (ids,
 * hashes, dates) or are too many, a map of one value shape.
 */
export interface Shape {
  null?: number;
  boolean?: number;
  number?: number;
  string?: number;
  array?: { n: number; items?: Shape };
  object?: { n: number; props: Record<string, Shape> };
  map?: { n: number; values?: Shape };
  /** Past a cap (depth, width, the nodes of one value): anything. */
  unknown?: number;
}

/** Deeper positions are `unknown`. */
export const MAX_DEPTH = 8;
/** An object with more named properties than this becomes a map. */
export const MAX_PROPS = 64;
/** Elements of one array looked at: the first ones. */
export const MAX_ITEMS = 50;
/** Positions of one value walked; the rest are `unknown`. */
export const MAX_NODES_PER_VALUE = 5_000;
/** Positions one tool's shape may hold; a bigger one loses its deepest levels to `unknown`. */
export const MAX_NODES_PER_TOOL = 2_000;

const DATA_KEY = [
  /^-?\d+(\.\d+)?$/, // numeric ids
  /^[0-9a-f]{7,}$/i, // hashes, hex ids
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUIDs
  /^\d{4}-\d{2}-\d{2}/, // dates
  /^[^@\s]+@[^@\s]+\.[^@\s]+$/, // e-mail addresses
  /^[a-z][a-z0-9+.-]*:\/\//i, // URLs
  /^[/~.]/, // paths
];

/** A key that names data rather than a field: an id, a hash, a date, an address, a path. */
export function isDataKey(key: string): boolean {
  return DATA_KEY.some((pattern) => pattern.test(key));
}

/** The shape of one value (JSON-like: what a tool's text parses to, or its structured content). */
export function shapeOf(value: unknown): Shape {
  return absorb({}, value);
}

/**
 * Adds one value to a shape, in place (what recording does for every result: no shape of the
 * value alone is built and merged, so a result costs one walk). Returns `into`.
 */
export function absorb(into: Shape, value: unknown): Shape {
  walk(into, value, 0, { nodes: MAX_NODES_PER_VALUE });
  return into;
}

function walk(into: Shape, value: unknown, depth: number, budget: { nodes: number }): void {
  if (--budget.nodes < 0 || depth > MAX_DEPTH) {
    into.unknown = (into.unknown ?? 0) + 1;
    return;
  }
  if (value === null || value === undefined) {
    into.null = (into.null ?? 0) + 1;
    return;
  }
  const kind = typeof value;
  if (kind === 'boolean' || kind === 'number' || kind === 'string') {
    into[kind] = (into[kind] ?? 0) + 1;
    return;
  }
  if (kind !== 'object') {
    into.unknown = (into.unknown ?? 0) + 1;
    return;
  }
  if (Array.isArray(value)) {
    const array = into.array ?? { n: 0 };
    into.array = array;
    array.n += 1;
    const end = Math.min(value.length, MAX_ITEMS);
    if (end === 0) return;
    const items = array.items ?? {};
    array.items = items;
    for (let i = 0; i < end; i++) walk(items, value[i], depth + 1, budget);
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (into.map || keys.length > MAX_PROPS || (keys.length > 0 && keys.every(isDataKey))) {
    const map = toMap(into);
    map.n += 1;
    const end = Math.min(keys.length, MAX_ITEMS);
    if (end === 0) return;
    const values = map.values ?? {};
    map.values = values;
    for (let i = 0; i < end; i++) walk(values, record[keys[i] as string], depth + 1, budget);
    return;
  }
  const object = into.object ?? { n: 0, props: {} };
  into.object = object;
  object.n += 1;
  for (const key of keys) {
    const prop = object.props[key] ?? {};
    object.props[key] = prop;
    walk(prop, record[key], depth + 1, budget);
  }
  if (Object.keys(object.props).length > MAX_PROPS) toMap(into);
}

/** The shape's map, made from its named properties (all their shapes merged into one) when it had none. */
function toMap(shape: Shape): NonNullable<Shape['map']> {
  if (shape.object) {
    let values = shape.map?.values;
    for (const prop of Object.values(shape.object.props)) values = merge(values, prop);
    shape.map = { n: (shape.map?.n ?? 0) + shape.object.n, ...(values ? { values } : {}) };
    delete shape.object;
  }
  shape.map ??= { n: 0 };
  return shape.map;
}

const SCALARS = ['null', 'boolean', 'number', 'string', 'unknown'] as const;

/** Both shapes in one: every kind either saw, counts added; an object and a map make a map. */
export function merge(a: Shape | undefined, b: Shape | undefined): Shape {
  if (!a) return b ?? {};
  if (!b) return a;
  const out: Shape = {};
  for (const kind of SCALARS) {
    const count = (a[kind] ?? 0) + (b[kind] ?? 0);
    if (count > 0) out[kind] = count;
  }
  if (a.array || b.array) {
    const items = merge(a.array?.items, b.array?.items);
    out.array = { n: (a.array?.n ?? 0) + (b.array?.n ?? 0), ...(a.array?.items || b.array?.items ? { items } : {}) };
  }
  const objects = (a.object?.n ?? 0) + (b.object?.n ?? 0);
  const maps = (a.map?.n ?? 0) + (b.map?.n ?? 0);
  if (maps > 0 || objects > 0) {
    const props: Record<string, Shape> = {};
    for (const source of [a.object, b.object]) {
      for (const [key, shape] of Object.entries(source?.props ?? {})) props[key] = merge(props[key], shape);
    }
    if (maps > 0 || Object.keys(props).length > MAX_PROPS) {
      // Named properties met data keys (or grew too many): one map of every value seen.
      let values = merge(a.map?.values, b.map?.values);
      for (const shape of Object.values(props)) values = merge(values, shape);
      const seen = a.map?.values || b.map?.values || Object.keys(props).length > 0;
      out.map = { n: maps + objects, ...(seen ? { values } : {}) };
    } else {
      out.object = { n: objects, props };
    }
  }
  return out;
}

/** How many values reached this position (a property's presence among its objects). */
export function seen(shape: Shape): number {
  return SCALARS.reduce((sum, kind) => sum + (shape[kind] ?? 0), 0) + (shape.array?.n ?? 0) + (shape.object?.n ?? 0) + (shape.map?.n ?? 0);
}

/** Positions in the shape. */
export function size(shape: Shape | undefined): number {
  if (!shape) return 0;
  let count = 1 + size(shape.array?.items) + size(shape.map?.values);
  for (const prop of Object.values(shape.object?.props ?? {})) count += size(prop);
  return count;
}

/** The shape with every position below `depth` turned into `unknown` (how a too-big shape is kept small). */
export function cut(shape: Shape, depth: number): Shape {
  if (depth <= 0 && (shape.array || shape.object || shape.map)) {
    const out: Shape = {};
    for (const kind of SCALARS) if (shape[kind]) out[kind] = shape[kind];
    out.unknown = (out.unknown ?? 0) + (shape.array?.n ?? 0) + (shape.object?.n ?? 0) + (shape.map?.n ?? 0);
    return out;
  }
  const out: Shape = { ...shape };
  if (shape.array) out.array = { n: shape.array.n, ...(shape.array.items ? { items: cut(shape.array.items, depth - 1) } : {}) };
  if (shape.map) out.map = { n: shape.map.n, ...(shape.map.values ? { values: cut(shape.map.values, depth - 1) } : {}) };
  if (shape.object) {
    out.object = { n: shape.object.n, props: Object.fromEntries(Object.entries(shape.object.props).map(([key, prop]) => [key, cut(prop, depth - 1)])) };
  }
  return out;
}

/** `shape` within MAX_NODES_PER_TOOL: its deepest levels become `unknown` until it fits. */
export function bounded(shape: Shape): Shape {
  let depth = MAX_DEPTH;
  let kept = shape;
  while (size(kept) > MAX_NODES_PER_TOOL && depth > 0) kept = cut(shape, --depth);
  return kept;
}

/**
 * The JSON Schema of every value the shape saw: a property present in every object is required,
 * one missing in some is optional; several kinds are `anyOf`; an array never seen with elements has
 * `unknown` elements; `unknown` is `{}`. Objects are closed (`additionalProperties: false`), so a
 * misspelled field is a type error. Keys are sorted: the same shape gives the same schema.
 */
export function toSchema(shape: Shape): JsonSchema {
  const options: JsonSchema[] = [];
  if (shape.unknown) return {};
  if (shape.object) {
    const keys = Object.keys(shape.object.props).sort();
    const n = shape.object.n;
    options.push({
      type: 'object',
      properties: Object.fromEntries(keys.map((key) => [key, toSchema(shape.object!.props[key]!)])),
      required: keys.filter((key) => seen(shape.object!.props[key]!) >= n),
      additionalProperties: false,
    });
  }
  if (shape.map) options.push({ type: 'object', additionalProperties: shape.map.values ? toSchema(shape.map.values) : {} });
  if (shape.array) options.push({ type: 'array', items: shape.array.items ? toSchema(shape.array.items) : {} });
  if (shape.string) options.push({ type: 'string' });
  if (shape.number) options.push({ type: 'number' });
  if (shape.boolean) options.push({ type: 'boolean' });
  if (shape.null) options.push({ type: 'null' });
  if (options.length === 0) return {};
  return options.length === 1 ? options[0]! : { anyOf: options };
}
