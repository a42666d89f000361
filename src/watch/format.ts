import type { ServerChange } from './regenerator.js';

/**
 * One line for a server that changed, as `generate --watch` prints it and `serve` logs it:
 *
 *   + server github (26 tools)
 *   - server legacy
 *   ↻ memory: 10 tools (+1: new_tool)
 *   ↻ faults: 12 tools (+1: a; -2: b, c; ~1: d)
 *   ✗ server "x": cannot start "cmd": not found (ENOENT)
 *
 * Undefined for a server that was listed again and did not change (`quiet`: say nothing then;
 * otherwise the line says "no change").
 */
export function formatChange(change: ServerChange, options: { quiet?: boolean } = {}): string | undefined {
  const tools = `${change.tools} ${change.tools === 1 ? 'tool' : 'tools'}`;
  switch (change.kind) {
    case 'added':
      return `+ server ${change.server} (${tools})`;
    case 'removed':
      return `- server ${change.server}`;
    case 'failed':
      return `✗ ${change.error ?? `server "${change.server}" failed`}`;
    case 'updated': {
      const parts = [names('+', change.addedTools), names('-', change.removedTools), names('~', change.changedTools)].filter((part) => part !== undefined);
      if (parts.length === 0 && options.quiet) return undefined;
      return `↻ ${change.server}: ${tools} (${parts.length > 0 ? parts.join('; ') : 'no change'})`;
    }
  }
}

/** `+2: a, b`, at most 5 names and then `…` (a server may swap its whole list). */
function names(sign: string, list: string[]): string | undefined {
  if (list.length === 0) return undefined;
  const shown = list.slice(0, 5).map((name) => (/^[\w.-]+$/.test(name) ? name : JSON.stringify(name)));
  return `${sign}${list.length}: ${shown.join(', ')}${list.length > 5 ? ', …' : ''}`;
}
