import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import {
  API_KEY,
  type HttpAnswer,
  type Readiness,
  SITE,
  type TestBridge,
  agentAuth,
  bodyOf,
  call,
  capturedLogs,
  connect,
  next,
  startBridge,
} from '../helpers.js';

describe('HTTP endpoints', () => {
  let t: TestBridge;
  before(async () => {
    t = await startBridge();
  });
  after(() => t.stop());

  const post = (body: string | object, headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` }) =>
    fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${t.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = await bodyOf<Readiness>(ready);
    assert.equal(body.store, 'up');
    assert.deepEqual(body.networks.web, { state: 'online' });
  });

  it('serves Prometheus metrics with connections, messages, errors and store latency', async () => {
    const visitor = await connect(t, { siteKey: SITE });
    const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
    await call(visitor.socket, 'message:send', { conversationId, clientId: 'm', text: 'count me' });
    await call(visitor.socket, 'history:get', { conversationId, limit: 1000 });
    const text = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(text, /switchboard_connections\{role="visitor"\} [1-9]/);
    assert.match(text, /switchboard_messages_total\{network="web",direction="in"\} [1-9]/);
    assert.match(text, /switchboard_errors_total\{code="bad_request"\} [1-9]/);
    assert.match(text, /switchboard_store_seconds_count\{operation="appendMessage"\} [1-9]/);
    assert.match(text, /switchboard_network_up\{network="web"\} 1/);
  });

  it('serves the SDK bundles', async () => {
    const esm = await fetch(`${t.url}/sdk.js`);
    assert.equal(esm.status, 200);
    assert.match(esm.headers.get('content-type') ?? '', /javascript/);
    assert.match(await esm.text(), /export\s*\{/);
    const iife = await fetch(`${t.url}/sdk.iife.js`);
    assert.match(await iife.text(), /Switchboard/);
  });

  it('POST /v1/messages sends to an address and reaches the recipient', async () => {
    const alice = await connect(t, agentAuth('alice'));
    const arrived = next(alice.socket, 'message');
    const response = await post({ to: 'web:a_alice', text: 'from the CRM', clientId: 'crm-1' });
    assert.equal(response.status, 201);
    const body = await bodyOf<HttpAnswer<{ message: Message }>>(response);
    assert.equal(body.ok, true);
    assert.equal(body.message.from, 'web:i_crm');
    assert.equal(body.message.seq, 1);
    assert.equal((await arrived).id, body.message.id);
    const again = await bodyOf<HttpAnswer<{ message: Message }>>(await post({ to: 'web:a_alice', text: 'from the CRM', clientId: 'crm-1' }));
    assert.equal(again.message.id, body.message.id);
    const inConversation = await post({ conversationId: body.message.conversationId, text: 'follow-up' });
    assert.equal((await bodyOf<HttpAnswer<{ message: Message }>>(inConversation)).message.seq, 2);

    // Closed since, a repeat still answers the first message, and opens nothing.
    const opened: string[] = [];
    alice.socket.on('conversation', (conversation: { id: string }) => opened.push(conversation.id));
    await call(alice.socket, 'conversation:close', { conversationId: body.message.conversationId });
    const repeat = await post({ to: 'web:a_alice', text: 'from the CRM', clientId: 'crm-1' });
    assert.equal(repeat.status, 201);
    assert.equal((await bodyOf<HttpAnswer<{ message: Message }>>(repeat)).message.id, body.message.id);
    // The same clientId with another address is refused before anything is opened.
    const reused = await post({ to: 'web:a_bob', text: 'elsewhere', clientId: 'crm-1' });
    assert.equal(reused.status, 400);
    assert.deepEqual((await bodyOf<{ error: unknown }>(reused)).error, {
      code: 'bad_request',
      message: 'clientId: already used for a message in another conversation',
    });
    const fresh = await bodyOf<HttpAnswer<{ message: Message }>>(await post({ to: 'web:a_alice', text: 'a new one', clientId: 'crm-2' }));
    assert.notEqual(fresh.message.conversationId, body.message.conversationId, 'a new conversation for a new message');
    assert.deepEqual(
      [...new Set(opened)].filter((id) => id !== body.message.conversationId),
      [fresh.message.conversationId],
      'no conversation opened by the repeat or the refused call',
    );
  });

  it('POST /v1/messages answers JSON errors with fitting statuses', async () => {
    const cases: [Response, number, string][] = [
      [await post({ to: 'web:a_alice', text: 'x' }, {}), 401, 'unauthorized'],
      [await post({ to: 'web:a_alice', text: 'x' }, { authorization: 'Bearer wrong-key-0000000000' }), 401, 'unauthorized'],
      [await post('{not json'), 400, 'bad_request'],
      [await post({ text: 'no target' }), 400, 'bad_request'],
      [await post({ to: 'web:a_alice' }), 400, 'bad_request'],
      [await post({ conversationId: 'c_missing', text: 'x' }), 404, 'not_found'],
      [await post({ to: 'web:a_alice', text: 'x'.repeat(10_001) }), 413, 'too_large'],
      [await post(JSON.stringify({ to: 'web:a_alice', text: 'x'.repeat(200_000) })), 413, 'too_large'],
    ];
    for (const [response, status, code] of cases) {
      assert.equal(response.status, status, code);
      const body = await bodyOf<HttpAnswer>(response);
      assert.equal(body.error.code, code);
      assert.equal(typeof body.error.message, 'string');
    }
    // Each says what is wrong: not JSON, JSON that is no object, a key no field of the contract has.
    const said = async (response: Response) => (await bodyOf<HttpAnswer>(response)).error;
    assert.deepEqual(await said(await post('{not json')), { code: 'bad_request', message: 'Body is not valid JSON' });
    assert.deepEqual(await said(await post('null')), { code: 'bad_request', message: 'Body must be a JSON object' });
    assert.deepEqual(await said(await post('{"to": "web:a_alice", "text": "x", "__proto__": {"admin": true}}')), {
      code: 'bad_request',
      message: 'body: the key "__proto__" is not allowed',
    });
    // A web address nobody can ever hold reaches nobody: no conversation is opened for it.
    for (const nobody of ['web:zzz', 'web:u_', 'web:u_a/b', `web:a_${'x'.repeat(129)}`])
      assert.deepEqual(await said(await post({ to: nobody, text: 'x' })), { code: 'not_found', message: `to: no party "${nobody}" on this site` });
  });

  it('GET /v1/usage takes days of the calendar only, one each', async () => {
    const usage = (query: string) => fetch(`${t.url}/v1/usage?${query}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const good = await usage('from=2026-02-27&to=2026-02-28');
    assert.equal(good.status, 200);
    assert.deepEqual((({ from, to }) => ({ from, to }))(await bodyOf<{ from: string; to: string }>(good)), { from: '2026-02-27', to: '2026-02-28' });
    // The first years of the calendar are days of it too.
    assert.equal((await usage('from=0001-01-01&to=0099-12-31')).status, 200);
    for (const query of [
      'from=2026-02-31',
      'from=2026-13-01',
      'from=yesterday',
      'from=2026-01-01&from=2026-01-02',
      'to=2026-02-30',
      'from=2026-03-02&to=2026-03-01',
    ]) {
      const response = await usage(query);
      assert.equal(response.status, 400, query);
      assert.equal((await bodyOf<HttpAnswer>(response)).error.code, 'bad_request', query);
    }
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const response = await fetch(`${t.url}/v1/nothing-here`);
    assert.equal(response.status, 404);
    assert.equal((await bodyOf<HttpAnswer>(response)).error.code, 'not_found');
  });
});

