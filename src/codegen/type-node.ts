/**
 * A small TypeScript type tree: what schema.ts produces and type-layout.ts lays out. Keeping the
 * conversion (JSON Schema semantics) apart from the layout (indentation, one line or many) keeps
 * both simple, and lets the tree be normalised (flattened unions, deduplication) before printing.
 */

export type TypeNode =
  | { kind: 'keyword'; name: 'string' | 'number' | 'boolean' | 'null' | 'unknown' | 'never'; note?: string }
  /** `text` is already valid TypeScript (an escaped string literal, a number, true/false). */
  | { kind: 'literal'; text: string }
  | { kind: 'ref'; name: string }
  | { kind: 'array'; element: TypeNode }
  | { kind: 'tuple'; elements: TypeNode[]; required: number; rest?: TypeNode }
  | { kind: 'union'; types: TypeNode[] }
  | { kind: 'intersection'; types: TypeNode[] }
  | ObjectNode;

export interface ObjectNode {
  kind: 'object';
  members: Member[];
  /** Type of an index signature (`additionalProperties` / `patternProperties`), if any. */
  index?: TypeNode;
}

export interface Member {
  /** The property name exactly as on the wire; type-layout.ts quotes it when needed. */
  name: string;
  optional: boolean;
  type: TypeNode;
  /** JSDoc text, already escaped (escape.ts `docText`); '' for none. */
  doc: string;
}

/** `unknown`: what an unconstrained (or unreadable, then with a note) schema means. */
export const UNKNOWN: TypeNode = { kind: 'keyword', name: 'unknown' };
/** `never`: the `false` schema, an empty enum. */
export const NEVER: TypeNode = { kind: 'keyword', name: 'never' };

/** A primitive type keyword. */
export function keyword(name: 'string' | 'number' | 'boolean' | 'null'): TypeNode {
  return { kind: 'keyword', name };
}

/** `unknown` with a short note printed next to it (`unknown /* cyclic $ref *\/`). */
export function unknownWith(note: string): TypeNode {
  return { kind: 'keyword', name: 'unknown', note };
}

function isKeyword(node: TypeNode, name: string): boolean {
  return node.kind === 'keyword' && node.name === name;
}

/** A union, flattened and deduplicated: `unknown` absorbs the rest, `never` disappears. */
export function unionOf(types: TypeNode[]): TypeNode {
  const flat: TypeNode[] = [];
  const seen = new Set<string>();
  for (const type of types.flatMap((t) => (t.kind === 'union' ? t.types : [t]))) {
    if (isKeyword(type, 'unknown')) return type;
    if (isKeyword(type, 'never')) continue;
    const key = JSON.stringify(type);
    if (seen.has(key)) continue;
    seen.add(key);
    flat.push(type);
  }
  if (flat.length === 0) return NEVER;
  return flat.length === 1 ? flat[0] : { kind: 'union', types: flat };
}

/** An intersection, flattened: `unknown` parts disappear, `never` absorbs the rest. */
export function intersectionOf(types: TypeNode[]): TypeNode {
  const flat: TypeNode[] = [];
  const seen = new Set<string>();
  let note: TypeNode | undefined;
  for (const type of types.flatMap((t) => (t.kind === 'intersection' ? t.types : [t]))) {
    if (isKeyword(type, 'never')) return type;
    if (isKeyword(type, 'unknown')) {
      note ??= type;
      continue;
    }
    const key = JSON.stringify(type);
    if (seen.has(key)) continue;
    seen.add(key);
    flat.push(type);
  }
  if (flat.length === 0) return note ?? UNKNOWN;
  return flat.length === 1 ? flat[0] : { kind: 'intersection', types: flat };
}

/** Whether `node` mentions a named type anywhere (then `Record<string, T>` is avoided: see type-layout.ts). */
export function hasRef(node: TypeNode): boolean {
  switch (node.kind) {
    case 'ref':
      return true;
    case 'array':
      return hasRef(node.element);
    case 'tuple':
      return node.elements.some(hasRef) || (node.rest !== undefined && hasRef(node.rest));
    case 'union':
    case 'intersection':
      return node.types.some(hasRef);
    case 'object':
      return node.members.some((m) => hasRef(m.type)) || (node.index !== undefined && hasRef(node.index));
    default:
      return false;
  }
}

/** Resolves a named type while walking a tree (undefined for names outside the file). */
export type Lookup = (name: string) => TypeNode | undefined;

/** Whether every value of the type is a JS object: what `tools/call` arguments must be. */
export function isObjectLike(node: TypeNode, lookup: Lookup, seen: Set<string> = new Set()): boolean {
  switch (node.kind) {
    case 'object':
    case 'array':
    case 'tuple':
      return true;
    case 'ref': {
      if (seen.has(node.name)) return false;
      seen.add(node.name);
      const target = lookup(node.name);
      return target !== undefined && isObjectLike(target, lookup, seen);
    }
    case 'union':
      return node.types.every((t) => isObjectLike(t, lookup, new Set(seen)));
    case 'intersection':
      return node.types.some((t) => isObjectLike(t, lookup, new Set(seen)));
    default:
      return false;
  }
}

/** Whether `{}` is a value of the type: then the arguments parameter can default to `{}`. */
export function acceptsEmptyObject(node: TypeNode, lookup: Lookup, seen: Set<string> = new Set()): boolean {
  switch (node.kind) {
    case 'object':
      return node.members.every((m) => m.optional);
    case 'ref': {
      if (seen.has(node.name)) return false;
      seen.add(node.name);
      const target = lookup(node.name);
      return target !== undefined && acceptsEmptyObject(target, lookup, seen);
    }
    case 'union':
      return node.types.some((t) => acceptsEmptyObject(t, lookup, new Set(seen)));
    case 'intersection':
      return node.types.every((t) => acceptsEmptyObject(t, lookup, new Set(seen)));
    default:
      return false;
  }
}
