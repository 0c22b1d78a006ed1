import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenSigner } from '../../src/gateway/tokens.js';
import WebSocket from 'ws';
import {
  API_KEY,
  ORIGIN,
  OTHER_SITE,
  SITE,
  type HttpAnswer,
  type TestBridge,
  agentAuth,
  bodyOf,
  call,
  connect,
  connectError,
  rawSocket,
  startBridge,
  userAuth,
} from '../helpers.js';

describe('handshake authentication', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it('makes a new anonymous visitor and sends `session` first', async () => {
    const { socket, session } = await connect(t, { siteKey: SITE });
    assert.equal(session.role, 'visitor');
    assert.match(session.self, /^web:v_[0-9a-f]{12}$/);
    assert.ok(session.token.length > 20);
    socket.disconnect();
  });

  it('resumes the same visitor with its token', async () => {
    const first = await connect(t, { siteKey: SITE });
    first.socket.disconnect();
    const again = await connect(t, { siteKey: SITE, token: first.session.token });
    assert.equal(again.session.self, first.session.self);
    assert.equal(again.session.role, 'visitor');
  });

  it('refuses an unknown site key', async () => {
    const error = await connectError(t, { siteKey: 'no-such-site' });
    assert.equal(error.code, 'unauthorized');
    assert.match(error.message, /siteKey/);
  });

  it('answers bad_request to an identity name with an unpaired surrogate', async () => {
    const auth = userAuth('ann', { name: 'Ann \uD800' });
    const error = await connectError(t, auth);
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /identity\.name: contains an unpaired surrogate/);
  });

  it('refuses a missing siteKey and apiKey', async () => {
    assert.equal((await connectError(t, {})).code, 'unauthorized');
  });

  it('answers bad_request naming the field for a malformed auth', async () => {
    const error = await connectError(t, { siteKey: 42 });
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /siteKey/);
  });

  it('refuses a handshake auth holding a key of the prototype machinery, at any depth', async () => {
    for (const [json, key] of [
      [`{"siteKey":"${SITE}","__proto__":{"x":1}}`, '__proto__'],
      [`{"siteKey":"${SITE}","constructor":{"a":1}}`, 'constructor'],
      [`{"siteKey":"${SITE}","identity":{"prototype":{"role":"agent"}}}`, 'prototype'],
      [`{"siteKey":"${SITE}","agentSession":true,"__proto__":{}}`, '__proto__'],
    ] as const) {
      assert.deepEqual(await connectError(t, JSON.parse(json)), { code: 'bad_request', message: `auth: the key "${key}" is not allowed` }, json);
    }
  });

  it('refuses a forged identity hash', async () => {
    const auth = agentAuth('alice');
    auth.identity.hash = auth.identity.hash.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    const error = await connectError(t, auth);
    assert.equal(error.code, 'unauthorized');
    assert.match(error.message, /hash/);
  });

  it('refuses a hash made for another role (a visitor hash does not make an agent)', async () => {
    const visitor = userAuth('mallory');
    const error = await connectError(t, { siteKey: SITE, identity: { ...visitor.identity, role: 'agent' } });
    assert.equal(error.code, 'unauthorized');
  });

  it("refuses a hash made with another site's secret", async () => {
    const error = await connectError(t, agentAuth('alice', SITE, 'other-identity-secret-0123456789'));
    assert.equal(error.code, 'unauthorized');
  });

  it('accepts a vouched agent and a vouched user', async () => {
    const agent = await connect(t, agentAuth('alice'));
    assert.deepEqual([agent.session.role, agent.session.self], ['agent', 'web:a_alice']);
    const user = await connect(t, userAuth('u42', { name: 'Jo' }));
    assert.deepEqual([user.session.role, user.session.self], ['visitor', 'web:u_u42']);
    agent.socket.disconnect();
    user.socket.disconnect();
  });

  it('refuses a wrong Origin on the websocket transport', async () => {
    const error = await connectError(t, { siteKey: SITE }, { origin: 'http://evil.test', transports: ['websocket'] });
    assert.equal(error.code, 'forbidden');
    assert.match(error.message, /evil\.test/);
  });

  it('refuses a wrong Origin on the polling transport', async () => {
    // No site allows evil.test: the polling requests after the handshake are refused with 403.
    const socket = rawSocket(t, { siteKey: SITE }, { origin: 'http://evil.test', transports: ['polling'] });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('session', () => resolve('connected'));
      socket.once('connect_error', () => resolve('refused'));
      socket.connect();
    });
    assert.equal(outcome, 'refused');
    // An origin that some other site allows gets the readable `forbidden` of the namespace.
    const error = await connectError(t, { siteKey: SITE }, { origin: 'http://other.test', transports: ['polling'] });
    assert.equal(error.code, 'forbidden');
  });

  it('checks the Origin of every request of a session, not only its handshake (raw HTTP)', async () => {
    const polling = `${t.url}/socket.io/?EIO=4&transport=polling`;
    const open = await fetch(polling); // a handshake without Origin, as server-side code makes
    assert.equal(open.status, 200);
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    const evil = { origin: 'http://evil.test' };
    const post = await fetch(`${polling}&sid=${sid}`, { method: 'POST', headers: evil, body: '40/v1,{"siteKey":"test-site"}' });
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('access-control-allow-origin'), null);
    assert.deepEqual(Object.keys((await bodyOf<HttpAnswer>(post)).error), ['code', 'message']);
    const get = await fetch(`${polling}&sid=${sid}`, { headers: evil });
    assert.equal(get.status, 403);
    assert.equal((await bodyOf<HttpAnswer>(get)).error.code, 'forbidden');
    const preflight = await fetch(`${polling}&sid=${sid}`, { method: 'OPTIONS', headers: { ...evil, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);

    const upgrade = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, { headers: evil });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('upgraded from a forbidden origin')));
      ws.once('error', () => undefined);
    });
    assert.equal(upgrade, 403);

    // The session itself still works from where it started, and an allowed origin is answered.
    const ok = await fetch(`${polling}&sid=${sid}`, { method: 'POST', headers: { origin: ORIGIN }, body: '40/v1,{"siteKey":"test-site"}' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
  });

  it('never reflects an origin no site allows in CORS headers, even on a handshake', async () => {
    const response = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'http://evil.test' } });
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    await response.text();
  });

  it('refuses an origin allowed for another site', async () => {
    const error = await connectError(t, { siteKey: SITE }, { origin: 'http://other.test' });
    assert.equal(error.code, 'forbidden');
  });

  it('accepts an allowed Origin on the polling transport', async () => {
    const { session, socket } = await connect(t, { siteKey: SITE }, { transports: ['polling'] });
    assert.equal(session.role, 'visitor');
    const opened = await call(socket, 'conversation:open', { team: 'support' });
    assert.equal(opened.ok, true);
  });

  it('refuses an expired token', async () => {
    const first = await connect(t, { siteKey: SITE });
    first.socket.disconnect();
    const secret = await t.bridge.store.secret('token');
    const expired = new TokenSigner(secret).sign({ s: SITE, a: first.session.self, r: 'visitor', e: Math.floor(Date.now() / 1000) - 10 });
    const error = await connectError(t, { siteKey: SITE, token: expired });
    assert.equal(error.code, 'unauthorized');
    assert.match(error.message, /token/);
  });

  it('refuses a token of another site (foreign)', async () => {
    const other = await connect(t, { siteKey: OTHER_SITE }, { origin: 'http://other.test' });
    other.socket.disconnect();
    const error = await connectError(t, { siteKey: SITE, token: other.session.token });
    assert.equal(error.code, 'unauthorized');
    assert.match(error.message, /another site/);
  });

  it('refuses a tampered token', async () => {
    const first = await connect(t, { siteKey: SITE });
    first.socket.disconnect();
    const [body, mac] = first.session.token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
    claims.a = 'web:a_alice';
    const forged = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
    assert.equal((await connectError(t, { siteKey: SITE, token: forged })).code, 'unauthorized');
    assert.equal((await connectError(t, { siteKey: SITE, token: 'garbage' })).code, 'unauthorized');
  });

  it('accepts an API key as an integration and refuses an unknown one', async () => {
    const { session } = await connect(t, { apiKey: API_KEY }, { origin: null });
    assert.deepEqual([session.role, session.self], ['integration', 'web:i_crm']);
    assert.equal((await connectError(t, { apiKey: 'not-a-key-0123456789' })).code, 'unauthorized');
  });

  it('accepts a client that sends no Origin (server-side code)', async () => {
    const { session } = await connect(t, { siteKey: SITE }, { origin: null });
    assert.equal(session.role, 'visitor');
  });
});
