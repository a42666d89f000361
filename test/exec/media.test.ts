// Images and audio in a returned value (README.md, "The four tools"): taken out of the JSON in
// order, each replaced by a placeholder, counted against maxMediaBytes and not maxOutputChars; a
// value with none comes back byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MEDIA_BYTES, takeMedia } from '../../src/exec/media.js';
import { type ExecFixture, startExec } from './helpers.js';

/** base64 of `bytes` bytes (a multiple of 3, so no padding). */
function base64Of(bytes: number, fill = 1): string {
  return Buffer.alloc(bytes, fill).toString('base64');
}

const png = (bytes: number, fill = 1) => ({ type: 'image', data: base64Of(bytes, fill), mimeType: 'image/png' });

describe('takeMedia', () => {
  it('replaces a nested image by a placeholder and hands out its block', () => {
    const image = png(34 * 1024 + 2);
    const taken = takeMedia(JSON.stringify({ n: 2, deep: { shot: image, after: true } }), DEFAULT_MAX_MEDIA_BYTES);
    expect(taken).toBeDefined();
    expect(JSON.parse(taken!.json)).toEqual({ n: 2, deep: { shot: '[image 1: image/png, 34 KB]', after: true } });
    expect(taken!.media).toEqual([{ type: 'image', mimeType: 'image/png', data: image.data, index: 1 }]);
  });

  it('finds blocks in arrays and keeps document order, images and audio numbered together', () => {
    const wav = { type: 'audio', data: base64Of(600), mimeType: 'audio/wav' };
    const value = [{ type: 'text', text: 'look' }, png(3000, 2), { list: [wav, png(1, 3)] }];
    const taken = takeMedia(JSON.stringify(value), DEFAULT_MAX_MEDIA_BYTES)!;
    expect(JSON.parse(taken.json)).toEqual([
      { type: 'text', text: 'look' },
      '[image 1: image/png, 3 KB]',
      { list: ['[audio 2: audio/wav, 600 B]', '[image 3: image/png, 1 B]'] },
    ]);
    expect(taken.media.map((block) => [block.type, block.index, Buffer.from(block.data, 'base64')[0]])).toEqual([
      ['image', 1, 2],
      ['audio', 2, 1],
      ['image', 3, 3],
    ]);
  });

  it('a value that is itself an image becomes its placeholder', () => {
    const taken = takeMedia(JSON.stringify(png(10)), DEFAULT_MAX_MEDIA_BYTES)!;
    expect(taken.json).toBe('"[image 1: image/png, 10 B]"');
  });

  it('counts decoded bytes against the cap in order: a block past it stays a placeholder with a note', () => {
    const mb = 2 ** 20;
    const value = { a: png(mb, 1), b: png(2.1 * mb - ((2.1 * mb) % 3), 2), c: png(3 * 1024, 3) };
    const taken = takeMedia(JSON.stringify(value), 2 * mb)!;
    expect(JSON.parse(taken.json)).toEqual({
      a: '[image 1: image/png, 1.0 MB]',
      b: '[image 2: image/png, 2.1 MB: not sent, over sandbox.maxMediaBytes]',
      c: '[image 3: image/png, 3 KB]',
    });
    expect(taken.media.map((block) => block.index)).toEqual([1, 3]);
  });

  it('leaves JSON without media unchanged, byte for byte', () => {
    const json = JSON.stringify({ list: Array.from({ length: 100 }, (_, i) => ({ i, name: `row ${i}`, ok: i % 2 === 0 })), text: 'é\u2028"' });
    expect(takeMedia(json, DEFAULT_MAX_MEDIA_BYTES)).toBeUndefined();
    // Looks like media but is not: a text block, a mimeType without data, data that is not base64,
    // an unknown type, and the key inside a string.
    const lookalikes = JSON.stringify([
      { type: 'image', mimeType: 'image/png' },
      { type: 'image', mimeType: 'image/png', data: 'not base64!' },
      { type: 'video', mimeType: 'video/mp4', data: 'AAAA' },
      { type: 'image', mimeType: 7, data: 'AAAA' },
      '{"type":"image","mimeType":"image/png","data":"AAAA"}',
    ]);
    expect(takeMedia(lookalikes, DEFAULT_MAX_MEDIA_BYTES)).toBeUndefined();
  });

  it('keeps a __proto__ key of the value as a key', () => {
    const json = '{"__proto__":{"type":"image","mimeType":"image/gif","data":"R0lG"},"x":1}';
    expect(takeMedia(json, DEFAULT_MAX_MEDIA_BYTES)!.json).toBe('{"__proto__":"[image 1: image/gif, 3 B]","x":1}');
  });
});

describe('execute: media in the returned value', () => {
  let fixture: ExecFixture;
  beforeAll(async () => {
    fixture = await startExec([], { maxOutputChars: 200, maxMediaBytes: 100_000 });
  }, 60_000);
  afterAll(() => fixture?.close());

  it('takes images out of the value before maxOutputChars applies, and caps them with maxMediaBytes', async () => {
    const outcome = await fixture.run(`
      const data = (n: number) => 'QUJD'.repeat(n);
      return { n: 2, shot: { type: 'image', data: data(20_000), mimeType: 'image/jpeg' }, big: { type: 'image', data: data(20_000), mimeType: 'image/jpeg' } };
    `);
    expect(outcome).toMatchObject({ ok: true, truncated: false });
    if (!outcome.ok) return;
    expect(outcome.value).toBe('{"n":2,"shot":"[image 1: image/jpeg, 59 KB]","big":"[image 2: image/jpeg, 59 KB: not sent, over sandbox.maxMediaBytes]"}');
    expect(outcome.media).toEqual([{ type: 'image', mimeType: 'image/jpeg', data: 'QUJD'.repeat(20_000), index: 1 }]);
  });
});
