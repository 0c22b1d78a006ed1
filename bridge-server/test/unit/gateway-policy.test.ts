// The gateway's policy: pairs and domains allowed, loops (the bridge's own identities, its id in a
// hop marker, too many hops) and the rate per sender; and the hop marker as read from the wire.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayConfigSchema, GatewayPolicy } from '../../src/core/interop/gateway-policy.js';
import { cleanHops } from '../../src/util/hops.js';

const policy = (config: Record<string, unknown>, owned: (a: string) => boolean = () => false) =>
  new GatewayPolicy(gatewayConfigSchema.parse({ site: 'shop', ...config }), 'bridge-a', owned);

describe('gateway policy', () => {
  it('allows only the listed directed pairs of networks, never web and never a network to itself', () => {
    const p = policy({ allow: [{ from: 'xmpp', to: 'sip' }] });
    assert.deepEqual(p.check('xmpp:carl@example.org', 'sip:bob@example.com'), { ok: true });
    const back = p.check('sip:bob@example.com', 'xmpp:carl@example.org');
    assert.equal(back.ok, false);
    assert.match(!back.ok ? back.message : '', /does not connect sip to xmpp/);
    assert.equal(p.check('xmpp:carl@example.org', 'xmpp:dora@example.org').ok, false);
    assert.equal(p.check('web:v_1', 'sip:bob@example.com').ok, false);
  });

  it('restricts a pair to the domains listed for the sender and the recipient, with *.domain for subdomains', () => {
    const p = policy({ allow: [{ from: 'xmpp', to: 'sip', fromDomains: ['example.org'], toDomains: ['*.example.com', 'partner.test'] }] });
    assert.equal(p.check('xmpp:carl@example.org', 'sip:bob@pbx.example.com').ok, true);
    assert.equal(p.check('xmpp:carl@example.org', 'sip:bob@PARTNER.test').ok, true);
    const otherRecipient = p.check('xmpp:carl@example.org', 'sip:bob@example.net');
    assert.match(!otherRecipient.ok ? otherRecipient.message : '', /example\.org on xmpp to example\.net on sip/);
    assert.equal(p.check('xmpp:carl@evil.org', 'sip:bob@pbx.example.com').ok, false);
    assert.equal(p.check('xmpp:carl@example.org', 'sip:bob@example.com').ok, false, '*.example.com is subdomains only');
  });

  it('refuses loops: an identity of the bridge, its own id in the hop marker, or a chain past maxHops', () => {
    const p = policy({ allow: [{ from: 'xmpp', to: 'sip' }], maxHops: 3 }, (address) => address.endsWith('@gw.example.org'));
    const reason = (verdict: ReturnType<GatewayPolicy['check']>) => (verdict.ok ? 'ok' : verdict.reason);
    assert.equal(reason(p.check('xmpp:carl@example.org', 'sip:xmpp:carl%40example.org@gw.example.org')), 'loop');
    assert.equal(reason(p.check('xmpp:carl@example.org', 'sip:bob@example.com', ['bridge-b', 'bridge-a'])), 'loop');
    assert.equal(reason(p.check('xmpp:carl@example.org', 'sip:bob@example.com', ['b', 'c', 'd'])), 'loop');
    assert.equal(reason(p.check('xmpp:carl@example.org', 'sip:bob@example.com', ['b', 'c'])), 'ok');
  });

  it('limits each sender to its own bucket, and reachable() does not count', () => {
    const p = policy({ allow: [{ from: 'xmpp', to: 'sip' }], ratePerMinute: 1, burst: 2 });
    for (let i = 0; i < 5; i++) assert.equal(p.reachable('xmpp:carl@example.org', 'sip:bob@example.com').ok, true);
    assert.equal(p.check('xmpp:carl@example.org', 'sip:bob@example.com').ok, true);
    assert.equal(p.check('xmpp:carl@example.org', 'sip:bob@example.com').ok, true);
    const third = p.check('xmpp:carl@example.org', 'sip:bob@example.com');
    assert.equal(!third.ok && third.reason, 'rate-limited');
    assert.equal(p.check('xmpp:dora@example.org', 'sip:bob@example.com').ok, true, 'another sender has its own bucket');
  });

  it('rejects a bridge id that could not travel in a marker, and bad domain patterns', () => {
    assert.equal(gatewayConfigSchema.safeParse({ site: 's', allow: [{ from: 'xmpp', to: 'sip' }], id: 'a b' }).success, false);
    assert.equal(gatewayConfigSchema.safeParse({ site: 's', allow: [{ from: 'xmpp', to: 'sip', toDomains: ['ex ample.com'] }] }).success, false);
    assert.equal(gatewayConfigSchema.safeParse({ site: 's', allow: [{ from: 'xmpp', to: 'sip' }], id: 'edge-1.eu' }).success, true);
    // Pairs that could never carry a message: refused with why, not accepted to do nothing.
    const issue = (allow: unknown) => {
      const parsed = gatewayConfigSchema.safeParse({ site: 's', allow });
      return parsed.success ? 'accepted' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.equal(issue([{ from: 'xmpp', to: 'web' }]), "allow.0.to: web users are the site's visitors and agents: they never use the gateway");
    assert.equal(issue([{ from: 'irc', to: 'irc' }]), 'allow.0.to: a network to itself needs no gateway: its users reach each other on it');
  });
});

describe('hop marker', () => {
  it('keeps only well-formed ids, in order, at most 16', () => {
    assert.deepEqual(cleanHops([' a ', 'b\r\nInjected: x', '', 'c.d_e-f', '<x/>']), ['a', 'c.d_e-f']);
    assert.equal(cleanHops(Array.from({ length: 40 }, (_, i) => `b${i}`)).length, 16);
    assert.deepEqual(cleanHops(['x'.repeat(65), 'y'.repeat(64)]), ['y'.repeat(64)]);
  });
});
