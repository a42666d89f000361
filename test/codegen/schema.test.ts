import { describe, expect, it } from 'vitest';
import { schemaToTypeScript } from '../../src/codegen/index.js';
import type { JsonSchema } from '../../src/shared/tool-spec.js';

function typeOf(schema: unknown): string {
  return schemaToTypeScript(schema as JsonSchema).type;
}

function declarationsOf(schema: unknown): string[] {
  return schemaToTypeScript(schema as JsonSchema).declarations;
}

const object = (properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required,
  ...extra,
});

describe('schema → type: scalars and literals', () => {
  it.each<[string, unknown, string]>([
    ['string', { type: 'string' }, 'string'],
    ['format stays a string', { type: 'string', format: 'date-time' }, 'string'],
    ['integer is a number', { type: 'integer' }, 'number'],
    ['number', { type: 'number', minimum: 1 }, 'number'],
    ['boolean', { type: 'boolean' }, 'boolean'],
    ['null', { type: 'null' }, 'null'],
    ['true schema', true, 'unknown'],
    ['false schema', false, 'never'],
    ['empty schema', {}, 'unknown'],
    ['type array', { type: ['string', 'null'] }, 'string | null'],
    ['type array, deduplicated', { type: ['integer', 'number'] }, 'number'],
    ['nullable (OpenAPI)', { type: 'string', nullable: true }, 'string | null'],
    ['string enum', { enum: ['a', 'b'] }, "'a' | 'b'"],
    ['enum with quotes', { enum: ["it's", 'say "hi"', 'back\\slash'] }, `'it\\'s' | 'say "hi"' | 'back\\\\slash'`],
    ['enum with line terminators', { enum: ['a\nb', 'c\u2028d'] }, "'a\\nb' | 'c\\u2028d'"],
    ['enum with template syntax', { enum: ['${x}', '`y`'] }, "'${x}' | '`y`'"],
    ['mixed enum', { enum: [1, -2.5, true, null, 'x'] }, "1 | -2.5 | true | null | 'x'"],
    ['enum of objects', { enum: [{ a: 1 }, [1, 'b']] }, "{ a: 1 } | [1, 'b']"],
    ['empty enum', { enum: [] }, 'never'],
    ['enum wins over type', { type: 'string', enum: ['a'] }, "'a'"],
    ['const', { const: 'fixed' }, "'fixed'"],
    ['const number', { const: 42 }, '42'],
    ['const null', { const: null }, 'null'],
  ])('%s', (_, schema, want) => {
    expect(typeOf(schema)).toBe(want);
  });
});

describe('schema → type: arrays and tuples', () => {
  it.each<[string, unknown, string]>([
    ['array of strings', { type: 'array', items: { type: 'string' } }, 'string[]'],
    ['array without items', { type: 'array' }, 'unknown[]'],
    ['items imply an array', { items: { type: 'number' } }, 'number[]'],
    ['array of a union', { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } }, '(string | number)[]'],
    ['array of arrays', { type: 'array', items: { type: 'array', items: { type: 'boolean' } } }, 'boolean[][]'],
    ['tuple (prefixItems)', { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }], minItems: 2 }, '[number, string]'],
    ['tuple, optional tail', { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }], minItems: 1 }, '[number, string?]'],
    ['tuple without minItems', { type: 'array', prefixItems: [{ type: 'number' }] }, '[number?]'],
    ['tuple with rest', { type: 'array', prefixItems: [{ type: 'number' }], items: { type: 'string' }, minItems: 1 }, '[number, ...string[]]'],
    ['draft-4 tuple (items array)', { type: 'array', items: [{ type: 'boolean' }, { type: 'null' }], minItems: 2 }, '[boolean, null]'],
    ['draft-4 tuple, additionalItems', { items: [{ type: 'boolean' }], additionalItems: { type: 'number' }, minItems: 1 }, '[boolean, ...number[]]'],
    ['optional union element', { prefixItems: [{ type: ['string', 'null'] }] }, '[(string | null)?]'],
    ['empty closed tuple', { type: 'array', prefixItems: [], items: false }, '[]'],
  ])('%s', (_, schema, want) => {
    expect(typeOf(schema)).toBe(want);
  });
});

