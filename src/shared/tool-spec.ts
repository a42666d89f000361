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
}

/** Everything runbyte knows about one downstream server's tools. */
export interface ServerTools {
  /** The (validated, safe) server name from runbyte.json. */
  server: string;
  tools: ToolSpec[];
}
