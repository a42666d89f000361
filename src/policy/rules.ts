// runbyte.json's `policy`: what a script that imports a tool gets (README.md, "Pinned tools, policy
// and the audit log").

import type { PolicyDecision } from '../config/types.js';
import { compareStrings } from '../shared/values.js';

/** A tool's decision and the key of runbyte.json that made it (none for the default). */
export interface Verdict {
  decision: PolicyDecision;
  rule?: string;
}

interface Rule {
  key: string;
  server: RegExp;
  tool: RegExp;
  /** Characters that are not `*`: the more, the more specific. */
  literal: number;
  decision: PolicyDecision;
}

/**
 * The policy of one config. Keys are `<server>.<tool>` patterns where `*` matches any run of
 * characters (the server part never holds a dot, so the first dot splits them); the most specific
 * matching key wins: the most characters that are not `*`, then the fewest `*`, then the key's
 * order. Without a match, a tool the server marks `destructiveHint: true` is `ask`, any other `allow`.
 */
export class Policy {
  private readonly rules: Rule[];

  constructor(policy: Record<string, PolicyDecision> = {}) {
    this.rules = Object.entries(policy)
      .map(([key, decision]) => {
        const dot = key.indexOf('.');
        return {
          key,
          server: glob(key.slice(0, dot)),
          tool: glob(key.slice(dot + 1)),
          literal: key.replace(/\*/g, '').length,
          decision,
        };
      })
      .sort((a, b) => b.literal - a.literal || stars(a.key) - stars(b.key) || compareStrings(a.key, b.key));
  }

  decide(server: string, tool: string, destructive: boolean): Verdict {
    const rule = this.rules.find((candidate) => candidate.server.test(server) && candidate.tool.test(tool));
    if (rule) return { decision: rule.decision, rule: rule.key };
    return { decision: destructive ? 'ask' : 'allow' };
  }
}

function stars(key: string): number {
  return key.split('*').length - 1;
}

/**
 * A pattern where only `*` is special. Hand-written: glob libraries give `/`, `?`, braces and
 * brackets meanings that tool names (which may hold any of them) must not have.
 */
function glob(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
