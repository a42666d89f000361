/**
 * Images and audio in a returned value (README.md, "The four tools"): MCP image and audio content
 * blocks are taken out of the value's JSON, so the model gets them as images and audio instead of
 * thousands of characters of base64, and each leaves a short placeholder where it was.
 */

/** An image or audio block taken out of a value: sent as an MCP content block of its own. */
export interface MediaBlock {
  type: 'image' | 'audio';
  mimeType: string;
  /** Base64, as the tool returned it. */
  data: string;
  /** Its number in the placeholder (`[image 2: ...]`): its place among the value's media, from 1. */
  index: number;
}

/** Default of `sandbox.maxMediaBytes`: the decoded bytes of all media one result sends. */
export const DEFAULT_MAX_MEDIA_BYTES = 5 * 2 ** 20;

/**
 * The JSON as it would be written for a media block's `mimeType` key. A value whose JSON does not
 * hold it has no media, so those values (nearly all) cost one substring search and are returned
 * as they came, byte for byte.
 */
const MEDIA_KEY = '"mimeType":';

/** Base64 as MCP clients accept it (the SDK checks `data` with `atob`); anything else stays JSON. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Replaces every image and audio block in `json` (objects with `type` `image` or `audio`, string
 * base64 `data` and string `mimeType`) by a placeholder string, in document order. Blocks are
 * counted against `maxBytes` (decoded) in that order: one that would take the total past it is not
 * sent, and its placeholder says so. Returns undefined when there is none: the JSON is unchanged.
 */
export function takeMedia(json: string, maxBytes: number): { json: string; media: MediaBlock[] } | undefined {
  if (!json.includes(MEDIA_KEY)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const media: MediaBlock[] = [];
  let count = 0;
  let bytes = 0;
  const replace = (block: { type: 'image' | 'audio'; mimeType: string; data: string }): string => {
    count += 1;
    const size = decodedBytes(block.data);
    const label = `${block.type} ${count}: ${block.mimeType}, ${formatBytes(size)}`;
    if (bytes + size > maxBytes) return `[${label}: not sent, over sandbox.maxMediaBytes]`;
    bytes += size;
    media.push({ type: block.type, mimeType: block.mimeType, data: block.data, index: count });
    return `[${label}]`;
  };
  // Depth-first in key and index order: the order JSON.stringify writes them, so placeholders and
  // content blocks come in the same order.
  const walk = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (isMediaBlock(node)) return replace(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i += 1) node[i] = walk(node[i]);
    } else {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const child = record[key];
        const next = walk(child);
        // defineProperty, not `=`: a `__proto__` key from JSON.parse is an own property, and
        // assigning to it would set the prototype instead.
        if (next !== child) Object.defineProperty(record, key, { value: next, writable: true, enumerable: true, configurable: true });
      }
    }
    return node;
  };
  const replaced = walk(value);
  if (count === 0) return undefined;
  return { json: JSON.stringify(replaced), media };
}

function isMediaBlock(node: object): node is { type: 'image' | 'audio'; mimeType: string; data: string } {
  const block = node as Record<string, unknown>;
  return (
    (block.type === 'image' || block.type === 'audio') &&
    typeof block.mimeType === 'string' &&
    typeof block.data === 'string' &&
    block.data.length % 4 === 0 &&
    BASE64.test(block.data)
  );
}

/** Bytes that base64 text decodes to. */
function decodedBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** `512 B`, `34 KB`, `2.1 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 2 ** 20) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}
