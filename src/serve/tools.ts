import { DETAILS } from '../search/index.js';

/**
 * What the model sees of runbyte: four tools. Every character here is paid on every
 * conversation, so the descriptions teach the workflow in as few words as they can
 * (runbyte's fixed cost stays under 1,500 characters). A snapshot test pins them, and checks that
 * execute_code names every function of `@runbyte/fs` and the file that declares them
 * (test/serve/tools-snapshot.test.ts).
 */
export const TOOLS = [
  {
    name: 'list_directory',
    description: 'List a folder: /servers (typed SDK, a file per tool), /workspace (kept between runs).',
    inputSchema: {
      type: 'object',
      // withDescriptions: each tool file with its one-line description.
      properties: { path: { type: 'string' }, withDescriptions: { type: 'boolean' } },
      required: ['path'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'read_file',
    description: "Read a file, e.g. a tool's Args and Result types.",
    inputSchema: {
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    // Ranks every server's tools (src/search/); detail: name (server.tool), summary (default: and
    // the one-line description) or full (and the tool file's types). Each answer has its import lines.
    name: 'search_tools',
    description: 'Find tools by task; gives import lines, types with detail full.',
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string' }, detail: { enum: DETAILS }, server: { type: 'string' }, limit: { type: 'integer' } },
      required: ['query'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'execute_code',
    description:
      "Run TypeScript in a sandbox: `import { fn } from './servers/<server>'`, call tools, process data in code, return only what you need (JSON; top-level await). Type-checked. /workspace keeps files and .ts skills (import './workspace/...'); `import * as fs from '@runbyte/fs'` (readFile, writeFile, readJson, writeJson, listDir, stat, exists, remove; types in /node_modules/@runbyte/fs/index.ts).",
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
export const INSTRUCTIONS = 'Find tools with search_tools; call them in TypeScript with execute_code.';

export type ToolName = (typeof TOOLS)[number]['name'];
