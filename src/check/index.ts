export { formatTypeDiagnostic, GLOBALS_PATH, TypeChecker, type TypeCheckerOptions, type TypeDiagnostic } from './checker.js';
export {
  MAIN_FUNCTION,
  prepareAgentCode,
  toSourcePosition,
  WRAPPER_LINES,
  type PreparedCode,
  type SourceLayout,
  type SourcePosition,
} from './prepare.js';
export { typescript as loadTypeScript } from './typescript.js';
