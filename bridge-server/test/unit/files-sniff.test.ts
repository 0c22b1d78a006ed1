// What type a file is, found in its content alone (docs/protocol.md, "Files"): signatures for
// binary formats, markup a browser would run named as such, other text as text/plain (UTF-8, UTF-16
// with its byte order mark, legacy single-byte text), with the charset it is served in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { sniffType } from '../../src/core/files/sniff.js';
import { CharsetReader, textCharset } from '../../src/util/text-charset.js';

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
    assert.equal(textCharset(cut, false), 'utf-8');
    // Whole, it is no UTF-8: one byte of Latin-1 (`abc Ã`).
    assert.equal(textCharset(cut, true), 'windows-1252');
  });

  it('calls legacy single-byte text text/plain, served as windows-1252 (a CSV saved by a spreadsheet on Windows)', async () => {
    const csv = Buffer.from('name;city;amount\r\nJosé;Málaga;12,50 €\r\n'.replace('€', '\x80'), 'latin1');
    assert.equal(await sniff(csv), 'text/plain');
    assert.equal(textCharset(csv, true), 'windows-1252');
    assert.equal(textCharset(Buffer.from('plain ASCII'), true), 'utf-8');
  });

  it('calls UTF-16 with its byte order mark text/plain, in either byte order, cut anywhere', async () => {
    const words = 'Grüße, 日本語, emoji 🎉\r\n';
    const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(words, 'utf16le')]);
    const big = Buffer.from(little);
    big.swap16();
    assert.equal(await sniff(little), 'text/plain');
    assert.equal(await sniff(big), 'text/plain');
    assert.deepEqual([textCharset(little, true), textCharset(big, true)], ['utf-16le', 'utf-16be']);
    // The head cut inside the emoji's surrogate pair, then inside a code unit.
    const pair = little.indexOf(Buffer.from('🎉', 'utf16le'));
    assert.equal(textCharset(little.subarray(0, pair + 2), false), 'utf-16le');
    assert.equal(textCharset(little.subarray(0, pair + 3), false), 'utf-16le');
    // Whole, an odd byte last is no UTF-16.
    assert.equal(textCharset(little.subarray(0, pair + 3), true), undefined);
  });

  it('finds the same charset in a file read in pieces, however they cut its characters', () => {
    const texts = [
      Buffer.from('Grüße, 日本語, emoji 🎉 and more text'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Grüße 🎉', 'utf16le')]),
      Buffer.from('Jos\xe9;M\xe1laga', 'latin1'),
      Buffer.from('binary\0data'),
    ];
    for (const whole of texts) {
      for (const size of [1, 2, 3, 5]) {
        const reader = new CharsetReader();
        for (let at = 0; at < whole.length; at += size) reader.feed(whole.subarray(at, at + size));
        assert.equal(reader.end(), textCharset(whole, true), `${whole.toString('hex')} in pieces of ${size}`);
      }
    }
    assert.deepEqual(
      texts.map((whole) => textCharset(whole, true)),
      ['utf-8', 'utf-16le', 'windows-1252', undefined],
    );
    const one = new CharsetReader();
    one.feed(Buffer.from([0xff]));
    assert.equal(one.end(), 'windows-1252', 'one byte alone (ÿ)');
    assert.equal(new CharsetReader().end(), 'utf-8', 'nothing');
  });

  it('takes neither binary data after a UTF-16 byte order mark nor bytes windows-1252 leaves undefined for text', async () => {
    // What they are then is file-type's to say (FF FE opens an MPEG audio frame too).
    assert.notEqual(await sniff(Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x01, 0x00])), 'text/plain');
    assert.equal(textCharset(Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x01, 0x00]), true), undefined);
    assert.equal(textCharset(Buffer.from([0xfe, 0xff, 0xd8, 0x3d]), true), undefined, 'a lone surrogate, the whole file');
    assert.equal(await sniff(Buffer.from('caf\xe9 \x81', 'latin1')), 'application/octet-stream');
  });

  it('calls anything else application/octet-stream', async () => {
    assert.equal(await sniff(Buffer.from([0, 1, 2, 3, 200, 201, 202])), 'application/octet-stream');
    assert.equal(await sniff(Buffer.from('text with a NUL\0 inside')), 'application/octet-stream');
  });
});
