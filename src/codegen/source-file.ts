/**
 * Whole source files: the only ts-morph use in runbyte. File structures (header, imports,
 * declarations, function, re-exports) printed to text. `printStructure` prints without parsing the result back into an
 * AST: 1,000 tools take ~125 ms, against ~290 ms for the same structures through an in-memory
 * `Project` (`createSourceFile`, `getFullText`, `forget`), with byte-identical output. `FORMAT`
 * is the `manipulationSettings` such a Project would need.
 *
 * Type declarations arrive as finished text from type-layout.ts: ts-morph writes multi-line type
 * text with a hanging indent (`a: {` / `      b: string;` / `    };`), and JSDoc on nested
 * members has no structure at all, so types are laid out there and placed here as statements.
 */
import {
  printStructure,
  StructureKind,
  type ExportDeclarationStructure,
  type FunctionDeclarationStructure,
  type ImportDeclarationStructure,
  type OptionalKind,
  type ParameterDeclarationStructure,
  type SourceFileStructure,
  type StatementStructures,
} from 'ts-morph';

/** House format (biome.json): two spaces, single quotes, LF; ts-morph adds the trailing newline. */
const FORMAT = { indentNumberOfSpaces: 2, useSingleQuote: true, newLine: '\n', insertSpaceAfterOpeningAndBeforeClosingNonemptyBraces: true } as const;

export type Statement = string | StatementStructures;

/**
 * Prints a whole file from its statements. With `spaced`, text statements after the first two
 * (header and import) are set off by one blank line, as ts-morph does by itself after `}` and
 * before functions.
 */
export function printFile(statements: Statement[], spaced = false): string {
  const spacedStatements = spaced
    ? statements.map((statement, i) => (typeof statement === 'string' && i >= 2 && !endsWithBrace(statements[i - 1]) ? `\n${statement}` : statement))
    : statements;
  const file: SourceFileStructure = { kind: StructureKind.SourceFile, statements: spacedStatements };
  return printStructure(file, FORMAT);
}

function endsWithBrace(statement: Statement): boolean {
  return typeof statement === 'string' ? statement.trimEnd().endsWith('}') : statement.kind === StructureKind.Function;
}

/** `import { callTool, type Untyped } from '<specifier>';` */
export function importDeclaration(specifier: string, values: string[], types: string[]): ImportDeclarationStructure {
  return {
    kind: StructureKind.ImportDeclaration,
    moduleSpecifier: specifier,
    namedImports: [...values.map((name) => ({ name })), ...types.map((name) => ({ name, isTypeOnly: true }))],
  };
}

/** `export { a, type B } from '<specifier>';` */
export function reExport(specifier: string, values: string[], types: string[]): ExportDeclarationStructure {
  return {
    kind: StructureKind.ExportDeclaration,
    moduleSpecifier: specifier,
    namedExports: [...values.map((name) => ({ name })), ...types.map((name) => ({ name, isTypeOnly: true }))],
  };
}

/** `export * as <namespace> from '<specifier>';` */
export function namespaceReExport(specifier: string, namespace: string): ExportDeclarationStructure {
  return { kind: StructureKind.ExportDeclaration, moduleSpecifier: specifier, namespaceExport: namespace };
}

/** An exported function with a JSDoc block (already escaped) and a one-statement body. */
export function exportedFunction(options: {
  name: string;
  doc: string;
  parameter: { name: string; type: string; initializer?: string };
  returnType: string;
  body: string;
}): FunctionDeclarationStructure {
  const parameter: OptionalKind<ParameterDeclarationStructure> = {
    name: options.parameter.name,
    type: options.parameter.type,
  };
  if (options.parameter.initializer !== undefined) parameter.initializer = options.parameter.initializer;
  return {
    kind: StructureKind.Function,
    name: options.name,
    isExported: true,
    docs: options.doc === '' ? [] : [{ description: options.doc }],
    parameters: [parameter],
    returnType: options.returnType,
    statements: [options.body],
  };
}
