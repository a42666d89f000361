import { posix, sep } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { CODE_PATH } from '../vfs/roots.js';
import { ENTRY_PATH, VIRTUAL_ROOT, VirtualInputFs } from './input-fs.js';

/** One bundle error, in the coordinates of the prepared module (`/code.ts`) or of the file named. */
export interface BundleDiagnostic {
  /** Virtual path (`/code.ts`, `/workspace/skills/x.ts`, `/servers/…`), a host path for an extra module, or '' when unknown. */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  message: string;
}

/** The parts of Rspack's error objects read here (`RspackError` in @rspack/binding). */
export interface RspackErrorLike {
  message: string;
  module?: { identifier(): string } | null;
  loc?: { start?: { line: number; column: number } } | { name: string; index?: number } | null;
}

export interface Paths {
  /** The agent's name for one of Rspack's paths (`/code.ts`, `/servers/…`), or undefined for other host files. */
  virtualPath(rspackPath: string): string | undefined;
  /** The text of a module by Rspack path, when it can be had (for locating a specifier). */
  sourceText(rspackPath: string): string | undefined;
}

/** A miette headline: `  × text`, possibly behind `╰─▶` when it is the cause of the line above. */
const HEADLINE = /^[\s│╰─▶]*×\s+(.*)$/;
/** A continuation line of the headline above it. */
const CONTINUED = /^\s*│\s?(.*)$/;
/** The position of a code frame: 1-based line, 0-based column. */
const FRAME = /╭─\[(\d+):(\d+)\]/;
const NOT_FOUND = /^Module not found: Can't resolve '([^']+)'(?: in '[^']*')?/;
const UNHANDLED_SCHEME = /^Reading from "([^"]+)" is not handled by plugins/;
/** An import that went through an alias (the SDK, `/servers`, extra modules) and found nothing. */
const ALIAS_MISS = /^Cannot find module '([^']+)' for matched aliased key/;
/** A refusal by guard.ts, with the specifier as written: `import of "/etc/passwd" refused: …`, `listing "x" refused: …`. */
const REFUSED = /^[^"]*?("(?:[^"\\]|\\.)*")(?: with \{[^}]*\})? refused:/;
/** guard.ts's refusal of a folder listing that has no literal part to name. */
const COMPUTED = /^import\(\) or require\(\) of a computed path refused/;
/** A call that takes a path but not as a string literal, or `require` passed around as a value. */
const COMPUTED_CALL = /\b(?:import|require)\s*\(\s*(?!['"])|\b(?:webpackContext|require\.context)\s*\(|\brequire\b(?!\s*[(.])/;
/** The specifier of an import or export declaration, or of a dynamic import. */
const IMPORT_SPECIFIER = /(?:\bfrom|\bimport\s*\(?)\s*(['"`])([^'"`\n]+)\1/g;

/**
 * Turns Rspack's errors into plain diagnostics: the innermost message of each (its cause, not
 * "Module build failed"), without code frames or Rspack's internal paths, at the best position
 * known. Rspack locates a bad import in the transpiled code, so the specifier is looked up in the
 * original text instead.
 */
export function toDiagnostics(errors: readonly RspackErrorLike[], paths: Paths): BundleDiagnostic[] {
  const seen = new Set<string>();
  const diagnostics: BundleDiagnostic[] = [];
  for (const error of errors) {
    const diagnostic = toDiagnostic(error, paths);
    const key = formatBundleDiagnostic(diagnostic);
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(diagnostic);
  }
  return diagnostics;
}

/**
 * `code.ts:1:20: message`, `workspace/skills/x.ts:3:1: message`, or the bare message when the file is
 * unknown. `codeName` is what the agent's code is called in it: `code.ts` for execute_code, the
 * file's own name for `runbyte run FILE`.
 */
export function formatBundleDiagnostic(diagnostic: BundleDiagnostic, codeName = 'code.ts'): string {
  if (!diagnostic.file) return diagnostic.message;
  const file =
    diagnostic.file === CODE_PATH ? codeName : diagnostic.file.startsWith('/') && isVirtual(diagnostic.file) ? diagnostic.file.slice(1) : diagnostic.file;
  const where = diagnostic.line > 0 ? `${file}:${diagnostic.line}:${diagnostic.column}` : file;
  return `${where}: ${diagnostic.message}`;
}

function toDiagnostic(error: RspackErrorLike, { virtualPath, sourceText }: Paths): BundleDiagnostic {
  const rspackPath = resourceOf(error.module);
  const file = rspackPath === undefined ? '' : (virtualPath(rspackPath) ?? rspackPath);
  const text = stripVTControlCharacters(String(error.message ?? ''));
  const { message, frame } = innermost(text);

  if (file === ENTRY_PATH) {
    // The entry is runbyte's own two lines: the only thing that can go wrong there is the code's default export.
    const text = /export 'default'/.test(message) ? 'no default export: the code must export default an async function' : withoutRoot(message);
    return { file: CODE_PATH, line: 0, column: 0, message: text };
  }
  let position = frame ?? locationOf(error.loc);
  let plain = message;
  const aliased = ALIAS_MISS.exec(message)?.[1];
  const notFound = NOT_FOUND.exec(message)?.[1] ?? (aliased === undefined ? undefined : specifierOf(aliased, file, rspackPath, sourceText));
  const scheme = UNHANDLED_SCHEME.exec(message)?.[1];
  const refused = REFUSED.exec(message)?.[1];
  if (refused !== undefined || COMPUTED.test(message)) {
    // Rspack places these in the transpiled code, if at all: the agent's text says where.
    const source = (rspackPath === undefined ? undefined : sourceText(rspackPath)) ?? '';
    const at = refused === undefined ? computedCall(source) : findSpecifier(source, JSON.parse(refused) as string, { anywhere: true });
    return { file, line: at?.line ?? 0, column: at?.column ?? 0, message: withoutRoot(message) };
  }
  if (notFound !== undefined) {
    plain = `Module not found: Can't resolve '${notFound}'`;
    const source = rspackPath === undefined ? undefined : sourceText(rspackPath);
    position = (source === undefined ? undefined : findSpecifier(source, notFound)) ?? position;
  } else if (scheme !== undefined) {
    // `node:fs` and other URLs fail as modules of their own, with no word of who imported them:
    // the agent's code is the likely importer (skills are checked the same way).
    plain = `Module not found: Can't resolve '${scheme}'`;
    const codePath = VirtualInputFs.rspackPath(CODE_PATH);
    const at = findSpecifier(sourceText(codePath) ?? '', scheme);
    return at ? { file: CODE_PATH, ...at, message: plain } : { file: '', line: 0, column: 0, message: plain };
  }
  return { file, line: position?.line ?? 0, column: position?.column ?? 0, message: withoutRoot(plain) };
}

/** The last headline of a miette report (the root cause) with its continuation lines, and its frame position. */
function innermost(text: string): { message: string; frame?: { line: number; column: number } } {
  const lines = text.split('\n');
  let start = -1;
  for (let index = 0; index < lines.length; index++) if (HEADLINE.test(lines[index]!)) start = index;
  if (start < 0) {
    const first = lines.find((line) => line.trim() !== '');
    return { message: (first ?? 'unknown error').trim() };
  }
  const parts = [HEADLINE.exec(lines[start]!)![1]!.trim()];
  let frame: { line: number; column: number } | undefined;
  for (let index = start + 1; index < lines.length; index++) {
    const line = lines[index]!;
    const position = FRAME.exec(line);
    if (position) {
      frame = { line: Number(position[1]), column: Number(position[2]) + 1 };
      break;
    }
    const continued = CONTINUED.exec(line);
    if (!continued || continued[1]!.trim() === '') break;
    parts.push(continued[1]!.trim());
  }
  return { message: parts.join(' '), frame };
}

function locationOf(loc: RspackErrorLike['loc']): { line: number; column: number } | undefined {
  if (!loc || !('start' in loc) || !loc.start) return undefined;
  return { line: loc.start.line, column: loc.start.column };
}

/** The resource path of a module identifier such as `builtin:swc-loader??ruleSet[1]…!/__runbyte__/code.ts`. */
function resourceOf(module: RspackErrorLike['module']): string | undefined {
  if (!module || typeof module.identifier !== 'function') return undefined;
  const identifier = module.identifier();
  const resource = identifier.slice(identifier.lastIndexOf('!') + 1);
  const query = resource.search(/[?#]/);
  return query > 0 ? resource.slice(0, query) : resource;
}

/**
 * The specifier as written for a path an alias was asked for: Rspack names the joined path
 * (`<root>/servers/gone`), the agent wrote `../../servers/gone`.
 */
function specifierOf(aliased: string, file: string, rspackPath: string | undefined, sourceText: Paths['sourceText']): string {
  const wanted = withoutRoot(aliased);
  const source = rspackPath === undefined ? undefined : sourceText(rspackPath);
  if (source === undefined || !file.startsWith('/')) return wanted;
  // `./x.js` may be asked for as `x.ts` (extensionAlias).
  const stem = (path: string) => path.replace(/\.(?:[cm]?[jt]s|json)$/, '');
  for (const match of source.matchAll(IMPORT_SPECIFIER)) {
    const specifier = match[2]!;
    const joined = specifier.startsWith('.') ? posix.join(posix.dirname(file), specifier) : specifier;
    if (specifier === wanted || stem(joined) === stem(wanted)) return specifier;
  }
  return wanted;
}

/**
 * Where `specifier` is imported in `source` (1-based), preferring an `import`/`from`/`export` context
 * (or any call that takes a path). `anywhere`: else its first quoted occurrence, else the start of a
 * template literal it begins (`import(`./workspace/${name}`)` is asked for as `./workspace/`).
 */
function findSpecifier(source: string, specifier: string, { anywhere = false } = {}): { line: number; column: number } | undefined {
  let index = -1;
  let loose = -1;
  for (const quote of ["'", '"', '`']) {
    const quoted = `${quote}${specifier}${quote}`;
    let at = source.indexOf(quoted);
    if (at >= 0 && (loose < 0 || at < loose)) loose = at;
    while (at >= 0) {
      const before = source.slice(Math.max(0, at - 200), at);
      if (/(\bfrom|\bimport\s*\(?|\brequire\s*\(|\b(?:require\.context|webpackContext|new\s+(?:URL|Worker))\s*\()\s*$/.test(before)) break;
      at = source.indexOf(quoted, at + 1);
    }
    if (at >= 0 && (index < 0 || at < index)) index = at;
  }
  if (index < 0 && anywhere) index = loose >= 0 ? loose : source.indexOf(`\`${specifier}`);
  return index < 0 ? undefined : positionAt(source, index);
}

/** The first call that takes a path computed at run time. */
function computedCall(source: string): { line: number; column: number } | undefined {
  const match = COMPUTED_CALL.exec(source);
  return match ? positionAt(source, match.index) : undefined;
}

/** 1-based line and column of an offset. */
function positionAt(source: string, index: number): { line: number; column: number } {
  const lineStart = source.lastIndexOf('\n', index - 1) + 1;
  const line = source.slice(0, index).split('\n').length;
  return { line, column: index - lineStart + 1 };
}

/** Rspack's name for the tree's root, in a message, becomes the agent's `/`. */
function withoutRoot(message: string): string {
  return message.split(`${VIRTUAL_ROOT}${sep}`).join('/').split(`${VIRTUAL_ROOT}/`).join('/').split(VIRTUAL_ROOT).join('/');
}

function isVirtual(file: string): boolean {
  return file === CODE_PATH || file === '/runtime.ts' || file.startsWith('/servers/') || file.startsWith('/workspace/');
}
