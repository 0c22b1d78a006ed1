import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenSigner } from '../../src/gateway/tokens.js';
import { API_KEY, OTHER_SITE, SITE, type TestBridge, agentAuth, call, connect, connectError, startBridge, userAuth } from '../helpers.js';

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

  it('refuses a missing siteKey and apiKey', async () => {
    assert.equal((await connectError(t, {})).code, 'unauthorized');
  });

  it('answers bad_request naming the field for a malformed auth', async () => {
    const error = await connectError(t, { siteKey: 42 });
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /siteKey/);
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

  it('refuses a hash made with another site\'s secret', async () => {
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
    const error = await connectError(t, { siteKey: SITE }, { origin: 'http://evil.test', transports: ['polling'] });
    assert.equal(error.code, 'forbidden');
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
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
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
