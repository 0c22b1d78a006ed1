// Outreach: the site's policy (networks, domains, off by default), the per-agent rate, and the
// customer's address read in its network's canonical form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { parseConfig } from '../../src/config.js';
import { OutreachPolicy, outreachConfigSchema } from '../../src/core/outreach/policy.js';
import { readTypedAddress } from '../../src/core/typed-address.js';
import { IrcAddresses } from '../../src/networks/irc/addresses.js';
import type { Network } from '../../src/networks/network.js';
import { NetworkRegistry } from '../../src/networks/registry.js';
import { webHostedParties } from '../../src/networks/web/hosted.js';
import { normalizeXmppAddress } from '../../src/networks/xmpp/addresses.js';
import { KeyedRateLimit } from '../../src/util/keyed-rate-limit.js';

const policy = (config: Record<string, unknown>, now?: () => number) => new OutreachPolicy(outreachConfigSchema.parse(config), now);
const verdict = (p: OutreachPolicy, address: string) => {
  const result = p.allows(address as Address);
  return result.ok ? 'ok' : result.message;
};

describe('outreach policy', () => {
  it('is off for a site that configures none', async () => {
    const off = new OutreachPolicy(undefined);
    assert.match(verdict(off, 'xmpp:carol@example.com'), /outreach is off for this site/);
    assert.equal((await off.take('agent:alice')).ok, false);
    const config = parseConfig({ sites: [{ key: 'shop' }], store: { type: 'sqlite', path: ':memory:' } });
    assert.equal(config.sites[0]!.outreach, undefined);
  });

  it('allows only the listed networks and domains, *.domain for subdomains only, domains compared case-insensitively', () => {
    const p = policy({ networks: ['xmpp', 'sip'], domains: ['example.com', '*.example.org'] });
    assert.equal(verdict(p, 'xmpp:carol@example.com'), 'ok');
    assert.equal(verdict(p, 'sip:bob@pbx.example.org'), 'ok');
    assert.equal(verdict(p, 'sip:bob@PBX.Example.org'), 'ok');
    assert.equal(verdict(p, 'xmpp:carol@example.org'), "this site's outreach does not include the domain example.org");
    assert.equal(verdict(p, 'xmpp:carol@evil-example.com'), "this site's outreach does not include the domain evil-example.com");
    assert.equal(verdict(p, 'irc:dave@example.com'), "this site's outreach does not include the network irc");
  });

  it("reads an IRC address's network id as its domain", () => {
    const p = policy({ networks: ['irc'], domains: ['libera'] });
    assert.equal(verdict(p, 'irc:dave@libera'), 'ok');
    assert.match(verdict(p, 'irc:dave@oftc'), /domain oftc/);
  });

  it('refuses a configuration that lists no network or no domain, and names a bad domain', () => {
    assert.equal(outreachConfigSchema.safeParse({ networks: [], domains: ['example.com'] }).success, false);
    assert.equal(outreachConfigSchema.safeParse({ networks: ['xmpp'], domains: [] }).success, false);
    assert.equal(outreachConfigSchema.safeParse({ networks: ['xmpp'], domains: ['exa mple.com'] }).success, false);
    assert.deepEqual(outreachConfigSchema.parse({ networks: ['xmpp'], domains: ['example.com'] }).rate, { perMinute: 1, burst: 10 });
  });

  it("gives each agent a burst, then its rate a minute, apart from the others'", async () => {
    let now = 0;
    const p = policy({ networks: ['xmpp'], domains: ['example.com'], rate: { perMinute: 2, burst: 3 } }, () => now);
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push((await p.take('agent:alice')).ok);
    assert.deepEqual(takes, [true, true, true, false]);
    assert.equal((await p.take('agent:bob')).ok, true, "another agent's budget is its own");
    assert.deepEqual(await p.take('agent:alice'), { ok: false, retryAfterMs: 30_000 });
    now += 30_000;
    assert.deepEqual([(await p.take('agent:alice')).ok, (await p.take('agent:alice')).ok], [true, false]);
  });
});

describe('keyed rate limit', () => {
  it('forgets the least recently seen keys beyond its size, which start afresh', () => {
    const limit = new KeyedRateLimit(1, 1, () => 0, 2);
    assert.equal(limit.take('a'), true);
    assert.equal(limit.take('a'), false);
    limit.take('b');
    limit.take('c'); // `a` is forgotten
    assert.equal(limit.take('a'), true);
  });
});

describe("a customer's address as typed", () => {
  const registry = new NetworkRegistry();
  const irc = new IrcAddresses('libera', webHostedParties);
  const network = (scheme: string, normalizeAddress?: (a: string) => Address | null) =>
    ({ scheme, ...(normalizeAddress ? { normalizeAddress } : {}) }) as Network;
  registry.add(network('xmpp', normalizeXmppAddress));
  registry.add(network('irc', (a) => irc.normalize(a)));
  registry.add(network('web'));
  const read = (typed: string) => readTypedAddress(typed, registry, webHostedParties);

  it("is read in its network's canonical form", () => {
    assert.equal(read('xmpp:Carol@Example.COM'), 'xmpp:carol@example.com');
    assert.equal(read('irc:Dave'), 'irc:dave@libera');
    assert.equal(read('IRC:dave@libera'), 'irc:dave@libera');
  });

  it('is refused when no network of the bridge owns it, it is a hosted party, or its network cannot read it', () => {
    assert.deepEqual(read('sip:bob@example.com'), {
      error: '"sip:bob@example.com" is not an address of a network this bridge connects (write it with its network: xmpp:..., sip:..., irc:...).',
    });
    assert.ok(typeof read('web:v_0123456789ab') !== 'string');
    assert.deepEqual(read('xmpp:carol@example.com/phone'), { error: '"xmpp:carol@example.com/phone" is not a valid xmpp address.' });
    assert.deepEqual(read('irc:dave@oftc'), { error: '"irc:dave@oftc" is not a valid irc address.' });
  });
});
