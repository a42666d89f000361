import { Args } from '@oclif/core';
import { findServer } from '../config/index.js';
import { Hub, hubOptions, type ServerFailure } from '../hub/index.js';
import type { ToolAnnotations, ToolSpec } from '../shared/tool-spec.js';
import { RunbyteCommand } from './base.js';

interface ListedServer {
  name: string;
  /** `annotations` as the server sent them (known keys only, `false` included), when it sent any. */
  tools: { name: string; description: string; annotations?: ToolAnnotations }[];
  error?: string;
  /** `"disabled": true` in the config: not started, no tools listed. */
  disabled?: true;
}

export default class List extends RunbyteCommand {
  static override description = 'List the configured servers and their tools, live';
  static override enableJsonFlag = true;
  static override args = {
    server: Args.string({ description: 'only this server' }),
  };

  async run(): Promise<{ servers: ListedServer[] }> {
    const { args, flags } = await this.parse(List);
    const config = this.loadConfig(flags.config);
    const disabled = config.disabledServers ?? [];
    if (args.server && disabled.includes(args.server)) return this.renderDisabled([args.server]);
    const chosen = args.server ? [findServer(config, args.server)] : config.servers;
    const hub = new Hub(chosen, hubOptions(config));
    let failures: ServerFailure[];
    let listed: Map<string, ToolSpec[]>;
    try {
      failures = await hub.start();
      const all = await hub.listAll();
      failures = [...failures, ...all.failures];
      listed = new Map(all.tools.map((entry) => [entry.server, entry.tools]));
    } finally {
      await hub.close();
    }
    const failed = new Map(failures.map((failure) => [failure.server, failure.message]));
    const servers: ListedServer[] = chosen.map(({ name }) => ({
      name,
      tools: (listed.get(name) ?? []).map((tool) => ({
        name: tool.name,
        description: firstLine(tool.description),
        ...(tool.annotations ? { annotations: tool.annotations } : {}),
      })),
      ...(failed.has(name) ? { error: failed.get(name) } : {}),
    }));

    if (failures.length > 0) process.exitCode = 1;
    if (!this.jsonEnabled()) {
      for (const server of servers) {
        if (server.error) {
          process.stderr.write(`✗ ${server.error}\n`);
          continue;
        }
        this.log(`${server.name} (${server.tools.length} tools)`);
        for (const tool of server.tools) this.log(`  ${tool.name}${tool.description ? `  ${tool.description}` : ''}`);
      }
    }
    const off = this.renderDisabled(args.server ? [] : disabled).servers;
    return { servers: [...servers, ...off].sort((a, b) => (a.name < b.name ? -1 : 1)) };
  }

  /** `name (disabled)` for each server the config switches off (`"disabled": true`): never started. */
  private renderDisabled(names: string[]): { servers: ListedServer[] } {
    if (!this.jsonEnabled()) for (const name of names) this.log(`${name} (disabled)`);
    return { servers: names.map((name) => ({ name, disabled: true, tools: [] })) };
  }
}

function firstLine(text: string | undefined): string {
  const line = (text ?? '').trim().split(/\r?\n/)[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
