import { Args, Flags } from '@oclif/core';
import { type CallOutcome, callOne } from '../hub/call-one.js';
import { RunbyteCommand } from './base.js';

export default class Call extends RunbyteCommand {
  static override description = 'Call one tool of a configured server, live, and print its value as JSON';
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    target: Args.string({ description: 'SERVER.TOOL, like memory.read_graph', required: true }),
  };
  static override flags = {
    args: Flags.string({ char: 'a', description: 'the arguments as one JSON object; key=value words are added on top' }),
  };
  static override examples = [
    '<%= config.bin %> call memory.read_graph',
    '<%= config.bin %> call filesystem.read_text_file path=notes.md head=5',
    `<%= config.bin %> call memory.create_entities --args '{"entities": [{"name": "Ada", "entityType": "person", "observations": []}]}'`,
  ];

  async run(): Promise<CallOutcome | undefined> {
    const { args, argv, flags } = await this.parse(Call);
    const config = this.loadConfig(flags.config);
    // argv is every word: the target, then the key=value pairs.
    const pairs = (argv as string[]).slice(1);
    const outcome = await callOne(config, args.target, pairs, flags.args);
    if (!outcome.ok) process.exitCode = 1;
    if (this.jsonEnabled()) return outcome;
    if (outcome.ok) process.stdout.write(`${JSON.stringify(outcome.value, null, 2)}\n`);
    else process.stderr.write(`${outcome.error}\n`);
    return undefined;
  }
}
