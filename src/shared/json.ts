import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function stableStringify(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** A short, stable content hash: `sha256-` and the first 16 hex digits. */
export function shortHash(value: unknown): string {
  const text = typeof value === 'string' ? value : stableStringify(value);
  return `sha256-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}
