import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import pg from 'pg';
import { SITE, type TestBridge, agentAuth, bodyOf, call, connect, next, startBridge, until } from '../helpers.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';

describe('a bridge on Postgres', () => {
  let server: PostgresServer;
  let url: string;
  let first: TestBridge;
  let second: TestBridge | undefined;
  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase(); // over TCP with a password, as a deployment connects
    // Short time limits, so that a hung database is answered for well within the calls' own 5 s.
    first = await startBridge({ store: { type: 'postgres', url, poolSize: 4, queryTimeoutSeconds: 1, connectTimeoutSeconds: 1 } });
  });
  after(async () => {
    await server.thaw(); // should a test have failed while it was frozen
    await first.stop();
    await second?.stop();
    await server.destroy();
  });

  it('relays a visitor/agent exchange with gap-free seq and idempotent resends, the store reported up', async () => {
    const alice = await connect(first, agentAuth('alice'));
    const visitor = await connect(first, { siteKey: SITE });
    const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;

    const atAgent = next(alice.socket, 'message', (m) => m.conversationId === conversationId);
    const ack = await call(visitor.socket, 'message:send', { conversationId, clientId: 'c1', text: 'Hello from a Postgres-backed bridge' });
    assert.equal(ack.ok, true);
    assert.equal(ack.message.seq, 1);
    assert.deepEqual(await atAgent, ack.message);

    const atVisitor = next(visitor.socket, 'message', (m) => m.conversationId === conversationId);
    const reply = await call(alice.socket, 'message:send', { conversationId, clientId: 'r1', text: 'Hi! How can I help?' });
    assert.equal(reply.message.seq, 2);
    assert.equal((await atVisitor).text, 'Hi! How can I help?');

    const resent = await call(visitor.socket, 'message:send', { conversationId, clientId: 'c1', text: 'Hello from a Postgres-backed bridge' });
    assert.equal(resent.message.id, ack.message.id);
    const history = await call(visitor.socket, 'history:get', { conversationId });
    assert.deepEqual(
      history.messages.map((m: Message) => [m.seq, m.text]),
      [
        [1, 'Hello from a Postgres-backed bridge'],
        [2, 'Hi! How can I help?'],
      ],
    );

    const ready = await fetch(`${first.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { store: string }).store, 'up');
  });

  it('lets a second node on the same database resume the visitor and continue the conversation', async () => {
    const visitor = await connect(first, { siteKey: SITE });
    const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
    await call(visitor.socket, 'message:send', { conversationId, clientId: 'n1', text: 'on node one' });

    // The token secret lives in the store, so a token signed by one node is good on the other.
    second = await startBridge({ store: { type: 'postgres', url, poolSize: 4 } });
    const again = await connect(second, { siteKey: SITE, token: visitor.session.token });
    assert.equal(again.session.self, visitor.session.self);
    const sent = await call(again.socket, 'message:send', { conversationId, clientId: 'n2', text: 'on node two' });
    assert.equal(sent.message.seq, 2);
    const history = await call(visitor.socket, 'history:get', { conversationId });
    assert.deepEqual(
      history.messages.map((m: Message) => m.text),
      ['on node one', 'on node two'],
    );
  });

  it('reports the store down while the database is away, and carries on once it is back, without a restart', async () => {
    const visitor = await connect(first, { siteKey: SITE });
    const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
    const readiness = async () => {
      const response = await fetch(`${first.url}/readyz`);
      return { status: response.status, store: ((await response.json()) as { store: string }).store };
    };
    await server.stop();
    assert.deepEqual(await readiness(), { status: 503, store: 'down' });
    const refused = await call(visitor.socket, 'message:send', { conversationId, clientId: 'while-down', text: 'lost?' });
    assert.equal(refused.ok, false, 'nothing is acked that was not stored');
    assert.equal(refused.error.code, 'unavailable', 'an error of the contract, retryable, no stack trace');
    await server.start();
    await until(async () => (await readiness()).store === 'up', 15_000, 'the store up again');
    const sent = await call(visitor.socket, 'message:send', { conversationId, clientId: 'while-down', text: 'lost?' });
    assert.equal(sent.ok, true);
    assert.equal(sent.message.seq, 1);
  });

  it('reports the store down at once while the database hangs (connections open, no answer), and /metrics still answers', async () => {
    // An open, idle connection in the pool is what a hung server (or one cut off without a reset) leaves behind.
    assert.deepEqual((await bodyOf<{ store: string }>(await fetch(`${first.url}/readyz`))).store, 'up');
    await server.freeze();
    try {
      const started = Date.now();
      const response = await fetch(`${first.url}/readyz`, { signal: AbortSignal.timeout(5000) });
      assert.equal(response.status, 503);
      assert.equal((await bodyOf<{ store: string }>(response)).store, 'down');
      const metrics = await fetch(`${first.url}/metrics`, { signal: AbortSignal.timeout(5000) });
      assert.match(await metrics.text(), /^switchboard_network_up\{network="web"\} 1$/m);
      assert.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
    } finally {
      await server.thaw();
    }
    await until(async () => (await fetch(`${first.url}/readyz`)).status === 200, 15_000, 'ready again');
  });
  it('answers a send with unavailable while the database hangs, stores a resend once, and heals its pool when it answers again', async () => {
    const visitor = await connect(first, { siteKey: SITE });
    const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
    assert.equal((await call(visitor.socket, 'message:send', { conversationId, clientId: 'before', text: 'before the hang' })).ok, true);
    await server.freeze();
    try {
      // Connections already open (the pool's) and new ones alike get no answer.
      for (const attempt of [1, 2]) {
        const started = Date.now();
        const refused = await call(visitor.socket, 'message:send', { conversationId, clientId: 'during', text: 'during the hang' });
        assert.equal(refused.ok, false, `attempt ${attempt}: nothing is acked that was not stored`);
        assert.equal(refused.error.code, 'unavailable');
        assert.match(refused.error.message, /database did not answer/);
        assert.ok(Date.now() - started < 4000, `answered in ${Date.now() - started} ms`);
      }
      // A sync cannot tell whether the visitor may see the conversation: it fails, to be retried, rather than skip it.
      const synced = await call(visitor.socket, 'sync', { cursors: { [conversationId]: 1 } });
      assert.equal(synced.ok, false, `not answered as if the conversation were not theirs: ${JSON.stringify(synced)}`);
      assert.equal(synced.error.code, 'unavailable');
    } finally {
      await server.thaw();
    }
    // The connections that hung were dropped; the pool makes new ones by itself.
    const sent = await call(visitor.socket, 'message:send', { conversationId, clientId: 'during', text: 'during the hang' });
    assert.equal(sent.ok, true);
    assert.equal(sent.message.seq, 2);
    const again = await call(visitor.socket, 'message:send', { conversationId, clientId: 'during', text: 'during the hang' });
    assert.equal(again.message.id, sent.message.id, 'a resend of an acked message is not stored twice');
    const history = await call(visitor.socket, 'history:get', { conversationId });
    assert.deepEqual(
      history.messages.map((m: Message) => [m.seq, m.text]),
      [
        [1, 'before the hang'],
        [2, 'during the hang'],
      ],
    );
  });

  it('gives up on a statement the database keeps waiting (a lock another node holds), and the send succeeds once it is free', async () => {
    const visitor = await connect(first, { siteKey: SITE });
    const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
    // Another session holds the conversation's row, as a node stuck mid-transaction would.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
      const refused = await call(visitor.socket, 'message:send', { conversationId, clientId: 'locked', text: 'behind a lock' });
      assert.equal(refused.ok, false);
      assert.equal(refused.error.code, 'unavailable');
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    const sent = await call(visitor.socket, 'message:send', { conversationId, clientId: 'locked', text: 'behind a lock' });
    assert.equal(sent.ok, true);
    assert.equal(sent.message.seq, 1);
  });
  // A bridge whose connections hang would not stop either: the test's own limit reports it.
  it(
    'recovers by itself when its open connections go silent for good (a failover without a TCP reset), new ones reaching the server',
    { timeout: 60_000 },
    async () => {
      const proxy = await silencingProxy(server.port);
      const node = await startBridge({
        store: { type: 'postgres', url: url.replace(`:${server.port}/`, `:${proxy.port}/`), poolSize: 2, queryTimeoutSeconds: 1, connectTimeoutSeconds: 1 },
      });
      try {
        const visitor = await connect(node, { siteKey: SITE });
        const conversationId = (await call(visitor.socket, 'conversation:open', { team: 'support' })).conversation.id;
        assert.equal((await call(visitor.socket, 'message:send', { conversationId, clientId: 'f1', text: 'before the failover' })).ok, true);
        // The pool's connections now lead nowhere: no answer, no reset, ever. New ones reach the server.
        proxy.silenceOpen();
        const refused = await call(visitor.socket, 'message:send', { conversationId, clientId: 'f2', text: 'after the failover' });
        assert.equal(refused.ok, false);
        assert.equal(refused.error.code, 'unavailable');
        let sent: Awaited<ReturnType<typeof call<'message:send'>>> | undefined;
        await until(
          async () => (sent = await call(visitor.socket, 'message:send', { conversationId, clientId: 'f2', text: 'after the failover' })).ok,
          15_000,
          'a send through a new connection',
        );
        assert.equal(sent!.ok && sent!.message.seq, 2);
        assert.equal((await bodyOf<{ store: string }>(await fetch(`${node.url}/readyz`))).store, 'up');
      } finally {
        await node.stop();
        proxy.close();
      }
    },
  );
});

/**
 * A TCP relay to the server whose open connections can be silenced for good: their bytes go
 * nowhere and nothing closes them, as a client sees a server that failed over without a reset.
 */
async function silencingProxy(target: number): Promise<{ port: number; silenceOpen(): void; close(): void }> {
  const open = new Set<[Socket, Socket]>();
  const silenced: Socket[] = [];
  const proxy = createServer((client) => {
    const upstream = new (client.constructor as typeof Socket)();
    upstream.connect(target, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    open.add(pair);
    client.pipe(upstream).pipe(client);
    for (const socket of pair) socket.on('error', () => undefined);
    client.on('close', () => {
      open.delete(pair);
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    silenceOpen() {
      for (const [client, upstream] of open) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        upstream.destroy(); // the server side goes; the bridge's side hears nothing of it
        client.removeAllListeners('close');
        client.on('data', () => undefined); // read and dropped
        silenced.push(client);
      }
      open.clear();
    },
    close() {
      for (const socket of silenced) socket.destroy();
      for (const [client, upstream] of open) {
        client.destroy();
        upstream.destroy();
      }
      proxy.close();
    },
  };
}
