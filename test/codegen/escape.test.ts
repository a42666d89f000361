import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { docText, jsDoc, parseStringLiteral, stringLiteral, visibleJson } from '../../src/codegen/index.js';

const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');

/** The value TypeScript reads back from a string literal. */
function parseLiteral(literal: string): string {
  const file = ts.createSourceFile('x.ts', `const x = ${literal};`, ts.ScriptTarget.ES2022, true);
  const statement = file.statements[0] as import('typescript').VariableStatement;
  const init = statement.declarationList.declarations[0].initializer;
  if (!init || !ts.isStringLiteral(init)) throw new Error(`not a string literal: ${literal}`);
  return init.text;
}

describe('stringLiteral', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it\\'s'"],
    ['say "hi"', `'say "hi"'`],
    ['back\\slash', "'back\\\\slash'"],
    ['line\nbreak', "'line\\nbreak'"],
    ['cr\rlf', "'cr\\rlf'"],
    ['tab\there', "'tab\\there'"],
    ['ls\u2028ps\u2029', "'ls\\u2028ps\\u2029'"],
    ['${x} `tick`', "'${x} `tick`'"],
    ['*/', "'*/'"],
    ['nul\u0000', "'nul\\u0000'"],
    ['bidi\u202e', "'bidi\\u202E'"],
    ['lone\ud800', "'lone\\uD800'"],
    ['pair😀', "'pair😀'"],
    ['ünïcödé', "'ünïcödé'"],
    ['', "''"],
  ])('%j → %s', (given, want) => {
    expect(stringLiteral(given)).toBe(want);
  });

  it('TypeScript reads back exactly the original value', () => {
    const values = ["'", '\\', "\\'", '\n\r\u2028\u2029', '\u0000\u0001\u001f\u007f', '\ud800x\udc00', '😀', '${a}`b`', "'; process.exit(1); '"];
    for (const value of values) expect(parseLiteral(stringLiteral(value))).toBe(value);
  });

  it('parseStringLiteral reads back exactly what stringLiteral wrote, and refuses anything else', () => {
    const values = ["'", '\\', "\\'", '\n\r\t\u2028\u2029', '\u0000\u0001\u001f\u007f\u202e', '\ud800x\udc00', '😀', '${a}`b`', "'; process.exit(1); '", ''];
    for (const value of values) expect(parseStringLiteral(stringLiteral(value))).toBe(value);
    for (const text of ['"double"', "'open", "'a' + 'b'", "'bad \\x41'", "'raw\nline'", 'x']) expect(parseStringLiteral(text), text).toBeUndefined();
  });
});

describe('docText', () => {
  it.each([
    ['Plain text.', 'Plain text.'],
    ['Ends */ the comment', 'Ends *\\/ the comment'],
    ['a*/b*/c', 'a*\\/b*\\/c'],
    ['@ts-expect-error', '\\@ts-expect-error'],
    ['first\n  @param x', 'first\n\\@param x'],
    ['mid @tag stays', 'mid @tag stays'],
    ['crlf\r\nline', 'crlf\nline'],
    ['cr\rline', 'cr\nline'],
    ['ls\u2028ps\u2029end', 'ls\nps\nend'],
    ['\n\n  leading and trailing blank lines  \n\n', 'leading and trailing blank lines'],
    ['a\n\n\n\nb', 'a\n\nb'],
    ['Docstring:\n    indented\n      more\n    back', 'Docstring:\nindented\n  more\nback'],
    ['tab\tstop', 'tab  stop'],
    ['bidi \u202e override', 'bidi \\u202E override'],
    ['zero\u200bwidth', 'zero\\u200Bwidth'],
    ['lone \ud800 surrogate', 'lone \\uD800 surrogate'],
    ['${x} `backticks`', '${x} `backticks`'],
    ['   ', ''],
  ])('%j → %j', (given, want) => {
    expect(docText(given)).toBe(want);
  });

  it.each([
    ['@ts-ignore'],
    ['@ts-expect-error'],
    ['first line\n@ts-ignore'],
    ['first line\n  @ts-expect-error'],
    ['ends */ export const pwned = 1; /*'],
    ['a */ b *\u2028/ c\n/* nested */ @ts-ignore'],
  ])('a JSDoc of %j neither ends early nor hides or adds a type error', (description) => {
    const source = `${jsDoc(docText(description), '')}export const x: number = 'text';\n`;
    const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.ES2022, true);
    expect(file.statements).toHaveLength(1);
    expect(diagnostics(source)).toEqual([2322]);
  });
});

/** Semantic and syntactic diagnostic codes of one strict file. */
function diagnostics(source: string): number[] {
  const host = ts.createCompilerHost({});
  const read = host.getSourceFile;
  host.getSourceFile = (name, language, ...rest) => (name === 'x.ts' ? ts.createSourceFile(name, source, language) : read.call(host, name, language, ...rest));
  const program = ts.createProgram(['x.ts'], { strict: true, noEmit: true, types: [], lib: ['lib.es2022.d.ts'] }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === 'x.ts')
    .map((d) => d.code);
}

describe('visibleJson', () => {
  it('escapes hidden characters and keeps the value', () => {
    const value = { name: '\u202eevil\u200b\u2028\u0000', plain: 'ünïcödé 😀' };
    const text = visibleJson(JSON.stringify(value));
    expect(text).toBe('{"name":"\\u202Eevil\\u200B\\u2028\\u0000","plain":"ünïcödé 😀"}');
    expect(JSON.parse(text)).toEqual(value);
  });
});
