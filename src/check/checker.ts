import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { posix } from 'node:path';
import type ts from 'typescript';
import { readInsideSync, statInsideSync } from '../vfs/jail.js';
import { CODE_PATH, jailLocation, rootAnchored, toVirtualPath, type VfsRoots } from '../vfs/roots.js';
import type { PreparedCode } from './prepare.js';
import { typescript } from './typescript.js';

/** One type or syntax error, as a value. */
export interface TypeDiagnostic {
  /** Virtual path: `/code.ts` for the agent's (prepared) code, `/workspace/…` for a skill it imports. Empty for a global error. */
  file: string;
  /** 1-based, in that file (for `/code.ts`: in the prepared text; map it with `PreparedCode.toSource`). */
  line: number;
  /** 1-based. */
  column: number;
  /** The TS error number (2305 for TS2305). */
  code: number;
  /** The whole message chain, one message a line. */
  message: string;
}

export interface TypeCheckerOptions {
  /**
   * Files that exist only in memory, by virtual path. A module imported by a bare name goes at
   * `modulePath(specifier)` (`/node_modules/@runbyte/fs/index.ts`, src/vfs/roots.ts), where
   * list_directory and read_file show it too.
   */
  extraFiles?: Record<string, string>;
}

/** Ambient globals of the sandbox (README.md: QuickJS has console and timers, and no Node or DOM API). */
export const GLOBALS_PATH = '/runbyte-globals.d.ts';
const GLOBALS = `interface Console {
  log(...data: any[]): void;
  info(...data: any[]): void;
  warn(...data: any[]): void;
  error(...data: any[]): void;
  debug(...data: any[]): void;
}
declare var console: Console;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id: number | undefined): void;
/** Reports a milestone of the run to the client, when it asked for progress: \`progress('fetched 200 issues')\`. */
declare function progress(message: string): void;
`;

/** `const o = {}; o.x = 1` is ordinary JavaScript: a property missing on the empty object type is let through. */
function isEmptyObjectAccess(diagnostic: ts.Diagnostic): boolean {
  return diagnostic.code === 2339 && typeof diagnostic.messageText === 'string' && diagnostic.messageText.endsWith(" on type '{}'.");
}

/** Where TypeScript's own lib files appear: a virtual folder, so nothing else of the host is reachable. */
const LIB_DIR = '/__typescript__/lib';

/**
 * The compiler options for agent code. The check should catch what breaks a tool call — an unknown
 * tool, a misspelled or missing argument, a wrong argument type, misuse of a typed result — and
 * nothing that ordinary JavaScript written by a model does on purpose.
 */
function compilerOptions(tsm: typeof ts): ts.CompilerOptions {
  return {
    target: tsm.ScriptTarget.ES2025, // nothing is emitted here; the bundler decides what syntax it lowers
    // The language only, no DOM or Node. ES2025 because the sandbox's QuickJS has it (probed:
    // Object.groupBy, Promise.withResolvers, Set#union, iterator helpers, Promise.try, RegExp.escape;
    // not Array.fromAsync, which stays out as esnext).
    lib: ['lib.es2025.d.ts'],
    types: [], // no @types packages: `process`, `Buffer`, `require` do not exist in the sandbox
    module: tsm.ModuleKind.ESNext, // the bundler takes ES modules
    moduleResolution: tsm.ModuleResolutionKind.Bundler, // `./servers/memory`, `/servers/x`, `../../runtime.js` → .ts
    moduleDetection: tsm.ModuleDetectionKind.Force, // a skill without imports is still a module, not globals
    allowImportingTsExtensions: true, // `./workspace/skills/x.ts` is a fine thing for an agent to write
    resolveJsonModule: true, // a JSON file saved in the workspace can be imported (the bundler does)
    noUncheckedSideEffectImports: true, // `import './workspace/typo'` is an error, not a silent no-op
    verbatimModuleSyntax: false, // agents import types without `import type`; the bundler drops them
    isolatedModules: false, // its errors concern re-exported types, and the agent's exports are blanked anyway
    esModuleInterop: true, // default imports behave as they do in the bundler
    noEmit: true, // check only; the bundler emits
    strict: true, // strictNullChecks, strictFunctionTypes, …: `result.missing.x` and null misuse are caught
    // On, so that `const rows = []; rows.push(x)` evolves (off, `[]` is `never[]` under strictNullChecks);
    // the implicit-any errors themselves are dropped (IMPLICIT_ANY): un-annotated parameters and
    // `obj[key]` are ordinary agent JavaScript.
    noImplicitAny: true,
    noImplicitThis: false, // `function () { this… }` callbacks are old JavaScript, not tool misuse
    useUnknownInCatchVariables: false, // `catch (e) { e.message }` is how everyone writes it
    noImplicitReturns: false,
    noUnusedLocals: false, // scratch code leaves variables behind; that is not a failure
    noUnusedParameters: false,
    allowUnreachableCode: true, // `return x;` followed by leftovers must not block a run
    allowUnusedLabels: true,
    noFallthroughCasesInSwitch: false,
    noUncheckedIndexedAccess: false, // `rows[0].name` stays typed as the row, not `row | undefined`
    exactOptionalPropertyTypes: false, // `{ head: undefined }` for an optional argument is fine
    noPropertyAccessFromIndexSignature: false,
    skipLibCheck: true, // lib and extra .d.ts files are trusted; checking them costs time on every program
    allowJs: false, // skills are .ts (README.md, "The workspace and skills")
    noErrorTruncation: false, // long types are cut in messages: the model reads them
  };
}

