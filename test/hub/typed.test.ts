import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Hub } from '../../src/hub/index.js';
import { setDebug } from '../../src/shared/log.js';
import { fixtureServer } from '../helpers/servers.js';

let hub: Hub;
beforeAll(async () => {
  hub = new Hub([fixtureServer('weather', 'typed.js')], { connectTimeoutMs: 10_000 });
  expect(await hub.start()).toEqual([]);
  await hub.listTools('weather');
});
afterAll(() => hub.close());
afterEach(() => vi.restoreAllMocks());

const mismatch = (problem: string) => ({
  content: [{ type: 'text', text: `server "weather": tool "forecast" returned a result that does not match its outputSchema: ${problem}` }],
  isError: true,
});

describe('callTool: structuredContent against the outputSchema', () => {
  it('a result that breaks its outputSchema becomes an isError result naming the server, the tool and the field', async () => {
    expect(await hub.callTool('weather', 'forecast', { city: 'Oslo', broken: true })).toEqual(
      mismatch('structuredContent.temperature must be number (got string)'),
    );
  });

  it('a result that matches passes unchanged', async () => {
    expect(await hub.callTool('weather', 'forecast', { city: 'Oslo' })).toEqual({
      content: [{ type: 'text', text: '{"city":"Oslo","temperature":21}' }],
      structuredContent: { city: 'Oslo', temperature: 21 },
    });
  });

  it('isError results, tools without an outputSchema and results without structuredContent are passed as sent', async () => {
    expect(await hub.callTool('weather', 'fail', {})).toMatchObject({ isError: true, structuredContent: { temperature: 'n/a' } });
    expect((await hub.callTool('weather', 'untyped', {})).structuredContent).toEqual({ temperature: '21' });
    const missing = await hub.callTool('weather', 'missing', {});
    expect(missing.isError).toBeUndefined();
    expect(missing.content?.[0].text).toBe('{"city":"Oslo","temperature":"cold"}');
  });

  it('a schema that does not compile disables the check for that tool, with a --debug line, and the call works', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    setDebug(true);
    try {
      const result = await hub.callTool('weather', 'hostile', {});
      expect(result.isError).toBeUndefined();
      expect(result.structuredContent).toEqual({ temperature: 'warm' });
    } finally {
      setDebug(false);
    }
    expect(lines.join('')).toContain('server "weather": tool "hostile": its outputSchema does not compile');
  });

  it('a pattern that could backtrack for ever is not compiled: a crafted string returns at once', async () => {
    const started = Date.now();
    const result = await hub.callTool('weather', 'redos', { text: `${'a'.repeat(40)}!` });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.structuredContent).toEqual({ text: `${'a'.repeat(40)}!` });
  });

  it('a tool is checked only once listed: calls before the listing, or on a server never listed, pass as sent', async () => {
    const fresh = new Hub([fixtureServer('weather', 'typed.js')], { connectTimeoutMs: 10_000 });
    try {
      expect(await fresh.start()).toEqual([]);
      expect((await fresh.callTool('weather', 'forecast', { city: 'Oslo', broken: true })).structuredContent).toEqual({
        city: 'Oslo',
        temperature: '21',
      });
      await fresh.listTools('weather');
      expect((await fresh.callTool('weather', 'forecast', { city: 'Oslo', broken: true })).isError).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});
