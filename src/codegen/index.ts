/**
 * codegen/: tool specs → the files of the generated SDK. Pure (no file system, no network) and
 * the only ts-morph user. See docs/architecture.md and the README's "Generated names".
 */
export {
  generateRoot,
  generateSdk,
  generateServer,
  parseLock,
  type GeneratedFile,
  type ServerSummary,
  type ToolSummary,
} from './generate.js';
export {
  camelCase,
  chooseNames,
  isIdentifierName,
  namespaceIdentifier,
  namespaceIdentifiers,
  pascalCase,
  RESERVED_WORDS,
  toolIdentifiers,
  type NameChoice,
  type RenameReason,
} from './naming.js';
export { commentLine, docText, jsDoc, stringLiteral, visibleJson } from './escape.js';
export { printType, propertyKey } from './print.js';
export { literalOf, MAX_DEPTH, SchemaConverter, schemaToTypeScript } from './schema.js';
export type { TypeNode } from './type-node.js';
