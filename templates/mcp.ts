// @runbyte/mcp: what a server offers besides tools, its resources and its prompts.
//
//   import { listResources, readResource, getPrompt } from '@runbyte/mcp';
//   const [first] = await listResources('docs');
//   const [contents] = await readResource('docs', first.uri);
//   const { messages } = await getPrompt('docs', 'summarize', { topic: 'billing' });
//
// Each function takes the server's name first (its folder under /servers). A server's
// /servers/<server>/README.md lists its resource templates and prompts, when it offers any.

/** A resource a server lists (`resources/list`). */
export interface Resource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  /** Bytes, when the server knows them. */
  size?: number;
}

/** A family of resources: fill in `uriTemplate` (RFC 6570, e.g. `file:///{path}`) and read it. */
export interface ResourceTemplate {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/**
 * What `readResource` resolves to, one entry per part: `text` for text, `blob` (base64) for bytes.
 * An image can be shown to the user by returning `{ type: 'image', data: part.blob, mimeType: part.mimeType }`.
 */
export interface ResourceContents {
  uri: string;
  mimeType?: string;
  text?: string;
  blob?: string;
}

/** A block a tool returns that points at a resource: pass it (or its `uri`) to `readResource`. */
export interface ResourceLink {
  type: 'resource_link';
  uri: string;
  name?: string;
  mimeType?: string;
}

/** A prompt a server lists (`prompts/list`). */
export interface Prompt {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; description?: string; required?: boolean }[];
}

/** One message of a prompt: `content` is a text, image, audio or resource block as the server sent it. */
export interface PromptMessage {
  role: 'user' | 'assistant';
  content: { type: string; text?: string; [key: string]: unknown };
}

/** What `getPrompt` resolves to. */
export interface PromptResult {
  description?: string;
  messages: PromptMessage[];
}

/** Thrown by every function here: the server is unknown, offers no resources or prompts, or answered with an error. */
export class McpError extends Error {
  readonly server: string;

  constructor(server: string, message: string) {
    super(message);
    this.name = 'McpError';
    this.server = server;
  }
}

/** Every resource the server lists (all pages). */
export function listResources(server: string): Promise<Resource[]> {
  return call<Resource[]>(server, 'listResources');
}

/** Every resource template the server lists (all pages). */
export function listResourceTemplates(server: string): Promise<ResourceTemplate[]> {
  return call<ResourceTemplate[]>(server, 'listResourceTemplates');
}

/**
 * Reads a resource: by its URI, or by the `resource_link` block a tool returned.
 * @example const [part] = await readResource('docs', 'docs://guide/intro'); return part.text;
 */
export async function readResource(server: string, resource: string | ResourceLink): Promise<ResourceContents[]> {
  const uri = typeof resource === 'string' ? resource : resource?.uri;
  if (typeof uri !== 'string') throw new McpError(server, '@runbyte/mcp: readResource takes a URI or a resource_link block');
  const result = await call<{ contents: ResourceContents[] }>(server, 'readResource', uri);
  return result.contents;
}

/** Every prompt the server lists (all pages). */
export function listPrompts(server: string): Promise<Prompt[]> {
  return call<Prompt[]>(server, 'listPrompts');
}

/**
 * A prompt's messages, with its arguments filled in (values are strings, as MCP sends them).
 * @example const { messages } = await getPrompt('docs', 'summarize', { topic: 'billing' });
 */
export function getPrompt(server: string, name: string, args: Record<string, string> = {}): Promise<PromptResult> {
  return call<PromptResult>(server, 'getPrompt', name, args);
}

// ---- The bridge to the host (src/serve/offerings.ts): arguments and replies cross as JSON. ----

type Reply = { ok: true; value: unknown } | { ok: false; message: string };
type Bridge = (server: string, op: string, ...args: unknown[]) => Promise<Reply>;

async function call<T>(server: string, op: string, ...args: unknown[]): Promise<T> {
  const bridge = (globalThis as { __runbyteMcp?: Bridge }).__runbyteMcp;
  if (typeof bridge !== 'function') throw new McpError(server, '@runbyte/mcp: servers are only reachable from code run by runbyte');
  const reply = await bridge(server, op, ...args);
  if (!reply.ok) throw new McpError(server, reply.message);
  return reply.value as T;
}
