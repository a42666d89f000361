import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord, readAudit } from '../../src/audit/index.js';

const record = (n: number): AuditRecord => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  session: 'stdio',
  code: `sha256-${String(n).padStart(16, '0')}`,
  tools: ['memory.read_graph'],
  calls: [{ server: 'memory', tool: 'read_graph', ms: 1.5, ok: true }],
  outcome: 'ok',
  timings: { checkMs: 1, bundleMs: 1, runMs: 1, totalMs: 3 },
});

describe('AuditLog', () => {
  it('appends one JSON line per record, in order, in a file only its owner can read, in a folder it creates', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'runbyte-audit-')), 'logs/audit.jsonl');
    const log = new AuditLog({ path, arguments: false, maxBytes: 2 ** 20 });
    await Promise.all([1, 2, 3].map((n) => log.append(record(n))));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as AuditRecord).code)).toEqual([record(1).code, record(2).code, record(3).code]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('rotates by size, keeping one older file, and readAudit reads both; --last takes the newest', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'runbyte-audit-')), 'audit.jsonl');
    const size = Buffer.byteLength(`${JSON.stringify(record(1))}\n`);
    const log = new AuditLog({ path, arguments: false, maxBytes: size * 3 });
    for (let n = 1; n <= 8; n++) await log.append(record(n));
    expect(statSync(path).size).toBeLessThanOrEqual(size * 3);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(size * 3);
    const all = await readAudit(path);
    expect(all.map((entry) => entry.code)).toEqual([4, 5, 6, 7, 8].map((n) => record(n).code));
    expect((await readAudit(path, 2)).map((entry) => entry.code)).toEqual([record(7).code, record(8).code]);
  });

  it('skips a line cut by a crash, and never fails the execution when the file cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbyte-audit-'));
    const path = join(dir, 'audit.jsonl');
    writeFileSync(path, `${JSON.stringify(record(1))}\n{"time":"2026-01-01T00:0`);
    expect((await readAudit(path)).map((entry) => entry.code)).toEqual([record(1).code]);
    // A folder where the file should be: the append is logged and resolves.
    const blocked = new AuditLog({ path: dir, arguments: false, maxBytes: 1 });
    await expect(blocked.append(record(2))).resolves.toBeUndefined();
  });
});
