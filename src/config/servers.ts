import { RunbyteError } from '../shared/errors.js';
import { didYouMean } from '../shared/suggest.js';
import type { RunbyteConfig, ServerConfig } from './types.js';

/**
 * The configured server named `name`. A name that is not configured is a usage error with the
 * nearest configured name (`no server named "memroy" in ./runbyte.json; did you mean "memory"?`);
 * a disabled one says so instead, since it is configured but must not start.
 */
export function findServer(config: RunbyteConfig, name: string): ServerConfig {
  const server = config.servers.find((candidate) => candidate.name === name);
  if (server) return server;
  if (config.disabledServers?.includes(name)) {
    throw new RunbyteError('USAGE', `server "${name}" is disabled in ${config.path}`, {
      suggestions: [`remove "disabled": true from its entry to use it`],
    });
  }
  const names = config.servers.map((candidate) => candidate.name);
  throw new RunbyteError('USAGE', `no server named "${name}" in ${config.path}${didYouMean(name, names)}`, {
    suggestions: [names.length ? `configured servers: ${names.join(', ')}` : 'add it under "mcpServers"'],
  });
}
