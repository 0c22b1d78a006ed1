// The range a Range header asks for (gateway/byte-range.ts, RFC 9110 section 14): one range of
// bytes is taken, a header the bridge does not take is ignored (the whole file), and one wholly
// past the end is unsatisfiable (416).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byteRangeOf } from '../../src/gateway/byte-range.js';

describe('byteRangeOf', () => {
  it('reads first-last, first- and suffix ranges, an end past the file ending at its last byte', () => {
    assert.deepEqual(byteRangeOf('bytes=10-19', 100), { start: 10, end: 19 });
    assert.deepEqual(byteRangeOf('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(byteRangeOf('bytes=-5', 100), { start: 95, end: 99 });
    assert.deepEqual(byteRangeOf('bytes=0-1000', 100), { start: 0, end: 99 });
    assert.deepEqual(byteRangeOf(' Bytes = 1 - 2 ', 100), { start: 1, end: 2 }, 'the unit in any case, blanks around');
  });

  it('takes a suffix longer than the file as all of it (section 14.1.2)', () => {
    assert.deepEqual(byteRangeOf('bytes=-50', 20), { start: 0, end: 19 });
  });

  it('is unsatisfiable when the range starts past the end, or asks for no last bytes', () => {
    assert.equal(byteRangeOf('bytes=100-', 100), 'unsatisfiable');
    assert.equal(byteRangeOf('bytes=200-300', 100), 'unsatisfiable');
    assert.equal(byteRangeOf('bytes=-0', 100), 'unsatisfiable');
  });

  it('ignores what it does not take: another unit, a malformed or backward range, several ranges, an empty file', () => {
    for (const header of ['items=50-60', 'bytes=5-2', 'bytes=-', 'bytes=a-b', 'bytes=', 'bytes=0-1, 50-60', 'bytes=0-4,2-8', 'bytes 0-1'])
      assert.equal(byteRangeOf(header, 20), undefined, header);
    assert.equal(byteRangeOf('bytes=0-1', 0), undefined);
  });
});
