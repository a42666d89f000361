import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/shared/tool-spec.js';
import { MAX_SCHEMA_CHARS, ResultChecks } from '../../src/hub/validate.js';

/** The text of the check's verdict on `value` for a tool with `schema`, or 'ok'. */
function verdict(schema: JsonSchema, value: unknown): string {
  const checks = new ResultChecks();
  checks.listed('s', [{ name: 't', inputSchema: { type: 'object' }, outputSchema: schema }]);
  const result = checks.check('s', 't', { content: [], structuredContent: value });
  if (!result.isError) return 'ok';
  return String(result.content?.[0].text).replace('server "s": tool "t" returned a result that does not match its outputSchema: ', '');
}

describe('the first bad field, in plain words', () => {
  it.each([
    [{ type: 'object', required: ['id'] }, {}, 'structuredContent.id is missing'],
    [{ type: 'object' }, 'text', 'structuredContent must be object (got string)'],
    [{ type: 'object' }, [], 'structuredContent must be object (got array)'],
    [{ type: ['string', 'null'] }, 3, 'structuredContent must be string or null (got number)'],
    [
      { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { 'unit price': { type: 'number' } } } } } },
      { items: [{ 'unit price': 1 }, { 'unit price': null }] },
      'structuredContent.items[1]["unit price"] must be number (got null)',
    ],
    [{ type: 'object', additionalProperties: false }, { extra: 1 }, 'structuredContent has a property the schema does not allow: "extra"'],
    [{ enum: ['c', 'f'] }, 'k', 'structuredContent must be one of "c", "f" (got "k")'],
    [{ type: 'integer', minimum: 0 }, -1, 'structuredContent must be >= 0 (got -1)'],
  ] as [JsonSchema, unknown, string][])('%j with %j', (schema, value, expected) => {
    expect(verdict(schema, value)).toBe(expected);
  });

  it('formats are not checked: they do not change the type a result is promised as', () => {
    expect(verdict({ type: 'string', format: 'date-time' }, 'yesterday')).toBe('ok');
  });
});

describe('schemas that are not checked', () => {
  it('a schema over the size limit is skipped', () => {
    const huge = { type: 'object', description: 'x'.repeat(MAX_SCHEMA_CHARS), properties: { n: { type: 'number' } } };
    expect(verdict(huge, { n: 'one' })).toBe('ok');
  });

  it('a re-listing with a changed schema checks against the new one', () => {
    const checks = new ResultChecks();
    const list = (type: string) => checks.listed('s', [{ name: 't', inputSchema: { type: 'object' }, outputSchema: { type } }]);
    list('number');
    expect(checks.check('s', 't', { structuredContent: 'a' }).isError).toBe(true);
    list('string');
    expect(checks.check('s', 't', { structuredContent: 'a' }).isError).toBeUndefined();
    checks.forget('s');
    list('string');
    expect(checks.check('s', 't', { structuredContent: 1 }).isError).toBe(true);
  });
});