interface Cached {
  version: string;
  text: string;
  snapshot: ts.IScriptSnapshot;
  /** `mtime:size` when read, for files that are re-validated on every check (the workspace). */
  stamp?: string;
  /** Set by invalidate(): re-read on next use, keeping the version when the text did not change. */
  stale?: boolean;
}

/**
 * A warm TypeScript LanguageService over the virtual tree (docs/architecture.md, The virtual
 * tree): `/code.ts` in memory, `/runtime.ts` and `/servers/…` from the generated folder,
 * `/workspace/…` from the workspace, TypeScript's ES2025 lib, and the sandbox's globals. Every
 * file of the tree is looked up and read through the jail (src/vfs/jail.ts), as read_file and the
 * bundler do: a link that leads out of its root, a hard-linked file or a reserved name does not
 * exist here, so nothing of it shows in a diagnostic or a type.
 *
 * Parsed files stay in a DocumentRegistry and keep their versions between checks, so only
 * `/code.ts` is parsed and checked again: a warm check takes ~10–25 ms. SDK files are cached until
 * `invalidate()`; workspace files are re-validated by mtime and size on every check, since the
 * agent's own code writes them.
 */
export class TypeChecker {
  private readonly tsm: typeof ts;
  private readonly options: ts.CompilerOptions;
  private readonly service: ts.LanguageService;
  private readonly memory = new Map<string, Cached>();
  private readonly files = new Map<string, Cached>();
  private readonly libDir: string;
  private readonly rootNames: string[];
  private codeVersion = 0;
  private nextVersion = 0;
  /** Workspace files already stat'ed during the current check (each is stat'ed once a check). */
  private checkedThisRound = new Set<string>();
  private resolutionsInvalidated = false;
  private readonly resolutionHost: ts.ModuleResolutionHost;
  /** Unresolved imports of SDK files by virtual path, for the version they were computed for. */
  private readonly sdkChecked = new Map<string, { version: string; diagnostics: TypeDiagnostic[] }>();

