import { Flags } from '@oclif/core';
import { type AuditRecord, readAudit } from '../audit/index.js';
import { RunbyteError } from '../shared/errors.js';
import { RunbyteCommand } from './base.js';

export default class Audit extends RunbyteCommand {
  static override description = 'Print the audit log: one line per execution, with the tools it called and what was approved';
  static override enableJsonFlag = true;
  static override flags = {
    last: Flags.integer({ description: 'only the last N executions', default: 20, min: 1 }),
  };
  static override examples = ['<%= config.bin %> audit', '<%= config.bin %> audit --last 100 --json'];

  async run(): Promise<{ records: AuditRecord[] }> {
    const { flags } = await this.parse(Audit);
    const config = this.loadConfig(flags.config);
    if (config.audit === false) {
      throw new RunbyteError('USAGE', `the audit log is disabled in ${config.path} ("audit": false)`);
    }
    const records = await readAudit(config.audit!.path, flags.last);
    if (this.jsonEnabled()) return { records };
    if (records.length === 0) {
      this.log(`no executions in ${config.audit!.path} yet`);
      return { records };
    }
    const rows = records.map((record) => [
      record.time.replace('T', ' ').slice(0, 19),
      record.session.slice(0, 12),
      record.outcome,
      `${record.timings.totalMs}`,
      callsText(record),
      record.approval ? `${record.approval.answer}: ${record.approval.asked.join(', ')}` : '',
    ]);
    for (const line of table(['TIME (UTC)', 'SESSION', 'OUTCOME', 'MS', 'CALLS', 'APPROVAL'], rows)) this.log(line);
    return { records };
  }
}

/** `memory.read_graph ×2, github.search_code (1 failed)`, in the order first called; `-` for none. */
function callsText(record: AuditRecord): string {
  const counts = new Map<string, { calls: number; failed: number }>();
  for (const call of record.calls) {
    const name = `${call.server}.${call.tool}`;
    const count = counts.get(name) ?? { calls: 0, failed: 0 };
    count.calls += 1;
    if (!call.ok) count.failed += 1;
    counts.set(name, count);
  }
  if (counts.size === 0) return '-';
  return [...counts].map(([name, { calls, failed }]) => `${name}${calls > 1 ? ` ×${calls}` : ''}${failed > 0 ? ` (${failed} failed)` : ''}`).join(', ');
}

/** Columns padded to their widest cell; the last is not padded. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [head, ...rows].map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}
