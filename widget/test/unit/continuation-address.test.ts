// What the widget asks the bridge to continue on, from what a visitor types for each network.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeDigits, continuationAddress, isolate } from '../../src/continuation-address.js';

describe('widget continuation address', () => {
  it("adds the picked network's scheme to a user@host, typed with or without it", () => {
    assert.equal(continuationAddress('xmpp', ' dana@example.org '), 'xmpp:dana@example.org');
    assert.equal(continuationAddress('xmpp', 'XMPP:dana@example.org'), 'xmpp:dana@example.org');
    assert.equal(continuationAddress('sip', 'dana@sip.example.com'), 'sip:dana@sip.example.com');
    assert.equal(continuationAddress('sip', 'sip:dana@sip.example.com:5060'), 'sip:dana@sip.example.com:5060');
    assert.equal(continuationAddress('mailto', 'dana@example.com'), 'mailto:dana@example.com');
  });

  it('refuses what cannot be an address there', () => {
    for (const [network, typed] of [
      ['xmpp', ''],
      ['xmpp', 'dana'],
      ['xmpp', 'dana@example.org/phone'],
      ['xmpp', 'dana@example.org:5222'],
      ['xmpp', 'sip:dana@example.org'],
      ['sip', 'dana @example.com'],
      ['mailto', 'dana@@example.com'],
      ['mailto', '<dana@example.com>'],
    ] as const)
      assert.equal(continuationAddress(network, typed), null, `${network} ${typed}`);
  });

  it('keeps only the digits of a typed code, and isolates an address for bidirectional text', () => {
    assert.equal(codeDigits(' 123 456 '), '123456');
    assert.equal(codeDigits('12-34-56'), '123456');
    assert.equal(isolate('xmpp:dana@example.org'), '\u2068xmpp:dana@example.org\u2069');
  });
});
