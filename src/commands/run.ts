import { readFile } from 'node:fs/promises';
import { Args } from '@oclif/core';
import type { ExecOutcome } from '../exec/index.js';
import { Engine } from '../serve/engine.js';
import { RunbyteError } from '../shared/errors.js';
import { RunbyteCommand } from './base.js';

export default class Run extends RunbyteCommand {
  static override description = 'Run a TypeScript file exactly as execute_code would: its value as JSON on stdout, console on stderr';
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: 'the TypeScript file to run', required: true }),
  };
  static override examples = ['<%= config.bin %> run examples/orders-by-region.ts'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Run);
    const code = await readFile(args.file, 'utf8').catch((error: unknown) => {
      throw new RunbyteError('USAGE', `${args.file}: cannot read file`, { cause: error });
    });
    const config = this.loadConfig(flags.config);
    const engine = await Engine.start(config, { regenerate: 'missing' });
    let outcome: ExecOutcome;
    try {
      outcome = await engine.execute(code);
    } finally {
      await engine.close();
    }
    if (outcome.console) process.stderr.write(`${outcome.console}\n`);
    if (!outcome.ok) {
      process.exitCode = 1;
      if (this.jsonEnabled()) return { ok: false, phase: outcome.phase, error: outcome.message };
      process.stderr.write(`${outcome.message}\n`);
      return undefined;
    }
    if (this.jsonEnabled()) {
      // A cut value is no longer JSON: it goes out as the text execute_code would show, flagged.
      return outcome.truncated ? { ok: true, truncated: true, text: outcome.value } : { ok: true, value: JSON.parse(outcome.value) as unknown };
    }
    process.stdout.write(`${outcome.value}\n`);
    return undefined;
  }
}