describe('/metrics behind a bearer token (metrics.token)', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let t: TestBridge;
  before(async () => {
    t = await startBridge({ metrics: { token: TOKEN } });
  });
  after(() => t.stop());

  it('answers 401 with a JSON error without the token or with a wrong one, and the metrics with it', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: TOKEN }] as Record<string, string>[]) {
      const refused = await fetch(`${t.url}/metrics`, { headers });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      const body = await bodyOf<HttpAnswer>(refused);
      assert.equal(body.error.code, 'unauthorized');
      assert.match(body.error.message, /metrics\.token/);
    }
    const allowed = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(allowed.status, 200);
    assert.match(await allowed.text(), /switchboard_network_up/);
  });
});

describe('server.static', () => {
  it('says at start that its folder does not exist, rather than answering 404 at / in silence', async () => {
    const { logger, lines } = capturedLogs();
    const missing = '/nonexistent/switchboard-public';
    const t = await startBridge({ server: { host: '127.0.0.1', port: 0, drainSeconds: 0, static: missing } }, { logger });
    try {
      const warning = lines.find((line) => line.msg === 'server.static: the folder does not exist; nothing is served at / until it does');
      assert.equal(warning?.static, missing, JSON.stringify(lines.map((line) => line.msg)));
    } finally {
      await t.stop();
    }
  });
});
