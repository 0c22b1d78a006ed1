// Gateway domains' JIDs (XEP-0100, XEP-0106): reversible and injective for any address, and
// unchanged by what a server does to a localpart (case folding, NFKC), with the main domain's
// forms still read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { isAddress } from '@switchboard/protocol';
import fc from 'fast-check';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { JidMap, escapeLocal, gatewayJid, normalizeXmppAddress, partyOfGatewayJid, unescapeLocal } from '../../src/networks/xmpp/addresses.js';

const MAIN = 'web.example.org';
const SIP = { domain: 'sip.gw.example', network: 'sip' };
const IRC = { domain: 'irc.gw.example', network: 'irc', defaultHost: 'libera' };
const map = new JidMap(MAIN, [SIP, IRC], hosted);

/** What a server may do to a localpart it routes: ASCII and Unicode lowercasing, NFKC (nodeprep). */
const serverFold = (jid: string) => jid.normalize('NFKC').toLowerCase();
const asciiUpper = (jid: string) => jid.replace(/[a-z]/g, (c) => c.toUpperCase());

/** Characters that need care: XEP-0106's, the case marker, uppercase, and beyond ASCII. */
const tricky = fc.constantFrom(
  ...'.+\'@:\\^"&/<>AZaz09_-~;',
  'É',
  'é',
  'ß',
  'İ',
  'ı',
  'Σ',
  'ς',
  'ﬁ',
  'Å',
  'Å',
  '\u0301',
  'ש',
  'ع',
  '中',
  '👋',
  '\u00a0',
  '\u200e',
  'K',
  'Ω',
  '\u0085',
);
const id = fc
  .array(fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), { minLength: 1, maxLength: 24 })
  .map((chars) => chars.join(''));
/** Addresses as the contract allows them: a scheme, then no whitespace or C0 controls. */
const address = fc
  .tuple(fc.constantFrom('sip', 'irc', 'web', 'tel', 'xmpp'), id)
  .map(([scheme, rest]) => `${scheme}:${rest}` as Address)
  .filter((value) => isAddress(value));

