import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LIMITS } from '@switchboard/protocol';
import WebSocket from 'ws';
import {
  API_KEY,
  SITE,
  type TestBridge,
  type V1Socket,
  agentAuth,
  type HttpAnswer,
  type Readiness,
  bodyOf,
  call,
  callUnchecked,
  connect,
  emitUnchecked,
  startBridge,
  userAuth,
} from '../helpers.js';

/** [event, payload, the field the error must name] */
const BAD_PAYLOADS: [string, unknown, RegExp][] = [
  ['conversation:open', {}, /team/],
  ['conversation:open', { team: 'support', to: 'web:a_alice' }, /team/],
  ['conversation:open', { team: 42 }, /team/],
  ['conversation:open', { to: 'not an address' }, /to/],
  ['conversation:open', { to: 'web:' + 'x'.repeat(600) }, /to/],
  ['conversation:list', { state: 'archived' }, /state/],
  ['conversation:list', { limit: 'ten' }, /limit/],
  ['conversation:close', {}, /conversationId/],
  ['conversation:close', { conversationId: '' }, /conversationId/],
  ['message:send', { clientId: 'a', text: 'hi' }, /conversationId/],
  ['message:send', { conversationId: 5, clientId: 'a', text: 'hi' }, /conversationId/],
  ['message:send', { conversationId: 'c', text: 'hi' }, /clientId/],
  ['message:send', { conversationId: 'c', clientId: 'a'.repeat(200), text: 'hi' }, /clientId/],
  ['message:send', { conversationId: 'c', clientId: 'a' }, /text/],
  ['message:send', { conversationId: 'c', clientId: 'a', text: 17 }, /text/],
  ['message:send', { conversationId: 'c', clientId: 'a', text: '   \n ' }, /text/],
  ['message:send', { conversationId: 'c', clientId: 'a', text: ['hi'] }, /text/],
  ['history:get', {}, /conversationId/],
  ['history:get', { conversationId: 'c', limit: 101 }, /limit/],
  ['history:get', { conversationId: 'c', limit: 0 }, /limit/],
  ['history:get', { conversationId: 'c', afterSeq: -1 }, /afterSeq/],
  ['history:get', { conversationId: 'c', afterSeq: 1.5 }, /afterSeq/],
  ['history:get', { conversationId: 'c', afterSeq: 1, beforeSeq: 5 }, /beforeSeq/],
  ['sync', {}, /cursors/],
  ['sync', { cursors: [] }, /cursors/],
  ['sync', { cursors: { c: 'one' } }, /cursors/],
  ['sync', { cursors: { c: -3 } }, /cursors/],
  ['typing', { conversationId: 'c', state: 'shouting' }, /state/],
  ['typing', { state: 'composing' }, /conversationId/],
  ['read', { conversationId: 'c' }, /seq/],
  ['read', { conversationId: 'c', seq: '3' }, /seq/],
  ['presence:subscribe', { addresses: 'web:a_alice' }, /addresses/],
  ['presence:subscribe', { addresses: ['bad address'] }, /addresses/],
  ['presence:subscribe', { addresses: Array.from({ length: 101 }, (_, i) => `web:a_${i}`) }, /addresses/],
  ['presence:set', { status: 'sleeping' }, /status/],
  ['profile:update', { name: 42 }, /name/],
  ['profile:update', { pageUrl: 'ftp://x.test/' }, /pageUrl/],
  // Every free-text field refuses an unpaired surrogate, as message text does.
  ['profile:update', { name: 'Ann \uD800' }, /name: contains an unpaired surrogate/],
  ['profile:update', { email: 'ann\uDC00@x.test' }, /email: contains an unpaired surrogate/],
  ['profile:update', { pageUrl: 'https://shop.test/\uD83D' }, /pageUrl: contains an unpaired surrogate/],
  ['presence:set', { status: 'away', text: 'back \uDFFF soon' }, /text: contains an unpaired surrogate/],
  ['conversation:rate', { conversationId: 'c', rating: 5, comment: 'great\uD800' }, /comment: contains an unpaired surrogate/],
  ['conversation:open', { to: 'web:a_\uD800' }, /to: contains an unpaired surrogate/],
  ['message:send', { conversationId: 'c', clientId: 'id\uDC00', text: 'hi' }, /clientId: contains an unpaired surrogate/],
  // Binary data (socket.io's binary attachments) in no field at all, even one the contract does not name.
  [
    'message:send',
    { conversationId: 'c', clientId: 'b', text: 'hi', extra: Buffer.alloc(10) },
    /^extra: binary data is not accepted \(every payload is JSON\)$/,
  ],
  ['conversation:open', { team: 'support', meta: { blob: Buffer.from([1]) } }, /^meta\.blob: binary data is not accepted/],
  ['party:get', {}, /address/],
  ['party:get', { address: 'nobody' }, /address/],
];

