import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import fc from 'fast-check';
import { addressOfJid, jidOfAddress, partyOfPuppet, puppetJid } from '../../src/networks/xmpp/addresses.js';
import { REUSED_AFTER_MS, retransmissionId } from '../../src/networks/xmpp/retransmission.js';
import { chatStateOf, presenceOf, retransmissionKey, xmlSafe } from '../../src/networks/xmpp/stanzas.js';
import { xml } from '@xmpp/component';
import { xmppNetworkConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { canonicalMember } from '../../src/config.js';

const DOMAIN = 'web.example.org';

describe('XMPP address mapping', () => {
  it('maps web parties to puppets under the component domain and back', () => {
    assert.equal(puppetJid('web:v_7f3a9c', DOMAIN, hosted), 'v_7f3a9c@web.example.org');
    assert.equal(partyOfPuppet('v_7f3a9c@web.example.org/res', DOMAIN, hosted), 'web:v_7f3a9c');
    assert.equal(partyOfPuppet('alice@example.org', DOMAIN, hosted), null);
    assert.equal(partyOfPuppet('web.example.org', DOMAIN, hosted), null);
  });

  it('keeps the case of case-sensitive ids although servers fold localparts', () => {
    assert.equal(puppetJid('web:u_Alice', DOMAIN, hosted), 'u_^alice@web.example.org');
    assert.equal(partyOfPuppet('u_^alice@web.example.org', DOMAIN, hosted), 'web:u_Alice');
    // A server may hand the JID back in any case: the mapping does not depend on it.
    assert.equal(partyOfPuppet('U_^ALICE@WEB.example.org', DOMAIN, hosted), 'web:u_Alice');
    assert.notEqual(puppetJid('web:u_alice', DOMAIN, hosted), puppetJid('web:u_Alice', DOMAIN, hosted));
  });

  it("escapes other networks' addresses (XEP-0106), reversibly and injectively", () => {
    assert.equal(puppetJid('sip:bob@example.com', DOMAIN, hosted), 'sip\\3abob\\40example.com@web.example.org');
    fc.assert(
      fc.property(
        fc.constantFrom('irc', 'sip', 'web', 'xmpp'),
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\s\u0000-\u001f\u007f]/.test(s)),
        (scheme, id) => {
          const address = `${scheme}:${id}` as Address;
          const puppet = puppetJid(address, DOMAIN, hosted);
          assert.equal(partyOfPuppet(puppet, DOMAIN, hosted), address);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("normalises agents' JIDs to bare, lowercase addresses", () => {
    assert.equal(addressOfJid('Alice@Example.ORG/Gajim'), 'xmpp:alice@example.org');
    assert.equal(jidOfAddress('xmpp:alice@example.org'), 'alice@example.org');
    // Read again (kept from the first reading): the same; one that is no JID is refused every time.
    assert.equal(addressOfJid('Alice@Example.ORG/Gajim'), 'xmpp:alice@example.org');
    for (let again = 0; again < 2; again++) assert.throws(() => addressOfJid('alice@'), /domain/i);
  });

  it('folds a localpart as the server prepares it (nodeprep), in stanzas and in the configuration alike', () => {
    // Prosody's nodeprep: full case folding (ß is ss, a final sigma a sigma), then NFKC (a ligature is its letters).
    assert.equal(addressOfJid('Straße@Example.org/phone'), 'xmpp:strasse@example.org');
    assert.equal(addressOfJid('ΟΔΥΣΣΕΥΣ@example.org'), addressOfJid('οδυσσευς@example.org'));
    assert.equal(addressOfJid('ﬁona@example.org'), 'xmpp:fiona@example.org');
    assert.equal(addressOfJid('𝛓一@example.org'), 'xmpp:σ一@example.org', 'a final sigma NFKC brings back is folded too');
    assert.equal(canonicalMember('xmpp:Straße@Example.org'), 'xmpp:strasse@example.org');
    assert.equal(canonicalMember('xmpp:Alice@Example.org'), 'xmpp:alice@example.org');
    // Whatever letters a localpart holds, the fold is stable: folding it again changes nothing.
    fc.assert(
      fc.property(
        // Letters NFKC makes white space (Arabic presentation forms: U+FE72 is a space and a mark)
        // are nodeprep's prohibited output (RFC 3920 appendix A.5, table C.1): no server has such a JID.
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((local) => /^\p{L}+$/u.test(local) && !/\s/u.test(local.normalize('NFKC'))),
        (local) => {
          const once = addressOfJid(`${local}@example.org`);
          return addressOfJid(once.slice('xmpp:'.length)) === once;
        },
      ),
    );
  });
});

describe('XMPP stanza helpers', () => {
  it('maps show values to presence (RFC 6121 section 4.7.2.1)', () => {
    assert.equal(presenceOf(xml('presence')), 'available');
    assert.equal(presenceOf(xml('presence', {}, xml('show', {}, 'chat'))), 'available');
    assert.equal(presenceOf(xml('presence', {}, xml('show', {}, 'away'))), 'away');
    assert.equal(presenceOf(xml('presence', {}, xml('show', {}, 'xa'))), 'away');
    assert.equal(presenceOf(xml('presence', {}, xml('show', {}, 'dnd'))), 'busy');
    assert.equal(presenceOf(xml('presence', { type: 'unavailable' })), 'offline');
  });

  it('maps chat states (XEP-0085)', () => {
    const state = (name: string) => chatStateOf(xml('message', {}, xml(name, { xmlns: 'http://jabber.org/protocol/chatstates' })));
    assert.deepEqual(['composing', 'paused', 'active', 'inactive', 'gone'].map(state), ['composing', 'paused', 'paused', 'paused', 'paused']);
    assert.equal(chatStateOf(xml('message', {}, xml('body', {}, 'x'))), null);
  });

  it('keeps only characters XML 1.0 can carry, and escapes the rest through the library', () => {
    assert.equal(xmlSafe('a\u0000b\u0007c\td\ne\rf\uFFFEg'), 'a\uFFFDb\uFFFDc\td\ne\rf\uFFFDg');
    const body = xml('body', {}, xmlSafe('<script>&]]>"\'')).toString();
    assert.equal(body, '<body>&lt;script&gt;&amp;]]&gt;"\'</body>');
  });
});

describe('XMPP network configuration', () => {
  it('defaults to component mode and names the wrong field', () => {
    const component = xmppNetworkConfigSchema.parse({ type: 'xmpp', service: 'xmpp://127.0.0.1:5347', domain: 'web.example.org', password: 's' });
    assert.equal(component.mode, 'component');
    const bad = xmppNetworkConfigSchema.safeParse({ type: 'xmpp', service: 'http://x', domain: 'web.example.org', password: 's' });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error.issues[0]!.path, ['service']);
    const client = xmppNetworkConfigSchema.safeParse({ type: 'xmpp', mode: 'client', service: 'xmpp://127.0.0.1:5222', domain: 'example.org', password: 's' });
    assert.equal(client.success, false);
    assert.deepEqual(client.error.issues[0]!.path, ['username']);
  });
});

describe('What a retransmission shares with its message (XEP-0359)', () => {
  const chat = (id: string | undefined, body: string, originId?: string) =>
    xml(
      'message',
      { type: 'chat', ...(id ? { id } : {}) },
      xml('body', {}, body),
      originId ? xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: originId }) : null,
    );

  it('is the origin-id when there is one, whatever the stanza id and words', () => {
    assert.equal(retransmissionKey(chat('1', 'hello', 'o-1')), 'o-1');
    assert.equal(retransmissionKey(chat('2', 'other words', 'o-1')), 'o-1');
  });

  it('is the stanza id with the words otherwise: the same for a copy, another for other words under a reused id', () => {
    assert.equal(retransmissionKey(chat('1', 'hello')), retransmissionKey(chat('1', 'hello')));
    assert.notEqual(retransmissionKey(chat('1', 'hello')), retransmissionKey(chat('1', 'hello again')));
    assert.match(retransmissionKey(chat('1', 'hello'))!, /^1#[0-9a-f]{16}$/);
    assert.equal(retransmissionKey(chat(undefined, 'hello')), undefined);
  });

  describe('the id a message is stored under', () => {
    const SENDER = 'xmpp:psi@example.org' as const;
    /** The remote ids stored, as the store's `messageByRemoteId` finds them. */
    const storedIds = () => {
      const ids = new Set<string>();
      const records = { messageByRemoteId: async (id: string) => (ids.has(id) ? ({ id: 'm' } as never) : null) };
      return { ids, records };
    };
    const hour = (n: number) => Date.UTC(2026, 11, 5) + n * REUSED_AFTER_MS;

    it('is the origin-id, scoped by the sender, whenever there is one', async () => {
      const { records } = storedIds();
      assert.equal(await retransmissionId(chat('1', 'hi', 'o-1'), SENDER, records, hour(0)), `${SENDER}/o-1`);
      assert.equal(await retransmissionId(chat('1', 'hi', 'o-1'), SENDER, records, hour(500)), `${SENDER}/o-1`);
    });

    it('without an origin-id: a copy within the reuse time is the same id, the same words under the same id later are a new message', async () => {
      const { ids, records } = storedIds();
      const first = (await retransmissionId(chat('1', 'hi'), SENDER, records, hour(0) + 10))!;
      ids.add(first);
      // A resend in the same window and one in the next are copies of the stored message.
      assert.equal(await retransmissionId(chat('1', 'hi'), SENDER, records, hour(1) - 1), first);
      assert.equal(await retransmissionId(chat('1', 'hi'), SENDER, records, hour(1) + 5), first);
      // Two windows on (a client that counts its ids from 1 at each start, the next day): new.
      const nextDay = (await retransmissionId(chat('1', 'hi'), SENDER, records, hour(24)))!;
      assert.notEqual(nextDay, first);
      assert.equal(await records.messageByRemoteId(nextDay), null);
      // Other words under the same id are never a copy.
      assert.notEqual(await retransmissionId(chat('1', 'hi there'), SENDER, records, hour(0) + 20), first);
    });

    it('without records to look in, is the stanza id with the words, as before', async () => {
      assert.equal(await retransmissionId(chat('1', 'hi'), SENDER, undefined, hour(0)), `${SENDER}/${retransmissionKey(chat('1', 'hi'))}`);
      assert.equal(await retransmissionId(chat(undefined, 'hi'), SENDER, undefined, hour(0)), undefined);
    });
  });
});
