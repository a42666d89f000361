/**
 * runbyte's own description of a tool, independent of the MCP SDK's types.
 * hub/ produces it from `tools/list`; codegen/ consumes it.
 */

/** A JSON Schema as a server sent it: untrusted, possibly malformed. */
export type JsonSchema = boolean | { [key: string]: unknown };

export interface ToolSpec {
  /** The name exactly as the server spelled it; this is what goes on the wire. */
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  /**
   * The server's hints about the tool, as sent: only the known keys with the right type are
   * kept (hub/ drops the rest), `false` included, since a flip from `false` to `true` must change
   * the tool's hash in the lock. Absent when the server sent none of them.
   */
  annotations?: ToolAnnotations;
  /**
   * `execution.taskSupport` when the server sent `required` or `optional`: a `required` tool is
   * called as an MCP task (hub/). Part of the tool's hash, like the annotations.
   */
  taskSupport?: 'required' | 'optional';
}

/** MCP `ToolAnnotations`: hints a client may show, never guarantees (they come from the server). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * Everything runbyte knows about one downstream server's tools, and what else it offers. The
 * optional parts are absent when the server sent none (or did not declare the capability); all
 * of their text is untrusted.
 */
export interface ServerTools {
  /** The (validated, safe) server name from runbyte.json. */
  server: string;
  tools: ToolSpec[];
  /** The `instructions` of the server's initialize result, as sent. */
  instructions?: string;
  /** `resources/list`, every page. */
  resources?: ResourceSpec[];
  /** `resources/templates/list`, every page. */
  resourceTemplates?: ResourceTemplateSpec[];
  /** `prompts/list`, every page. */
  prompts?: PromptSpec[];
  /**
   * Types for the results of tools the server gives no outputSchema, by tool name: from
   * runbyte.json's `outputSchemas`, or learned from the shapes of real results (shapes/). They
   * type the generated function only: a result is never checked against them.
   */
  resultTypes?: Record<string, ResultType>;
}

/** A result type runbyte supplies for a tool without an outputSchema, and where it comes from. */
export interface ResultType {
  schema: JsonSchema;
  /** Learned from this many results, or given by runbyte.json's `outputSchemas`. */
  from: { results: number } | 'outputSchemas';
}

/** One entry of `resources/list`: only what the SDK's README shows. */
export interface ResourceSpec {
  uri: string;
  name?: string;
  description?: string;
}

/** One entry of `resources/templates/list`. */
export interface ResourceTemplateSpec {
  uriTemplate: string;
  name?: string;
  description?: string;
}

/** One entry of `prompts/list`. */
export interface PromptSpec {
  name: string;
  description?: string;
  arguments?: PromptArgumentSpec[];
}

export interface PromptArgumentSpec {
  name: string;
  required?: boolean;
}

/** One content block of a tool result (text, image, audio, resource, ...), as sent. */
export interface ToolContent {
  type: string;
  text?: string;
  [key: string]: unknown;
}

/**
 * A `tools/call` result exactly as the server sent it: `isError` results are returned, not thrown,
 * and `structuredContent` is not checked against the tool's outputSchema. The same shape as
 * `ToolCallResult` in templates/runtime.ts, which stays self-contained because it ships in every SDK.
 */
export interface ToolCallResult {
  content?: ToolContent[];
  structuredContent?: unknown;
  isError?: boolean;
  [key: string]: unknown;
}