const NOT_OBJECTS: unknown[] = ['a string', 42, null, true, [1, 2], Buffer.from('binary')];

describe('payload validation', () => {
  let t: TestBridge;
  let socket: V1Socket;
  before(async () => {
    t = await startBridge();
    socket = (await connect(t, { siteKey: SITE })).socket;
  });
  after(() => t.stop());

  for (const [event, payload, field] of BAD_PAYLOADS) {
    it(`${event} ${JSON.stringify(payload).slice(0, 60)} -> bad_request naming the field`, async () => {
      const result = await callUnchecked(socket, event, payload);
      assert.equal(result.ok, false);
      assert.equal(result.error.code, 'bad_request');
      assert.match(result.error.message, field);
    });
  }

  it('answers bad_request to a payload that is not an object, for every event', async () => {
    for (const event of [
      'conversation:open',
      'conversation:close',
      'message:send',
      'history:get',
      'sync',
      'typing',
      'read',
      'presence:subscribe',
      'presence:set',
      'profile:update',
      'party:get',
    ]) {
      for (const payload of NOT_OBJECTS) {
        const result = await callUnchecked(socket, event, payload);
        assert.equal(result.error?.code, 'bad_request', `${event} with ${String(payload)}`);
        assert.match(result.error.message, /payload/);
      }
      const missing = await callUnchecked(socket, event);
      assert.equal(missing.error?.code, 'bad_request', `${event} with no payload`);
    }
  });

  it('refuses binary data in an argument after the payload, and stores nothing', async () => {
    const opened = await call(socket, 'conversation:open', { team: 'support' });
    const conversationId = opened.conversation.id;
    const refused = await new Promise((resolve) =>
      emitUnchecked(socket, 'message:send', { conversationId, clientId: 'bin-extra', text: 'hi' }, Buffer.from([1, 2]), resolve),
    );
    assert.deepEqual(refused, { ok: false, error: { code: 'bad_request', message: 'payload: binary data is not accepted (every payload is JSON)' } });
    const history = await call(socket, 'history:get', { conversationId });
    assert.equal(history.messages.filter((m: { text: string }) => m.text === 'hi').length, 0);
  });

  it('answers bad_request to an unknown event', async () => {
    const result = await callUnchecked(socket, 'conversation:delete', { conversationId: 'c' });
    assert.equal(result.error.code, 'bad_request');
    assert.match(result.error.message, /unknown event/);
  });

  it('answers too_large to a text over the limit, and accepts one at the limit (in code points)', async () => {
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    const tooLong = await call(socket, 'message:send', { conversationId, clientId: 'big', text: 'x'.repeat(LIMITS.maxTextLength + 1) });
    assert.equal(tooLong.error.code, 'too_large');
    assert.match(tooLong.error.message, /text/);
    const emoji = '\u{1F600}'.repeat(LIMITS.maxTextLength); // 2 UTF-16 units each, one character each
    const atLimit = await call(socket, 'message:send', { conversationId, clientId: 'emoji', text: emoji });
    assert.equal(atLimit.ok, true);
    assert.equal(atLimit.message.text, emoji);
  });

  it("tells each connection a text limit set below the protocol's, and holds texts to it", async () => {
    const usual = await connect(t, { siteKey: SITE });
    assert.equal(usual.session.maxTextLength, undefined, "the default limit is the protocol's, which clients know");
    usual.socket.disconnect();
    const lower = await startBridge({ limits: { ratePerSecond: 1000, burst: 1000, maxTextLength: 300 } });
    try {
      for (const auth of [{ siteKey: SITE }, agentAuth('alice')]) {
        const { session: told, socket: client } = await connect(lower, auth);
        assert.equal(told.maxTextLength, 300, told.role);
        client.disconnect();
      }
      const visitor = await connect(lower, { siteKey: SITE });
      const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
      const tooLong = await call(visitor.socket, 'message:send', { conversationId, clientId: 'long', text: 'x'.repeat(301) });
      assert.equal(tooLong.error.code, 'too_large');
      assert.equal((await call(visitor.socket, 'message:send', { conversationId, clientId: 'fits', text: 'x'.repeat(300) })).ok, true);
      visitor.socket.disconnect();
    } finally {
      await lower.stop();
    }
  });

  it('refuses text with an unpaired surrogate rather than storing something else', async () => {
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    const result = await call(socket, 'message:send', { conversationId, clientId: 'lone', text: 'broken \uD800 text' });
    assert.equal(result.error.code, 'bad_request');
  });

  it('leaves a profile as it was when a field holds an unpaired surrogate', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    assert.equal((await call(visitor.socket, 'profile:update', { name: 'Ann \u{1F600}' })).ok, true);
    const refused = await call(visitor.socket, 'profile:update', { name: 'Ann \uD800' });
    assert.equal(refused.error.code, 'bad_request');
    const party = await call(visitor.socket, 'party:get', { address: visitor.session.self });
    assert.equal(party.party.name, 'Ann \u{1F600}');
    assert.ok(!party.party.name.includes('\uFFFD'));
  });

  it("writes the site's addresses in an error's words as the party writes them, without the bridge's site scope", async () => {
    const unknown = await call(socket, 'party:get', { address: 'web:u_nobody' });
    assert.deepEqual(unknown.error, { code: 'not_found', message: 'address: no party "web:u_nobody" known to this site' });
    const watcher = await connect(t, { siteKey: SITE });
    const hidden = await call(watcher.socket, 'presence:subscribe', { addresses: ['web:u_someone'] });
    assert.equal(hidden.error.code, 'forbidden');
    assert.match(hidden.error.message, /not "web:u_someone"$/);
    watcher.socket.disconnect();
    // A refusal names the field given.
    const verified = await connect(t, userAuth('vera'));
    const email = await call(verified.socket, 'profile:update', { email: 'other@example.com' });
    assert.deepEqual(email.error, { code: 'forbidden', message: 'email: the website vouched for this user; its name and email come from the website' });
    verified.socket.disconnect();
  });

  it('keeps text verbatim: markup, control characters, RTL overrides', async () => {
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    const texts = ['<script>alert(1)</script>', 'a\u0000b\r\nc\td', '\u202Eevil\u202C', ']]>&amp;"\'', 'line1\nline2'];
    for (const [i, text] of texts.entries()) {
      const result = await call(socket, 'message:send', { conversationId, clientId: `v${i}`, text });
      assert.equal(result.message.text, text);
    }
    const history = await call(socket, 'history:get', { conversationId });
    assert.deepEqual(history.messages.map((m: { text: string }) => m.text).slice(-texts.length), texts);
  });

  it('survives events sent without an ack callback', async () => {
    emitUnchecked(socket, 'message:send', { bad: true });
    emitUnchecked(socket, 'no-such-event', {});
    const still = await call(socket, 'conversation:list', {});
    assert.equal(still.ok, true);
  });

  it('closes only the offending connection on a packet over the size limit', async () => {
    const bystander = (await connect(t, agentAuth('alice'))).socket;
    const offender = (await connect(t, { siteKey: SITE })).socket;
    const closed = new Promise<string>((resolve) => offender.once('disconnect', resolve));
    emitUnchecked(offender, 'message:send', { conversationId: 'c', clientId: 'huge', text: 'x'.repeat(LIMITS.maxPayloadBytes + 10) });
    assert.match(await closed, /transport/);
    assert.equal((await call(bystander, 'conversation:list', {})).ok, true);
  });

  it('survives garbage on the wire (not socket.io, not JSON) and keeps serving others', async () => {
    const bystander = (await connect(t, agentAuth('bob'))).socket;
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await new Promise((resolve) => ws.once('message', resolve)); // engine.io open packet
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.send('40/v1,{"siteKey":"test-site"}');
    ws.send('42/v1,["message:send",{not json');
    ws.send('\u0000\u0001garbage');
    ws.send(Buffer.from([0xff, 0xfe, 0x00]));
    await closed;
    assert.equal((await call(bystander, 'conversation:list', {})).ok, true);
  });

  it("does not let one client's flood delay another client", async () => {
    const flooder = (await connect(t, { siteKey: SITE })).socket;
    const calm = (await connect(t, { siteKey: SITE })).socket;
    for (let i = 0; i < 2000; i++) flooder.emit('conversation:list', {}, () => undefined);
    const started = Date.now();
    assert.equal((await call(calm, 'conversation:list', {})).ok, true);
    assert.ok(Date.now() - started < 5000);
  });
});

