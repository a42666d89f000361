import type ts from 'typescript';
import { CODE_PATH } from '../vfs/roots.js';
import { typescript } from './typescript.js';

/** Lines the wrapper adds above the agent's code: line N of the agent's code is line N + 1. */
export const WRAPPER_LINES = 1;

/** The name of the default-exported async function the agent's code becomes. */
export const MAIN_FUNCTION = '__runbyteMain';

/**
 * What an anonymous `export default function` / `export default () => …` is renamed to. Exactly as
 * long as `export default` (14 characters), so the rename keeps every column.
 */
const DEFAULT_ENTRY = '__main';
const DEFAULT_ENTRY_HEAD = `const ${DEFAULT_ENTRY} =`;

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** The agent's code as one module that the checker and the bundler take as `/code.ts`. */
export interface PreparedCode {
  /** The module: its default export is an async function that runs the agent's code and returns its value. */
  text: string;
  /** What `toSource` needs, as plain data: it crosses to a process that never loads TypeScript. */
  layout: SourceLayout;
  /** Maps a 1-based line/column in `text` back to the agent's source (1-based). */
  toSource(line: number, column: number): SourcePosition;
}

/** Where the agent's lines went in the prepared module (see `toSourcePosition`). */
export interface SourceLayout {
  hoisted: Hoisted[];
  /** Offsets where each line of the agent's (normalised) source starts, as TypeScript counts lines. */
  lineStarts: number[];
  /** The end of the agent's code: where the appended lines map to. */
  end: SourcePosition;
}

/** One import declaration hoisted onto line 1: where it sits there and where it came from. */
export interface Hoisted {
  /** 0-based column of its first character on line 1. */
  column: number;
  length: number;
  /** Offset of its first character in the (normalised) source. */
  sourceStart: number;
}

/**
 * Turns agent code into one module whose default export is an async function (README.md, "The four tools",
 * execute_code; docs/architecture.md, exec/). Both styles are accepted:
 *
 * - code that defines `async function exec()` (or `const exec = async () => …`, or
 *   `export default async function …`): the function is called and its value returned;
 * - a module body with top-level `await` and a top-level `return`.
 *
 * Layout, so that diagnostics and stack frames map back by arithmetic:
 *
 *   line 1      every import declaration, joined on one line, then
 *               `export default async function __runbyteMain() {`
 *   2 … N+1     the agent's lines 1 … N, each character where it was: import declarations and
 *               top-level `export` modifiers are blanked with spaces (newlines kept)
 *   N+2         `return await exec();` when the code defines an entry function but never returns
 *   last        `}`
 *
 * A BOM is dropped, CRLF and CR become LF (line and column numbers do not change), a shebang line
 * is blanked. Dynamic `import()` is left as it is.
 */
