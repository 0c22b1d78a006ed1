// What the bridge reads of images: dimensions and a WebP preview at most 320 pixels on its longer
// side; an image that cannot be read is only a file, without either.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { imageFacts, thumbnail } from '../../src/core/files/images.js';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .png()
    .toBuffer();

describe('images', () => {
  it("reads an image's size in pixels", async () => {
    assert.deepEqual(await imageFacts(await png(7, 3)), { width: 7, height: 3 });
  });

  it('makes a WebP preview at most 320 pixels on its longer side, never enlarging a small image', async () => {
    const preview = (await thumbnail(await png(1000, 500)))!;
    const meta = await sharp(preview).metadata();
    assert.equal(meta.format, 'webp');
    assert.deepEqual([meta.width, meta.height], [320, 160]);
    const small = await sharp((await thumbnail(await png(40, 30)))!).metadata();
    assert.deepEqual([small.width, small.height], [40, 30]);
  });

  it('answers null for an image it cannot read (a broken PNG)', async () => {
    const broken = Buffer.concat([(await png(5, 5)).subarray(0, 30), Buffer.alloc(50)]);
    assert.equal(await imageFacts(Buffer.from('not an image')), null);
    assert.equal(await thumbnail(broken), null);
  });

  it('refuses to decode an image that claims too many pixels', async () => {
    // A small PNG whose header claims 20000 x 20000 pixels (400 megapixels): not decoded.
    const bytes = Buffer.from(await png(4, 4));
    bytes.writeUInt32BE(20_000, 16);
    bytes.writeUInt32BE(20_000, 20);
    bytes.writeUInt32BE(crc32(bytes.subarray(12, 29)), 29);
    assert.equal(await thumbnail(bytes), null);
  });
});