describe('rate limit', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge({ limits: { ratePerSecond: 5, burst: 5 } });
  });
  after(() => t.stop());

  it('answers rate_limited past the burst, on that connection only', async () => {
    // A bucket that refills a token in 100 s: exactly the burst gets through, however slowly the ten are read.
    const slow = await startBridge({ limits: { ratePerSecond: 0.01, burst: 5 } });
    try {
      const noisy = (await connect(slow, { siteKey: SITE })).socket;
      const quiet = (await connect(slow, { siteKey: SITE })).socket;
      const results = await Promise.all(Array.from({ length: 10 }, () => call(noisy, 'conversation:list', {})));
      assert.equal(results.filter((r) => r.ok).length, 5);
      const limited = results.filter((r) => !r.ok);
      assert.equal(limited.length, 5);
      for (const r of limited) assert.equal(r.error.code, 'rate_limited');
      assert.equal((await call(quiet, 'conversation:list', {})).ok, true);
    } finally {
      await slow.stop();
    }
  });

  it('counts unknown events against the bucket too', async () => {
    const junk = (await connect(t, { siteKey: SITE })).socket;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => callUnchecked(junk, `no-such-event-${i}`, {})));
    const codes = results.map((r) => r.error?.code);
    const bad = codes.filter((c) => c === 'bad_request').length;
    // The burst (5), plus at most a token or two refilled while the 200 events were read.
    assert.ok(bad >= 5 && bad <= 7, `${bad} unknown events reached validation`);
    assert.equal(codes.filter((c) => c === 'rate_limited').length, 200 - bad);
  });

  it('answers 429 rate_limited with Retry-After on the REST API', async () => {
    const post = () =>
      fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'web:a_alice', text: 'hi' }),
      });
    const responses = await Promise.all(Array.from({ length: 20 }, post));
    const limited = responses.filter((r) => r.status === 429);
    // The burst (5), plus at most a few tokens refilled (one each 200 ms) while the 20 requests were read.
    const taken = responses.length - limited.length;
    assert.ok(taken >= 5 && taken <= 8, `${taken} requests taken`);
    assert.match(limited[0]!.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal((await bodyOf<HttpAnswer>(limited[0]!)).error.code, 'rate_limited');
    assert.equal(responses[0]!.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('store failure', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  it('answers internal (no stack trace) when the store fails, reports not ready, and keeps running', async () => {
    const socket = (await connect(t, { siteKey: SITE })).socket;
    const conversationId = (await call(socket, 'conversation:open', { team: 'support' })).conversation.id;
    await t.bridge.store.close();
    const result = await call(socket, 'message:send', { conversationId: `${conversationId}-other`, clientId: 'x', text: 'hi' });
    assert.equal(result.error.code, 'internal');
    assert.doesNotMatch(result.error.message, /at |sqlite|\.js/i);
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal((await bodyOf<Readiness>(ready)).store, 'down');
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
  });
});
