// templates/runtime.ts on its own, in Node (V8): the SDK is importable from ordinary programs too.
import { afterEach, describe, expect, it } from 'vitest';
import { callTool, setToolCaller, ToolError, toolValue, type ToolCallResult } from '../../templates/runtime.js';

afterEach(() => setToolCaller(undefined));

describe('toolValue', () => {
  const image = { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' };
  it.each<[string, ToolCallResult, unknown]>([
    ['structuredContent wins over text', { content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { b: 2 } }, { b: 2 }],
    ['falsy structuredContent is still the value', { content: [{ type: 'text', text: 'x' }], structuredContent: 0 }, 0],
    ['text that parses as JSON', { content: [{ type: 'text', text: '[1,"two"]' }] }, [1, 'two']],
    ['text that does not', { content: [{ type: 'text', text: 'hello' }] }, 'hello'],
    [
      'several text blocks, joined by newlines',
      {
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      'a\nb',
    ],
    ['an image among text: the blocks as they came', { content: [{ type: 'text', text: 'see' }, image] }, [{ type: 'text', text: 'see' }, image]],
    ['no content', { content: [] }, null],
  ])('%s', (_name, result, expected) => {
    expect(toolValue('s', 't', result)).toEqual(expected);
  });

  it('isError throws a ToolError naming server and tool, with the server message', () => {
    const result = { isError: true, content: [{ type: 'text', text: 'no such file' }] };
    expect(() => toolValue('filesystem', 'read_file', result)).toThrow(new ToolError('filesystem', 'read_file', result));
    expect(() => toolValue('filesystem', 'read_file', result)).toThrow('filesystem.read_file failed: no such file');
    expect(() => toolValue('x', 'y', { isError: true })).toThrow('x.y failed: the server gave no message');
  });
});

describe('callTool', () => {
  it('fails clearly when no caller is bound', async () => {
    await expect(callTool('s', 't')).rejects.toThrow(/no tool caller is bound/);
  });

  it('a failed call carries the frames of the code that made it', async () => {
    setToolCaller(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { isError: true, content: [{ type: 'text', text: 'denied' }] };
    });
    async function agentCode() {
      return callTool('github', 'create_issue', {});
    }
    const error = (await agentCode().catch((caught: unknown) => caught)) as ToolError;
    expect(error).toBeInstanceOf(ToolError);
    expect(error.message).toBe('github.create_issue failed: denied');
    expect(error.stack).toMatch(/^ToolError: github\.create_issue failed: denied\n/);
    expect(error.stack).toMatch(/at agentCode \(.*runtime\.test\.ts:\d+:\d+\)/);
  });

  it('so does a rejection of the caller itself', async () => {
    setToolCaller(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw new Error('server "github" exited during tool "x"');
    });
    async function agentCode() {
      return callTool('github', 'x');
    }
    const error = (await agentCode().catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe('server "github" exited during tool "x"');
    expect(error.stack).toMatch(/at agentCode \(.*runtime\.test\.ts:\d+:\d+\)/);
  });
});