  constructor(
    private readonly roots: VfsRoots,
    options: TypeCheckerOptions = {},
  ) {
    const tsm = typescript();
    this.tsm = tsm;
    this.options = compilerOptions(tsm);
    this.libDir = dirname(tsm.getDefaultLibFilePath(this.options));
    this.setMemory(CODE_PATH, '');
    this.setMemory(GLOBALS_PATH, GLOBALS);
    for (const [path, text] of Object.entries(options.extraFiles ?? {})) {
      this.setMemory(posix.normalize(path.startsWith('/') ? path : `/${path}`), text);
    }
    this.rootNames = [...this.memory.keys()];

    // The LanguageService releases files that drop out of the program, and the registry forgets
    // them: an agent that imports `./servers` and then one server would have the whole SDK parsed
    // again (~0.4 s for 1000 tools). Only /code.ts is ever released; the rest stays parsed, and is
    // re-parsed only when its version changes.
    const base = tsm.createDocumentRegistry(true, '/', tsm.JSDocParsingMode.ParseForTypeErrors);
    const registry: ts.DocumentRegistry = {
      ...base,
      releaseDocumentWithKey: (path: ts.Path, key: ts.DocumentRegistryBucketKey, scriptKind?: ts.ScriptKind, impliedNodeFormat?: ts.ResolutionMode) => {
        if (path === CODE_PATH) base.releaseDocumentWithKey(path, key, scriptKind ?? tsm.ScriptKind.TS, impliedNodeFormat);
      },
    };
    this.resolutionHost = {
      fileExists: (path) => this.exists(path),
      readFile: (path) => this.entry(path)?.text,
      directoryExists: (path) => this.isDirectory(path),
      getCurrentDirectory: () => '/',
      useCaseSensitiveFileNames: true,
    };
    const host: ts.LanguageServiceHost & { hasInvalidatedResolutions(path: string): boolean } = {
      getCompilationSettings: () => this.options,
      getScriptFileNames: () => this.rootNames,
      getScriptVersion: (path) => this.entry(path)?.version ?? '',
      getScriptSnapshot: (path) => this.entry(path)?.snapshot,
      getCurrentDirectory: () => '/',
      getDefaultLibFileName: (settings) => `${LIB_DIR}/${tsm.getDefaultLibFileName(settings)}`,
      useCaseSensitiveFileNames: () => true,
      fileExists: (path) => this.exists(path),
      readFile: (path) => this.entry(path)?.text,
      directoryExists: (path) => this.isDirectory(path),
      getDirectories: () => [],
      // After invalidate(), files that did not change are still re-resolved once: a tool file may
      // have appeared or gone.
      hasInvalidatedResolutions: () => this.resolutionsInvalidated,
      // TypeScript's own resolution, except that a skill's `./servers/x` names the SDK (rootAnchored).
      resolveModuleNameLiterals: (literals, containingFile, redirected, options, sourceFile) =>
        literals.map((literal) =>
          tsm.resolveModuleName(
            rootAnchored(literal.text, containingFile) ?? literal.text,
            // A bare specifier is looked up from the root, whoever imports it: only `/node_modules`
            // (the extra modules, in memory) is searched, never a node_modules folder the agent
            // wrote into the workspace, which would otherwise come first for a skill.
            isBare(literal.text) ? CODE_PATH : containingFile,
            options,
            this.resolutionHost,
            undefined,
            redirected,
            tsm.getModeForUsageLocation(sourceFile, literal, options),
          ),
        ),
      jsDocParsingMode: tsm.JSDocParsingMode.ParseForTypeErrors,
    };
    this.service = tsm.createLanguageService(host, registry);
  }

  /**
   * Type-checks the prepared agent code as `/code.ts`. Returns the syntax errors of `/code.ts`, of
   * the workspace modules it imports and of the SDK files it reaches; when there are none, the
   * semantic errors of `/code.ts` and of those workspace modules, and the imports of SDK files
   * that do not resolve. An empty array means the code may run.
   */
  check(preparedText: string): TypeDiagnostic[] {
    const code = this.memory.get(CODE_PATH)!;
    if (code.text !== preparedText) this.setMemory(CODE_PATH, preparedText, String(++this.codeVersion));
    this.checkedThisRound = new Set();
    const program = this.service.getProgram();
    this.resolutionsInvalidated = false;
    if (!program) return [];

    const own = program.getSourceFiles().filter((file) => file.fileName === CODE_PATH || file.fileName.startsWith('/workspace/'));
    const sdk = program.getSourceFiles().filter((file) => file.fileName === '/runtime.ts' || file.fileName.startsWith('/servers/'));
    const syntactic = [...own, ...sdk].flatMap((file) => program.getSyntacticDiagnostics(file));
    if (syntactic.length > 0) return this.toValues(syntactic);
    return [
      ...this.toValues([...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...own.flatMap((file) => program.getSemanticDiagnostics(file))]),
      ...sdk.flatMap((file) => this.brokenImports(file)),
    ];
  }

  /**
   * The imports of one SDK file that do not resolve, once per version of it. A generated SDK has
   * none, but a half-written or hand-edited one (a tool file gone, its re-export still there)
   * should be named here rather than fail later in the bundler. Its type errors are not looked for:
   * they do not stop it from running, and a full check of a 1000-tool SDK costs ~0.5 s.
   */
  private brokenImports(file: ts.SourceFile): TypeDiagnostic[] {
    const tsm = this.tsm;
    const version = this.entry(file.fileName)?.version ?? '';
    const cached = this.sdkChecked.get(file.fileName);
    if (cached?.version === version) return cached.diagnostics;
    const diagnostics: TypeDiagnostic[] = [];
    for (const statement of file.statements) {
      const specifier = tsm.isImportDeclaration(statement) || tsm.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined;
      if (!specifier || !tsm.isStringLiteral(specifier)) continue;
      if (tsm.resolveModuleName(specifier.text, file.fileName, this.options, this.resolutionHost).resolvedModule) continue;
      const { line, character } = file.getLineAndCharacterOfPosition(specifier.getStart(file));
      diagnostics.push({
        file: file.fileName,
        line: line + 1,
        column: character + 1,
        code: 2307,
        message: `Cannot find module '${specifier.text}' or its corresponding type declarations.`,
      });
    }
    this.sdkChecked.set(file.fileName, { version, diagnostics });
    return diagnostics;
  }

