/**
 * Escaping of untrusted server text (descriptions, names, enum values) for the two places it
 * ever lands in generated code: comments and single-quoted string literals. No server text is
 * ever emitted as code, identifiers or template literals (docs/architecture.md, "The generated SDK": generated code is a product
 * surface").
 */

// Characters that are invisible or reorder text when displayed (bidi controls, zero-width
// characters, BOM) plus C0/C1 controls: shown as visible `\uXXXX` text in comments so a
// description cannot disguise what it says ("trojan source"), escaped in string literals.
const HIDDEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Everything ECMAScript or a reader treats as a line break.
const LINE_BREAK = /\r\n|[\r\n\u0085\u2028\u2029]/g;

function hex4(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Untrusted text with its line breaks as `\n` and hidden characters (bidi controls, zero-width
 * characters, controls but tab) shown as `\uXXXX`: what any text runbyte writes for a reader
 * goes through, so it cannot disguise what it says.
 */
export function visibleText(text: string): string {
  return text.replace(LINE_BREAK, '\n').replace(HIDDEN, hex4);
}

/**
 * Normalises a description for a JSDoc comment: line breaks become `\n`, common indentation is
 * removed (docstrings), trailing spaces and surrounding blank lines go, runs of blank lines
 * become one. Then it is made safe: `*\/` cannot close the comment, a line starting with `@`
 * cannot become a tag or a `@ts-expect-error` directive, hidden characters become visible.
 * Returns '' for text with nothing to show.
 */
export function docText(text: string): string {
  const lines = text.replace(HIDDEN, hex4).replace(/\t/g, '  ').replace(LINE_BREAK, '\n').split('\n');
  // Like Python's inspect.cleandoc: the first line is trimmed, the rest lose their common indent.
  const rest = lines.slice(1).filter((line) => line.trim() !== '');
  const indent = rest.length === 0 ? 0 : Math.min(...rest.map((line) => line.length - line.trimStart().length));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (i === 0 ? lines[i].trim() : lines[i].slice(indent)).trimEnd();
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(line.replace(/\*\//g, '*\\/').replace(/^(\s*)@/, '$1\\@'));
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}

/** One line of untrusted text for a short comment (a note, a quoted name). */
export function commentLine(text: string): string {
  return docText(text).replace(/\n+/g, ' ');
}

/**
 * A JSDoc block for `text` (already passed through `docText`), indented by `indent`:
 * `/** one line *\/` or the multi-line form. The same shape ts-morph prints for `docs`.
 */
export function jsDoc(text: string, indent: string): string {
  if (text === '') return '';
  if (!text.includes('\n')) return `${indent}/** ${text} */\n`;
  const body = text
    .split('\n')
    .map((line) => (line === '' ? `${indent} *` : `${indent} * ${line}`))
    .join('\n');
  return `${indent}/**\n${body}\n${indent} */\n`;
}

const STRING_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

const STRING_SPECIAL = new RegExp(`[\\\\'\\n\\r\\t\\u2028\\u2029]|${HIDDEN.source}`, 'g');

/**
 * JSON text with the same value but invisible, bidi and line-separator characters written as
 * `\uXXXX` escapes, so a tool name cannot disguise itself in a reviewed lock file diff.
 */
export function visibleJson(json: string): string {
  return json.replace(new RegExp(`[\\u2028\\u2029]|${HIDDEN.source}`, 'g'), hex4);
}

/**
 * A single-quoted TypeScript string literal with exactly the value of `value`: quotes,
 * backslashes, line terminators, controls, hidden characters and lone surrogates (which UTF-8
 * cannot carry) are escaped. `${` and backticks need nothing in a single-quoted string.
 */
export function stringLiteral(value: string): string {
  return `'${value.replace(STRING_SPECIAL, (char) => STRING_ESCAPES[char] ?? hex4(char))}'`;
}

const STRING_UNESCAPES: Record<string, string> = { '\\': '\\', "'": "'", n: '\n', r: '\r', t: '\t' };

/**
 * The value of a literal `stringLiteral` wrote (the inverse of it, and of nothing else), or
 * undefined when `literal` is not such a literal.
 */
export function parseStringLiteral(literal: string): string | undefined {
  const match = /^'((?:[^'\\\n\r\u2028\u2029]|\\u[0-9A-F]{4}|\\[\\'nrt])*)'$/.exec(literal);
  if (!match) return undefined;
  return match[1].replace(/\\(u[0-9A-F]{4}|[\\'nrt])/g, (_, code: string) =>
    code.length === 5 ? String.fromCharCode(Number.parseInt(code.slice(1), 16)) : STRING_UNESCAPES[code],
  );
}
