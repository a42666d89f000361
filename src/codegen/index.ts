/**
 * codegen/: tool specs → the files of the generated SDK. Pure (no file system, no network) and
 * the only ts-morph user. See docs/architecture.md and the README's "The generated SDK" and
 * "Naming".
 */
export {
  annotationLine,
  generateRoot,
  generateSdk,
  generateServer,
  parseLock,
  readmePath,
  summaryFromFiles,
  UNKNOWN_HASH,
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
export { changedParts, driftMessage, serverDrift, type ToolDrift } from './drift.js';
export { MAX_ENTRIES, MAX_INSTRUCTIONS, MAX_LINE, readmeText } from './readme.js';
export { commentLine, docText, jsDoc, parseStringLiteral, stringLiteral, visibleJson, visibleText } from './escape.js';
export { OBJECT_MEMBERS, printType, propertyKey } from './type-layout.js';
export { literalOf, MAX_DEPTH, SchemaConverter, schemaToTypeScript } from './schema.js';
export type { TypeNode } from './type-node.js';