  /**
   * Forgets cached copies of these host files, or of every SDK and workspace file when omitted:
   * call it when the SDK is regenerated or the workspace changes. A folder drops everything
   * under it. Files whose text did not change keep their parsed form.
   */
  invalidate(hostPaths?: string[]): void {
    this.resolutionsInvalidated = true;
    // An SDK file's imports can break without the file changing (an index re-exporting a removed tool).
    this.sdkChecked.clear();
    if (!hostPaths) {
      for (const [path, cached] of this.files) if (!path.startsWith(`${LIB_DIR}/`)) cached.stale = true;
      return;
    }
    for (const hostPath of hostPaths) {
      const virtual = toVirtualPath(this.roots, hostPath);
      if (virtual === undefined) continue;
      for (const [path, cached] of this.files) {
        if (path === virtual || path.startsWith(`${virtual}/`)) cached.stale = true;
      }
    }
  }

  private setMemory(path: string, text: string, version = '0'): void {
    this.memory.set(path, { version, text, snapshot: this.tsm.ScriptSnapshot.fromString(text) });
  }

  /** The file behind a virtual path, read (or re-read) as needed; undefined when there is none. */
  private entry(path: string): Cached | undefined {
    const inMemory = this.memory.get(path);
    if (inMemory) return inMemory;
    const cached = this.files.get(path);
    const isWorkspace = path.startsWith('/workspace/');
    if (cached && !cached.stale && !(isWorkspace && !this.checkedThisRound.has(path))) return cached;

    const info = this.statOf(path);
    if (!info?.isFile()) {
      this.files.delete(path);
      return undefined;
    }
    const stamp = `${info.mtimeMs}:${info.size}`;
    if (isWorkspace) this.checkedThisRound.add(path);
    if (cached && !cached.stale && cached.stamp === stamp) return cached;

    // Read after the stat: a write in between leaves an old stamp, and the next check reads again.
    const text = this.readOf(path);
    if (text === undefined) {
      this.files.delete(path);
      return undefined;
    }
    if (cached && cached.text === text) {
      cached.stale = false;
      cached.stamp = stamp;
      return cached;
    }
    const fresh: Cached = { version: String(++this.nextVersion), text, snapshot: this.tsm.ScriptSnapshot.fromString(text), stamp };
    this.files.set(path, fresh);
    return fresh;
  }

  private exists(path: string): boolean {
    if (this.memory.has(path)) return true;
    // The workspace is re-validated once a check: a skill deleted since the last one is gone.
    if (path.startsWith('/workspace/')) return this.entry(path) !== undefined;
    const cached = this.files.get(path);
    if (cached && !cached.stale) return true;
    return this.statOf(path)?.isFile() === true;
  }

  private isDirectory(path: string): boolean {
    const dir = path.endsWith('/') && path !== '/' ? path.slice(0, -1) : path;
    if (dir === '/' || dir === LIB_DIR) return true;
    for (const file of this.memory.keys()) if (file.startsWith(`${dir}/`)) return true;
    return this.statOf(dir)?.isDirectory() === true;
  }

  /**
   * What is at a virtual path on disk: TypeScript's lib files (its own, trusted) directly, the
   * tree through the jail. Undefined when nothing is there, and when the jail refuses the path.
   */
  private statOf(path: string): Stats | undefined {
    const lib = this.libPath(path);
    if (lib !== undefined) return statFile(lib);
    const at = jailLocation(this.roots, path);
    if (at === undefined) return undefined;
    try {
      return statInsideSync(at.root, at.rel);
    } catch {
      return undefined; // refused (a link out, a hard link, a reserved name): it does not exist here
    }
  }

