// Two bridge nodes sharing one Postgres database and one Redis: a visitor on node A, agents on
// node B. Routing, messages both ways with `delivered`, typing, presence and team availability
// cross the nodes (each packet once); a Redis restart interrupts nothing for long; a node that
// stops takes its agents' presence with it; a node stops even while Redis is away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message, MessageStatusEvent, Presence, TeamAvailability } from '@switchboard/protocol';
import type { ClusterBus } from '../../src/cluster/bus.js';
import { type TestBridge, type V1Socket, agentAuth, call, collect, connect, next, openVisitor, startBridge, until } from '../helpers.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { type RedisServer, startRedis } from '../servers/redis.js';

const ALICE = 'web:a_alice';

/** Resolves on the next heartbeat `bus` hears from another node (its Redis subscription works). */
function heardFromOthers(bus: ClusterBus): Promise<void> {
  return new Promise((resolve) => {
    const off = bus.on('bus:heartbeat', () => {
      off();
      resolve();
    });
  });
}

/** Sends a message and waits for it at the other end and for its `delivered` receipt back at the sender. */
async function relay(from: V1Socket, to: V1Socket, conversationId: string, text: string): Promise<Message> {
  const arrived = next(to, 'message', (m) => m.conversationId === conversationId && m.text === text, 15_000);
  const ack = await call(from, 'message:send', { conversationId, clientId: `c-${text}`, text });
  assert.ok(ack.ok, JSON.stringify(ack));
  const delivered = next(from, 'message:status', (s: MessageStatusEvent) => s.id === ack.message.id && s.status === 'delivered', 15_000);
  assert.deepEqual(await arrived, ack.message);
  await delivered;
  return ack.message;
}