export function prepareAgentCode(source: string): PreparedCode {
  const tsm = typescript();
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const file = tsm.createSourceFile(CODE_PATH, text, tsm.ScriptTarget.Latest, false, tsm.ScriptKind.TS);
  const body = new Body(text);
  if (text.startsWith('#!')) body.blank(0, lineEnd(text, 0));

  const functions = topLevelFunctionNames(tsm, file);
  const imports: { start: number; end: number }[] = [];
  let defaultEntry: string | undefined;
  let returnsValue = false;

  for (const statement of file.statements) {
    if (tsm.isImportDeclaration(statement) || tsm.isImportEqualsDeclaration(statement)) {
      const start = statement.getStart(file);
      imports.push({ start, end: statement.end });
      body.blank(start, statement.end);
      continue;
    }
    if (tsm.isExportDeclaration(statement)) {
      // `export { a }` / `export * from '…'`: nothing consumes the exports of the agent's code.
      body.blank(statement.getStart(file), statement.end);
      continue;
    }
    if (tsm.isExportAssignment(statement)) {
      const start = statement.getStart(file);
      const head = statement.expression.getStart(file);
      const expression = skipParentheses(tsm, statement.expression);
      if (tsm.isIdentifier(expression) && functions.has(expression.text)) {
        // `export default exec;`: the named function is the entry.
        body.blank(start, statement.end);
        defaultEntry = expression.text;
      } else if ((tsm.isArrowFunction(expression) || tsm.isFunctionExpression(expression)) && body.replaceHead(start, head, DEFAULT_ENTRY_HEAD)) {
        defaultEntry = DEFAULT_ENTRY;
      } else if (body.replaceHead(start, head, 'return')) {
        // `export default value`: the value is what the code returns.
        returnsValue = true;
      } else {
        body.blank(start, head);
      }
      continue;
    }
    const modifiers = tsm.canHaveModifiers(statement) ? tsm.getModifiers(statement) : undefined;
    const exported = modifiers?.find((modifier) => modifier.kind === tsm.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    const isDefault = modifiers?.find((modifier) => modifier.kind === tsm.SyntaxKind.DefaultKeyword);
    const name = (statement as { name?: ts.Node }).name;
    if (isDefault && !name && (tsm.isFunctionDeclaration(statement) || tsm.isClassDeclaration(statement))) {
      // `export default async function () {}` → `const __main = async function () {}`
      if (body.replaceHead(exported.getStart(file), isDefault.end, DEFAULT_ENTRY_HEAD)) {
        if (tsm.isFunctionDeclaration(statement)) defaultEntry = DEFAULT_ENTRY;
      } else {
        body.blank(exported.getStart(file), isDefault.end);
      }
      continue;
    }
    body.blank(exported.getStart(file), exported.end);
    if (isDefault) {
      body.blank(isDefault.getStart(file), isDefault.end);
      if (tsm.isFunctionDeclaration(statement) && name && tsm.isIdentifier(name)) defaultEntry = name.text;
    }
  }

  for (const statement of file.statements) {
    if (someAtTopLevel(tsm, statement, (node) => tsm.isReturnStatement(node))) returnsValue = true;
  }

  const entry = defaultEntry ?? (functions.has('exec') ? 'exec' : undefined);
  let tail = '';
  if (entry && !returnsValue) {
    // A final `await exec();` is the agent calling the entry itself: call it once, and return its value.
    const last = lastExecutableStatement(tsm, file);
    const finalCall = last && isBareCallOf(tsm, last, entry) ? last : undefined;
    const calledElsewhere = file.statements.some(
      (statement) =>
        statement !== finalCall &&
        someAtTopLevel(tsm, statement, (node) => tsm.isCallExpression(node) && tsm.isIdentifier(node.expression) && node.expression.text === entry),
    );
    if (!calledElsewhere) {
      if (finalCall) body.blank(finalCall.getStart(file), finalCall.end);
      tail = `return await ${entry}();\n`;
    }
  }

  const hoisted: Hoisted[] = [];
  let line1 = '';
  for (const { start, end } of imports) {
    const declaration = oneLine(tsm, text.slice(start, end));
    hoisted.push({ column: line1.length, length: end - start, sourceStart: start });
    line1 += declaration.endsWith(';') ? `${declaration} ` : `${declaration}; `;
  }
  line1 += `export default async function ${MAIN_FUNCTION}() {`;

  const prepared = `${line1}\n${body.toString()}\n${tail}}\n`;
  const lineStarts = [...file.getLineStarts()];
  const layout: SourceLayout = { hoisted, lineStarts, end: positionAt(lineStarts, text.trimEnd().length) };
  return { text: prepared, layout, toSource: (line, column) => toSourcePosition(layout, line, column) };
}

/** Maps a 1-based line/column of the prepared module back to the agent's source (1-based). */
export function toSourcePosition(layout: SourceLayout, line: number, column: number): SourcePosition {
  if (line <= WRAPPER_LINES) {
    const offset = column - 1;
    // The `;` added after an import belongs to that import.
    const inside = layout.hoisted.find((item) => offset >= item.column && offset <= item.column + item.length);
    if (!inside) return { line: 1, column: 1 };
    return positionAt(layout.lineStarts, inside.sourceStart + Math.min(offset - inside.column, inside.length - 1));
  }
  if (line <= layout.lineStarts.length + WRAPPER_LINES) return { line: line - WRAPPER_LINES, column };
  // The appended call and the closing brace: the end of the agent's code (where a missing `}` is).
  return layout.end;
}

/** The 1-based line and column of an offset, given where lines start. */
function positionAt(lineStarts: readonly number[], offset: number): SourcePosition {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (lineStarts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - lineStarts[low]! + 1 };
}

/** The agent's text as a mutable array of UTF-16 units, blanked and patched in place. */
class Body {
  private readonly chars: string[];

  constructor(text: string) {
    this.chars = text.split('');
  }

  /** Replaces [start, end) with spaces, keeping line breaks so every other line stays put. */
  blank(start: number, end: number): void {
    for (let index = start; index < end; index++) {
      if (!isLineBreak(this.chars[index]!)) this.chars[index] = ' ';
    }
  }

  /** Writes `replacement` over [start, end) padded with spaces, when it fits on that line. */
  replaceHead(start: number, end: number, replacement: string): boolean {
    if (end - start < replacement.length || this.chars.slice(start, end).some(isLineBreak)) return false;
    this.blank(start, end);
    for (let index = 0; index < replacement.length; index++) this.chars[start + index] = replacement[index]!;
    return true;
  }

  toString(): string {
    return this.chars.join('');
  }
}

function isLineBreak(char: string): boolean {
  return char === '\n' || char === '\r' || char === '\u2028' || char === '\u2029';
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

/** An import declaration on one line: `//` comments blanked, line breaks turned into spaces (same length). */
function oneLine(tsm: typeof ts, declaration: string): string {
  const chars = declaration.split('');
  const scanner = tsm.createScanner(tsm.ScriptTarget.Latest, false, tsm.LanguageVariant.Standard, declaration);
  for (let kind = scanner.scan(); kind !== tsm.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === tsm.SyntaxKind.SingleLineCommentTrivia) {
      for (let index = scanner.getTokenStart(); index < scanner.getTokenEnd(); index++) chars[index] = ' ';
    }
  }
  return chars.map((char) => (isLineBreak(char) ? ' ' : char)).join('');
}

/** Top-level functions, and top-level variables initialised with a function: the possible entries. */
function topLevelFunctionNames(tsm: typeof ts, file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.statements) {
    if (tsm.isFunctionDeclaration(statement) && statement.name && statement.body) names.add(statement.name.text);
    if (tsm.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const initializer = declaration.initializer && skipParentheses(tsm, declaration.initializer);
        if (tsm.isIdentifier(declaration.name) && initializer && (tsm.isArrowFunction(initializer) || tsm.isFunctionExpression(initializer))) {
          names.add(declaration.name.text);
        }
      }
    }
  }
  return names;
}