describe('schema → type: objects', () => {
  it.each<[string, unknown, string]>([
    ['required and optional', object({ a: { type: 'string' }, b: { type: 'number' } }, ['a']), '{ a: string; b?: number }'],
    ['properties imply an object', { properties: { a: { type: 'string' } } }, '{ a?: string }'],
    ['no properties: any keys', { type: 'object' }, 'Record<string, unknown>'],
    ['empty properties: any keys', object({}), 'Record<string, unknown>'],
    ['closed and empty', { type: 'object', additionalProperties: false }, 'Record<string, never>'],
    ['additionalProperties schema', { type: 'object', additionalProperties: { type: 'string' } }, 'Record<string, string>'],
    ['additionalProperties true', { type: 'object', additionalProperties: true }, 'Record<string, unknown>'],
    ['patternProperties', { type: 'object', patternProperties: { '^x-': { type: 'number' }, '^y-': { type: 'boolean' } } }, 'Record<string, number | boolean>'],
    [
      'properties and a typed index: widened to fit',
      object({ id: { type: 'number' } }, ['id'], { additionalProperties: { type: 'string' } }),
      '{ id: number; [key: string]: string | number }',
    ],
    ['properties, closed: no index', object({ a: { type: 'string' } }, ['a'], { additionalProperties: false }), '{ a: string }'],
    ['properties, open: no index (typos still fail)', object({ a: { type: 'string' } }, [], { additionalProperties: true }), '{ a?: string }'],
    ['required without a property schema', object({}, ['mustExist']), '{ mustExist: unknown }'],
    ['object or null', { type: ['object', 'null'], properties: { a: { type: 'string' } } }, '{ a?: string } | null'],
    [
      'non-identifier names are quoted',
      object({ 'kebab-case': { type: 'string' }, "it's": {}, '0': {} }),
      "{ '0'?: unknown; 'kebab-case'?: string; 'it\\'s'?: unknown }",
    ],
    ['identifier names are not', object({ $ok: {}, _ok: {}, camelCase: {} }), '{ $ok?: unknown; _ok?: unknown; camelCase?: unknown }'],
    ['reserved words stay unquoted', object({ delete: { type: 'boolean' }, class: { type: 'string' } }), '{ delete?: boolean; class?: string }'],
    ['property schema true / false', object({ any: true, none: false }, ['any']), '{ any: unknown; none?: never }'],
  ])('%s', (_, schema, want) => {
    expect(typeOf(schema)).toBe(want);
  });

  it('keeps a __proto__ property (JSON.parse makes it an own property)', () => {
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}},"required":["__proto__"]}');
    expect(typeOf(schema)).toBe('{ __proto__: string }');
  });

  it('puts descriptions on properties as JSDoc, one member per line', () => {
    const schema = object(
      {
        path: { type: 'string', description: 'Path of the file.' },
        options: object({ recursive: { type: 'boolean', description: 'Descend into folders.\nSlow on big trees.' } }),
      },
      ['path'],
    );
    expect(typeOf(schema)).toBe(
      [
        '{',
        '  /** Path of the file. */',
        '  path: string;',
        '  options?: {',
        '    /**',
        '     * Descend into folders.',
        '     * Slow on big trees.',
        '     */',
        '    recursive?: boolean;',
        '  };',
        '}',
      ].join('\n'),
    );
  });

  it('escapes descriptions and adds @default and @deprecated', () => {
    const schema = object({
      a: { type: 'number', default: 30, description: 'Per page */ hi' },
      b: { type: 'boolean', deprecated: true },
      c: { type: 'number', default: 1, description: 'Page (default: 1)' },
    });
    expect(typeOf(schema)).toBe(
      [
        '{',
        '  /**',
        '   * Per page *\\/ hi',
        '   * @default 30',
        '   */',
        '  a?: number;',
        '  /** @deprecated */',
        '  b?: boolean;',
        '  /** Page (default: 1) */',
        '  c?: number;',
        '}',
      ].join('\n'),
    );
  });

  it('breaks long objects over lines', () => {
    const properties = Object.fromEntries(['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'].map((n) => [n, { type: 'string' }]));
    expect(typeOf(object(properties))).toBe(
      `{\n${Object.keys(properties)
        .map((n) => `  ${n}?: string;`)
        .join('\n')}\n}`,
    );
  });
});

