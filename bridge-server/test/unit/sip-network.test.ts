import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Grammar, UserAgent } from 'sip.js';
import type { Address } from '@switchboard/protocol';
import { VisitorDomain, displayNameOf, partyOfUser, quotedDisplayName, userOfParty, warningHeader } from '../../src/networks/sip/addresses.js';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { cpimWithImdn, isComposingBody, parseCpim, pidfBody, presenceOfPidf, receiptOfImdn, composingOf } from '../../src/networks/sip/bodies.js';
import { sipNetworkConfigSchema } from '../../src/networks/sip/config.js';
import { SipSession } from '../../src/networks/sip/session.js';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { InboundSink } from '../../src/networks/network.js';

describe('SIP addresses', () => {
  const domain = new VisitorDomain('web.example.org', hosted);
  /** A party's URI as it travels (SIP.js writes it), and the party read back from it as SIP.js parses it. */
  const onTheWire = (party: Address) => UserAgent.makeURI(domain.uriOf(party))!;

  it("maps parties to URIs reversibly and injectively, in the user part's alphabet, through SIP.js both ways (property)", () => {
    const party = fc
      .tuple(fc.constantFrom('web', 'irc', 'xmpp', 'sip'), fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }))
      .filter(([, id]) => !/[\s\u0000-\u001f\u007f]/.test(id))
      // Web ids are the bridge's own: a role prefix (v_, u_, a_, i_) and then anything.
      .map(([scheme, id]) => (scheme === 'web' ? (`web:u_${id}` as const) : (`${scheme}:${id}` as const)));
    fc.assert(
      fc.property(party, party, (a, b) => {
        if (!a.slice(a.indexOf(':') + 1).isWellFormed() || !b.slice(b.indexOf(':') + 1).isWellFormed()) return;
        const ua = userOfParty(a, hosted);
        assert.match(ua, /^[A-Za-z0-9\-_.!~*'()%+?/]+$/, 'no `:`, which would start a password (RFC 3261 19.1.1)');
        const uri = onTheWire(a);
        assert.equal(uri.toString(), domain.uriOf(a), 'SIP.js writes the URI as the bridge made it');
        assert.equal(domain.partyOf(uri), a);
        if (a !== b) assert.notEqual(ua, userOfParty(b, hosted));
      }),
      { numRuns: 500 },
    );
    // A "%" of the party's own (a web id's, a gateway JID's `user%domain`) is an escape of its own on the wire, read back as it was.
    for (const withPercent of ['web:u_a%41b', 'web:u_50%off', 'xmpp:user%hotmail.com@msn.example.org'] as const) {
      assert.equal(domain.partyOf(onTheWire(withPercent)), withPercent);
      assert.equal(domain.partyOf(UserAgent.makeURI(onTheWire(withPercent).toString())!), withPercent, 'written and parsed again');
    }
    assert.equal(domain.uriOf('web:u_a%41b'), 'sip:u_a%2541b@web.example.org');
    assert.equal(userOfParty('web:v_3fa9c', hosted), 'v_3fa9c');
    assert.equal(userOfParty('web:u_Bob.Smith@shop.example', hosted), 'u_Bob.Smith%40shop.example');
    assert.equal(userOfParty('web:u_a:b', hosted), 'u_a%3Ab');
    assert.equal(userOfParty('irc:bob@libera', hosted), 'irc%3Abob%40libera', "the scheme's colon escaped");
    assert.equal(userOfParty('xmpp:carl@localhost', hosted), 'xmpp%3Acarl%40localhost');
    // What a request names, as SIP.js parses it: every spelling of the same URI (RFC 3261 19.1.4).
    const partyAt = (uri: string) => domain.partyOf(UserAgent.makeURI(uri)!);
    assert.equal(partyAt('sip:v_3fa9c@web.example.org'), 'web:v_3fa9c');
    assert.equal(partyAt('sip:u_Bob.Smith%40shop.example@web.example.org'), 'web:u_Bob.Smith@shop.example');
    assert.equal(partyAt('sip:u_a%3Ab@web.example.org'), 'web:u_a:b', 'a web id with a colon stays a web id');
    assert.equal(partyAt('sip:xmpp%3Acarl%40localhost@web.example.org'), 'xmpp:carl@localhost');
    assert.equal(partyAt('sip:xmpp%3acarl%40localhost@web.example.org'), 'xmpp:carl@localhost', 'lowercase hex too');
    assert.equal(partyAt('sip:xmpp:carl%40localhost@web.example.org'), 'xmpp:carl@localhost', 'the older unescaped form is still read');
    assert.equal(partyAt('sip:v_%41@web.example.org'), 'web:v_A', 'escaped and plain spellings are the same URI');
    assert.equal(partyAt('sip:v_1@elsewhere.example.org'), null);
    // SIP.js hands over the user part decoded: it is read as it is.
    assert.equal(partyOfUser('u_a%41b', hosted), 'web:u_a%41b');
    assert.equal(partyOfUser('web:v_1', hosted), null);
    assert.equal(partyOfUser('switchboard', hosted), null);
    assert.equal(partyOfUser('v_a b', hosted), null);
  });

  it("reads a display name's quoted-pairs as the characters they escape, as SIP.js parses a From", () => {
    const parsed = Grammar.nameAddrHeaderParse('"O\\"Brien \\\\ Co" <sip:bob@example.org>');
    assert.equal(parsed?.displayName, 'O\\"Brien \\\\ Co', 'SIP.js leaves the quoted-pairs as written');
    assert.equal(displayNameOf(parsed.displayName), 'O"Brien \\ Co');
    assert.equal(displayNameOf('Dana Scully'), 'Dana Scully');
    // What the bridge writes reads back as the name it wrote.
    assert.equal(displayNameOf(quotedDisplayName('Dana "D" \\ Scully')), 'Dana "D" \\ Scully');
  });

  it('quotes display names with no control character left and quotes escaped, cut to 64 characters', () => {
    assert.equal([...quotedDisplayName('\u00e9'.repeat(100))].length, 64, 'characters, not bytes (docs/networks/sip.md)');
    assert.equal(quotedDisplayName(`${'a'.repeat(62)}\u{1F468}\u200D\u{1F469}\u200D\u{1F467}`), 'a'.repeat(62), 'no family emoji cut in half');
    assert.equal(quotedDisplayName('Dana "D" \\ Scully\r\nVia: x'), 'Dana \\"D\\" \\\\ Scully Via: x');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (name) => {
        const quoted = quotedDisplayName(name);
        assert.doesNotMatch(quoted, /[\u0000-\u001f\u007f]/);
        assert.doesNotMatch(quoted.replace(/\\[\\"]/g, ''), /["\\]/, 'every quote and backslash is a quoted-pair');
      }),
    );
  });
});

