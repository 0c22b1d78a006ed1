import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameLine, oneLine } from '../../src/util/text.js';

describe('names and text shown in one line of a protocol', () => {
  it('makes control characters and line separators spaces, so nothing starts a line of its own', () => {
    assert.equal(oneLine('a\r\nb\u0000c\u2028d'), 'a b c d');
  });

  it('takes bidirectional controls out of a name (a right-to-left override reads what follows backwards), not a right-to-left script', () => {
    assert.equal(nameLine('Evil \u202egnp.exe'), 'Evil gnp.exe');
    assert.equal(nameLine('\u2067Dana\u2069 \u200fX\u200e\u061c'), 'Dana X');
    assert.equal(nameLine('דנה כהן'), 'דנה כהן');
    assert.equal(nameLine('  Dana\r\n\tScully  '), 'Dana Scully');
  });
});
