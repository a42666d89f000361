import { Args } from '@oclif/core';
import { Hub, hubOptions, type ServerFailure } from '../hub/index.js';
import { RunbyteError } from '../shared/errors.js';
import type { ToolAnnotations, ToolSpec } from '../shared/tool-spec.js';
import { RunbyteCommand } from './base.js';

interface ListedServer {
  name: string;
  /** `annotations` as the server sent them (known keys only, `false` included), when it sent any. */
  tools: { name: string; description: string; annotations?: ToolAnnotations }[];
  error?: string;
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
    const chosen = args.server ? config.servers.filter((server) => server.name === args.server) : config.servers;
    if (args.server && chosen.length === 0) {
      throw new RunbyteError('USAGE', `no server named "${args.server}" in ${config.path}`, {
        suggestions: [`configured servers: ${config.servers.map((server) => server.name).join(', ') || '(none)'}`],
      });
    }
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
    return { servers };
  }
}

function firstLine(text: string | undefined): string {
  const line = (text ?? '').trim().split(/\r?\n/)[0] ?? '';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
