import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Engine } from './engine.js';
import { createSession } from './server.js';

/**
 * MCP over stdin/stdout. stdout is the wire: everything else runbyte prints goes to stderr.
 * Resolves when the client goes away (stdin closes), so the caller can shut everything down.
 */
export async function serveStdio(engine: Engine): Promise<void> {
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await createSession(engine).connect(transport);
  await closed;
}
