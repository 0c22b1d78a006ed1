import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config.js';
import { Authenticator } from '../../src/gateway/auth.js';
import { TokenSigner, hashesEqual, identityHash } from '../../src/gateway/tokens.js';
import type { RequestLike } from '../../src/gateway/request-origin.js';
import type { AgentSessions } from '../../src/console/sessions.js';

const SECRET = 'identity-secret-0123456789abcdef';
const config = parseConfig(
  {
    sites: [
      {
        key: 'shop',
        origins: ['https://shop.test'],
        identitySecret: SECRET,
        apiKeys: ['key-without-id-0123456789', { id: 'crm', key: 'crm-key-0123456789abc' }],
      },
      { key: 'open', origins: ['*'] },
    ],
    store: { type: 'sqlite', path: ':memory:' },
  },
  'test',
);
const TOKEN_SECRET = 'token-secret-0123456789abcdef0123456789';
const signer = new TokenSigner(TOKEN_SECRET);
const auth = new Authenticator(config.sites, signer);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'accepted';
};

describe('tokens', () => {
  it('round-trips claims and refuses tampering, expiry and garbage', () => {
    const claims = { s: 'shop', a: 'web:v_1' as const, r: 'visitor' as const, e: Math.floor(Date.now() / 1000) + 60 };
    const token = signer.sign(claims);
    assert.deepEqual(signer.verify(token), claims);
    assert.equal(signer.verify(token, Date.now() + 61_000), null);
    assert.equal(new TokenSigner('another-secret-0123456789abcdef01234').verify(token), null);
    assert.equal(signer.verify(`${token}x`), null);
    assert.equal(signer.verify('no-dot'), null);
    assert.equal(signer.verify('.abc'), null);
    assert.equal(signer.verify(`${Buffer.from('not json').toString('base64url')}.${token.split('.')[1]}`), null);
  });

  it('refuses a well-signed token whose claims are not claims (null, a list, wrong types)', () => {
    const e = Math.floor(Date.now() / 1000) + 60;
    // Signed as the bridge signs, whatever the JSON.
    const signedJson = (json: string) => {
      const body = Buffer.from(json).toString('base64url');
      return `${body}.${createHmac('sha256', TOKEN_SECRET).update(body).digest('base64url')}`;
    };
    assert.deepEqual(signer.verify(signedJson(JSON.stringify({ s: 'shop', a: 'web:v_1', r: 'visitor', e }))), { s: 'shop', a: 'web:v_1', r: 'visitor', e });
    for (const json of [
      'null',
      '[]',
      '42',
      JSON.stringify({ e }),
      JSON.stringify({ s: 1, a: 'web:v_1', r: 'visitor', e }),
      JSON.stringify({ s: 'shop', a: null, r: 'visitor', e }),
      JSON.stringify({ s: 'shop', a: 'web:v_1', r: 'integration', e }),
      JSON.stringify({ s: 'shop', a: 'web:v_1', r: 'visitor', e: String(e) }),
      JSON.stringify({ s: 'shop', a: 'web:v_1', r: 'agent', e, c: 7 }),
    ])
      assert.equal(signer.verify(signedJson(json)), null, json);
  });

  it('computes the documented identity hash and compares it in constant time', () => {
    // Known answer: HMAC-SHA256("identity-secret-0123456789abcdef", "agent:alice").
    const hash = identityHash(SECRET, 'agent', 'alice');
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.notEqual(hash, identityHash(SECRET, 'visitor', 'alice'));
    assert.equal(hashesEqual(hash.toUpperCase(), hash), true);
    assert.equal(hashesEqual(hash.slice(1), hash), false);
    assert.equal(hashesEqual('', hash), false);
  });
});

