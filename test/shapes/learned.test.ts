// Result types learned from real calls, end to end through the built CLI: `run` records shapes,
// `generate` types the results, misuse fails the type check, `--no-learned` restores Untyped.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.js';
import { FIXTURE_SERVERS } from '../helpers/servers.js';

let dir: string;

function run(file: string, code: string) {
  writeFileSync(join(dir, file), code);
  return runCli(['run', file], { cwd: dir });
}

const CALLS = `import { feed, inventory, order, plain, secret } from './servers/untyped';
const orders = [];
for (const n of [1, 2, 3, 4]) orders.push(await order({ n }));
return { orders: orders.length, inventory: await inventory(), feed: await feed(), secret: await secret(), plain: await plain() };
`;

beforeAll(async () => {
  dir = tempProject({ mcpServers: { untyped: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'untyped.js')] } } }, 'learned');
  // The first run generates the SDK (all Untyped), then records the shapes of what it got.
  const first = await run('calls.ts', CALLS);
  expect(first.code, first.stderr).toBe(0);
}, 60_000);

describe('learned result types', () => {
  it('records shapes, never values: the shapes file holds no secret, no string a result held', () => {
    const text = readFileSync(join(dir, '.runbyte/shapes/untyped.json'), 'utf8');
    for (const value of ['SECRET', 'hunter2', 'ghp_', 'sk-live', 'leave at the door', 'SPRING', 'bolt', 'example.com', 'just words', 'Hello']) {
      expect(text).not.toContain(value);
    }
    const file = JSON.parse(text) as { tools: Record<string, unknown> };
    expect(Object.keys(file.tools).sort()).toEqual(['feed', 'inventory', 'order', 'plain', 'secret']);
  });

  it('generate types each result from its shapes: optional and nullable fields, mixed arrays, data-keyed maps', async () => {
    const generated = await runCli(['generate'], { cwd: dir });
    expect(generated.code, generated.stderr).toBe(0);
    const order = readFileSync(join(dir, 'generated/servers/untyped/order.ts'), 'utf8');
    expect(order).toContain('/** Learned from 4 results; the server declares no outputSchema. */');
    expect(order).toContain('export function order(args: OrderArgs): Promise<OrderResult>');
    expect(order).toMatch(/coupon\?: string;/);
    expect(order).toMatch(/note: string \| null;/);
    expect(order).toMatch(/gift\?: boolean;/);
    expect(order).toMatch(/total: number;/);
    const inventory = readFileSync(join(dir, 'generated/servers/untyped/inventory.ts'), 'utf8');
    expect(inventory).toContain('export type InventoryResult = Record<string, { count: number; name: string }>;');
    const feed = readFileSync(join(dir, 'generated/servers/untyped/feed.ts'), 'utf8');
    expect(feed).toContain('export type FeedResult = { kind: string; title?: string; url?: string; width?: number }[];');
    expect(readFileSync(join(dir, 'generated/servers/untyped/plain.ts'), 'utf8')).toContain('export type PlainResult = string;');

    // The same shapes file gives the same SDK.
    const again = await runCli(['generate', '--check'], { cwd: dir });
    expect(again.code, again.stdout).toBe(0);
  }, 60_000);

  it('misuse of a learned result fails the type check at the agent line; correct code passes', async () => {
    const typo = await run('typo.ts', "import { order } from './servers/untyped';\nconst r = await order({ n: 1 });\nreturn r.totl;\n");
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/typo\.ts\(3,10\): error TS2551: Property 'totl' does not exist on type 'OrderResult'\. Did you mean 'total'\?/);
    const items = await run('items.ts', "import { order } from './servers/untyped';\nconst r = await order({ n: 2 });\nreturn r.items.map((i) => i.nme);\n");
    expect(items.code).toBe(1);
    expect(items.stderr).toContain(
      "items.ts(3,29): error TS2339: Property 'nme' does not exist on type '{ gift?: boolean | undefined; qty: number; sku: string; }'.",
    );
    const good = await run(
      'good.ts',
      "import { inventory, order } from './servers/untyped';\nconst r = await order({ n: 2 });\nconst stock = await inventory();\nreturn { total: r.total, skus: r.items.map((i) => i.sku), gift: r.items.some((i) => i.gift === true), note: r.note ?? 'none', counts: Object.values(stock).map((s) => s.count) };\n",
    );
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ total: 25, skus: ['sku-2', 'wrap'], gift: true, note: 'leave at the door', counts: [3, 0] });
  }, 60_000);

  it('a later result that contradicts the type widens it; --no-learned restores Untyped; outputSchemas in runbyte.json win', async () => {
    // order({ n: -2 }): its total is a string, which the learned type said could not be.
    const pending = await run('more.ts', "import { order } from './servers/untyped';\nconst r = await order({ n: -2 });\nreturn r.total;\n");
    expect(pending).toMatchObject({ code: 0, stdout: '"pending"\n' });
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const order = readFileSync(join(dir, 'generated/servers/untyped/order.ts'), 'utf8');
    expect(order).toMatch(/Learned from \d+ results/);
    expect(order).toMatch(/total: string \| number;|total: number \| string;/);
    expect(order).toMatch(/coupon\?: string;/);

    expect((await runCli(['generate', '--no-learned'], { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, 'generated/servers/untyped/order.ts'), 'utf8')).toContain('Promise<Untyped>');

    const config = JSON.parse(readFileSync(join(dir, 'runbyte.json'), 'utf8')) as Record<string, unknown>;
    config.outputSchemas = { 'untyped.order': { type: 'object', properties: { id: { type: 'number' } }, required: ['id'] } };
    writeFileSync(join(dir, 'runbyte.json'), JSON.stringify(config));
    expect((await runCli(['generate'], { cwd: dir })).code).toBe(0);
    const typed = readFileSync(join(dir, 'generated/servers/untyped/order.ts'), 'utf8');
    expect(typed).toContain('Typed by runbyte.json "outputSchemas"');
    expect(typed).not.toContain('coupon');
  }, 60_000);
});

describe('runbyte call records shapes too', () => {
  it('a call of an untyped tool from the shell joins its shapes file', async () => {
    const fresh = tempProject({ mcpServers: { untyped: { command: process.execPath, args: [join(FIXTURE_SERVERS, 'untyped.js')] } } }, 'learned-call');
    const called = await runCli(['call', 'untyped.feed'], { cwd: fresh });
    expect(called.code, called.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(fresh, '.runbyte/shapes/untyped.json'), 'utf8')) as { tools: Record<string, unknown> };
    expect(Object.keys(file.tools)).toEqual(['feed']);
  }, 30_000);
});
