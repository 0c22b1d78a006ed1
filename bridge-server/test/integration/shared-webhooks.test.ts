// Webhook deliveries with several bridge nodes on one real Postgres: each delivery goes out once,
// each hook's in the order queued, whichever node sends it; a node that dies with deliveries claimed
// leaves them to another once its claim ran out, and a node that stops hands them over at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { WebhookDispatcher } from '../../src/core/webhooks/dispatcher.js';
import { type WebhookConfig, webhookConfigSchema } from '../../src/core/webhooks/config.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { until } from '../helpers.js';

const SECRET = 'shared-webhooks-secret-0123456789';
const HOOKS: WebhookConfig[] = ['https://crm.test/a', 'https://crm.test/b'].map((url) => webhookConfigSchema.parse({ url, secret: SECRET }));
const logger = pino({ level: 'silent' });

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.destroy();
});

interface Received {
  node: string;
  url: string;
  n: number;
  at: number;
}

/** A receiver every node posts to: it answers after a moment, as one across a network does. */
function receiver() {
  const received: Received[] = [];
  const fetchOf =
    (node: string, answer: (url: string) => Promise<Response> = () => new Promise((resolve) => setImmediate(() => resolve(new Response(null))))) =>
    async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = input instanceof Request ? input.url : input.toString();
      const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as { data: { n: number } };
      const response = await answer(url);
      received.push({ node, url, n: body.data.n, at: Date.now() });
      return response;
    };
  return { received, fetchOf };
}

