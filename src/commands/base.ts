import { stripVTControlCharacters } from 'node:util';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { loadConfig, type RunbyteConfig } from '../config/index.js';
import { exitCodeFor, messageOf, RunbyteError } from '../shared/errors.js';
import { isDebug, setDebug } from '../shared/log.js';

/**
 * What every runbyte command shares: `--config`, `--debug`, and the mapping of errors to one or
 * two plain lines and an exit status (2 usage/config, 1 job failed). Stack traces only with --debug.
 */
export abstract class RunbyteCommand extends Command {
  static override baseFlags = {
    config: Flags.string({
      char: 'c',
      description: 'path to runbyte.json (default: $RUNBYTE_CONFIG, ./runbyte.json, ~/.config/runbyte/config.json, ...)',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({ description: 'print stack traces and protocol details', helpGroup: 'GLOBAL' }),
  };

  protected loadConfig(configPath: string | undefined): RunbyteConfig {
    return loadConfig({ configPath });
  }

  protected override async init(): Promise<void> {
    if (process.argv.includes('--debug')) setDebug(true);
    await super.init();
  }

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    if (error instanceof RunbyteError) {
      process.exitCode = exitCodeFor(error.code);
      if (this.jsonEnabled()) {
        this.logJson({ error: { code: error.code, message: error.message, suggestions: error.suggestions } });
      } else {
        process.stderr.write(`Error: ${error.message}\n`);
        for (const suggestion of error.suggestions) process.stderr.write(`Try this: ${suggestion}\n`);
        if (isDebug() && error.cause) process.stderr.write(`${formatCause(error.cause)}\n`);
      }
      return;
    }
    // oclif's own errors (unknown flag, missing argument) are usage errors: exit 2.
    const oclifExit = (error as { oclif?: { exit?: number } }).oclif?.exit;
    if (oclifExit !== undefined && oclifExit !== 0 && !isDebug()) {
      process.exitCode = oclifExit === 1 ? 2 : oclifExit;
      process.stderr.write(`Error: ${usageReason(error)}\n`);
      process.stderr.write(`Try this: runbyte ${this.id ?? ''} --help\n`);
      return;
    }
    if (isDebug()) return super.catch(error);
    process.exitCode = 1;
    process.stderr.write(`Error: ${messageOf(error)}\n(run with --debug for details)\n`);
  }
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}

/**
 * oclif's parse error as one line, the whole reason kept: `Parsing --port: Expected an integer but
 * received: abc`, `Missing 1 required arg: file (the TypeScript file to run)`. oclif spreads it over
 * lines (a heading, an indented detail or a two-column list of arguments) and adds "See more help
 * with --help", which the `Try this:` line below it replaces.
 */
function usageReason(error: Error): string {
  const lines = stripVTControlCharacters(messageOf(error))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'See more help with --help');
  const [heading = 'bad usage', ...details] = lines;
  if (details.length === 0) return heading;
  // A list row is `name  description`: the name, then its description in brackets.
  const detail = details.map((line) => line.replace(/^(\S+)\s{2,}(.+)$/, '$1 ($2)')).join('; ');
  return `${heading.replace(/:$/, '')}: ${detail}`;
}
