import type { Hook } from '@oclif/core';
import askDidYouMean from '@oclif/plugin-not-found';
import { closest } from '../shared/suggest.js';

/**
 * `runbyte lst`. At a terminal, oclif's not-found plugin asks "Did you mean list?" and runs it when
 * told yes. Anywhere else (a script, an agent, CI) the plugin names no command at all, so the
 * suggestion is written here: one line, and exit 2 like every usage error (README.md, Commands).
 * The nearest command is runbyte's one did-you-mean rule (shared/suggest.ts): the plugin keeps
 * its matcher private (its package exports only the hook). This hook is package.json's
 * `oclif.hooks.command_not_found`; the plugin is a dependency but not in `oclif.plugins`, or its
 * hook would run beside this one and print its own lines too.
 */
const hook: Hook.CommandNotFound = async function (options) {
  const commands = options.config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases]);
  // `runbyte lst memory` arrives as the id `lst:memory`: the command is the first word.
  const typed = options.id.split(':')[0]!;
  if (process.stdin.isTTY) {
    try {
      return await askDidYouMean.call(this, options);
    } catch (error) {
      // Told no (or no answer in 10 s): the plugin ends with exit 127, a shell's "command not found".
      if ((error as { oclif?: { exit?: number } }).oclif?.exit !== 127) throw error;
      process.stderr.write(`Try this: ${options.config.bin} --help\n`);
      return this.exit(2);
    }
  }
  const suggestion = closest(typed, commands);
  const guess = suggestion === undefined ? '' : `; did you mean ${suggestion}?`;
  process.stderr.write(`Error: ${typed} is not a ${options.config.bin} command${guess}\n`);
  const help = suggestion === undefined || suggestion === 'help' ? '--help' : `${suggestion} --help`;
  process.stderr.write(`Try this: ${options.config.bin} ${help}\n`);
  return this.exit(2);
};

export default hook;