describe('webhooks on several nodes', () => {
  const opened: Store[] = [];
  const dispatchers: WebhookDispatcher[] = [];
  after(async () => {
    for (const dispatcher of dispatchers) await dispatcher.stop();
    for (const store of opened) await store.close();
  });
  const storeOn = async (url: string) => {
    const store = new PostgresStore({ url, poolSize: 3 });
    await store.open();
    opened.push(store);
    return store;
  };
  const node = (store: Store, id: string, fetch: typeof globalThis.fetch, claimMs?: number) => {
    const dispatcher = new WebhookDispatcher({ hooks: HOOKS, store, logger, fetch, node: { id, ...(claimMs !== undefined ? { claimMs } : {}) } });
    dispatchers.push(dispatcher);
    return dispatcher;
  };
  /** The hooks' store keys, as the dispatcher makes them (what it queued under). */
  const keysOf = async (store: Store): Promise<string[]> => {
    const probe = new WebhookDispatcher({ hooks: HOOKS, store, logger });
    const built = probe.withWrite('conversation.opened', 'shop').build({});
    return built.map((delivery) => delivery.hook);
  };
  const queue = async (store: Store, count: number) => {
    const keys = await keysOf(store);
    for (let n = 0; n < count; n++) {
      await store.enqueueWebhooks(
        keys.map((hook, i) => ({ id: `d${n}-${i}`, hook, event: 'conversation.opened', siteKey: 'shop', body: JSON.stringify({ data: { n } }) })),
      );
    }
  };

  it("sends each delivery once, each hook's in order, while three nodes race for them", async () => {
    const url = await server.createDatabase('socket');
    const [a, b, c] = [await storeOn(url), await storeOn(url), await storeOn(url)];
    await queue(a, 40);
    const { received, fetchOf } = receiver();
    const nodes = [node(a, 'node-a', fetchOf('node-a')), node(b, 'node-b', fetchOf('node-b')), node(c, 'node-c', fetchOf('node-c'))];
    await Promise.all(nodes.map((each) => each.start()));
    await until(() => received.length >= 80, 20_000, 'every delivery');
    await until(async () => (await a.webhookBacklog()) === 0, 5000, 'the store emptied');
    assert.equal(received.length, 80, 'none twice');
    for (const hook of HOOKS) {
      assert.deepEqual(
        received.filter((r) => r.url === hook.url).map((r) => r.n),
        Array.from({ length: 40 }, (_, n) => n),
        `${hook.url} in order`,
      );
    }
    for (const each of nodes) await each.drain(5000);
    assert.deepEqual(
      nodes.map((each) => each.pending),
      [0, 0, 0],
    );
  });

  it("drains, when one node stops, what that node sends, not what another node's claim holds", async () => {
    const url = await server.createDatabase('socket');
    const store = await storeOn(url);
    await queue(store, 3);
    // Another node is sending these (its claim runs for a minute): the stopping node leaves them to it.
    for (const key of await keysOf(store)) await store.claimWebhooks(key, { holder: 'busy-node', forMs: 60_000 }, 50);
    const { received, fetchOf } = receiver();
    const stopping = node(await storeOn(url), 'stopping', fetchOf('stopping'));
    await stopping.start();
    await until(() => stopping.pending === 6, 5000, 'the backlog counted from the store');
    let whole = false;
    void stopping.drain(60_000).then(() => (whole = true));
    await stopping.drain(60_000, 'own');
    assert.equal(received.length, 0, 'it sent none of them');
    assert.equal(whole, false, 'the whole backlog is still waiting');
    assert.equal(await store.webhookBacklog(), 6);
    await stopping.stop();
    assert.equal(whole, true, 'stopping ends every drain');
  });

  it('takes over, once their claim ran out, the deliveries a node that died had claimed', async () => {
    const url = await server.createDatabase('socket');
    const store = await storeOn(url);
    await queue(store, 5);
    // A node claimed them (and perhaps sent the first) and died: nobody renews its claim.
    const claimedUntil = Date.now() + 1500;
    for (const key of await keysOf(store)) await store.claimWebhooks(key, { holder: 'dead-node', forMs: 1500 }, 50);
    const { received, fetchOf } = receiver();
    const survivor = node(await storeOn(url), 'survivor', fetchOf('survivor'), 1500);
    await survivor.start();
    await until(() => received.length >= 10, 10_000, 'the orphaned deliveries');
    assert.ok(
      received.every((r) => r.at >= claimedUntil),
      'none before the claim ran out',
    );
    for (const hook of HOOKS) {
      assert.deepEqual(
        received.filter((r) => r.url === hook.url).map((r) => r.n),
        [0, 1, 2, 3, 4],
      );
    }
  });

  it('hands over at once what a stopping node claimed and did not send', async () => {
    const url = await server.createDatabase('socket');
    const [a, b] = [await storeOn(url), await storeOn(url)];
    await queue(a, 3);
    const { received, fetchOf } = receiver();
    let asked = 0;
    // The first node's receiver never answers; it is stopped while it waits.
    const stuck = fetchOf('stuck', () => {
      asked++;
      return new Promise<Response>(() => undefined);
    });
    const first = node(a, 'stuck', stuck, 60_000);
    await first.start();
    await until(() => asked === 2, 5000, "both hooks' first deliveries in flight");
    const second = node(b, 'second', fetchOf('second'), 1500);
    await second.start();
    const stoppedAt = Date.now();
    void first.stop(); // its claims are let go as it stops
    await until(() => received.length >= 6, 10_000, 'the deliveries handed over');
    assert.ok(
      received.every((r) => r.node === 'second' && r.at - stoppedAt < 30_000),
      'sent by the other node long before the claim would have run out',
    );
    for (const hook of HOOKS) {
      assert.deepEqual(
        received.filter((r) => r.url === hook.url).map((r) => r.n),
        [0, 1, 2],
      );
    }
  });

  it('sends nothing more of what another node took over once its own claim ran out unrenewed (a node frozen past it)', async () => {
    const url = await server.createDatabase('socket');
    const [a, b] = [await storeOn(url), await storeOn(url)];
    await queue(a, 5);
    const { received, fetchOf } = receiver();
    /** A gate a node's receiver answers behind, until it is opened. */
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { open, answer: () => opened.then(() => new Response(null)) };
    };
    const [frozenGate, otherGate] = [gate(), gate()];
    // The frozen node renews nothing (as a process stopped by SIGSTOP), and its claims are counted.
    let claims = 0;
    const frozenStore = new Proxy(a, {
      get(target, property, receiverOf) {
        if (property === 'renewWebhookClaims') return () => Promise.resolve();
        if (property === 'claimWebhooks') return (...args: Parameters<Store['claimWebhooks']>) => (claims++, target.claimWebhooks(...args));
        const value: unknown = Reflect.get(target, property, receiverOf);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    let otherAsked = 0;
    const frozen = node(frozenStore, 'frozen', fetchOf('frozen', frozenGate.answer), 1500);
    await frozen.start();
    await until(() => claims === 2, 5000, "the frozen node's claims of both hooks");
    const other = node(
      b,
      'other',
      fetchOf('other', () => (otherAsked++, otherGate.answer())),
      1500,
    );
    await other.start();
    await until(() => otherAsked === 2, 10_000, 'the other node sending what the frozen one had claimed, once its claim ran out');
    // Thawed: its first deliveries answer; it must not go on with those the other node now sends.
    frozenGate.open();
    await until(() => claims === 4, 10_000, 'the frozen node reading its hooks again');
    otherGate.open();
    await until(async () => (await b.webhookBacklog()) === 0, 10_000, 'every delivery sent');
    assert.deepEqual(
      received.filter((r) => r.node === 'frozen').map((r) => r.n),
      [0, 0],
      'only what it had in flight when its claim ran out',
    );
    for (const hook of HOOKS) {
      const sent = received.filter((r) => r.url === hook.url && r.node === 'other').map((r) => r.n);
      assert.deepEqual(sent, [0, 1, 2, 3, 4], `${hook.url}: all by the node that took over, in order`);
    }
  });
});
