// The shapes file's writer: what is recorded reaches the disk when the process closes, including a
// value that was still being worked out at that moment (a `run` that ends right after its call).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ShapeStore } from '../../src/shapes/index.js';

function store() {
  return new ShapeStore(mkdtempSync(join(tmpdir(), 'runbyte-shapes-')));
}

function recorded(shapes: ShapeStore, server: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(shapes.dir, `${server}.json`), 'utf8')) as { tools: Record<string, unknown> }).tools;
}

describe('ShapeStore', () => {
  it('flush() waits for a value still being worked out, and writes its shape', async () => {
    const shapes = store();
    shapes.observe('orders', 'list', [{ id: 1 }]);
    shapes.observeLater(
      'orders',
      'get',
      sleep(200).then(() => ({ value: { id: 1, total: 'pending' } })),
    );
    await shapes.flush();
    const tools = recorded(shapes, 'orders');
    expect(Object.keys(tools).sort()).toEqual(['get', 'list']);
    expect(JSON.stringify(tools.get)).toContain('total');
  });

  it('a value that turns out to have nothing to record, or fails, writes nothing for it and never throws', async () => {
    const shapes = store();
    shapes.observe('orders', 'list', [{ id: 1 }]);
    shapes.observeLater('orders', 'typed', Promise.resolve(undefined));
    shapes.observeLater('orders', 'broken', Promise.reject(new Error('server gone')));
    await shapes.flush();
    expect(Object.keys(recorded(shapes, 'orders'))).toEqual(['list']);
  });
});
