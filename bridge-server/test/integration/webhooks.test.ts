import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import { WEBHOOK_EVENTS, type WebhookConfig, type WebhookDelivery, type WebhookEvent, webhookConfigSchema } from '../../src/core/webhooks/config.js';
import { WebhookDispatcher } from '../../src/core/webhooks/dispatcher.js';
import { verifyWebhookSignature } from '../../src/core/webhooks/signature.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { until } from '../helpers.js';

const SECRET = 'receiver-shared-secret-0001';
const FAST_BACKOFF = { initialMs: 5, maxMs: 20, jitter: 0 };

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  delivery: WebhookDelivery;
  at: number;
}

/** What the receiver answers; `hang` never answers (until the test ends). */
type Answer = { status: number; headers?: Record<string, string> } | 'hang';

/** A real HTTP receiver on 127.0.0.1 that records every request and answers as told. */
async function startReceiver(t: TestContext, answer: (request: Received, index: number) => Answer | Promise<Answer> = () => ({ status: 200 })) {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    const respond = async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: Received = { path: req.url ?? '', headers: req.headers, body, delivery: JSON.parse(body) as WebhookDelivery, at: performance.now() };
      received.push(request);
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
      const reply = await answer(request, received.length - 1);
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers).end();
    };
    // A failing answer is an unhandled rejection: the test run reports it.
    req.on('end', () => void respond());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    get maxInFlight() {
      return maxInFlight;
    },
    /** Resolves once `count` requests have arrived. */
    waitFor(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** A pino logger whose lines the test can read. */
function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines, warnings: () => lines.filter((line) => line.level === 40) };
}

function hook(url: string, extra: Partial<WebhookConfig> = {}): WebhookConfig {
  return webhookConfigSchema.parse({ url, secret: SECRET, ...extra });
}

/** `now`: the dispatcher's clock (real time by default). */
async function dispatcher(t: TestContext, hooks: WebhookConfig[], logs = captureLogs(), now?: () => number) {
  // Deliveries wait in a real (in-memory) SQLite store, as in the bridge.
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  const webhooks = new WebhookDispatcher({ hooks, store, logger: logs.logger, backoff: FAST_BACKOFF, ...(now ? { now } : {}) });
  await webhooks.start();
  t.after(async () => {
    await webhooks.stop();
    await store.close();
  });
  return webhooks;
}

