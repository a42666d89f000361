/**
 * What the model sees of runbyte: three tools. Every character here is paid on every
 * conversation, so the descriptions teach the workflow in as few words as they can
 * (runbyte's fixed cost stays under 1,500 characters). A snapshot test pins them, and checks that
 * execute_code names every function of `@runbyte/fs` and the file that declares them
 * (test/serve/tools-snapshot.test.ts).
 */
export const TOOLS = [
  {
    name: 'list_directory',
    description: 'List a folder. /servers holds a typed TypeScript SDK, one file per MCP tool; /workspace keeps files between runs. Start at /servers.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        withDescriptions: { type: 'boolean', description: "add each tool's one-line description" },
      },
      required: ['path'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'read_file',
    description: "Read a file that list_directory shows, e.g. a tool's Args and Result types.",
    inputSchema: {
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'execute_code',
    description:
      "Run TypeScript in a sandbox: `import { fn } from './servers/<server>'`, call tools, filter and join their data in code, and return only what you need (JSON). Top-level await and return, or `async function exec()`. Type-checked first; console output is returned too. Keep files and reusable .ts skills in /workspace with `import * as fs from '@runbyte/fs'` (readFile, writeFile, readJson, writeJson, listDir, stat, exists, remove; types and FsError codes in /node_modules/@runbyte/fs/index.ts); import skills from './workspace/...'.",
    inputSchema: {
      type: 'object',
      properties: { code: { type: 'string' } },
      required: ['code'],
    },
    // It reaches whatever the configured servers reach.
    annotations: { openWorldHint: true },
  },
] as const;

/**
 * Sent once at `initialize`: the workflow in one line. Counted in the fixed cost with the tools.
 */
export const INSTRUCTIONS =
  'Find tools under /servers (list_directory, read_file), then call them from TypeScript with execute_code and return only what you need.';

export type ToolName = (typeof TOOLS)[number]['name'];
