/**
 * Type tree → TypeScript text: the layout of types (source-file.ts prints the files around them).
 * An object type stays on one line when it has no JSDoc and fits in `FLAT_WIDTH` characters
 * (`{ path: string; content: string }`), otherwise one member per line; unions stay on one line
 * (enums are long but cheap to read). Two-space indentation.
 */
import { jsDoc, stringLiteral } from './escape.js';
import { isIdentifierName } from './naming.js';
import { hasRef, type Member, type ObjectNode, type TypeNode } from './type-node.js';

const FLAT_WIDTH = 80;
const INDENT = '  ';

const flatCache = new WeakMap<TypeNode, string | null>();

/** A property name as written in a type: quoted (never renamed) when it is not an identifier. */
export function propertyKey(name: string): string {
  return isIdentifierName(name) ? name : stringLiteral(name);
}

/**
 * What TypeScript's `Object` interface declares (lib.es5.d.ts). Every object type inherits these,
 * so an object that lacks one still "has" it: `{}` is not a `{ constructor?: string }` (its
 * `constructor` is a `Function`), and neither is any argument that leaves it out. An optional
 * property with one of these names is therefore typed `T | Object['name']`: what reading it
 * really gives when it is absent. `__proto__` is not declared there, so it needs nothing.
 */
export const OBJECT_MEMBERS: ReadonlySet<string> = new Set([
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
]);

/** The type of an object member as written: see OBJECT_MEMBERS. */
function memberType(member: Member, text: string): string {
  if (!member.optional || !OBJECT_MEMBERS.has(member.name) || (member.type.kind === 'keyword' && member.type.name === 'unknown')) return text;
  return `${text} | Object[${stringLiteral(member.name)}]`;
}

/** The type as text; `indent` is the indentation of the line it starts on. */
export function printType(node: TypeNode, indent: string): string {
  return flat(node) ?? multiLine(node, indent);
}

/**
 * A named declaration: `export interface` for an object type with properties (the form editors
 * and readers expect), `export type` for everything else.
 */
export function printDeclaration(name: string, node: TypeNode, doc: string): string {
  const body =
    node.kind === 'object' && node.members.length > 0 ? `export interface ${name} ${objectBlock(node, '')}` : `export type ${name} = ${printType(node, '')};`;
  return jsDoc(doc, '') + body;
}

function needsParens(node: TypeNode): boolean {
  return node.kind === 'union' || node.kind === 'intersection';
}

/** One-line text, or null when the node must span lines. */
function flat(node: TypeNode): string | null {
  const cached = flatCache.get(node);
  if (cached !== undefined) return cached;
  const text = flatUncached(node);
  flatCache.set(node, text);
  return text;
}

function flatUncached(node: TypeNode): string | null {
  switch (node.kind) {
    case 'keyword':
      return node.note ? `${node.name} /* ${node.note} */` : node.name;
    case 'literal':
      return node.text;
    case 'ref':
      return node.name;
    case 'array': {
      const element = flat(node.element);
      if (element === null) return null;
      return needsParens(node.element) ? `(${element})[]` : `${element}[]`;
    }
    case 'tuple': {
      const parts: string[] = [];
      for (let i = 0; i < node.elements.length; i++) {
        const element = node.elements[i];
        const text = flat(element);
        if (text === null) return null;
        parts.push(i < node.required ? text : needsParens(element) ? `(${text})?` : `${text}?`);
      }
      if (node.rest) {
        const rest = flat({ kind: 'array', element: node.rest });
        if (rest === null) return null;
        parts.push(`...${rest}`);
      }
      return `[${parts.join(', ')}]`;
    }
    case 'union':
    case 'intersection': {
      const parts: string[] = [];
      for (const member of node.types) {
        const text = flat(member);
        if (text === null) return null;
        parts.push(node.kind === 'intersection' && member.kind === 'union' ? `(${text})` : text);
      }
      return parts.join(node.kind === 'union' ? ' | ' : ' & ');
    }
    case 'object': {
      if (node.members.length === 0) {
        const value = node.index ? flat(node.index) : 'unknown';
        if (value === null) return null;
        // Record reads best, but a recursive alias must go through an object literal type.
        return node.index && hasRef(node.index) ? `{ [key: string]: ${value} }` : `Record<string, ${value}>`;
      }
      const parts: string[] = [];
      for (const member of node.members) {
        if (member.doc !== '') return null;
        const type = flat(member.type);
        if (type === null) return null;
        parts.push(`${propertyKey(member.name)}${member.optional ? '?' : ''}: ${memberType(member, type)}`);
      }
      if (node.index) {
        const index = flat(node.index);
        if (index === null) return null;
        parts.push(`[key: string]: ${index}`);
      }
      const text = `{ ${parts.join('; ')} }`;
      return text.length <= FLAT_WIDTH ? text : null;
    }
  }
}

function multiLine(node: TypeNode, indent: string): string {
  switch (node.kind) {
    case 'array': {
      const element = printType(node.element, indent);
      return needsParens(node.element) ? `(${element})[]` : `${element}[]`;
    }
    case 'tuple': {
      const parts = node.elements.map((element, i) => {
        const text = printType(element, indent);
        return i < node.required ? text : needsParens(element) ? `(${text})?` : `${text}?`;
      });
      if (node.rest) parts.push(`...${printType({ kind: 'array', element: node.rest }, indent)}`);
      return `[${parts.join(', ')}]`;
    }
    case 'union':
    case 'intersection':
      return node.types
        .map((member) => {
          const text = printType(member, indent);
          return node.kind === 'intersection' && member.kind === 'union' ? `(${text})` : text;
        })
        .join(node.kind === 'union' ? ' | ' : ' & ');
    case 'object':
      return objectBlock(node, indent);
    default:
      return flat(node) ?? '';
  }
}

/** `{`, one member per line, `}`: the body of an interface or a multi-line object type. */
function objectBlock(node: ObjectNode, indent: string): string {
  const inner = indent + INDENT;
  let text = '{\n';
  for (const member of node.members) text += memberLine(member, inner);
  if (node.index) text += `${inner}[key: string]: ${printType(node.index, inner)};\n`;
  return `${text}${indent}}`;
}

function memberLine(member: Member, indent: string): string {
  const key = propertyKey(member.name) + (member.optional ? '?' : '');
  return `${jsDoc(member.doc, indent)}${indent}${key}: ${memberType(member, printType(member.type, indent))};\n`;
}