describe('webhooks', () => {
  it('validates hook configuration with defaults', () => {
    const parsed = webhookConfigSchema.parse({ url: 'https://crm.example.com/hooks', secret: SECRET });
    assert.deepEqual(parsed.events, [...WEBHOOK_EVENTS]);
    assert.equal(parsed.sites, undefined);
    assert.equal(parsed.retryHours, 24);
    assert.equal(parsed.maxAttempts, undefined);
    assert.equal(parsed.timeoutSeconds, 10);
    const invalid = [
      { url: 'ftp://crm.example.com/hooks', secret: SECRET },
      { url: 'not a url', secret: SECRET },
      { url: 'https://user:pass@crm.example.com/hooks', secret: SECRET },
      { url: 'https://crm.example.com/hooks', secret: 'too-short' },
      { url: 'https://crm.example.com/hooks', secret: SECRET, events: ['conversation.deleted'] },
      { url: 'https://crm.example.com/hooks', secret: SECRET, maxAttempts: 0 },
      { url: 'https://crm.example.com/hooks', secret: SECRET, maxAttempts: 10_001 },
      { url: 'https://crm.example.com/hooks', secret: SECRET, retryHours: 0 },
      { url: 'https://crm.example.com/hooks', secret: SECRET, retryHours: 169 },
      { url: 'https://crm.example.com/hooks', secret: SECRET, extra: true },
    ];
    for (const config of invalid) assert.equal(webhookConfigSchema.safeParse(config).success, false, JSON.stringify(config));
  });

  it('files each delivery under the conversation its event is about, as the events name it', () => {
    const webhooks = new WebhookDispatcher({ hooks: [hook('https://crm.example.com/hooks')], store: {} as never, logger: captureLogs().logger });
    const about = (event: WebhookEvent, data: unknown) => webhooks.withWrite(event, 'shop').build(data)[0]?.conversationId;
    assert.equal(about('conversation.message', { conversationId: 'c_1', message: { id: 'm_1' } }), 'c_1');
    for (const event of ['conversation.opened', 'conversation.assigned', 'conversation.closed', 'conversation.rated'] as const)
      assert.equal(about(event, { conversation: { id: 'c_2' } }), 'c_2', event);
    assert.equal(about('conversation.opened', {}), undefined, 'none named: found by its body');
  });

  it('sends a signed JSON POST that verifies, and fails with a wrong secret, tampered body or old timestamp', async (t) => {
    const receiver = await startReceiver(t);
    const webhooks = await dispatcher(t, [hook(`${receiver.url}/crm`)]);
    const before = Math.floor(Date.now() / 1000);
    webhooks.emit('conversation.opened', 'shop', { conversationId: 'c_1', team: 'support' });
    await webhooks.drain();

    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.path, '/crm');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['user-agent'], 'Switchboard-Webhooks/1');
    assert.equal(request.headers['x-switchboard-event'], 'conversation.opened');
    const { id, event, siteKey, createdAt, data } = request.delivery;
    assert.deepEqual(Object.keys(request.delivery), ['id', 'event', 'siteKey', 'createdAt', 'data']);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(request.headers['x-switchboard-delivery'], id);
    assert.deepEqual({ event, siteKey, data }, { event: 'conversation.opened', siteKey: 'shop', data: { conversationId: 'c_1', team: 'support' } });
    assert.ok(!Number.isNaN(Date.parse(createdAt)));

    const signature = String(request.headers['x-switchboard-signature']);
    const timestamp = String(request.headers['x-switchboard-timestamp']);
    assert.match(signature, /^sha256=[0-9a-f]{64}$/);
    assert.ok(Number(timestamp) >= before && Number(timestamp) <= Math.ceil(Date.now() / 1000), timestamp);

    assert.equal(verifyWebhookSignature(SECRET, signature, timestamp, request.body), true);
    assert.equal(verifyWebhookSignature('another-secret-of-16+', signature, timestamp, request.body), false);
    assert.equal(verifyWebhookSignature(SECRET, signature, timestamp, request.body.replace('c_1', 'c_2')), false);
    assert.equal(verifyWebhookSignature(SECRET, signature, String(Number(timestamp) + 1), request.body), false);
    // The timestamp is signed, so a replay has to carry the old one: refused past the tolerance.
    const tenMinutesLater = () => (Number(timestamp) + 600) * 1000;
    assert.equal(verifyWebhookSignature(SECRET, signature, timestamp, request.body, 300, tenMinutesLater), false);
    assert.equal(verifyWebhookSignature(SECRET, signature, timestamp, request.body, 900, tenMinutesLater), true);
    for (const malformed of ['', signature.slice(7), `sha1=${signature.slice(7)}`, 'sha256=zz', `${signature}00`]) {
      assert.equal(verifyWebhookSignature(SECRET, malformed, timestamp, request.body), false, malformed);
    }
    assert.equal(verifyWebhookSignature(SECRET, signature, 'yesterday', request.body), false);
  });

  it('sends each hook only the events and sites it asked for', async (t) => {
    const receiver = await startReceiver(t);
    const webhooks = await dispatcher(t, [
      hook(`${receiver.url}/closed-only`, { events: ['conversation.closed'] }),
      hook(`${receiver.url}/shop-only`, { sites: ['shop'] }),
      hook(`${receiver.url}/all`),
    ]);
    webhooks.emit('conversation.opened', 'shop', {});
    webhooks.emit('conversation.closed', 'shop', {});
    webhooks.emit('conversation.closed', 'blog', {});
    webhooks.emit('conversation.message', 'blog', {});
    assert.equal(webhooks.pending, 2 + 2 + 4);
    await webhooks.drain();

    const seen = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => `${r.delivery.event}@${r.delivery.siteKey}`);
    assert.deepEqual(seen('/closed-only'), ['conversation.closed@shop', 'conversation.closed@blog']);
    assert.deepEqual(seen('/shop-only'), ['conversation.opened@shop', 'conversation.closed@shop']);
    assert.deepEqual(seen('/all'), ['conversation.opened@shop', 'conversation.closed@shop', 'conversation.closed@blog', 'conversation.message@blog']);
  });

  it('keeps order, one request at a time, across retries', async (t) => {
    // Every fourth request fails once, so later events are queued while an earlier one is retried.
    const receiver = await startReceiver(t, (_, index) => ({ status: index % 4 === 0 ? 503 : 200 }));
    const webhooks = await dispatcher(t, [hook(receiver.url)]);
    const events = ['conversation.opened', 'conversation.assigned', 'conversation.message', 'conversation.closed', 'conversation.rated'] as const;
    for (let n = 0; n < 20; n += 1) webhooks.emit(events[n % events.length]!, 'shop', { n });
    await webhooks.drain();

    assert.equal(receiver.maxInFlight, 1);
    const delivered = receiver.received.filter((_, index) => index % 4 !== 0).map((r) => (r.delivery.data as { n: number }).n);
    assert.deepEqual(
      delivered,
      Array.from({ length: 20 }, (_, n) => n),
    );
    assert.equal(webhooks.pending, 0);
  });

  it('does not let a stuck receiver hold up another hook', async (t) => {
    const receiver = await startReceiver(t, (request) => (request.path === '/stuck' ? 'hang' : { status: 200 }));
    const webhooks = await dispatcher(t, [hook(`${receiver.url}/stuck`), hook(`${receiver.url}/fine`)]);
    webhooks.emit('conversation.opened', 'shop', {});
    webhooks.emit('conversation.closed', 'shop', {});
    // The second /fine request is only sent once the first was answered.
    await receiver.waitFor(3);
    assert.deepEqual(
      receiver.received.filter((r) => r.path === '/fine').map((r) => r.delivery.event),
      ['conversation.opened', 'conversation.closed'],
    );
    assert.deepEqual(
      receiver.received.filter((r) => r.path === '/stuck').map((r) => r.delivery.event),
      ['conversation.opened'],
    );
    assert.ok(webhooks.pending >= 2, 'the stuck hook still holds both of its deliveries');
  });

  it('retries 500 with the same delivery id and delivers once', async (t) => {
    const receiver = await startReceiver(t, (_, index) => ({ status: index < 2 ? 500 : 200 }));
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(receiver.url)], logs);
    webhooks.emit('conversation.message', 'shop', { text: 'hello' });
    await webhooks.drain();

    assert.equal(receiver.received.length, 3);
    const ids = new Set(receiver.received.map((r) => r.headers['x-switchboard-delivery']));
    assert.equal(ids.size, 1);
    assert.deepEqual(new Set(receiver.received.map((r) => r.delivery.id)), ids);
    // Each attempt is signed afresh, and each signature verifies.
    for (const r of receiver.received) {
      assert.ok(verifyWebhookSignature(SECRET, String(r.headers['x-switchboard-signature']), String(r.headers['x-switchboard-timestamp']), r.body));
    }
    assert.deepEqual(logs.warnings(), []);
    assert.equal(webhooks.pending, 0);
  });

  for (const when of ['while its attempt is under way', 'while it waits for its next attempt'] as const) {
    it(`lets a delivery a retraction took out ${when} go, and sends the next at once`, async (t) => {
      const receiver = await startReceiver(t, (_, index) => ({ status: index === 0 ? 503 : 200 }));
      const store = new SqliteStore({ path: ':memory:' });
      await store.open();
      // A minute between attempts: the next delivery would wait that long behind the one taken out.
      const backoff = { initialMs: 60_000, maxMs: 60_000, jitter: 0 };
      const webhooks = new WebhookDispatcher({ hooks: [hook(receiver.url)], store, logger: captureLogs().logger, backoff });
      await webhooks.start();
      t.after(async () => {
        await webhooks.stop();
        await store.close();
      });
      webhooks.emit('conversation.message', 'shop', { conversationId: 'c1', message: { id: 'm_taken', text: 'taken back' } });
      webhooks.emit('conversation.message', 'shop', { conversationId: 'c1', message: { id: 'm_next', text: 'the next one' } });
      await receiver.waitFor(1);
      const taken = String(receiver.received[0]!.headers['x-switchboard-delivery']);
      type Statement = { get(id: string): { hook: string; attempts: number } | undefined; run(id: string): unknown };
      const db = (store as unknown as { db: { prepare(sql: string): Statement } }).db;
      const row = () => db.prepare('SELECT hook, attempts FROM webhook_deliveries WHERE id = ?').get(taken);
      const { hook: key } = row()!;
      // The failed attempt is recorded before the dispatcher waits for the next.
      if (when === 'while it waits for its next attempt') await until(() => row()?.attempts === 1, 5000, 'the failed attempt recorded');
      // As a retraction's write does (store takeBack): the delivery leaves the store.
      db.prepare('DELETE FROM webhook_deliveries WHERE id = ?').run(taken);
      webhooks.takenOut([{ id: taken, hook: key }]);
      await until(() => receiver.received.length === 2, 5000, 'the next delivery, without waiting a minute');
      assert.equal((receiver.received[1]!.delivery.data as { message: { text: string } }).message.text, 'the next one');
      await webhooks.drain(5000);
      assert.equal(webhooks.pending, 0, 'nothing counted as waiting');
      assert.equal(receiver.received.length, 2, 'the one taken out never sent again');
    });
  }

  it('does not retry a 400, logs it, and moves on', async (t) => {
    const receiver = await startReceiver(t, (request) => ({ status: request.delivery.event === 'conversation.opened' ? 400 : 200 }));
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(`${receiver.url}/hook?token=crm-token`)], logs);
    webhooks.emit('conversation.opened', 'shop', {});
    webhooks.emit('conversation.closed', 'shop', {});
    await webhooks.drain();

    assert.deepEqual(
      receiver.received.map((r) => r.delivery.event),
      ['conversation.opened', 'conversation.closed'],
    );
    const [warning, ...others] = logs.warnings();
    assert.deepEqual(others, []);
    assert.equal(warning?.event, 'conversation.opened');
    assert.equal(warning?.deliveryId, receiver.received[0]!.delivery.id);
    assert.equal(warning?.url, `${receiver.url}/hook`, 'the query (it may hold a token) stays out of logs');
    assert.match(String(warning?.reason), /400/);
  });

  it('honours a numeric Retry-After on 429 when it is longer than the backoff', async (t) => {
    const receiver = await startReceiver(t, (_, index) => (index === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }));
    const webhooks = await dispatcher(t, [hook(receiver.url)]);
    webhooks.emit('conversation.rated', 'shop', { rating: 5 });
    await webhooks.drain();

    const [first, second] = receiver.received;
    assert.equal(receiver.received.length, 2);
    assert.equal(second!.delivery.id, first!.delivery.id);
    // The backoff alone would wait 5 ms; the receiver asked for 1 s.
    assert.ok(second!.at - first!.at >= 950, `retried after ${Math.round(second!.at - first!.at)} ms`);
  });

  it('times out a receiver that never answers and retries', async (t) => {
    const receiver = await startReceiver(t, (_, index) => (index === 0 ? 'hang' : { status: 200 }));
    // 1 s: the hang runs out, the retry's answer (at once) comes well within it on a loaded machine.
    const webhooks = await dispatcher(t, [hook(receiver.url, { timeoutSeconds: 1 })]);
    // The first attempt starts after this: its timeout runs from there, whenever the receiver got to read it.
    const emittedAt = performance.now();
    webhooks.emit('conversation.assigned', 'shop', { agent: 'web:a_alice' });
    await webhooks.drain();

    const [first, second] = receiver.received;
    assert.equal(receiver.received.length, 2);
    assert.equal(second!.delivery.id, first!.delivery.id);
    assert.ok(second!.at - emittedAt >= 1000, `retried ${Math.round(second!.at - emittedAt)} ms after the event`);
  });

  it('drops a delivery after maxAttempts with a warning and sends the next one', async (t) => {
    const receiver = await startReceiver(t, (request) => ({ status: request.delivery.event === 'conversation.opened' ? 503 : 200 }));
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(receiver.url, { maxAttempts: 3 })], logs);
    webhooks.emit('conversation.opened', 'shop', {});
    webhooks.emit('conversation.closed', 'shop', {});
    await webhooks.drain();

    const events = receiver.received.map((r) => r.delivery.event);
    assert.deepEqual(events, ['conversation.opened', 'conversation.opened', 'conversation.opened', 'conversation.closed']);
    const droppedId = receiver.received[0]!.delivery.id;
    assert.deepEqual(
      logs.warnings().map((w) => [w.url, w.event, w.deliveryId, w.attempts]),
      [[receiver.url + '/', 'conversation.opened', droppedId, 3]],
    );
    assert.equal(webhooks.pending, 0);
  });

  it('retries a receiver that is down for hours, and delivers once it is back, in order', async (t) => {
    // The dispatcher's clock moves an hour at each failure: eleven failures are eleven hours.
    let hoursLater = 0;
    let failures = 0;
    const receiver = await startReceiver(t, () => {
      if (failures === 11) return { status: 204 };
      failures += 1;
      hoursLater += 1;
      return { status: 503 };
    });
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(receiver.url)], logs, () => Date.now() + hoursLater * 3_600_000);
    webhooks.emit('conversation.opened', 'shop', {});
    webhooks.emit('conversation.closed', 'shop', {});
    await webhooks.drain();
    assert.deepEqual(logs.warnings(), []);
    const events = receiver.received.map((r) => r.delivery.event);
    assert.deepEqual(events, [...Array<string>(12).fill('conversation.opened'), 'conversation.closed']);
  });

  it('drops a delivery still failing retryHours after its event, with a warning, and sends the next one', async (t) => {
    let hoursLater = 0;
    const receiver = await startReceiver(t, (request) => {
      if (request.delivery.event !== 'conversation.opened') return { status: 200 };
      hoursLater += 1;
      return { status: 503 };
    });
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(receiver.url, { retryHours: 3 })], logs, () => Date.now() + hoursLater * 3_600_000);
    webhooks.emit('conversation.opened', 'shop', {});
    await webhooks.drain();
    webhooks.emit('conversation.closed', 'shop', {});
    await webhooks.drain();
    const events = receiver.received.map((r) => r.delivery.event);
    assert.deepEqual(
      events,
      ['conversation.opened', 'conversation.opened', 'conversation.opened', 'conversation.closed'],
      'three hours of attempts, then the next',
    );
    assert.deepEqual(
      logs.warnings().map((w) => [w.event, w.attempts]),
      [['conversation.opened', 3]],
    );
  });

  it('retries a receiver that is down (connection refused) and drops it in the end', async (t) => {
    // A port that was free a moment ago: nothing listens there, so connections are refused.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(`http://127.0.0.1:${closedPort}/`, { maxAttempts: 2 })], logs);
    webhooks.emit('conversation.closed', 'shop', {});
    await webhooks.drain();

    const [warning, ...others] = logs.warnings();
    assert.deepEqual(others, []);
    assert.equal(warning?.attempts, 2);
    assert.match(String(warning?.reason), /ECONNREFUSED|fetch failed/);
  });

  it('drain() resolves once delivered, or after its timeout', async (t) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver(t, async () => {
      await released;
      return { status: 204 };
    });
    const webhooks = await dispatcher(t, [hook(receiver.url)]);
    await webhooks.drain(); // nothing waiting: at once

    webhooks.emit('conversation.opened', 'shop', {});
    webhooks.emit('conversation.closed', 'shop', {});
    assert.equal(webhooks.pending, 2);
    let drained = false;
    const drain = webhooks.drain().then(() => (drained = true));
    await receiver.waitFor(1);
    await webhooks.drain(20); // times out: the receiver has not answered
    assert.equal(drained, false);
    assert.equal(webhooks.pending, 2);

    release();
    await drain;
    assert.equal(receiver.received.length, 2);
    assert.equal(webhooks.pending, 0);
  });

  it('never throws from emit, and sends nothing after stop()', async (t) => {
    const receiver = await startReceiver(t);
    const logs = captureLogs();
    const webhooks = await dispatcher(t, [hook(receiver.url)], logs);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.doesNotThrow(() => webhooks.emit('conversation.message', 'shop', cyclic));
    assert.doesNotThrow(() => webhooks.emit('conversation.message', 'shop', { big: 1n }));
    assert.equal(webhooks.pending, 0);
    assert.equal(logs.lines.filter((line) => line.level === 50).length, 2);

    void webhooks.stop();
    webhooks.emit('conversation.closed', 'shop', {});
    assert.equal(webhooks.pending, 0);
    await webhooks.drain();
    assert.equal(receiver.received.length, 0);
  });
});
