import { relative, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { generate, type GenerateReport } from '../generate/index.js';
import { RunbyteCommand } from './base.js';

export default class Generate extends RunbyteCommand {
  static override description = 'Write a typed TypeScript SDK for the MCP servers in runbyte.json';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> generate',
    '<%= config.bin %> generate --check',
    '<%= config.bin %> generate --server github --out sdk',
  ];

  static override flags = {
    out: Flags.string({ char: 'o', description: 'output folder (default: outDir from the config, else generated/ beside it)' }),
    server: Flags.string({ char: 's', description: 'regenerate only this server (repeatable)', multiple: true }),
    check: Flags.boolean({ description: 'write nothing; exit 1 naming each file that would change' }),
  };

  async run(): Promise<GenerateReport> {
    const { flags } = await this.parse(Generate);
    const config = this.loadConfig(flags.config);
    const report = await generate(config, {
      outDir: flags.out ? resolve(flags.out) : undefined,
      servers: flags.server,
      check: flags.check,
    });
    const stale = report.diff.added.length + report.diff.changed.length + report.diff.removed.length;
    if (report.failures.length > 0 || (report.check && stale > 0)) process.exitCode = 1;
    if (!this.jsonEnabled()) this.render(report);
    return report;
  }

  private render(report: GenerateReport): void {
    const out = relative(process.cwd(), report.outDir) || '.';
    for (const server of report.servers) {
      if (server.status === 'failed') process.stderr.write(`✗ ${server.error}\n`);
      else if (server.status === 'generated') this.log(`✓ ${server.name} (${server.tools} tools)`);
    }
    const { added, changed, removed, unchanged } = report.diff;
    if (report.check) {
      for (const path of added) this.log(`missing: ${out}/${path}`);
      for (const path of changed) this.log(`stale:   ${out}/${path}`);
      for (const path of removed) this.log(`extra:   ${out}/${path}`);
      const stale = added.length + changed.length + removed.length;
      this.log(stale === 0 ? `${out} is up to date` : `${out} is stale: run \`runbyte generate\``);
      return;
    }
    this.log(`${out}: ${added.length} added, ${changed.length} changed, ${removed.length} removed, ${unchanged} unchanged`);
  }
}