describe("XMPP gateway domains: JIDs of other networks' users", () => {
  it("shows an address under its network's gateway domain, without its scheme", () => {
    assert.equal(map.jidOf('sip:bob@example.com'), 'bob\\40example.com@sip.gw.example');
    assert.equal(map.jidOf('irc:dave@libera'), 'dave\\40libera@irc.gw.example');
    assert.equal(map.partyOf('bob\\40example.com@sip.gw.example'), 'sip:bob@example.com');
    assert.equal(map.partyOf('dave\\40libera@irc.gw.example/resource'), 'irc:dave@libera');
    assert.equal(map.jidOf("sip:d.arcy+o'hara@example.com"), 'd.arcy+o\\27hara\\40example.com@sip.gw.example');
    assert.equal(map.jidOf('sip:Bob@example.com'), '^bob\\40example.com@sip.gw.example');
    // A scheme with no gateway domain keeps the main domain's form.
    assert.equal(map.jidOf('tel:+15551234@example.com'), 'tel\\3a+15551234\\40example.com@web.example.org');
  });

  it("keeps the main domain's forms: visitors, and other networks' users written whole (read only)", () => {
    assert.equal(map.jidOf('web:v_7f3a9c'), 'v_7f3a9c@web.example.org');
    assert.equal(map.partyOf('v_7f3a9c@web.example.org'), 'web:v_7f3a9c');
    assert.equal(map.partyOf('u_^alice@web.example.org'), 'web:u_Alice');
    assert.equal(map.partyOf('sip\\3abob\\40example.com@web.example.org'), 'sip:bob@example.com');
    assert.equal(map.partyOf('irc\\3adave\\40libera@WEB.example.org'), 'irc:dave@libera');
  });

  it('stands for nobody at a domain itself, another domain, or a localpart the bridge does not write', () => {
    for (const jid of [
      'sip.gw.example',
      'web.example.org',
      'bob@example.com',
      'bob\\40example.com@elsewhere.example',
      'a^@sip.gw.example',
      '^65;@sip.gw.example',
      'a\\zzb@sip.gw.example',
      '^1114112;@sip.gw.example',
      '^55296;@sip.gw.example',
      '^0;@sip.gw.example',
    ]) {
      assert.equal(map.partyOf(jid), null, jid);
    }
  });

  it("stands for nobody at a gateway domain written otherwise than the bridge writes its party's canonical address", () => {
    // As the IRC network canonicalises: a nick alone is on the network's default host, lowercased.
    const canonical = (address: Address): Address =>
      address.startsWith('irc:') && !address.includes('@') ? (`${address.toLowerCase()}@libera` as Address) : address;
    const strict = new JidMap(MAIN, [SIP, IRC], hosted, undefined, canonical);
    for (const jid of ['dave@irc.gw.example', 'no^^body@irc.gw.example']) assert.equal(strict.partyOf(jid), null, jid);
    assert.equal(strict.partyOf('dave\\40libera@irc.gw.example'), 'irc:dave@libera');
    assert.equal(strict.partyOf('DAVE\\40LIBERA@irc.gw.example/phone'), 'irc:dave@libera', 'as a server folds it');
    assert.equal(strict.partyOf('irc\\3adave\\40libera@web.example.org'), 'irc:dave@libera', "the main domain's older form");
    assert.equal(strict.partyOf('bob\\40example.com@sip.gw.example'), 'sip:bob@example.com');
  });

  it('writes what a server could change as a code point: uppercase and decomposed letters, right-to-left scripts, symbols', () => {
    assert.equal(escapeLocal('é'), 'é');
    assert.equal(escapeLocal('É'), '^201;');
    assert.equal(escapeLocal('ß'), '^223;');
    assert.equal(escapeLocal('e\u0301'), 'e^769;');
    assert.equal(escapeLocal('שלום'), '^1513;^1500;^1493;^1501;');
    assert.equal(escapeLocal('^a'), '^^a');
    assert.equal(escapeLocal('a b\\c'), 'a\\20b\\5cc');
    assert.equal(unescapeLocal('^201;x^^^b'), 'Éx^B');
  });

  it('unescapes exactly what it escapes, for any text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        assert.equal(unescapeLocal(escapeLocal(value)), value);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(id, (value) => {
        assert.equal(unescapeLocal(escapeLocal(value)), value);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes localparts a server routes unchanged, and reads them back in any ASCII case (property)', () => {
    fc.assert(
      fc.property(id, (value) => {
        const local = escapeLocal(value);
        assert.equal(serverFold(local), local, 'case folding and NFKC change nothing');
        assert.doesNotMatch(local, /[\s"&'/:<>@\u0000-\u001f\u007f-\u009f]/u, 'no character a localpart cannot hold');
        assert.doesNotMatch(local, /[\p{M}\p{Script=Hebrew}\p{Script=Arabic}]/u, 'no combining marks or right-to-left letters');
        assert.equal(unescapeLocal(asciiUpper(local)), value);
      }),
      { numRuns: 2000 },
    );
  });

  it('maps every address to one JID and back, on the right domain (property)', () => {
    fc.assert(
      fc.property(address, (value) => {
        const jid = map.jidOf(value);
        const scheme = value.slice(0, value.indexOf(':'));
        const domain = jid.slice(jid.lastIndexOf('@') + 1);
        assert.equal(domain, scheme === 'sip' ? SIP.domain : scheme === 'irc' ? IRC.domain : MAIN);
        assert.equal(map.partyOf(jid), value);
        assert.equal(map.partyOf(serverFold(jid)), value, 'as the server hands it back');
        assert.equal(map.partyOf(`${jid}/some-resource`), value);
        assert.ok(map.owns(jid));
      }),
      { numRuns: 3000 },
    );
  });

  it('gives two different addresses two different JIDs (property)', () => {
    fc.assert(
      fc.property(address, address, (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(map.jidOf(a), map.jidOf(b));
        assert.notEqual(serverFold(map.jidOf(a)), serverFold(map.jidOf(b)));
      }),
      { numRuns: 3000 },
    );
    // Near misses that a careless escaping would merge.
    const pairs: [Address, Address][] = [
      ['sip:a\\40b', 'sip:a@b'],
      ['sip:A@b', 'sip:^a@b'],
      ['sip:É@b', 'sip:^201;@b'],
      ['sip:bob@example.com', 'irc:bob@example.com'],
      ['sip:bob@example.com', 'tel:bob@example.com'],
    ];
    for (const [a, b] of pairs) assert.notEqual(map.jidOf(a), map.jidOf(b), `${a} / ${b}`);
  });

  it('reads a gateway JID only for its own domain', () => {
    assert.equal(gatewayJid('sip:bob@example.com', SIP), 'bob\\40example.com@sip.gw.example');
    assert.equal(partyOfGatewayJid('bob\\40example.com@sip.gw.example', SIP), 'sip:bob@example.com');
    assert.equal(partyOfGatewayJid('bob\\40example.com@sip.gw.example', IRC), null);
    assert.equal(partyOfGatewayJid('sip.gw.example', SIP), null);
  });

  it('owns the JIDs of all its domains, and no others', () => {
    for (const jid of ['web.example.org', 'sip.gw.example', 'IRC.gw.example', 'x@sip.gw.example/r', 'v_1@web.example.org']) assert.ok(map.owns(jid), jid);
    for (const jid of ['example.org', 'alice@example.org', 'x@gw.example', 'x@evil.example/sip.gw.example']) assert.ok(!map.owns(jid), jid);
  });
});

describe('addresses typed for gateway commands', () => {
  it('reads a bare JID in its canonical form, and nothing else', () => {
    assert.equal(normalizeXmppAddress('xmpp:Carl@Example.ORG'), 'xmpp:carl@example.org');
    for (const bad of ['xmpp:carl', 'xmpp:@example.org', 'xmpp:a b@example.org', 'xmpp:carl@example.org/phone', 'xmpp:', 'sip:carl@example.org']) {
      assert.equal(normalizeXmppAddress(bad), null, bad);
    }
  });

  it('refuses a JID with a character its local part or domain cannot hold (a second @ would hide the real domain from domain lists)', () => {
    // RFC 7622 section 3.3.1: a localpart holds none of " & ' / : < > @; a domainpart no @.
    for (const bad of [
      'xmpp:carol@evil.example@example.com',
      'xmpp:ca"rol@example.com',
      "xmpp:ca'rol@example.com",
      'xmpp:carol@exa<mple.com',
      'xmpp:a&b@example.com',
    ]) {
      assert.equal(normalizeXmppAddress(bad), null, bad);
    }
    assert.equal(normalizeXmppAddress('xmpp:Zoë@Exämple.com'), 'xmpp:zoë@exämple.com');
  });
});
