// Images reach the model as images (README.md, "The four tools"): through a real `serve` over
// stdio, a run that returns server-everything's image block gives the client the JSON with a
// placeholder, then that image as an MCP image block with the very bytes the tool sent.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_MODULES, reference, tempProject } from '../helpers/cli.js';
import { serveStdio, texts, type Served } from '../helpers/serve.js';

let served: Served;

beforeAll(async () => {
  served = await serveStdio(tempProject({ mcpServers: { everything: reference.everything() }, server: { timeout: 10 } }, 'media'));
}, 90_000);
afterAll(() => served?.close());

describe('execute_code: media in the value', () => {
  it('sends the image of a tool result as an image block after the JSON, a placeholder in its place', async () => {
    const { client } = served;
    const listing = texts(await client.callTool({ name: 'list_directory', arguments: { path: '/servers/everything' } }))[0]!;
    expect(listing).toContain('getTinyImage.ts');
    const code = [
      "import { getTinyImage } from './servers/everything';",
      'const blocks = await getTinyImage({});',
      "console.log('blocks', blocks.length);",
      "return { n: 2, shot: blocks.find((block: { type: string }) => block.type === 'image') };",
    ].join('\n');
    const result = (await client.callTool({ name: 'execute_code', arguments: { code } })) as {
      isError?: boolean;
      content: { type: string; text?: string; data?: string; mimeType?: string }[];
    };
    expect(result.isError, JSON.stringify(result).slice(0, 2000)).toBeFalsy();

    const { MCP_TINY_IMAGE } = (await import(
      pathToFileURL(join(NODE_MODULES, '@modelcontextprotocol/server-everything/dist/tools/get-tiny-image.js')).href
    )) as { MCP_TINY_IMAGE: string };
    const kb = Math.round(Buffer.from(MCP_TINY_IMAGE, 'base64').length / 1024);
    expect(result.content).toEqual([
      { type: 'text', text: `{"n":2,"shot":"[image 1: image/png, ${kb} KB]"}` },
      { type: 'image', data: MCP_TINY_IMAGE, mimeType: 'image/png' },
      { type: 'text', text: 'console:\nblocks 3' },
      // What the script could call: the tools its imports name.
      { type: 'text', text: 'tools: everything.get-tiny-image' },
    ]);
  });
});

describe('execute_code: sandbox.maxMediaBytes from runbyte.json', () => {
  let capped: Served;
  beforeAll(async () => {
    capped = await serveStdio(
      tempProject({ mcpServers: { everything: reference.everything() }, server: { timeout: 10 }, sandbox: { maxMediaBytes: 10 } }, 'media-cap'),
    );
  }, 90_000);
  afterAll(() => capped?.close());

  it('keeps an image over the configured cap as a placeholder that says so, and sends no image block', async () => {
    const code =
      "import { getTinyImage } from './servers/everything';\nconst blocks = await getTinyImage({});\nreturn blocks.find((block: { type: string }) => block.type === 'image');";
    const result = (await capped.client.callTool({ name: 'execute_code', arguments: { code } })) as { content: { type: string; text?: string }[] };
    expect(result.content.map((block) => block.type)).toEqual(['text', 'text']);
    expect(result.content[0]!.text).toMatch(/^"\[image 1: image\/png, \d+ KB: not sent, over sandbox\.maxMediaBytes\]"$/);
  });
});
