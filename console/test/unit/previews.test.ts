// Which attachments the console's log previews (previews.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasThumbnail } from '../../src/previews.js';

describe('previews', () => {
  it('previews the images the bridge read, not one it could not read nor other files', () => {
    assert.equal(hasThumbnail({ type: 'image/png', width: 640 }), true);
    assert.equal(hasThumbnail({ type: 'image/png' }), false, 'a damaged PNG: no dimensions, no thumbnail');
    assert.equal(hasThumbnail({ type: 'image/svg+xml', width: 10 }), false);
    assert.equal(hasThumbnail({ type: 'application/pdf' }), false);
  });
});
