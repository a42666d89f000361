/**
 * Names in the generated SDK (README.md, "The generated SDK"). Tool names are untrusted:
 * they become function names, file names and type names here, and are only ever sent to the
 * server as string literals. Property names are never renamed (they go on the wire): they are
 * quoted when they are not identifiers.
 *
 * The rules, in order (see README, "Generated names"):
 * 1. camelCase: accents are stripped, every run of other characters than ASCII letters and
 *    digits separates words (`read_text_file`, `read-text-file`, `read.text/file` →
 *    `readTextFile`). An all-capitals name is lowercased first (`GET_USER` → `getUser`); the
 *    first word's leading capitals are lowercased (`XMLParse` → `xmlParse`, `URL` → `url`);
 *    the other words get a capital first letter and keep the rest (`get_URL` → `getURL`).
 * 2. No word at all → `tool`; a leading digit → `tool` prefix (`2fa` → `tool2fa`). So a function
 *    name always starts with a lowercase letter and type names (`ReadTextFileArgs`) with a
 *    capital: the two can never clash.
 * 3. Reserved words (JavaScript, strict mode, module code, `eval`/`arguments`, a few globals
 *    and CommonJS names), `then` (it would make the module a thenable), the name the file
 *    itself imports (`callTool`), `index` and Windows device names (`con`, `nul`, ...) get a
 *    `_` suffix: `delete` → `delete_`. TypeScript's contextual keywords (`type`, `as`, `of`,
 *    ...) are legal in every position we emit and stay.
 * 4. A name that lost characters (not ASCII after stripping accents) or was cut at 64
 *    characters gets `_` + the first 4 hex digits of sha256(original name): `検索` → `tool_1a2b`.
 * 5. Names that are now equal ignoring case (file names collide on macOS and Windows): the tool
 *    whose name is exactly the identifier keeps it (of several, `readFile` and `readfile`, the
 *    first in code-unit order); every other one gets the suffix of rule 4 (one digit longer when
 *    two suffixes coincide).
 * Every rule depends only on the tool's own name and the names it collides with, never on list
 * order, so adding a tool does not rename unrelated ones.
 */
import { shortHash } from '../shared/json.js';
import { compareStrings } from '../shared/values.js';

/** Words that cannot name a function or a namespace in strict ES module code, or that would mislead. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  // ECMAScript reserved words
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  // strict mode and module code
  'implements',
  'interface',
  'let',
  'package',
  'private',
  'protected',
  'public',
  'static',
  'yield',
  'await',
  'eval',
  'arguments',
  // legal, but shadowing them in a module is a trap (and bundlers treat some specially)
  'undefined',
  'NaN',
  'Infinity',
  'globalThis',
  'require',
  'module',
  'exports',
  // an export named `then` makes the module namespace a thenable: `await import(...)` would call it
  'then',
  // what every tool file imports
  'callTool',
]);

// File names that clash with the folder's index.ts or that Windows refuses (compared lowercased).
const RESERVED_FILE_NAMES: ReadonlySet<string> = new Set([
  'index',
  'con',
  'prn',
  'aux',
  'nul',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`com${n}`, `lpt${n}`]),
]);

const MAX_LENGTH = 64;
const HASH_DIGITS = 4;

/** Why a name is not the plain camelCase of the tool name; shown in the tool's JSDoc. */
export type RenameReason = 'reserved word' | 'not ASCII' | 'too long' | 'empty' | 'starts with a digit' | 'name collision';

/** The identifier chosen for one name, and why it differs from plain camelCase (if it does). */
export interface NameChoice {
  identifier: string;
  reason?: RenameReason;
}

interface Candidate {
  name: string;
  /** The camelCase with prefixes and reserved-word suffix applied, before collision handling. */
  base: string;
  identifier: string;
  reason?: RenameReason;
}

function hashOf(name: string, digits: number): string {
  return shortHash(name).slice('sha256-'.length, 'sha256-'.length + digits);
}

/**
 * The camelCase words of a name: accents stripped, split on anything but ASCII letters and
 * digits. `lossy` when some other character was dropped (not a separator).
 */
export function camelCase(name: string): { text: string; lossy: boolean } {
  const ascii = name.normalize('NFKD').replace(/\p{M}/gu, '');
  const lossy = /[^\x00-\x7f]/.test(ascii);
  const allCaps = !/[a-z]/.test(ascii);
  const words = ascii.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  const text = words
    .map((word, index) => {
      const w = allCaps ? word.toLowerCase() : word;
      if (index > 0) return w[0].toUpperCase() + w.slice(1);
      // Leading capitals: `URL` → `url`, `XMLParse` → `xmlParse`, `GetMe` → `getMe`.
      const run = /^[A-Z]+/.exec(w)?.[0].length ?? 0;
      if (run === w.length) return w.toLowerCase();
      const cut = run > 1 && /[a-z]/.test(w[run]) ? run - 1 : run === 0 ? 0 : 1;
      return w.slice(0, cut).toLowerCase() + w.slice(cut);
    })
    .join('');
  return { text, lossy };
}

