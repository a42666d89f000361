import { describe, expect, it } from 'vitest';
import { bounded, isDataKey, MAX_NODES_PER_TOOL, merge, type Shape, shapeOf, size, toSchema } from '../../src/shapes/shape.js';

/** The schema learned from these values, in order. */
const learn = (...values: unknown[]) => toSchema(values.map(shapeOf).reduce<Shape | undefined>((all, shape) => merge(all, shape), undefined)!);

describe('shapes: learned from values, widened by merging', () => {
  it('a property missing in some results is optional; null makes it nullable; closed objects', () => {
    expect(learn({ id: 1, note: null, coupon: 'x' }, { id: 2, note: 'hi' })).toEqual({
      type: 'object',
      properties: { coupon: { type: 'string' }, id: { type: 'number' }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      required: ['id', 'note'],
      additionalProperties: false,
    });
  });

  it('differing kinds become a union; arrays merge their elements; an empty array has unknown elements', () => {
    expect((learn({ v: 1 }, { v: 'one' }) as { properties: unknown }).properties).toEqual({ v: { anyOf: [{ type: 'string' }, { type: 'number' }] } });
    expect(learn([{ a: 1 }, { b: true }])).toEqual({
      type: 'array',
      items: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'boolean' } }, required: [], additionalProperties: false },
    });
    expect(learn([])).toEqual({ type: 'array', items: {} });
  });

  it('keys that look like data make a map; a map met by named objects stays a map', () => {
    for (const key of ['123', '7f3a9c21e0', '2b8f4c0e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', '2026-12-01', 'ada@example.com', 'https://x.y', '/etc/hosts']) {
      expect(isDataKey(key)).toBe(true);
    }
    for (const key of ['id', 'user_id', 'createdAt', 'a1', 'SHA']) expect(isDataKey(key)).toBe(false);
    expect(learn({ '101': { n: 1 }, '202': { n: 2 } })).toEqual({
      type: 'object',
      additionalProperties: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false },
    });
    expect(learn({ '101': 1 }, { total: 2 })).toEqual({ type: 'object', additionalProperties: { type: 'number' } });
  });

  it('more than 64 names make a map; depth past 8 and widths past the caps are unknown', () => {
    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`field${i}`, i]));
    expect(learn(wide)).toEqual({ type: 'object', additionalProperties: { type: 'number' } });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 12; i++) deep = { next: deep };
    const schema = JSON.stringify(learn(deep));
    expect(schema).toContain('"next":{}');
    expect(schema).not.toContain('"string"');
  });

  it('merging never narrows, and the same values in any order give the same schema', () => {
    const values = [{ a: 1 }, { a: 'x', b: null }, { a: 2, b: [1] }];
    const forward = learn(...values);
    expect(learn(...[...values].reverse())).toEqual(forward);
    const before = learn(values[0]);
    const after = learn(...values);
    expect(JSON.stringify(after)).toContain(JSON.stringify((before as { properties: Record<string, unknown> }).properties.a));
  });

  it('a tool shape over the node budget loses its deepest levels, not its top', () => {
    const huge = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`k${i}`, Object.fromEntries(Array.from({ length: 60 }, (_, j) => [`f${j}`, { x: j }]))]),
    );
    const shape = shapeOf(huge);
    expect(size(shape)).toBeGreaterThan(MAX_NODES_PER_TOOL);
    const kept = bounded(shape);
    expect(size(kept)).toBeLessThanOrEqual(MAX_NODES_PER_TOOL);
    expect(Object.keys(kept.object!.props)).toHaveLength(60);
  });

  it('holds kinds and names only: no value of a result is in it', () => {
    const text = JSON.stringify(shapeOf({ token: 'ghp_SECRET', n: 42, list: ['p@ss'], nested: { key: 'sk-live-1' } }));
    for (const value of ['ghp_SECRET', '42', 'p@ss', 'sk-live-1']) expect(text).not.toContain(value);
  });
});
