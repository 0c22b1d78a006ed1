// Gateway discovery without a server: XEP-0030 answers for the component's domains, XEP-0100
// section 6.3 (jabber:iq:gateway) address translation and its errors, the hop marker, and the
// `gateways` configuration.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Element, xml } from '@xmpp/component';
import { webHostedParties as hosted } from '../../src/networks/web/hosted.js';
import { JidMap } from '../../src/networks/xmpp/addresses.js';
import { discoInfo, discoItems, gatewayAnswer, gatewayName, gatewayPrompt, gatewayType, translateAddress } from '../../src/networks/xmpp/gateway-discovery.js';
import { hopsElement, hopsOf } from '../../src/networks/xmpp/stanzas.js';
import { xmppNetworkConfigSchema } from '../../src/networks/xmpp/xmpp-network.js';

const MAIN = 'web.example.org';
const SIP = { domain: 'sip.gw.example', network: 'sip' };
const IRC = { domain: 'irc.gw.example', network: 'irc', defaultHost: 'libera', name: 'Libera Chat' };
const map = new JidMap(MAIN, [SIP, IRC], hosted);

const features = (query: Element) => query.getChildren('feature').map((feature) => feature.attrs.var);
const identity = (query: Element) => query.getChild('identity')!.attrs;

describe('XMPP gateway discovery (XEP-0030, XEP-0100)', () => {
  it('describes each gateway domain with its registrar type and name', () => {
    const sip = discoInfo(map, 'sip.gw.example');
    assert.deepEqual(identity(sip), { category: 'gateway', type: 'simple', name: 'SIP/SIMPLE gateway' });
    for (const feature of [
      'http://jabber.org/protocol/disco#info',
      'http://jabber.org/protocol/disco#items',
      'jabber:iq:gateway',
      'http://jabber.org/protocol/chatstates',
      'urn:xmpp:receipts',
      'urn:xmpp:chat-markers:0',
      'urn:xmpp:sid:0',
      'http://jabber.org/protocol/nick',
      'urn:switchboard:hops:0',
    ]) {
      assert.ok(features(sip).includes(feature), feature);
    }
    assert.deepEqual(identity(discoInfo(map, 'irc.gw.example')), { category: 'gateway', type: 'irc', name: 'Libera Chat' });
    assert.equal(gatewayType('tel'), 'sms');
    assert.equal(gatewayType('matrix'), 'matrix');
    assert.equal(gatewayName({ domain: 'x', network: 'matrix' }), 'MATRIX gateway');
  });

  it('announces chat states, receipts and retractions only where the network behind has them', () => {
    const capabilities = {
      sip: { typing: true, presence: true, receipts: true, retractions: false, maxTextBytes: null, markup: 'plain' as const },
      irc: { typing: false, presence: true, receipts: false, retractions: false, maxTextBytes: null, markup: 'plain' as const },
      web: { typing: true, presence: true, receipts: true, retractions: true, maxTextBytes: null, markup: 'plain' as const },
    };
    const of = (scheme: string) => capabilities[scheme as keyof typeof capabilities];
    const irc = features(discoInfo(map, 'irc.gw.example', undefined, of));
    for (const absent of ['http://jabber.org/protocol/chatstates', 'urn:xmpp:receipts', 'urn:xmpp:chat-markers:0', 'urn:xmpp:message-retract:1'])
      assert.ok(!irc.includes(absent), absent);
    for (const present of ['jabber:iq:gateway', 'urn:xmpp:sid:0', 'urn:switchboard:hops:0']) assert.ok(irc.includes(present), present);
    assert.ok(!features(discoInfo(map, 'dave\\40libera@irc.gw.example', undefined, of)).includes('urn:xmpp:receipts'));
    // A user's JID on the main domain: its own network's capabilities (here IRC without a gateway domain).
    const mainOnly = new JidMap(MAIN, [SIP], hosted);
    assert.ok(!features(discoInfo(mainOnly, 'irc\\3adave\\40libera@web.example.org', undefined, of)).includes('http://jabber.org/protocol/chatstates'));
    assert.ok(features(discoInfo(mainOnly, 'v_1@web.example.org', undefined, of)).includes('http://jabber.org/protocol/chatstates'));
    // XEP-0424 section 2: a visitor's widget takes a retraction back; a SIP user's client cannot.
    assert.ok(features(discoInfo(mainOnly, 'v_1@web.example.org', undefined, of)).includes('urn:xmpp:message-retract:1'));
    assert.ok(!features(discoInfo(map, 'sip.gw.example', undefined, of)).includes('urn:xmpp:message-retract:1'));
    assert.ok(features(discoInfo(map, 'sip.gw.example', undefined, of)).includes('urn:xmpp:receipts'));
  });

  it('lists the gateway domains on the main domain, which also translates addresses', () => {
    const items = discoItems(map, MAIN)
      .getChildren('item')
      .map((item) => item.attrs);
    assert.deepEqual(items, [
      { jid: 'sip.gw.example', name: 'SIP/SIMPLE gateway' },
      { jid: 'irc.gw.example', name: 'Libera Chat' },
    ]);
    assert.equal(discoItems(map, 'sip.gw.example').getChildren('item').length, 0);
    assert.equal(discoItems(map, 'v_1@web.example.org').getChildren('item').length, 0);
    const main = discoInfo(map, MAIN);
    assert.deepEqual(identity(main), { category: 'gateway', type: 'web', name: 'Switchboard' });
    assert.ok(features(main).includes('jabber:iq:gateway') && features(main).includes('http://jabber.org/protocol/disco#items'));
    // A user's JID is no service: no translation, no items.
    const user = discoInfo(map, 'bob\\40example.com@sip.gw.example/res');
    assert.ok(!features(user).includes('jabber:iq:gateway'));
    assert.ok(features(user).includes('urn:xmpp:receipts'));
    // No node is published (no commands, no XEP-0115 caps), and a JID that stands for nobody has
    // nothing to describe: item-not-found (XEP-0030 sections 3.1, 3.2), as the client mode's bot says.
    const notFound = (answer: ReturnType<typeof discoInfo>) => answer.is('error') && answer.getChild('item-not-found') !== undefined;
    assert.ok(notFound(discoInfo(map, MAIN, 'caps#abc')));
    assert.ok(notFound(discoItems(map, MAIN, 'http://jabber.org/protocol/commands')));
    assert.ok(notFound(discoInfo(map, 'someone@web.example.org')), 'written as the bridge writes an id, which no party has');
    assert.ok(notFound(discoInfo(map, '^65;bc@web.example.org')), 'a local part not written as the bridge writes one');
    assert.ok(notFound(discoItems(map, 'x\\zz@sip.gw.example')));
    assert.ok(!notFound(discoInfo(map, 'v_1@web.example.org')), "a visitor's JID is there");
  });

  it('prompts for the address the way each gateway takes it', () => {
    const sip = gatewayPrompt(SIP);
    assert.equal(sip.getChildText('desc'), 'Enter the SIP address of the person you want to add (user@host)');
    assert.equal(sip.getChildText('prompt'), 'SIP address');
    assert.match(gatewayPrompt(IRC).getChildText('desc')!, /nickname for libera/);
    // The example is on a network the gateway has, not one it may not.
    assert.equal(
      gatewayPrompt({ ...IRC, defaultHost: 'oftc' }).getChildText('desc'),
      'Enter the IRC nickname and network of the person you want to add (dave@oftc, or only the nickname for oftc)',
    );
    assert.equal(gatewayPrompt(undefined).getChildText('prompt'), 'Address');
  });

  it('translates a typed address into the JID to add', () => {
    // `main`: typed at the main domain (no gateway).
    const jid = (input: string, at: 'main' | 'sip.gw.example' | 'irc.gw.example' = 'sip.gw.example') => {
      const result = translateAddress(input, at === 'main' ? undefined : map.gatewayAt(at), map);
      assert.ok(result.ok, `${input}: ${result.ok ? '' : result.text}`);
      return result.jid;
    };
    assert.equal(jid('bob@example.com'), 'bob\\40example.com@sip.gw.example');
    assert.equal(jid('sip:bob@example.com'), 'bob\\40example.com@sip.gw.example');
    assert.equal(jid('  SIP:bob@Example.COM '), 'bob\\40example.com@sip.gw.example');
    assert.equal(jid('Bob@example.com'), '^bob\\40example.com@sip.gw.example');
    assert.equal(jid('dave', 'irc.gw.example'), 'dave\\40libera@irc.gw.example');
    assert.equal(jid('dave@oftc', 'irc.gw.example'), 'dave\\40oftc@irc.gw.example');
    // The main domain takes any network's address, with its scheme.
    assert.equal(jid('sip:bob@example.com', 'main'), 'bob\\40example.com@sip.gw.example');
    assert.equal(jid('irc:dave@libera', 'main'), 'dave\\40libera@irc.gw.example');
    assert.equal(jid('tel:+15551234@example.com', 'main'), 'tel\\3a+15551234\\40example.com@web.example.org');
    // What it gives reads back as the address typed.
    const darcy = jid("d.arcy+o'hara@example.com");
    assert.equal(map.partyOf(darcy), "sip:d.arcy+o'hara@example.com");
  });

  it('refuses what is no address, saying why', () => {
    const sip = map.gatewayAt('sip.gw.example');
    const cases: [string, typeof sip, string][] = [
      ['', sip, 'bad-request'],
      ['   ', sip, 'bad-request'],
      ['bob smith@example.com', sip, 'bad-request'],
      ['bob\u0007@example.com', sip, 'bad-request'],
      ['bob\u0085@example.com', sip, 'bad-request'],
      ['bob', sip, 'bad-request'],
      ['@example.com', sip, 'bad-request'],
      ['bob@', sip, 'bad-request'],
      ['irc:dave@libera', sip, 'bad-request'],
      [`${'a'.repeat(1020)}@example.com`, sip, 'not-acceptable'],
      [`${'é'.repeat(600)}@x`, sip, 'not-acceptable'],
      ['bob@example.com', undefined, 'bad-request'],
      ['xmpp:alice@example.org', undefined, 'not-acceptable'],
      ['web:v_1', undefined, 'not-acceptable'],
    ];
    for (const [input, gateway, condition] of cases) {
      const result = translateAddress(input, gateway, map);
      assert.ok(!result.ok, JSON.stringify(input));
      assert.equal(result.condition, condition, JSON.stringify(input));
      assert.ok(result.text.length > 0);
    }
    // 340 `É` fit in 1023 bytes typed, but not once each is written as a code point.
    const long = translateAddress(`${'É'.repeat(340)}@x`, sip, map);
    assert.ok(!long.ok && long.condition === 'not-acceptable' && /too long for a JID/.test(long.text));
  });

  it('answers a set with <jid/>, or with an error element the iq callee sends as the iq error', () => {
    const sip = map.gatewayAt('sip.gw.example');
    const answer = gatewayAnswer(xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'bob@example.com')), sip, map);
    assert.equal(answer.toString(), '<query xmlns="jabber:iq:gateway"><jid>bob\\40example.com@sip.gw.example</jid></query>');
    const error = gatewayAnswer(xml('query', { xmlns: 'jabber:iq:gateway' }, xml('prompt', {}, 'no host')), sip, map);
    assert.equal(error.name, 'error');
    assert.equal(error.attrs.type, 'modify');
    assert.ok(error.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.match(error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas')!, /spaces/);
    const missing = gatewayAnswer(xml('query', { xmlns: 'jabber:iq:gateway' }), sip, map);
    assert.ok(missing.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });
});

describe('XMPP gateway hop marker', () => {
  const NS = 'urn:switchboard:hops:0';
  const message = (...children: Element[]) => xml('message', { type: 'chat' }, xml('body', {}, 'hi'), ...children);

  it('writes one hop per bridge, in order, and reads them back', () => {
    const element = hopsElement(['bridge-a', 'b.2_x']);
    assert.equal(element!.toString(), '<hops xmlns="urn:switchboard:hops:0"><hop bridge="bridge-a"/><hop bridge="b.2_x"/></hops>');
    assert.deepEqual(hopsOf(message(element!)), ['bridge-a', 'b.2_x']);
    assert.equal(hopsElement([]), null);
    assert.equal(hopsElement(undefined), null);
    assert.equal(hopsElement(['no spaces allowed']), null);
  });

  it('keeps only well-formed ids, at most 16, and ignores anything else', () => {
    assert.deepEqual(hopsOf(message()), []);
    const odd = xml(
      'hops',
      { xmlns: NS },
      'text',
      xml('hop', {}),
      xml('hop', { bridge: '' }),
      xml('hop', { bridge: 'has space' }),
      xml('hop', { bridge: 'x'.repeat(65) }),
      xml('hop', { bridge: '<b>' }),
      xml('other', { bridge: 'nope' }),
      xml('hop', { bridge: 'other-ns', xmlns: 'urn:other' }),
      xml('hop', { bridge: 'ok-1' }, xml('nested', {}, 'x')),
    );
    assert.deepEqual(hopsOf(message(odd)), ['ok-1']);
    assert.deepEqual(hopsOf(message(xml('hops', { xmlns: 'urn:other' }, xml('hop', { bridge: 'a' })))), []);
    const many = xml('hops', { xmlns: NS }, ...Array.from({ length: 40 }, (_, i) => xml('hop', { bridge: `b${i}` })));
    assert.equal(hopsOf(message(many)).length, 16);
    assert.deepEqual(hopsOf(message(xml('hops', { xmlns: NS }, xml('hop', { bridge: 'a' })), xml('hops', { xmlns: NS }, xml('hop', { bridge: 'b' })))), [
      'a',
      'b',
    ]);
  });
});

describe('XMPP gateway domains configuration', () => {
  const base = { type: 'xmpp', service: 'xmpp://127.0.0.1:5347', domain: 'web.example.org', password: 's' };
  const issues = (gateways: unknown) => {
    const result = xmppNetworkConfigSchema.safeParse({ ...base, gateways });
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('takes gateway domains, one per network', () => {
    const parsed = xmppNetworkConfigSchema.parse({
      ...base,
      gateways: [
        { domain: 'sip.gw.example', network: 'sip', defaultHost: 'example.com', name: 'SIP' },
        { domain: 'irc.gw.example', network: 'irc' },
      ],
    });
    assert.equal(parsed.mode, 'component');
    assert.equal(parsed.mode === 'component' && parsed.gateways?.length, 2);
    assert.deepEqual(issues(undefined), []);
  });

  it('names the wrong field', () => {
    assert.match(
      issues([
        { domain: 'sip.gw.example', network: 'sip' },
        { domain: 'sip2.gw.example', network: 'sip' },
      ])[0]!,
      /^gateways\.1\.network: already has a gateway domain/,
    );
    assert.match(issues([{ domain: 'Web.Example.org', network: 'sip' }])[0]!, /^gateways\.0\.domain: must differ from the main domain/);
    assert.match(
      issues([
        { domain: 'a.example', network: 'sip' },
        { domain: 'a.example', network: 'irc' },
      ])[0]!,
      /^gateways\.1\.domain: is already the domain/,
    );
    assert.match(issues([{ domain: 'bad domain', network: 'sip' }])[0]!, /^gateways\.0\.domain: must be a domain name/);
    assert.match(issues([{ domain: 'x.example', network: 'xmpp' }])[0]!, /^gateways\.0\.network: must be another network/);
    assert.match(issues([{ domain: 'x.example', network: 'SIP' }])[0]!, /^gateways\.0\.network: must be a network type/);
    assert.match(issues([{ domain: 'x.example', network: 'sip', defaultHost: 'a@b' }])[0]!, /^gateways\.0\.defaultHost/);
    assert.match(issues([{ domain: 'x.example', network: 'sip', extra: 1 }])[0]!, /^gateways\.0: /);
  });
});