describe('two bridge nodes on one database and one Redis', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let a: TestBridge;
  let b: TestBridge;
  let stopped = false;
  const node = (name: string, url: string) =>
    startBridge({ store: { type: 'postgres', url, poolSize: 4 }, cluster: { redis: { url: redis.url }, nodeId: name } });

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const url = await postgres.createDatabase();
    a = await node('node-a', url);
    b = await node('node-b', url);
    await until(() => a.bridge.bus.nodes().length === 2 && b.bridge.bus.nodes().length === 2, 10_000, 'the nodes hear each other');
  });
  after(async () => {
    await a?.stop();
    if (!stopped) await b?.stop();
    await Promise.all([redis?.destroy(), postgres?.destroy()]);
  });

  let visitor: Awaited<ReturnType<typeof openVisitor>>;
  let alice: V1Socket;
  let teamSeen: TeamAvailability[];
  let aliceSeen: Presence[];

  it('routes a visitor on node A to the agent on node B, the team available as the visitor sees it', async () => {
    alice = (await connect(b, agentAuth('alice'))).socket;
    // Waits until the visitor's node counts alice available (her presence came from node B).
    visitor = await openVisitor(a, { assignee: ALICE });
    teamSeen = collect(visitor.socket, 'team:availability');
    aliceSeen = collect(visitor.socket, 'presence');
    const { presences } = await call(visitor.socket, 'presence:subscribe', { addresses: [ALICE] });
    assert.equal(presences[0]!.status, 'available');
  });

  it('relays messages both ways with gap-free seq and `delivered` receipts', async () => {
    const sent: Message[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(await relay(visitor.socket, alice, visitor.conversationId, `from the visitor ${i}`));
      sent.push(await relay(alice, visitor.socket, visitor.conversationId, `from alice ${i}`));
    }
    assert.deepEqual(
      sent.map((m) => m.seq),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    const history = await call(alice, 'history:get', { conversationId: visitor.conversationId });
    assert.deepEqual(
      history.messages.map((m: Message) => m.seq),
      sent.map((m) => m.seq),
    );
  });

  it('carries typing both ways', async () => {
    const atVisitor = next(visitor.socket, 'typing', (t) => t.from === ALICE && t.state === 'composing');
    await call(alice, 'typing', { conversationId: visitor.conversationId, state: 'composing' });
    await atVisitor;
    const atAlice = next(alice, 'typing', (t) => t.from === visitor.self && t.state === 'composing');
    await call(visitor.socket, 'typing', { conversationId: visitor.conversationId, state: 'composing' });
    await atAlice;
  });

  it("pushes inbox items and notes to the agents of both nodes, and keeps a non-participant agent's read cursor in the shared store", async () => {
    const bob = (await connect(a, agentAuth('bob'))).socket;
    const id = visitor.conversationId;
    const atAlice = next(alice, 'inbox:item', (item) => item.id === id && item.lastMessage?.text === 'for the inbox', 15_000);
    const atBob = next(bob, 'inbox:item', (item) => item.id === id && item.lastMessage?.text === 'for the inbox', 15_000);
    const sent = await call(visitor.socket, 'message:send', { conversationId: id, clientId: 'c-inbox', text: 'for the inbox' });
    assert.ok(sent.ok);
    const [forAlice, forBob] = await Promise.all([atAlice, atBob]);
    assert.equal(forBob.unread, sent.message.seq, 'bob has read nothing');
    assert.ok(forAlice.unread < forBob.unread, "alice's own count");
    // Bob, on node A, takes no part in the conversation: his read is his cursor only, read back on node B.
    assert.equal((await call(bob, 'read', { conversationId: id, seq: sent.message.seq })).ok, true);
    const onB = await call(alice, 'inbox:list', { view: 'mine' });
    assert.equal(onB.items.find((item) => item.id === id)?.unread, forAlice.unread);
    const bobOnA = await call(bob, 'inbox:list', { view: 'open' });
    assert.equal(bobOnA.items.find((item) => item.id === id)?.unread, 0);
    const noteAtBob = next(bob, 'note', (note) => note.conversationId === id, 15_000);
    const added = await call(alice, 'note:add', { conversationId: id, text: 'noted on node B' });
    assert.ok(added.ok, JSON.stringify(added));
    assert.deepEqual(await noteAtBob, added.note);
    bob.disconnect();
  });

  it("shows the agent's presence and the team's availability to the visitor on the other node, each change once", async () => {
    // The last test's bob came and went: gone as the visitor's node counts him, his coming and his
    // leaving may each still be told (coalesced, up to a second later), so the changes of this test
    // are read from the first it makes on.
    await until(async () => (await call(visitor.socket, 'presence:subscribe', { team: 'support' })).online === 1, 10_000, "the last test's bob gone");
    const earlier = teamSeen.length;
    const ours = () => {
      const all = teamSeen.slice(earlier);
      const first = all.findIndex((t) => !t.available);
      return first < 0 ? [] : all.slice(first);
    };
    await call(alice, 'presence:set', { status: 'away', text: 'lunch' });
    await until(() => aliceSeen.some((p) => p.status === 'away'), 10_000, 'alice away at the visitor');
    await until(() => ours().length > 0, 10_000, 'the team unavailable at the visitor');
    await call(alice, 'presence:set', { status: 'available' });
    await until(() => ours().some((t) => t.available), 10_000, 'the team available again');
    // A second agent on node B: the team's count goes up, told once.
    const bob = (await connect(b, agentAuth('bob'))).socket;
    await until(() => ours().some((t) => t.online === 2), 10_000, 'bob counted');
    bob.disconnect();
    await until(() => ours().at(-1)?.online === 1, 10_000, 'bob gone');
    await until(() => aliceSeen.at(-1)?.status === 'available', 10_000, 'alice back');
    assert.deepEqual(
      aliceSeen.filter((p) => p.address === ALICE).map((p) => p.status),
      ['away', 'available'],
      'each change of alice once',
    );
    assert.deepEqual(
      ours().map((t) => [t.available, t.online]),
      [
        [false, 1],
        [true, 1],
        [true, 2],
        [true, 1],
      ],
      'each change of the team once',
    );
  });

  it('reports the nodes it hears, the delay between them, and Redis in /readyz', async () => {
    const ready = (await (await fetch(`${a.url}/readyz`)).json()) as { status: string; redis: string; node: string };
    assert.equal(ready.status, 'ready');
    assert.equal(ready.redis, 'up');
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(metrics, /^switchboard_cluster_nodes 2$/m);
    const delays = /^switchboard_cluster_bus_delay_seconds_count (\d+)$/m.exec(metrics);
    assert.ok(delays && Number(delays[1]) > 0, 'messages from the other node timed');
  });

  it('carries on after Redis restarts: messages, receipts and typing both ways', async () => {
    await redis.stop();
    // Still ready while Redis is away (it serves its own clients), and says so.
    await until(async () => ((await (await fetch(`${a.url}/readyz`)).json()) as { redis: string }).redis === 'down', 10_000, 'Redis reported down');
    assert.equal((await fetch(`${a.url}/readyz`)).status, 200);
    // Stored while the nodes cannot reach each other: the visitor, still connected to node A, gets
    // it once Redis is back, without reconnecting (node B hands it again when the nodes resync).
    const meanwhile = await call(alice, 'message:send', { conversationId: visitor.conversationId, clientId: 'during-outage', text: 'while Redis was away' });
    assert.equal(meanwhile.ok, true);
    const arrived = collect(visitor.socket, 'message');
    const acknowledged = next(alice, 'message:status', (s: MessageStatusEvent) => s.id === meanwhile.message.id && s.status === 'delivered', 30_000);
    await redis.start();
    // Each node's Redis subscription is back once it hears the other's heartbeat.
    await Promise.all([heardFromOthers(a.bridge.bus), heardFromOthers(b.bridge.bus)]);
    await until(() => arrived.some((m) => m.id === meanwhile.message.id), 30_000, 'the message stored during the outage at the visitor');
    await acknowledged;
    assert.equal(arrived.filter((m) => m.id === meanwhile.message.id).length, 1, 'once');
    await relay(visitor.socket, alice, visitor.conversationId, 'after the restart, from the visitor');
    await relay(alice, visitor.socket, visitor.conversationId, 'after the restart, from alice');
    const atVisitor = next(visitor.socket, 'typing', (t) => t.from === ALICE && t.state === 'paused');
    await call(alice, 'typing', { conversationId: visitor.conversationId, state: 'paused' });
    await atVisitor;
    // Available after it (an outage longer than three heartbeats would show her offline meanwhile, as the other node is gone that long).
    await until(() => aliceSeen.at(-1)?.status === 'available', 10_000, 'alice available');
    const history = await call(visitor.socket, 'history:get', { conversationId: visitor.conversationId });
    // Ten relayed, one for the inbox, one during the outage, two after the restart: no gap, none twice.
    assert.deepEqual(
      history.messages.map((m: Message) => m.seq),
      Array.from({ length: 14 }, (_, i) => i + 1),
    );
  });

  it('hands a reader on the other node what was stored while the nodes could not hear each other, without a reconnection', async () => {
    await redis.stop();
    // Long enough for each node to take the other for gone (heartbeats missed).
    await until(() => a.bridge.bus.nodes().length === 1 && b.bridge.bus.nodes().length === 1, 30_000, 'each node alone');
    const meanwhile = await call(alice, 'message:send', {
      conversationId: visitor.conversationId,
      clientId: 'nodes-apart',
      text: 'while the nodes were apart',
    });
    assert.equal(meanwhile.ok, true);
    const arrived = collect(visitor.socket, 'message');
    const acknowledged = next(alice, 'message:status', (s: MessageStatusEvent) => s.id === meanwhile.message.id && s.status === 'delivered', 60_000);
    await redis.start();
    await until(() => a.bridge.bus.nodes().length === 2 && b.bridge.bus.nodes().length === 2, 30_000, 'the nodes together again');
    await until(() => arrived.some((m) => m.id === meanwhile.message.id), 30_000, 'the message stored while apart at the visitor');
    await acknowledged;
    assert.equal(arrived.filter((m) => m.id === meanwhile.message.id).length, 1, 'once');
  });

  it("takes a stopping node's agents offline for the watchers on the other node", async () => {
    const gone = next(visitor.socket, 'presence', (p) => p.address === ALICE && p.status === 'offline', 15_000);
    const empty = next(visitor.socket, 'team:availability', (t) => t.online === 0, 15_000);
    stopped = true;
    await b.stop();
    await Promise.all([gone, empty]);
    assert.deepEqual(a.bridge.bus.nodes(), ['node-a']);
  });

  it('stops while Redis is away, at once and without an error left behind', { timeout: 20_000 }, async () => {
    await redis.stop();
    // Something to publish while Redis is away: the visitor leaves (its connection count).
    visitor.socket.disconnect();
    const started = Date.now();
    await a.stop();
    assert.ok(Date.now() - started < 5000, `stopped in ${Date.now() - started} ms`);
  });
});
