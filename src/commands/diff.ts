import { Args } from '@oclif/core';
import { driftMessage } from '../codegen/drift.js';
import type { ToolDrift } from '../codegen/index.js';
import { findServer } from '../config/index.js';
import { type FilePatch, generate, sdkPatches } from '../generate/index.js';
import { RunbyteCommand } from './base.js';

export default class Diff extends RunbyteCommand {
  static override description = 'Show how the live servers differ from the reviewed SDK: each changed tool, then the diff of its files';
  static override enableJsonFlag = true;
  static override args = {
    server: Args.string({ description: 'only this server' }),
  };
  static override examples = ['<%= config.bin %> diff', '<%= config.bin %> diff github'];

  async run(): Promise<{ drift: ToolDrift[]; files: FilePatch[]; failures: string[] }> {
    const { args, flags } = await this.parse(Diff);
    const config = this.loadConfig(flags.config);
    const servers = args.server ? [findServer(config, args.server).name] : undefined;
    const report = await generate(config, { check: true, servers });
    const files = await sdkPatches(report);
    const failures = report.failures.map((failure) => failure.message);
    if (failures.length > 0) process.exitCode = 1;
    if (this.jsonEnabled()) return { drift: report.drift, files, failures };
    for (const failure of failures) process.stderr.write(`✗ ${failure}\n`);
    for (const drift of report.drift) this.log(`# ${driftMessage(drift)}`);
    for (const file of files) process.stdout.write(file.patch);
    if (report.drift.length === 0 && files.length === 0 && failures.length === 0) this.log('the SDK is as the live servers give it');
    return { drift: report.drift, files, failures };
  }
}