/**
 * Whether `test` holds for `node` or any node below it that runs as part of the top level: blocks,
 * `if`, `try`, loops and expressions are searched; functions and classes are not.
 */
function someAtTopLevel(tsm: typeof ts, node: ts.Node, test: (node: ts.Node) => boolean): boolean {
  if (test(node)) return true;
  if (tsm.isFunctionLike(node) || tsm.isClassLike(node) || tsm.isModuleDeclaration(node)) return false;
  return tsm.forEachChild(node, (child) => someAtTopLevel(tsm, child, test) || undefined) ?? false;
}

/** The last top-level statement that does something when run (declarations are hoisted or inert). */
function lastExecutableStatement(tsm: typeof ts, file: ts.SourceFile): ts.Statement | undefined {
  for (let index = file.statements.length - 1; index >= 0; index--) {
    const statement = file.statements[index]!;
    const inert =
      tsm.isFunctionDeclaration(statement) ||
      tsm.isInterfaceDeclaration(statement) ||
      tsm.isTypeAliasDeclaration(statement) ||
      tsm.isEmptyStatement(statement) ||
      tsm.isImportDeclaration(statement) ||
      tsm.isImportEqualsDeclaration(statement) ||
      tsm.isExportDeclaration(statement);
    if (!inert) return statement;
  }
  return undefined;
}

/** `entry();` or `await entry();` with no arguments. */
function isBareCallOf(tsm: typeof ts, statement: ts.Statement, entry: string): boolean {
  if (!tsm.isExpressionStatement(statement)) return false;
  let expression = skipParentheses(tsm, statement.expression);
  if (tsm.isAwaitExpression(expression)) expression = skipParentheses(tsm, expression.expression);
  return (
    tsm.isCallExpression(expression) && expression.arguments.length === 0 && tsm.isIdentifier(expression.expression) && expression.expression.text === entry
  );
}

function skipParentheses(tsm: typeof ts, expression: ts.Expression): ts.Expression {
  while (tsm.isParenthesizedExpression(expression)) expression = expression.expression;
  return expression;
}
