/**
 * audit/: one JSON line per execution in the audit log (README.md, "Pinned tools, policy and the
 * audit log"): who ran what, which tools it could call and called, what was approved, how it ended.
 * Appends never fail an execution; the file is rotated by size.
 */
import { appendFile, readFile, rename, stat } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditConfig } from '../config/types.js';
import { messageOf } from '../shared/errors.js';
import { log } from '../shared/log.js';

/** One tool call of an execution. `args` and `result` only with `audit.arguments`. */
export interface AuditCall {
  server: string;
  tool: string;
  ms: number;
  ok: boolean;
  error?: string;
  args?: unknown;
  result?: unknown;
}

/** One line of the audit log. */
export interface AuditRecord {
  /** ISO 8601, when the execution started. */
  time: string;
  /** The MCP session (`stdio`, an HTTP session id) or `run`. */
  session: string;
  /** `shortHash` of the code: the same script always has the same one. */
  code: string;
  /** The tools the script could call (its manifest); absent when it failed before it was bundled. */
  tools?: string[];
  calls: AuditCall[];
  approval?: { asked: string[]; answer: string };
  /** `ok`, or the phase it failed in (`Runtime error`, `Not allowed`, ...). */
  outcome: string;
  timings: { checkMs: number; bundleMs: number; runMs: number; totalMs: number };
}

/** The audit log of one config; appends are written one after another, in order. */
export class AuditLog {
  private last: Promise<void> = Promise.resolve();

  constructor(readonly config: AuditConfig) {}

  /** Appends one record (rotating the file first when it would pass `maxBytes`). Never rejects. */
  append(record: AuditRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.last = this.last.then(() => this.write(line)).catch((error: unknown) => log(`audit log ${this.config.path}: not written: ${messageOf(error)}`));
    return this.last;
  }

  /** Resolves when every line appended so far is on disk (or was reported as not written). */
  settled(): Promise<void> {
    return this.last;
  }

  private async write(line: string): Promise<void> {
    const { path, maxBytes } = this.config;
    await mkdir(dirname(path), { recursive: true });
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    // One older file is kept: the log holds between maxBytes and twice that.
    if (size > 0 && size + Buffer.byteLength(line) > maxBytes) await rename(path, `${path}.1`);
    await appendFile(path, line, { mode: 0o600 });
  }
}

/** The last `count` records of the log (its rotated file too), oldest first; lines that do not parse are skipped. */
export async function readAudit(path: string, count = Number.POSITIVE_INFINITY): Promise<AuditRecord[]> {
  const texts = await Promise.all([`${path}.1`, path].map((file) => readFile(file, 'utf8').catch(() => '')));
  const records: AuditRecord[] = [];
  for (const line of texts.join('').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as AuditRecord);
    } catch {
      // A line cut by a crash mid-write: the others still count.
    }
  }
  return count >= records.length ? records : records.slice(records.length - count);
}
