// Reading a generated tool file back (listings, search, drift): the JSDoc of its function. Here,
// beside the code that writes it, so one change of the file's layout has one reader to follow.

/**
 * The lines of the JSDoc right above a generated tool file's function (one-line or not), without
 * their leading `*`, trimmed, blank ones dropped: its text first, then its `@` tag line. Empty when
 * the function has no JSDoc of its own.
 */
export function functionDocLines(text: string): string[] {
  const at = text.search(/^export (?:async )?function /m);
  const start = at < 0 ? -1 : text.lastIndexOf('/**', at);
  const end = start < 0 ? -1 : text.indexOf('*/', start);
  if (end < 0 || text.slice(end + 2, at).trim() !== '') return [];
  return text
    .slice(start + 3, end)
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .filter(Boolean);
}
