// The host side of `@runbyte/mcp` (templates/mcp.ts): agent code lists and reads a server's
// resources and prompts through one host function, each request bounded and cancelled with its run.

import { fileURLToPath } from 'node:url';
import type { ExtraModule, RunHostFunction } from '../exec/index.js';
import type { Hub, OfferingRequest } from '../hub/index.js';
import { messageOf, RunbyteError } from '../shared/errors.js';
import { isObject } from '../shared/values.js';

/** The module agents import: `import { readResource } from '@runbyte/mcp'`. */
export const MCP_SPECIFIER = '@runbyte/mcp';
/** The guest global templates/mcp.ts calls: `__runbyteMcp(server, op, ...args)`. */
export const MCP_HOST_FUNCTION = '__runbyteMcp';
/** `@runbyte/mcp` → templates/mcp.ts: checked, bundled and shown by read_file like `@runbyte/fs`. */
export const MCP_MODULE: ExtraModule = {
  specifier: MCP_SPECIFIER,
  hostPath: fileURLToPath(new URL('../../templates/mcp.ts', import.meta.url)),
};

/** A reply of the host function; mirrors `Reply` in templates/mcp.ts. */
type Reply = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * The host function behind templates/mcp.ts. Its arguments come from agent code, so each is
 * checked here; every failure is a reply the module throws as an `McpError`, never a rejection.
 */
export function offeringsHost(hub: Hub): Record<string, RunHostFunction> {
  const host: RunHostFunction = async (run, server, op, ...args) => {
    try {
      if (typeof server !== 'string') throw new Error(`@runbyte/mcp: the server name must be a string, not ${typeof server}`);
      const value = await hub.offering(server, request(op, args), { signal: run.signal });
      return { ok: true, value } satisfies Reply;
    } catch (error) {
      const hints = error instanceof RunbyteError && error.suggestions.length > 0 ? ` (${error.suggestions.join('; ')})` : '';
      return { ok: false, message: `${messageOf(error)}${hints}` } satisfies Reply;
    }
  };
  return { [MCP_HOST_FUNCTION]: host };
}

function request(op: unknown, args: unknown[]): OfferingRequest {
  switch (op) {
    case 'listResources':
      return { method: 'resources/list' };
    case 'listResourceTemplates':
      return { method: 'resources/templates/list' };
    case 'listPrompts':
      return { method: 'prompts/list' };
    case 'readResource': {
      const [uri] = args;
      if (typeof uri !== 'string' || uri === '') throw new Error('@runbyte/mcp: readResource takes a URI or a resource_link block');
      return { method: 'resources/read', params: { uri } };
    }
    case 'getPrompt': {
      const [name, values] = args;
      if (typeof name !== 'string') throw new Error('@runbyte/mcp: getPrompt takes the name of a prompt');
      if (values !== undefined && !(isObject(values) && Object.values(values).every((value) => typeof value === 'string'))) {
        throw new Error(`@runbyte/mcp: the arguments of prompt ${JSON.stringify(name)} must be an object of strings`);
      }
      return { method: 'prompts/get', params: { name, ...(values === undefined ? {} : { arguments: values as Record<string, string> }) } };
    }
    default:
      throw new Error(`@runbyte/mcp: unknown operation ${JSON.stringify(op)}`);
  }
}