describe('schema → type: composition', () => {
  it.each<[string, unknown, string]>([
    ['anyOf', { anyOf: [{ type: 'string' }, { type: 'number' }] }, 'string | number'],
    ['oneOf', { oneOf: [{ const: 'a' }, { const: 'b' }] }, "'a' | 'b'"],
    ['anyOf deduplicated', { anyOf: [{ type: 'string' }, { type: 'string' }] }, 'string'],
    ['anyOf with true absorbs', { anyOf: [{ type: 'string' }, true] }, 'unknown'],
    ['anyOf with false drops it', { anyOf: [{ type: 'string' }, false] }, 'string'],
    ['allOf', { allOf: [object({ a: { type: 'string' } }, ['a']), object({ b: { type: 'number' } })] }, '{ a: string } & { b?: number }'],
    ['allOf of unions', { allOf: [{ anyOf: [{ type: 'string' }, { type: 'number' }] }, { type: 'number' }] }, '(string | number) & number'],
    ['allOf with an empty schema', { allOf: [{ type: 'string' }, {}] }, 'string'],
    [
      'base and variants',
      { type: 'object', properties: { id: { type: 'string' } }, oneOf: [{ required: ['id'] }, { required: ['name'] }] },
      '{ id?: string } & ({ id: unknown } | { name: unknown })',
    ],
    ['variants without types add nothing', { type: 'string', anyOf: [{ format: 'email' }, { format: 'uri' }] }, 'string'],
    ['nullable union', { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }] }, 'string | null'],
  ])('%s', (_, schema, want) => {
    expect(typeOf(schema)).toBe(want);
  });
});

