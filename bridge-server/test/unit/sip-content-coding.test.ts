import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { MAX_DECODED_BYTES, decodedBody } from '../../src/networks/sip/content-coding.js';

const TEXT = Buffer.from('<imdn><message-id>m_1</message-id></imdn> h\u00e9');

describe('SIP content codings (RFC 3261 section 20.12)', () => {
  it('undoes gzip and deflate (zlib, or the bare stream some senders write), in the reverse order they were applied', () => {
    for (const [body, coding] of [
      [gzipSync(TEXT), 'gzip'],
      [gzipSync(TEXT), 'X-GZIP'],
      [deflateSync(TEXT), 'deflate'],
      [deflateRawSync(TEXT), 'deflate'],
      [gzipSync(deflateSync(TEXT)), 'deflate, gzip'],
      [TEXT, 'identity'],
      [TEXT, undefined],
      [TEXT, ''],
    ] as const) {
      assert.deepEqual(decodedBody(body, coding), { bytes: TEXT }, String(coding));
    }
  });

  it('refuses a coding it does not know, bytes that are not what the coding says, and a bomb', () => {
    assert.deepEqual(decodedBody(TEXT, 'br'), { refused: 'unsupported', coding: 'br' });
    assert.deepEqual(decodedBody(gzipSync(TEXT), 'gzip, compress'), { refused: 'unsupported', coding: 'compress' });
    assert.deepEqual(decodedBody(TEXT, 'gzip'), { refused: 'corrupt', coding: 'gzip' });
    assert.deepEqual(decodedBody(TEXT, 'deflate'), { refused: 'corrupt', coding: 'deflate' });
    // 17 MiB of zeros in some 17 kB: never inflated past the limit.
    const bomb = gzipSync(Buffer.alloc(MAX_DECODED_BYTES + 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    assert.deepEqual(decodedBody(bomb, 'gzip'), { refused: 'too_large', coding: 'gzip' });
    assert.deepEqual(decodedBody(deflateSync(Buffer.alloc(MAX_DECODED_BYTES + 1)), 'deflate'), { refused: 'too_large', coding: 'deflate' });
  });
});
