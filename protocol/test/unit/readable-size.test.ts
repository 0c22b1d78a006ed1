// A file's size as every part of the bridge shows it: the widget, the console, IM lines and mail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readableSize } from '../../src/readable-size.js';

describe('readable file sizes', () => {
  it('counts bytes, kilobytes, megabytes and gigabytes in decimal units, English by default', () => {
    assert.deepEqual(
      [1, 812, 1000, 14_321, 999_499, 999_500, 2_500_000, 10_485_760, 1_500_000_000].map((bytes) => readableSize(bytes)),
      ['1 byte', '812 bytes', '1 kB', '14 kB', '999 kB', '1 MB', '2.5 MB', '10 MB', '1.5 GB'],
    );
  });

  it('speaks the reader locale, English for a tag Intl refuses', () => {
    assert.match(readableSize(812, 'fr'), /^812\soctets$/);
    assert.match(readableSize(2_500_000, 'fr'), /^2,5\sMo$/);
    assert.equal(readableSize(1500, 'not a tag'), '1.5 kB');
  });
});
