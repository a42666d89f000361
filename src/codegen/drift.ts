// How the live tools of a server differ from the SDK that was reviewed (its lock entry and files):
// which tools are new, changed or removed, and for a changed one, which part of it. Pure.

import { compareStrings } from '../shared/values.js';
import type { ServerSummary } from './lock.js';
import { functionDocLines } from './tool-doc.js';

/**
 * How every result type runbyte supplies for a tool without an outputSchema (learned from results,
 * or given in runbyte.json) ends the first line of its JSDoc: such a type is runbyte's, not the
 * server's, so it is no part of what a server changed.
 */
export const SUPPLIED_NOTE = 'the server declares no outputSchema.';

/** One tool whose live definition is not the one the SDK was generated from. */
export interface ToolDrift {
  server: string;
  tool: string;
  kind: 'new' | 'changed' | 'removed';
  /** For `changed`: what differs, e.g. `['description', 'input schema']`. */
  parts: string[];
  /** The tool's file, relative to the output folder (the new one for `new`). */
  file: string;
}

/**
 * The drift of one server: `reviewed` is its lock entry (undefined when the SDK has none, so every
 * tool is new), `live` the summary generated from its tools now. A changed tool's parts are read
 * from its two files, `reviewedFiles` (on disk) and `liveFiles` (generated now), by path.
 */
export function serverDrift(
  reviewed: ServerSummary | undefined,
  live: ServerSummary,
  reviewedFiles: ReadonlyMap<string, string>,
  liveFiles: ReadonlyMap<string, string>,
): ToolDrift[] {
  const before = new Map((reviewed?.tools ?? []).map((tool) => [tool.name, tool]));
  const drift: ToolDrift[] = [];
  for (const tool of live.tools) {
    const old = before.get(tool.name);
    before.delete(tool.name);
    if (!old) {
      drift.push({ server: live.server, tool: tool.name, kind: 'new', parts: [], file: tool.file });
    } else if (old.hash !== tool.hash) {
      const parts = changedParts(reviewedFiles.get(old.file) ?? '', liveFiles.get(tool.file) ?? '', tool.function);
      drift.push({ server: live.server, tool: tool.name, kind: 'changed', parts, file: old.file });
    }
  }
  for (const old of before.values()) drift.push({ server: live.server, tool: old.name, kind: 'removed', parts: [], file: old.file });
  return drift.sort((a, b) => compareStrings(a.tool, b.tool));
}

/** One line for a drifted tool: what changed, and what to do about it. */
export function driftMessage(drift: ToolDrift): string {
  const name = `${drift.server}.${drift.tool}`;
  const todo = 'run runbyte generate and review the diff';
  switch (drift.kind) {
    case 'new':
      return `${name} is new since the SDK was reviewed; ${todo}`;
    case 'removed':
      return `${name} was removed from the server since the SDK was reviewed; ${todo}`;
    case 'changed':
      return `${name} changed since the SDK was reviewed (${drift.parts.join(', ')}); ${todo}`;
  }
}

/**
 * What differs between two versions of a tool's file, by its top-level declarations (codegen
 * separates them with a blank line): `<Fn>Args` is the input schema, `<Fn>Result` the output
 * schema, the function's JSDoc its description, whose `@` tag line holds the annotations; any other
 * declaration is a type of one of the schemas, and a change to the function's signature alone
 * one of the input schema (whether `args` is optional) or of the output schema (its return type:
 * a tool without one returns `Promise<Untyped>`). A change the file does not show (the hash covers
 * the whole definition) is the `definition`.
 */
export function changedParts(before: string, after: string, fn: string): string[] {
  const pascal = fn.charAt(0).toUpperCase() + fn.slice(1);
  const a = serversOwn(declarations(before), pascal, fn);
  const b = serversOwn(declarations(after), pascal, fn);
  const parts = new Set<string>();
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const [x, y] = [a.get(name) ?? '', b.get(name) ?? ''];
    if (x === y) continue;
    if (name === `${pascal}Args`) parts.add('input schema');
    else if (name === `${pascal}Result`) parts.add('output schema');
    else if (name === fn) {
      const [docX, docY] = [jsDocLines(x), jsDocLines(y)];
      if (docX.text !== docY.text) parts.add('description');
      if (docX.tags !== docY.tags) parts.add('annotations');
      // Else its signature: whether `args` may be left out follows the input schema, and the
      // return type (`Promise<Untyped>` or `Promise<<Fn>Result>`) whether there is an output schema.
      if (docX.text === docY.text && docX.tags === docY.tags) {
        const [sigX, sigY] = [signature(x), signature(y)];
        if (sigX.parameters !== sigY.parameters) parts.add('input schema');
        if (sigX.returns !== sigY.returns) parts.add('output schema');
      }
    } else parts.add('schema types');
  }
  const order = ['description', 'annotations', 'input schema', 'output schema', 'schema types'];
  const found = order.filter((part) => parts.has(part));
  return found.length > 0 ? found : ['definition'];
}

/** The parameter list and return type of a block's exported function. */
function signature(block: string): { parameters: string; returns: string } {
  const match = /^export function [\w$]+\((.*)\): (.*) \{$/m.exec(block);
  return { parameters: match?.[1] ?? '', returns: match?.[2] ?? '' };
}

/** The declarations without a result type runbyte supplied: as if the tool returned `Untyped`. */
function serversOwn(found: Map<string, string>, pascal: string, fn: string): Map<string, string> {
  const result = found.get(`${pascal}Result`);
  if (!result?.includes(SUPPLIED_NOTE)) return found;
  found.delete(`${pascal}Result`);
  const declaration = found.get(fn);
  if (declaration) found.set(fn, declaration.replace(`Promise<${pascal}Result>`, 'Promise<Untyped>'));
  return found;
}

/** A file's top-level declarations by name, each with its JSDoc. */
function declarations(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const block of text.split(/\n\s*\n/)) {
    const name = /^export (?:interface|type|function|const) ([A-Za-z_$][\w$]*)/m.exec(block)?.[1];
    if (name !== undefined) found.set(name, block);
  }
  return found;
}

/** A function block's JSDoc: its text, and its `@` tag lines. */
function jsDocLines(block: string): { text: string; tags: string } {
  const lines = functionDocLines(block);
  return {
    text: lines.filter((line) => !line.startsWith('@')).join('\n'),
    tags: lines.filter((line) => line.startsWith('@')).join('\n'),
  };
}
