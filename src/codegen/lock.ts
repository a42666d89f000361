// runbyte.lock.json read back: what each generated tool file calls, and the hash of the definition
// it was generated from. Apart from ts-morph, so that serve and run can read it without loading it.

import { RunbyteError } from '../shared/errors.js';
import { compareStrings } from '../shared/values.js';
import { namespaceIdentifier } from './naming.js';

/** What the lock file and listings need to know about one generated tool. */
export interface ToolSummary {
  /** The tool's name on the server (what `callTool` sends). */
  name: string;
  /** The generated function (and file) name. */
  function: string;
  /** Path of the tool's file, relative to the output folder. */
  file: string;
  /** `shortHash` of the tool's definition as listed; `UNKNOWN_HASH` when read back from its file. */
  hash: string;
  /** First line of the description (or the title), for listings; '' when there is none. */
  description: string;
}

/** One server's part of the SDK, as recorded in runbyte.lock.json. */
export interface ServerSummary {
  server: string;
  /** Its namespace in `servers/index.ts` (when no other server's name collides with it). */
  namespace: string;
  /** `shortHash` of the tool list (names and hashes). */
  toolsHash: string;
  /** Sorted by name. */
  tools: ToolSummary[];
  /**
   * `shortHash` of `servers/<server>/README.md` (readme.ts) when there is one, so the lock, and a
   * review of its diff, shows a changed instruction or prompt as plainly as a changed tool.
   */
  readmeHash?: string;
}

/** The config guarantees this (README.md, "Config": server names are safe names); checked again here. */
export const SERVER_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Reads a lock written by `generateRoot` back into summaries (descriptions are not in the lock:
 * they come back empty). Throws a RunbyteError when the text is not such a lock.
 */
export function parseLock(text: string): ServerSummary[] {
  const invalid = (why: string): RunbyteError =>
    new RunbyteError('STALE_SDK', `runbyte.lock.json: ${why}`, { suggestions: ['run `runbyte generate` to rewrite it'] });
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (cause) {
    throw new RunbyteError('STALE_SDK', 'runbyte.lock.json is not valid JSON', { cause });
  }
  if (!isRecord(lock) || !isRecord(lock.servers)) throw invalid('no "servers" object');
  const summaries: ServerSummary[] = [];
  for (const [server, entry] of Object.entries(lock.servers)) {
    if (!SERVER_NAME.test(server)) throw invalid(`unsafe server name ${JSON.stringify(server)}`);
    if (!isRecord(entry) || typeof entry.toolsHash !== 'string' || !isRecord(entry.tools)) {
      throw invalid(`server "${server}" needs "toolsHash" and "tools"`);
    }
    const tools: ToolSummary[] = [];
    for (const [name, tool] of Object.entries(entry.tools)) {
      if (!isRecord(tool) || typeof tool.function !== 'string' || typeof tool.file !== 'string' || typeof tool.hash !== 'string') {
        throw invalid(`tool ${JSON.stringify(name)} of server "${server}" needs "function", "file" and "hash"`);
      }
      tools.push({ name, function: tool.function, file: tool.file, hash: tool.hash, description: '' });
    }
    tools.sort((a, b) => compareStrings(a.name, b.name));
    const summary: ServerSummary = { server, namespace: namespaceIdentifier(server), toolsHash: entry.toolsHash, tools };
    if (typeof entry.readmeHash === 'string') summary.readmeHash = entry.readmeHash;
    summaries.push(summary);
  }
  return summaries.sort((a, b) => compareStrings(a.server, b.server));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
