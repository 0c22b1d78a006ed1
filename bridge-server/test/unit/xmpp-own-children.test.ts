// A stanza's own children (RFC 6121: body, show, status, priority in the stanza's namespace) as
// against an extension's elements of the same local name in another namespace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/component';
import { bodyOf, ownChildText, presenceOf } from '../../src/networks/xmpp/stanzas.js';

const foreign = (name: string, text: string) => xml(`x:${name}`, { 'xmlns:x': 'urn:example:other' }, text);

describe("an XMPP stanza's own children", () => {
  it('reads the body in the namespace of the stanza, whether the stanza names it or inherits none', () => {
    for (const attrs of [{}, { xmlns: 'jabber:client' }, { xmlns: 'jabber:component:accept' }]) {
      const message = xml('message', attrs, foreign('body', 'HIDDEN'), xml('body', { xmlns: 'urn:example:other' }, 'HIDDEN too'), xml('body', {}, 'the words'));
      assert.equal(bodyOf(message), 'the words');
      assert.equal(bodyOf(xml('message', attrs, foreign('body', 'HIDDEN'))), null);
    }
  });

  it("takes no show, status or priority from another namespace's elements", () => {
    const presence = xml('presence', { xmlns: 'jabber:client' }, foreign('show', 'dnd'), foreign('status', 'not mine'), xml('status', {}, 'at lunch'));
    assert.equal(presenceOf(presence), 'available');
    assert.equal(ownChildText(presence, 'status'), 'at lunch');
    assert.equal(presenceOf(xml('presence', {}, xml('show', {}, 'dnd'))), 'busy');
  });
});