describe('SIP Warning header', () => {
  it('quotes the text: one line, quotes and backslashes escaped, so nothing ends the header (property)', () => {
    assert.equal(
      warningHeader('gw.example.org', 'the pair "xmpp -> sip" is not allowed'),
      'Warning: 399 gw.example.org "the pair \\"xmpp -> sip\\" is not allowed"',
    );
    assert.equal(warningHeader('gw.example.org', 'a\r\nVia: evil\\'), 'Warning: 399 gw.example.org "a Via: evil\\\\"');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const header = warningHeader('gw.example.org', text);
        assert.doesNotMatch(header, /[\u0000-\u001f\u007f]/);
        const quoted = /^Warning: 399 gw\.example\.org "(.*)"$/.exec(header)?.[1];
        assert.ok(quoted !== undefined, header);
        assert.doesNotMatch(quoted.replace(/\\[\\"]/g, ''), /["\\]/, 'every quote and backslash inside is a quoted-pair');
      }),
    );
  });
});

describe('SIMPLE bodies', () => {
  it('maps PIDF and RPID to presence, whatever the prefixes', () => {
    assert.deepEqual(presenceOfPidf(pidfBody('sip:a@b', 'available')), { status: 'available' });
    assert.deepEqual(presenceOfPidf(pidfBody('sip:a@b', 'away', 'lunch <brb>')), { status: 'away', text: 'lunch <brb>' });
    assert.deepEqual(presenceOfPidf(pidfBody('sip:a@b', 'busy')), { status: 'busy' });
    assert.deepEqual(presenceOfPidf(pidfBody('sip:a@b', 'offline')), { status: 'offline' });
    assert.equal(
      presenceOfPidf(
        '<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf"><p:tuple id="1"><p:status><p:basic>open</p:basic></p:status></p:tuple><r:activities><r:on-the-phone/></r:activities></p:presence>',
      ).status,
      'busy',
    );
    assert.equal(presenceOfPidf('<presence/>').status, 'offline');
    // A character reference to no character is U+FFFD, never an exception (a NOTIFY is remote input).
    assert.deepEqual(presenceOfPidf('<presence><tuple><status><basic>open</basic></status><note>&#x110000;&#xD800;&#65;</note></tuple></presence>'), {
      status: 'available',
      text: '\uFFFD\uFFFDA',
    });
  });

  it('writes and reads isComposing', () => {
    assert.deepEqual(composingOf(isComposingBody('composing')), { state: 'composing', refreshSeconds: 60 });
    assert.deepEqual(composingOf(isComposingBody('paused')), { state: 'paused' });
    assert.equal(composingOf('<x/>'), undefined);
    // No refresh, or one that is no whole number of seconds: the default timeout applies (composing-expiry.ts).
    const active = '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>soon</refresh></isComposing>';
    assert.deepEqual(composingOf(active), { state: 'composing' });
  });

  it('wraps text in CPIM with IMDN headers and reads it back exactly, and reads IMDNs', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const cpim = parseCpim(cpimWithImdn({ from: 'sip:v_1@w', to: 'sip:a@b', messageId: 'm_1', text, date: new Date(0) }));
        assert.equal(cpim?.body, text);
        assert.equal(cpim?.headers.get('imdn.message-id'), 'm_1');
        assert.equal(cpim?.contentType, 'text/plain;charset=utf-8');
      }),
    );
    const imdn = (inner: string) => `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m_1</message-id>${inner}</imdn>`;
    assert.deepEqual(receiptOfImdn(imdn('<delivery-notification><status><delivered/></status></delivery-notification>')), {
      messageId: 'm_1',
      status: 'delivered',
    });
    assert.deepEqual(receiptOfImdn(imdn('<display-notification><status><displayed/></status></display-notification>')), { messageId: 'm_1', status: 'read' });
    assert.deepEqual(receiptOfImdn(imdn('<delivery-notification><status><failed/></status></delivery-notification>')), { messageId: 'm_1', status: 'failed' });
    assert.equal(receiptOfImdn('<imdn/>'), undefined);
  });

  it('checks the config and names the wrong field', () => {
    const ok = sipNetworkConfigSchema.parse({
      type: 'sip',
      server: 'wss://sip.example.org/ws',
      domain: 'example.org',
      username: 'switchboard',
      password: 'x',
      visitorDomain: 'web.example.org',
    });
    assert.equal(ok.registerExpiresSeconds, 600);
    assert.equal(ok.imdn, false);
    const bad = sipNetworkConfigSchema.safeParse({
      type: 'sip',
      server: 'udp://x',
      domain: 'example.org',
      username: 'a b',
      password: 'x',
      visitorDomain: 'web example',
    });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error.issues.map((issue) => issue.path.join('.')).sort(), ['server', 'username', 'visitorDomain']);
  });
});

describe('SIP session set-up', () => {
  it('configures SIP.js without deprecated options: nothing warns at start-up', () => {
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = sipNetworkConfigSchema.parse({
      type: 'sip',
      server: 'ws://127.0.0.1:1',
      domain: 'example.org',
      username: 'switchboard',
      password: 'x',
      visitorDomain: 'web.example.org',
    });
    const session = new SipSession({
      config,
      sink: { status() {} } as unknown as InboundSink,
      logger: pino({ level: 'trace' }, capture),
      onMessage() {},
      onOnline() {},
      onOffline() {},
    });
    assert.ok(session.ua, 'the user agent was made');
    assert.ok(lines.length > 0, "SIP.js logged its configuration through the bridge's logger");
    assert.deepEqual(
      lines.filter((line) => /deprecated/i.test(line)),
      [],
    );
  });
});
