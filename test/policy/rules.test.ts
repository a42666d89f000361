import { describe, expect, it } from 'vitest';
import { Policy } from '../../src/policy/index.js';

describe('Policy: the most specific key wins', () => {
  const policy = new Policy({
    '*.*': 'ask',
    'github.*': 'allow',
    'github.delete_*': 'deny',
    'github.delete_branch': 'ask',
    'files.read.*': 'allow',
  });

  it.each<[string, string, boolean, string, string | undefined]>([
    ['github', 'list_issues', false, 'allow', 'github.*'],
    ['github', 'delete_repo', false, 'deny', 'github.delete_*'],
    ['github', 'delete_branch', false, 'ask', 'github.delete_branch'],
    ['memory', 'read_graph', false, 'ask', '*.*'],
    // A tool name may hold dots: the first dot of the key splits server from tool.
    ['files', 'read.text', false, 'allow', 'files.read.*'],
    ['files', 'write', false, 'ask', '*.*'],
  ])('%s.%s → %s', (server, tool, destructive, decision, rule) => {
    expect(policy.decide(server, tool, destructive)).toEqual({ decision, ...(rule ? { rule } : {}) });
  });

  it('without a match: destructive tools are ask, others allow', () => {
    const empty = new Policy({});
    expect(empty.decide('memory', 'delete_entities', true)).toEqual({ decision: 'ask' });
    expect(empty.decide('memory', 'read_graph', false)).toEqual({ decision: 'allow' });
    // An explicit key wins over the default, both ways.
    expect(new Policy({ 'memory.delete_entities': 'allow' }).decide('memory', 'delete_entities', true)).toEqual({
      decision: 'allow',
      rule: 'memory.delete_entities',
    });
  });

  it('only * is special: regular-expression and glob characters in names match themselves', () => {
    const odd = new Policy({ 'srv.a+b?[c]{d}': 'deny' });
    expect(odd.decide('srv', 'a+b?[c]{d}', false).decision).toBe('deny');
    expect(odd.decide('srv', 'aab[c]{d}', false).decision).toBe('allow');
    // * never lets a server pattern take part of the tool name.
    expect(new Policy({ '*x.y': 'deny' }).decide('a', 'x.y', false).decision).toBe('allow');
  });
});
