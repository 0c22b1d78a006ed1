// A file's size as the widget shows it, in the interface's language.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readableSize } from '../../src/file-size.js';

describe('widget file sizes', () => {
  it('counts bytes, kilobytes and megabytes in the locale', () => {
    assert.deepEqual(
      [1, 812, 14_321, 2_500_000].map((bytes) => readableSize(bytes, 'en')),
      ['1 byte', '812 bytes', '14 kB', '2.5 MB'],
    );
    assert.match(readableSize(812, 'fr'), /^812\soctets$/);
    assert.match(readableSize(2_500_000, 'fr'), /^2,5\sMo$/);
    assert.equal(readableSize(1500, 'not a tag'), '1.5 kB', 'English for a tag Intl refuses');
  });
});