  /** The text of a file at a virtual path (see `statOf`), or undefined. */
  private readOf(path: string): string | undefined {
    const lib = this.libPath(path);
    const at = lib === undefined ? jailLocation(this.roots, path) : undefined;
    try {
      if (lib !== undefined) return readFileSync(lib, 'utf8');
      return at === undefined ? undefined : readInsideSync(at.root, at.rel).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** The host file of a lib file (`/__typescript__/lib/lib.es2025.d.ts`), or undefined. */
  private libPath(path: string): string | undefined {
    if (!path.startsWith(`${LIB_DIR}/`)) return undefined;
    const name = path.slice(LIB_DIR.length + 1);
    return name.includes('/') ? undefined : join(this.libDir, name);
  }

  private toValues(diagnostics: readonly ts.Diagnostic[]): TypeDiagnostic[] {
    const tsm = this.tsm;
    return diagnostics
      .filter((diagnostic) => diagnostic.category === tsm.DiagnosticCategory.Error && !IMPLICIT_ANY.has(diagnostic.code) && !isEmptyObjectAccess(diagnostic))
      .map((diagnostic) => {
        const message = plainMessage(diagnostic.code, tsm.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        if (!diagnostic.file || diagnostic.start === undefined) {
          return { file: diagnostic.file?.fileName ?? '', line: 0, column: 0, code: diagnostic.code, message };
        }
        const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        return { file: diagnostic.file.fileName, line: line + 1, column: character + 1, code: diagnostic.code, message };
      });
  }
}

/**
 * `code.ts(LINE,COL): error TSNNNN: message` in the agent's own coordinates for its code (README.md, "The four tools",
 * execute_code), `workspace/skills/x.ts(LINE,COL): error …` for other files. `codeName` is what the
 * agent's code is called in it: `code.ts` for execute_code, the file's own name for `runbyte run FILE`.
 */
export function formatTypeDiagnostic(diagnostic: TypeDiagnostic, toSource: PreparedCode['toSource'], codeName = 'code.ts'): string {
  const tail = `error TS${diagnostic.code}: ${diagnostic.message}`;
  if (!diagnostic.file) return tail;
  if (diagnostic.file === CODE_PATH) {
    const { line, column } = toSource(diagnostic.line, diagnostic.column);
    return `${codeName}(${line},${column}): ${tail}`;
  }
  return `${diagnostic.file.replace(/^\/+/, '')}(${diagnostic.line},${diagnostic.column}): ${tail}`;
}

/**
 * "… implicitly has an 'any' type" and kin: reported because noImplicitAny is on (for evolving
 * `[]` and `let x;`), but untyped JavaScript is welcome in agent code, so they are not errors here.
 */
const IMPLICIT_ANY = new Set([
  7005, 7006, 7008, 7009, 7010, 7011, 7012, 7013, 7014, 7015, 7016, 7017, 7018, 7019, 7020, 7022, 7023, 7024, 7025, 7031, 7032, 7033, 7034, 7039, 7041, 7051,
  7052, 7053, 7054, 7055, 7057,
]);

/** TS codes whose advice (`npm i @types/node`, change `lib`) does not apply inside the sandbox. */
const INSTALL_ADVICE = new Set([2550, 2580, 2581, 2582, 2583, 2584, 2591, 2592, 2593, 2867, 2868]);
const NO_HOST_API = new Set([2580, 2584, 2591, 2867, 2868]);

/** What the sandbox offers instead of Node.js and browser APIs (the sandbox's runtime error says the same). */
const NO_HOST_API_HINT =
  "The sandbox has no Node.js or browser APIs; it has console, setTimeout and clearTimeout. Reach the outside through the tools of the configured MCP servers (import them from './servers/<server>'), and the workspace through '@runbyte/fs'.";

/** Browser globals that TypeScript reports as plain unknown names (TS2304), with no advice of its own. */
const BROWSER_GLOBALS = /^Cannot find name '(fetch|XMLHttpRequest|WebSocket|EventSource|window|document|navigator|localStorage)'\.$/;

/** The message without advice the agent cannot follow; for Node/DOM/Bun names, what the sandbox has instead. */
function plainMessage(code: number, message: string): string {
  if (code === 2304 && BROWSER_GLOBALS.test(message)) return `${message} ${NO_HOST_API_HINT}`;
  if (!INSTALL_ADVICE.has(code)) return message;
  const cut = message.indexOf('. Do you need');
  if (cut < 0) return message;
  const first = message.slice(0, cut + 1);
  return NO_HOST_API.has(code) ? `${first} ${NO_HOST_API_HINT}` : first;
}

function statFile(host: string): Stats | undefined {
  try {
    return statSync(host);
  } catch {
    return undefined;
  }
}

/** `@runbyte/fs`, `lodash`: neither relative nor absolute. */
function isBare(specifier: string): boolean {
  return !specifier.startsWith('.') && !specifier.startsWith('/');
}
