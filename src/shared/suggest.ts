import { distance } from 'fastest-levenshtein';

/**
 * The one "did you mean" rule of runbyte: commands, config keys, server and tool names.
 *
 * The candidate nearest to `typed` by edit distance (compared case-insensitively, so `memoryMB`
 * finds `memoryMb`), when it is near enough to be a typo: at most 40% of the longer name's
 * characters changed, and at least one. Ties go to the candidate listed first.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  const lower = typed.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const d = distance(lower, name.toLowerCase());
    if (!best || d < best.distance) best = { name, distance: d };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.ceil(Math.max(typed.length, best.name.length) * 0.4));
  return best.distance <= limit ? best.name : undefined;
}

/** `; did you mean "x"?` when a candidate is near `typed`, else ''. For the end of an error message. */
export function didYouMean(typed: string, candidates: Iterable<string>): string {
  const suggestion = closest(typed, candidates);
  return suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
}
