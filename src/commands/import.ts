import { join, resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { displayPath, type ImportReport, importServers, processContext, SOURCE_IDS } from '../import/index.js';
import { RunbyteCommand } from './base.js';

export default class Import extends RunbyteCommand {
  static override description =
    'Import the MCP servers configured in Claude Desktop, Claude Code, Cursor, VS Code, Windsurf, Codex and Goose into runbyte.json';
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    source: Args.string({ description: `clients to read (default: all): ${SOURCE_IDS.join(', ')}` }),
  };
  static override flags = {
    force: Flags.boolean({ description: 'replace servers of the same name already in runbyte.json (kept otherwise)' }),
    'dry-run': Flags.boolean({ description: 'write nothing: print the runbyte.json that would be written' }),
    replace: Flags.boolean({
      description: 'rewrite each client file read to start `runbyte serve` instead of the imported servers (a backup is kept beside it)',
    }),
  };
  static override examples = [
    '<%= config.bin %> import',
    '<%= config.bin %> import cursor vscode --dry-run',
    '<%= config.bin %> import claude-desktop --replace',
  ];

  async run(): Promise<ImportReport> {
    const { argv, flags } = await this.parse(Import);
    const ctx = processContext();
    const configPath = resolve(flags.config ?? 'runbyte.json');
    const report = await importServers(
      {
        sources: argv as string[],
        configPath,
        force: flags.force,
        dryRun: flags['dry-run'],
        // The node running now and this package's bin/run.js, by absolute paths: clients started
        // from a desktop do not get a shell's PATH.
        replace: flags.replace ? { command: process.execPath, args: [join(this.config.root, 'bin', 'run.js'), 'serve', '--config', configPath] } : undefined,
      },
      ctx,
    );
    if (report.files.some((file) => file.error)) process.exitCode = 1;
    if (this.jsonEnabled()) return report;
    const say = flags['dry-run'] ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => this.log(line);
    render(report, ctx.home, say);
    if (flags['dry-run']) process.stdout.write(`${JSON.stringify(report.config, null, 2)}\n`);
    return report;
  }
}

function render(report: ImportReport, home: string, say: (line: string) => void): void {
  const show = (path: string) => displayPath(path, home);
  if (report.files.length === 0) say('found no MCP client config files');
  for (const file of report.files) {
    const where = `${file.label}: ${show(file.path)}${file.part ? ` ${file.part}` : ''}`;
    if (file.error) {
      process.stderr.write(`✗ ${show(file.path)}: ${file.error}\n`);
      continue;
    }
    say(`${where}: ${file.servers.length ? file.servers.join(', ') : 'no servers'}`);
    for (const note of file.notes) say(`  note: ${note}`);
  }
  for (const duplicate of report.duplicates) say(`= ${duplicate.name} in ${duplicate.path} is the same server as "${duplicate.sameAs}": imported once`);
  const config = show(report.configPath);
  const parts = [
    report.added.length ? `added ${report.added.join(', ')}` : '',
    report.replaced.length ? `replaced ${report.replaced.join(', ')}` : '',
    report.kept.length ? `kept ${report.kept.join(', ')} (already there; --force replaces them)` : '',
  ].filter(Boolean);
  say(`${config}: ${parts.length ? parts.join('; ') : 'nothing new'}${report.written ? '' : ' (not written)'}`);
  if (report.variables.length > 0) {
    say('set these variables where runbyte runs (their values stay in the files named; runbyte.json holds ${NAME} references):');
    const width = Math.max(...report.variables.map((variable) => variable.name.length));
    for (const variable of report.variables) say(`  ${variable.name.padEnd(width)}  ${variable.server}: ${variable.from}`);
  }
  for (const client of report.rewritten) {
    say(`${show(client.path)} now starts runbyte (${client.removed.join(', ')} moved to ${config}); backup: ${show(client.backup)}`);
  }
}
