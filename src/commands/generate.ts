import { relative, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { findServer, type RunbyteConfig } from '../config/index.js';
import { generate, type GenerateReport } from '../generate/index.js';
import { driftMessage } from '../codegen/drift.js';
import { RunbyteError } from '../shared/errors.js';
import { formatChange, watchGenerate, type WatchEvent } from '../watch/index.js';
import { RunbyteCommand } from './base.js';

export default class Generate extends RunbyteCommand {
  static override description = 'Write a typed TypeScript SDK for the MCP servers in runbyte.json';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> generate',
    '<%= config.bin %> generate --check',
    '<%= config.bin %> generate --server github --out sdk',
    '<%= config.bin %> generate --prune',
    '<%= config.bin %> generate --watch',
  ];

  static override flags = {
    out: Flags.string({ char: 'o', description: 'output folder (default: outDir from the config, else generated/ beside it)' }),
    server: Flags.string({ char: 's', description: 'regenerate only this server (repeatable)', multiple: true }),
    check: Flags.boolean({ description: 'write nothing; exit 1 naming each file that would change' }),
    prune: Flags.boolean({ description: 'allow removing every server, or more than half of the SDK files (refused without it)' }),
    learned: Flags.boolean({
      description: 'type tools without an outputSchema from the shapes of their real results (.runbyte/shapes); --no-learned leaves them Untyped',
      default: true,
      allowNo: true,
    }),
    watch: Flags.boolean({
      char: 'w',
      description: 'keep running: regenerate when the config file changes or a server sends tools/list_changed',
    }),
  };

  async run(): Promise<GenerateReport> {
    const { flags } = await this.parse(Generate);
    const config = this.loadConfig(flags.config);
    // Each --server is a configured server (a typo names the nearest one) before anything starts.
    for (const name of flags.server ?? []) findServer(config, name);
    if (flags.watch) return this.watch(config, flags.out ? resolve(flags.out) : undefined, flags.server, flags);
    const report = await generate(config, {
      outDir: flags.out ? resolve(flags.out) : undefined,
      servers: flags.server,
      check: flags.check,
      refuseMassRemoval: !flags.prune,
      learned: flags.learned,
    });
    const stale = report.diff.added.length + report.diff.changed.length + report.diff.removed.length;
    if (report.failures.length > 0 || (report.check && stale > 0)) process.exitCode = 1;
    if (!this.jsonEnabled()) this.render(report);
    return report;
  }

  /** `--watch`: the first generation as usual, then one line per change until SIGINT/SIGTERM. */
  private async watch(
    config: RunbyteConfig,
    outDir: string | undefined,
    servers: string[] | undefined,
    flags: { check: boolean; prune: boolean },
  ): Promise<never> {
    // Both are one-shot answers; --watch never finishes.
    if (flags.check) throw new RunbyteError('USAGE', '--watch cannot be combined with --check', { suggestions: ['run `runbyte generate --check` on its own'] });
    // A removal that needs --prune is a decision to take once, not one to leave armed while watching.
    if (flags.prune) throw new RunbyteError('USAGE', '--watch cannot be combined with --prune', { suggestions: ['run `runbyte generate --prune` first'] });
    if (this.jsonEnabled()) {
      throw new RunbyteError('USAGE', '--watch prints one line per change and cannot be combined with --json');
    }
    const session = await watchGenerate(config, { outDir, servers, onEvent: (event) => this.renderEvent(event) });
    this.render(session.initial);
    const configName = relative(process.cwd(), config.path) || config.path;
    this.log(`watching ${configName} and ${session.regenerator.servers().length} servers for changes (Ctrl-C to stop)`);
    let stopping = false;
    const stop = async (code: number) => {
      if (stopping) return;
      stopping = true;
      await session.close();
      process.exit(code);
    };
    process.once('SIGINT', () => void stop(130));
    process.once('SIGTERM', () => void stop(143));
    return new Promise<never>(() => {});
  }

  private renderEvent(event: WatchEvent): void {
    if (event.kind === 'config-error') {
      process.stderr.write(`✗ ${event.message.split('\n')[0]} (keeping the last good config)\n`);
      return;
    }
    // A list_changed that changed nothing (server-everything sends one after initialize) says nothing.
    const quiet = event.regeneration.reason === 'list_changed';
    for (const change of event.regeneration.changes) {
      const line = formatChange(change, { quiet });
      if (line === undefined) continue;
      if (change.kind === 'failed') process.stderr.write(`${line}\n`);
      else this.log(line);
    }
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
      // What changed on the servers since the SDK was reviewed, tool by tool (README.md, "Pinned tools").
      for (const drift of report.drift) this.log(`drift:   ${driftMessage(drift)}`);
      const stale = added.length + changed.length + removed.length;
      if (stale > 0) this.log(`${out} is stale: run \`runbyte generate\``);
      // A server that failed was not compared: its files may be stale, so "up to date" would be a guess.
      const failed = report.servers.filter((server) => server.status === 'failed').map((server) => server.name);
      if (failed.length > 0) {
        process.stderr.write(`${out} could not be checked against ${failed.length === 1 ? 'server' : 'servers'} ${failed.join(', ')} (failed, see above)\n`);
      } else if (stale === 0) this.log(`${out} is up to date`);
      return;
    }
    this.log(`${out}: ${added.length} added, ${changed.length} changed, ${removed.length} removed, ${unchanged} unchanged`);
  }
}
