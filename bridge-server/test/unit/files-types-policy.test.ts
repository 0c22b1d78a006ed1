// Which types a site takes (docs/configuration.md, `sites[].files.types`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FILE_TYPES, TYPE_PATTERN, typeAllowed } from '../../src/core/files/types-policy.js';

describe('typeAllowed', () => {
  it('matches families, prefixes and exact types', () => {
    assert.equal(typeAllowed('image/png', ['image/*']), true);
    assert.equal(typeAllowed('application/vnd.oasis.opendocument.text', ['application/vnd.*']), true);
    assert.equal(typeAllowed('application/pdf', ['application/pdf']), true);
    assert.equal(typeAllowed('application/pdfx', ['application/pdf']), false);
    assert.equal(typeAllowed('image/png', []), false);
  });

  it('takes media, documents and archives by default, never programs', () => {
    for (const type of ['image/png', 'image/svg+xml', 'text/plain', 'text/html', 'application/pdf', 'application/zip', 'audio/mpeg', 'video/mp4'])
      assert.equal(typeAllowed(type, DEFAULT_FILE_TYPES), true, type);
    for (const type of [
      'application/x-msdownload',
      'application/octet-stream',
      'application/x-elf',
      'application/x-sh',
      'application/vnd.android.package-archive',
      'application/vnd.ms-htmlhelp',
      'application/vnd.ms-cab-compressed',
      'application/vnd.ms-word.document.macroenabled.12',
      'application/vnd.ms-excel.sheet.macroenabled.12',
    ])
      assert.equal(typeAllowed(type, DEFAULT_FILE_TYPES), false, type);
  });

  it('knows a pattern when it sees one', () => {
    for (const pattern of ['image/*', 'application/vnd.*', 'application/pdf', 'image/svg+xml']) assert.match(pattern, TYPE_PATTERN);
    for (const pattern of ['*', 'image', 'image/', '*/*', 'Image/PNG', 'image/png; charset=x']) assert.doesNotMatch(pattern, TYPE_PATTERN);
  });
});