describe('handshake authentication rules', () => {
  it('derives addresses and roles from each kind of auth (web identities carry their site inside the bridge)', () => {
    const visitor = auth.authenticate({ siteKey: 'shop' }, 'https://shop.test');
    assert.match(visitor.actor.address, /^web:v_[0-9a-f]{12}$/);
    const user = auth.authenticate(
      { siteKey: 'shop', identity: { userId: 'u-1', hash: identityHash(SECRET, 'visitor', 'u-1'), name: 'Una', email: 'u@x.test' } },
      undefined,
    );
    assert.deepEqual([user.actor.address, user.actor.role, user.party!.verified, user.party!.email], ['web:u_u-1@shop', 'visitor', true, 'u@x.test']);
    const agent = auth.authenticate({ siteKey: 'shop', identity: { userId: 'al', role: 'agent', hash: identityHash(SECRET, 'agent', 'al') } }, undefined);
    assert.deepEqual([agent.actor.address, agent.actor.role], ['web:a_al@shop', 'agent']);
    assert.equal(auth.authenticate({ apiKey: 'crm-key-0123456789abc' }, undefined).actor.address, 'web:i_crm@shop');
    assert.match(auth.authenticate({ apiKey: 'key-without-id-0123456789' }, undefined).actor.address, /^web:i_[0-9a-f]{12}@shop$/);
    assert.equal(visitor.party, undefined, 'an anonymous visitor is not stored at its handshake');
  });

  it('checks the Origin per site, with * for any', () => {
    assert.equal(
      code(() => auth.authenticate({ siteKey: 'shop' }, 'https://evil.test')),
      'forbidden',
    );
    assert.equal(
      code(() => auth.authenticate({ siteKey: 'open' }, 'https://anything.test')),
      'accepted',
    );
  });

  it('refuses identities on a site without a secret, and malformed user ids', () => {
    assert.equal(
      code(() => auth.authenticate({ siteKey: 'open', identity: { userId: 'x', hash: 'ab' } }, undefined)),
      'unauthorized',
    );
    assert.equal(
      code(() => auth.authenticate({ siteKey: 'shop', identity: { userId: 'a b', hash: 'ab' } }, undefined)),
      'bad_request',
    );
    assert.equal(
      code(() => auth.authenticate('not an object', undefined)),
      'bad_request',
    );
  });

  it('renews a visitor token on resume but not an agent token, which expires sooner', () => {
    const now = Date.now();
    const visitor = auth.authenticate({ siteKey: 'shop' }, undefined, now);
    const agent = auth.authenticate({ siteKey: 'shop', identity: { userId: 'al', role: 'agent', hash: identityHash(SECRET, 'agent', 'al') } }, undefined, now);
    const visitorExpiry = signer.verify(visitor.token, now)!.e;
    const agentExpiry = signer.verify(agent.token, now)!.e;
    assert.equal(visitorExpiry - Math.floor(now / 1000), 30 * 86_400);
    assert.equal(agentExpiry - Math.floor(now / 1000), 12 * 3600);
    const later = now + 3_600_000;
    const resumedVisitor = auth.authenticate({ siteKey: 'shop', token: visitor.token }, undefined, later);
    assert.ok(signer.verify(resumedVisitor.token, later)!.e > visitorExpiry);
    const resumedAgent = auth.authenticate({ siteKey: 'shop', token: agent.token }, undefined, later);
    assert.equal(resumedAgent.actor.role, 'agent');
    assert.equal(signer.verify(resumedAgent.token, later)!.e, agentExpiry);
    assert.equal(
      code(() => auth.authenticate({ siteKey: 'shop', token: agent.token }, undefined, now + 13 * 3_600_000)),
      'unauthorized',
    );
  });

  it('names the anonymous visitor a signed-in user was on the device (its token beside the identity), and only a valid one of the same site', () => {
    const identity = { userId: 'dana', hash: identityHash(SECRET, 'visitor', 'dana') };
    const anonymous = auth.authenticate({ siteKey: 'shop' }, undefined);
    const signedIn = auth.authenticate({ siteKey: 'shop', identity, token: anonymous.token }, undefined);
    assert.equal(signedIn.actor.address, 'web:u_dana@shop');
    assert.equal(signedIn.signedInFrom, anonymous.actor.address);
    assert.equal(auth.authenticate({ siteKey: 'shop', identity }, undefined).signedInFrom, undefined, 'no token, nothing to link');
    const elsewhere = auth.authenticate({ siteKey: 'open' }, undefined);
    const ignored = [
      elsewhere.token, // another site's visitor
      signedIn.token, // a signed-in user's own token
      `${anonymous.token}x`, // not a token
    ];
    for (const token of ignored) assert.equal(auth.authenticate({ siteKey: 'shop', identity, token }, undefined).signedInFrom, undefined, token);
    const agent = { userId: 'al', role: 'agent' as const, hash: identityHash(SECRET, 'agent', 'al') };
    assert.equal(auth.authenticate({ siteKey: 'shop', identity: agent, token: anonymous.token }, undefined).signedInFrom, undefined, 'agents link nothing');
    const later = Date.now() + 31 * 86_400_000;
    assert.equal(auth.authenticate({ siteKey: 'shop', identity, token: anonymous.token }, undefined, later).signedInFrom, undefined, 'an expired token');
  });
});

describe('tokens of a console session (claim c)', () => {
  const live = new Set(['session-running']);
  const sessions = { live: (key: string) => Promise.resolve(live.has(key)) } as unknown as AgentSessions;
  const withSessions = new Authenticator(config.sites, signer, sessions);
  const agentToken = (c?: string) =>
    signer.sign({ s: 'shop', a: 'web:a_al', r: 'agent', e: Math.floor(Date.now() / 1000) + 60, ...(c !== undefined ? { c } : {}) });
  const request = () => ({ headers: {}, socket: { remoteAddress: '127.0.0.1' } }) as unknown as RequestLike;

  it('works on bearer requests while its session runs; a token without the claim is not tied to any', async () => {
    assert.equal((await withSessions.bearer(agentToken('session-running')))?.address, 'web:a_al@shop');
    assert.equal(await withSessions.bearer(agentToken('session-ended')), null);
    assert.equal((await withSessions.bearer(agentToken()))?.address, 'web:a_al@shop');
    assert.equal(await auth.bearer(agentToken('session-running')), null, 'no console sessions: no session runs');
  });

  it('is refused at the handshake once its session ended, and keeps its claim when renewed', async () => {
    const token = agentToken('session-running');
    const result = await withSessions.authenticateHandshake({ siteKey: 'shop', token }, request());
    assert.equal(result.consoleSession, 'session-running');
    assert.equal(signer.verify(result.token)?.c, 'session-running');
    await assert.rejects(withSessions.authenticateHandshake({ siteKey: 'shop', token: agentToken('session-ended') }, request()), { code: 'unauthorized' });
    assert.equal((await withSessions.authenticateHandshake({ siteKey: 'shop', token: agentToken() }, request())).consoleSession, undefined);
  });
});
