import { readFile } from 'node:fs/promises';
import { Args } from '@oclif/core';
import type { ExecOutcome } from '../exec/index.js';
import { Engine } from '../serve/engine.js';
import { RunbyteError } from '../shared/errors.js';
import { RunbyteCommand } from './base.js';

/** What `run --json` prints (README.md, `runbyte run`). */
type RunJson = { ok: true; value: unknown; oversized?: { chars: number; savedTo?: string } } | { ok: false; phase: string; error: string };

export default class Run extends RunbyteCommand {
  static override description = 'Run a TypeScript file exactly as execute_code would: its value as JSON on stdout, console on stderr';
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: 'the TypeScript file to run', required: true }),
  };
  static override examples = ['<%= config.bin %> run examples/orders-by-region.ts'];

  async run(): Promise<RunJson | undefined> {
    const { args, flags } = await this.parse(Run);
    const code = await readFile(args.file, 'utf8').catch((error: unknown) => {
      throw new RunbyteError('USAGE', `${args.file}: cannot read file`, { cause: error });
    });
    const config = this.loadConfig(flags.config);
    const engine = await Engine.start(config, { regenerate: 'missing' });
    let outcome: ExecOutcome;
    try {
      // The executor directly, not engine.execute: that one only waits for live regenerations,
      // which `run` never starts, and it has no way to pass the file's name on.
      // Errors name the file as it was given (`orders.ts(3,7)`, `orders.ts:3:39`), so an editor or terminal can open it.
      outcome = await engine.execute(code, { codeName: args.file });
    } finally {
      await engine.close();
    }
    if (outcome.console) process.stderr.write(`${outcome.console}\n`);
    if (!outcome.ok) return this.fail(outcome.phase, outcome.message);
    if (!outcome.truncated) {
      if (this.jsonEnabled()) return { ok: true, value: JSON.parse(outcome.value) as unknown };
      process.stdout.write(`${outcome.value}\n`);
      return undefined;
    }

    // Longer than sandbox.maxOutputChars: execute_code would cut it, but stdout here stays JSON, so
    // the whole value is printed, and where the workspace keeps it (a host path) goes to stderr.
    const { chars, json, kept } = outcome.oversized!;
    if (json === undefined) {
      // Past the sandbox's copy-out cap, only a part ever reached the host: there is no JSON to print.
      return this.fail(
        'Output too large',
        `Output too large\nthe value is ${chars.toLocaleString('en-US')} chars, more than the sandbox hands out; nothing was printed. Return less, or write it with @runbyte/fs (writeJson) and return its path.`,
      );
    }
    if (this.jsonEnabled()) return { ok: true, value: JSON.parse(json) as unknown, oversized: { chars, ...(kept ? { savedTo: kept.hostPath } : {}) } };
    process.stdout.write(`${json}\n`);
    const saved = kept ? `; the value is also saved in ${kept.hostPath}` : '';
    process.stderr.write(
      `note: the value is ${chars.toLocaleString('en-US')} chars, more than sandbox.maxOutputChars (${config.sandbox.maxOutputChars.toLocaleString('en-US')}): execute_code would cut it, run prints it whole${saved}\n`,
    );
    return undefined;
  }

  /** Exit 1 with the failure: its text on stderr, or `{ ok: false, phase, error }` with --json. */
  private fail(phase: string, message: string): RunJson | undefined {
    process.exitCode = 1;
    if (this.jsonEnabled()) return { ok: false, phase, error: message };
    process.stderr.write(`${message}\n`);
    return undefined;
  }
}
