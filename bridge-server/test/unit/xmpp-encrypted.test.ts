// Encrypted XMPP messages recognised, so their fallback body is refused rather than relayed:
// OMEMO (XEP-0384), OpenPGP (XEP-0373, XEP-0027), OTR (XEP-0364) and XEP-0380's declarations.
// Against a real Prosody: integration/xmpp.test.ts and integration/xmpp-client.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/component';
import { encryptedRefusal, encryptionOf } from '../../src/networks/xmpp/encrypted.js';

const FALLBACK = "I sent you an OMEMO encrypted message but your client doesn't seem to support that.";
const message = (...children: ReturnType<typeof xml>[]) => xml('message', { type: 'chat', to: 'v@bridge.localhost' }, ...children);
const body = (text: string) => xml('body', {}, text);

describe('encrypted XMPP messages', () => {
  it('names OMEMO in both namespaces, and OpenPGP in both forms', () => {
    assert.equal(encryptionOf(message(xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' }), body(FALLBACK))), 'OMEMO');
    assert.equal(encryptionOf(message(xml('encrypted', { xmlns: 'urn:xmpp:omemo:2' }), body(FALLBACK))), 'OMEMO');
    assert.equal(encryptionOf(message(xml('openpgp', { xmlns: 'urn:xmpp:openpgp:0' }, 'BASE64'), body('[encrypted]'))), 'OpenPGP');
    assert.equal(encryptionOf(message(xml('x', { xmlns: 'jabber:x:encrypted' }, 'ARMOR'), body('This message is encrypted.'))), 'OpenPGP');
  });

  it("names what XEP-0380 declares: a known namespace by its name, another by the declaration's own", () => {
    const declared = (attrs: Record<string, string>) => message(xml('encryption', { xmlns: 'urn:xmpp:eme:0', ...attrs }), body('fallback'));
    assert.equal(encryptionOf(declared({ namespace: 'urn:xmpp:otr:0' })), 'OTR');
    assert.equal(encryptionOf(declared({ namespace: 'eu.siacs.conversations.axolotl' })), 'OMEMO');
    assert.equal(encryptionOf(declared({ namespace: 'urn:example:new', name: 'NewCrypt' })), 'NewCrypt');
    assert.equal(encryptionOf(declared({ namespace: 'urn:example:new' })), 'end-to-end');
  });

  it("takes OTR's own data in the body for OTR, and leaves everything else readable", () => {
    assert.equal(encryptionOf(message(body('?OTR:AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA...'))), 'OTR');
    assert.equal(encryptionOf(message(body('?OTRv23?'))), 'OTR');
    assert.equal(encryptionOf(message(body('What is ?OTR anyway'))), undefined);
    assert.equal(encryptionOf(message(body('Is the tent waterproof?'), xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }))), undefined);
    assert.equal(encryptionOf(message(xml('encrypted', { xmlns: 'urn:example:other' }), body('plain'))), undefined);
  });

  it('refuses with not-acceptable, the sender to mend it, saying how', () => {
    const error = encryptedRefusal('OMEMO');
    assert.equal(error.attrs.type, 'modify');
    assert.ok(error.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.equal(
      error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
      'This address cannot read OMEMO encrypted messages: turn OMEMO off for this chat and send it again; your message was not delivered.',
    );
  });
});