function isReserved(identifier: string): boolean {
  return RESERVED_WORDS.has(identifier) || RESERVED_FILE_NAMES.has(identifier.toLowerCase());
}

function candidate(name: string): Candidate {
  const { text, lossy } = camelCase(name);
  let base = text;
  let reason: RenameReason | undefined;
  let hashed = false;
  if (base === '') {
    base = 'tool';
    reason = 'empty';
    hashed = true;
  } else if (/^[0-9]/.test(base)) {
    base = `tool${base}`;
    reason = 'starts with a digit';
  }
  if (base.length > MAX_LENGTH) {
    base = base.slice(0, MAX_LENGTH);
    reason = 'too long';
    hashed = true;
  }
  if (lossy) {
    reason = 'not ASCII';
    hashed = true;
  }
  if (isReserved(base)) {
    base += '_';
    reason ??= 'reserved word';
  }
  const identifier = hashed ? withHash(base, name, HASH_DIGITS) : base;
  return { name, base, identifier, reason };
}

function withHash(base: string, name: string, digits: number): string {
  return `${base.replace(/_$/, '')}_${hashOf(name, digits)}`;
}

/**
 * Chooses an identifier for each name (rules above). The result does not depend on the order of
 * `names`; duplicates in `names` get the same identifier.
 */
export function chooseNames(names: Iterable<string>): Map<string, NameChoice> {
  const candidates = [...new Set(names)].sort(compareStrings).map(candidate);
  // Round 0 applies rule 5; a later round only runs if two suffixes coincide, with one more digit.
  for (let round = 0; round < 48; round++) {
    const groups = new Map<string, Candidate[]>();
    for (const c of candidates) {
      const key = c.identifier.toLowerCase();
      const group = groups.get(key);
      if (group) group.push(c);
      else groups.set(key, [c]);
    }
    let clashes = false;
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      clashes = true;
      // The tool spelled exactly like the identifier keeps it; when several are (`readFile`,
      // `readfile`), the first in code-unit order does.
      const keeper = round === 0 ? group.find((c) => c.name === c.identifier) : undefined;
      for (const c of group) {
        if (c === keeper) continue;
        c.identifier = withHash(c.base, c.name, HASH_DIGITS + round);
        c.reason = 'name collision';
      }
    }
    if (!clashes) break;
  }
  return new Map(candidates.map((c) => [c.name, { identifier: c.identifier, reason: c.reason }]));
}

/**
 * Function (and file) name for each tool name: `read_text_file` → `readTextFile`, with the
 * documented renames for reserved words, lossy names and collisions.
 */
export function toolIdentifiers(names: string[]): Map<string, string> {
  return new Map([...chooseNames(names)].map(([name, choice]) => [name, choice.identifier]));
}

/** The namespace for each server name in `servers/index.ts` (same rules as tool names). */
export function namespaceIdentifiers(servers: string[]): Map<string, string> {
  return toolIdentifiers(servers);
}

/** The namespace of one server on its own (`my-server` → `myServer`, `class` → `class_`). */
export function namespaceIdentifier(server: string): string {
  return toolIdentifiers([server]).get(server) as string;
}

/** `readTextFile` → `ReadTextFile`: the prefix of a tool's type names. */
export function pascalCase(identifier: string): string {
  return identifier.charAt(0).toUpperCase() + identifier.slice(1);
}

/**
 * The PascalCase part a `$defs` key contributes to a type name (`tree-node` → `TreeNode`);
 * `Def` when nothing usable is left, `Def` prefixed to a leading digit.
 */
export function defTypeSuffix(key: string): string {
  const { text } = camelCase(key);
  const word = text === '' ? 'Def' : /^[0-9]/.test(text) ? `Def${text}` : text;
  return pascalCase(word.slice(0, MAX_LENGTH));
}

/** Adds a short hash of `key` to a type name that is already taken. */
export function hashedName(name: string, key: string, digits = HASH_DIGITS): string {
  return `${name}_${hashOf(key, digits)}`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True for an ASCII identifier name (reserved words included: they are fine as property names). */
export function isIdentifierName(text: string): boolean {
  return IDENTIFIER.test(text);
}
