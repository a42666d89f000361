// Pinned tools (`serve --locked`): a tool whose live definition is not the one the SDK was
// reviewed with is not callable until someone regenerates and reviews the diff.

import { driftMessage, type ToolDrift } from '../codegen/drift.js';

export class Pins {
  /** Per server, its drifted tools by name; a server not here is as reviewed. */
  private readonly drift = new Map<string, Map<string, ToolDrift>>();

  /** Replaces what is known of these servers with their drift now (a server listed with none is as reviewed). */
  update(servers: string[], drift: ToolDrift[]): void {
    for (const server of servers) this.drift.set(server, new Map());
    for (const entry of drift) this.drift.get(entry.server)?.set(entry.tool, entry);
  }

  /** Why a call of this tool is refused (one line), or undefined when it may go. */
  refusal(server: string, tool: string): string | undefined {
    const entry = this.drift.get(server)?.get(tool);
    return entry ? driftMessage(entry) : undefined;
  }

  /**
   * The note list_directory shows beside a tool file (`/servers/<s>/<f>.ts`) whose tool changed or
   * was removed since the SDK was reviewed; undefined for the others.
   */
  mark(virtualPath: string): string | undefined {
    const server = virtualPath.split('/')[2] ?? '';
    for (const entry of this.drift.get(server)?.values() ?? []) {
      if (`/${entry.file}` !== virtualPath || entry.kind === 'new') continue;
      return entry.kind === 'removed' ? 'removed from the server since review; not callable' : `changed since review: ${entry.parts.join(', ')}; not callable`;
    }
    return undefined;
  }

  /** Every drifted tool, sorted by server and tool. */
  all(): ToolDrift[] {
    return [...this.drift.values()].flatMap((tools) => [...tools.values()]);
  }
}