describe('schema → type: $ref and $defs', () => {
  it('a $defs reference becomes a named, exported type', () => {
    const schema = {
      type: 'object',
      properties: { item: { $ref: '#/$defs/Item' } },
      $defs: { Item: { type: 'object', description: 'One item.', properties: { id: { type: 'string' } }, required: ['id'] } },
    };
    expect(typeOf(schema)).toBe('{ item?: TItem }');
    expect(declarationsOf(schema)).toEqual(['/** One item. */\nexport interface TItem {\n  id: string;\n}']);
  });

  it('definitions (draft-7) too, and unused definitions are left out', () => {
    const schema = { properties: { a: { $ref: '#/definitions/A' } }, definitions: { A: { type: 'string' }, Unused: { type: 'number' } } };
    expect(typeOf(schema)).toBe('{ a?: TA }');
    expect(declarationsOf(schema)).toEqual(['export type TA = string;']);
  });

  it('recursive definitions', () => {
    const schema = {
      properties: { tree: { $ref: '#/$defs/Node' } },
      $defs: { Node: { type: 'object', properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
    };
    expect(declarationsOf(schema)).toEqual(['export interface TNode {\n  value?: string;\n  children?: TNode[];\n}']);
  });

  it('mutually recursive definitions', () => {
    const schema = {
      properties: { ping: { $ref: '#/$defs/Ping' } },
      $defs: { Ping: { properties: { pong: { $ref: '#/$defs/Pong' } } }, Pong: { properties: { ping: { $ref: '#/$defs/Ping' } } } },
    };
    expect(declarationsOf(schema)).toEqual(['export interface TPing {\n  pong?: TPong;\n}', 'export interface TPong {\n  ping?: TPing;\n}']);
  });

  it('a recursive JSON value type avoids Record (an alias may not reference itself through it)', () => {
    const schema = {
      $ref: '#/$defs/Json',
      $defs: {
        Json: {
          anyOf: [{ type: 'string' }, { type: 'array', items: { $ref: '#/$defs/Json' } }, { type: 'object', additionalProperties: { $ref: '#/$defs/Json' } }],
        },
      },
    };
    expect(declarationsOf(schema)).toEqual(['export type TJson = string | TJson[] | { [key: string]: TJson };']);
  });

  it('a reference to the root is the root type', () => {
    expect(typeOf({ properties: { parent: { $ref: '#' } } })).toBe('{ parent?: T }');
  });

  it('aliases of themselves become unknown', () => {
    const schema = { properties: { a: { $ref: '#/$defs/A' } }, $defs: { A: { $ref: '#/$defs/B' }, B: { anyOf: [{ $ref: '#/$defs/A' }, { type: 'string' }] } } };
    expect(declarationsOf(schema)).toEqual(['export type TA = unknown /* cyclic $ref */;', 'export type TB = unknown /* cyclic $ref */;']);
    expect(typeOf({ $ref: '#' })).toBe('unknown /* cyclic $ref */');
  });

  it.each<[string, unknown, string]>([
    ['missing definition', { $ref: '#/$defs/Missing' }, 'unknown /* unresolved $ref */'],
    ['remote reference', { $ref: 'https://example.com/schema.json' }, 'unknown /* unresolved $ref */'],
    ['not a string', { $ref: 42 }, 'unknown /* invalid $ref */'],
    ['other pointer: inlined', { properties: { a: { type: 'string' }, b: { $ref: '#/properties/a' } } }, '{ a?: string; b?: string }'],
    ['pointer cycle', { properties: { a: { $ref: '#/properties/a' } } }, '{ a?: unknown /* cyclic $ref */ }'],
    ['escaped pointer tokens', { properties: { a: { $ref: '#/$defs/a~1b~0c' } }, $defs: { 'a/b~c': { type: 'number' } } }, '{ a?: TABC }'],
  ])('%s', (_, schema, want) => {
    expect(typeOf(schema)).toBe(want);
  });

  it('a definition whose name is taken gets a hash suffix', () => {
    const schema = { properties: { a: { $ref: '#/$defs/A' }, b: { $ref: '#/$defs/a' } }, $defs: { A: { type: 'string' }, a: { type: 'number' } } };
    const { type, declarations } = schemaToTypeScript(schema as JsonSchema);
    expect(type).toMatch(/^\{ a\?: TA; b\?: TA_[0-9a-f]{4} \}$/);
    expect(declarations).toHaveLength(2);
  });
});

describe('schema → type: malformed and hostile schemas', () => {
  it.each<[string, unknown, string]>([
    ['type is a number', { type: 42 }, 'unknown /* invalid type */'],
    ['unknown type name', { type: 'file' }, 'unknown /* unsupported type */'],
    ['empty type array', { type: [] }, 'unknown /* invalid type */'],
    ['schema is null', null, 'unknown /* invalid schema */'],
    ['schema is a string', 'string', 'unknown /* invalid schema */'],
    ['schema is an array', [{ type: 'string' }], 'unknown /* invalid schema */'],
    ['items is a number', { type: 'array', items: 5 }, 'unknown /* invalid schema */[]'],
    ['enum is a string', { enum: 'abc' }, 'unknown /* invalid enum */'],
    ['anyOf is empty', { anyOf: [] }, 'unknown /* invalid anyOf */'],
    ['allOf is a string', { allOf: 'x' }, 'unknown /* invalid allOf */'],
    ['properties is a string', { type: 'object', properties: 'nope' }, 'Record<string, unknown>'],
    ['required is a string', object({ a: { type: 'string' } }, 'a' as unknown as string[]), '{ a?: string }'],
    ['only unsupported keywords', { not: { type: 'string' } }, 'unknown'],
  ])('%s', (_, schema, want) => {
    expect(typeOf(schema)).toBe(want);
  });

  it('guards depth', () => {
    let schema: unknown = { type: 'string' };
    for (let i = 0; i < 100; i++) schema = { type: 'array', items: schema };
    expect(typeOf(schema)).toBe(`${'unknown /* too deep */'}${'[]'.repeat(25)}`);
  });

  it('guards exponential inlining of pointers', () => {
    const properties: Record<string, unknown> = { p0: { type: 'string' } };
    for (let i = 1; i < 30; i++) properties[`p${i}`] = { type: 'array', prefixItems: [{ $ref: `#/properties/p${i - 1}` }, { $ref: `#/properties/p${i - 1}` }] };
    const text = typeOf({ type: 'object', properties });
    expect(text).toContain('unknown /* schema too large */');
    expect(text.length).toBeLessThan(100_000);
  });

  it('never produces any', () => {
    const schemas: unknown[] = [{ type: 'any' }, { type: ['any'] }, { items: { type: 'any' } }, true, {}];
    for (const schema of schemas) expect(typeOf(schema)).not.toMatch(/\bany\b(?! \*\/)/);
  });
});
