// What type a file is, found in its content alone (docs/protocol.md, "Files"): signatures for
// binary formats, markup a browser would run named as such, other UTF-8 text as text/plain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { sniffType } from '../../src/core/files/sniff.js';

const sniff = (content: Buffer | string) => {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return sniffType(bytes, true);
};

/** The smallest Windows program header: `MZ`, then the PE header where 0x3c points. */
function windowsProgram(): Buffer {
  const bytes = Buffer.alloc(512);
  bytes.write('MZ');
  bytes.writeUInt32LE(128, 0x3c);
  bytes.write('PE\0\0', 128, 'latin1');
  return bytes;
}

describe('sniffType', () => {
  it('finds images and documents by their signatures', async () => {
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: 'blue' } })
      .png()
      .toBuffer();
    assert.equal(await sniff(png), 'image/png');
    assert.equal(await sniff('%PDF-1.7\n1 0 obj\n'), 'application/pdf');
  });

  it('names SVG as SVG, with or without an XML declaration, a comment or a doctype', async () => {
    assert.equal(await sniff('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml');
    assert.equal(await sniff('\uFEFF  <?xml version="1.0"?>\n<!-- drawn -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg>'), 'image/svg+xml');
  });

  it('names HTML as HTML, whatever case and blank space come first', async () => {
    assert.equal(await sniff('<!DOCTYPE html><html><body><script>alert(1)</script>'), 'text/html');
    assert.equal(await sniff('\n\n  <ScRiPt>alert(1)</script>'), 'text/html');
    assert.equal(await sniff('<!-- a comment --><p>hi</p>'), 'text/html');
    assert.equal(await sniff('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">'), 'text/html');
  });

  it('takes a file that opens as HTML for HTML even when binary bytes follow (a polyglot)', async () => {
    assert.equal(await sniff(Buffer.concat([Buffer.from('<html><script>x</script>'), Buffer.from([0, 1, 2, 255])])), 'text/html');
  });

  it('takes a file with an image signature for the image, whatever markup follows', async () => {
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([1, 0, 1, 0, 0, 0, 0]), Buffer.from('<script>alert(1)</script>')]);
    assert.equal(await sniff(gif), 'image/gif');
  });

  it('finds a Windows program, whatever it is called', async () => {
    assert.equal(await sniff(windowsProgram()), 'application/x-msdownload');
  });

  it('calls other UTF-8 text text/plain, XML included', async () => {
    assert.equal(await sniff('hello, world\nsecond line\tand a tab'), 'text/plain');
    assert.equal(await sniff('{"json": "is text"}'), 'text/plain');
    assert.equal(await sniff('<?xml version="1.0"?><order><id>1</id></order>'), 'text/plain');
    assert.equal(await sniff('Grüße, 日本語, emoji 🎉'), 'text/plain');
  });

  it('keeps text cut inside a character text when the head is not the whole file', async () => {
    const cut = Buffer.from('abc é').subarray(0, 5); // the é's first byte only
    assert.equal(await sniffType(cut, false), 'text/plain');
    assert.equal(await sniffType(cut, true), 'application/octet-stream');
  });

  it('calls anything else application/octet-stream', async () => {
    assert.equal(await sniff(Buffer.from([0, 1, 2, 3, 200, 201, 202])), 'application/octet-stream');
    assert.equal(await sniff(Buffer.from('text with a NUL\0 inside')), 'application/octet-stream');
  });
});
