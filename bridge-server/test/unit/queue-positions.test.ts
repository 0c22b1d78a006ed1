// The team queues kept in memory: positions follow enqueues, takes, closes and transfers without
// re-reading the store, per team; a fresh instance (a restart) reads the store again; and updates
// are coalesced, so a burst of opens tells each waiting visitor once, and someone joining behind
// tells no one. Several nodes: each follows
// the others' changes and tells only its own visitors, so nobody hears a position twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTick } from 'node:timers/promises';
import type { QueuePosition } from '@switchboard/protocol';
import { POSITIONS_TOLD, QueuePositions } from '../../src/core/desk/queue-positions.js';
import { loopBus } from '../loop-state-bus.js';
import type { ClientHub, HubRoom } from '../../src/core/hub.js';
import type { ConversationRecord } from '../../src/store/store.js';

let created = 0;
function conversation(id: string, team: string, extra: Partial<ConversationRecord> = {}): ConversationRecord {
  created++;
  return {
    id,
    siteKey: 'shop',
    openedBy: `web:shop/v_${id}`,
    participants: [`web:shop/v_${id}`],
    team,
    state: 'open',
    createdAt: new Date(Date.UTC(2026, 11, 1, 10, 0, created)).toISOString(),
    updatedAt: '',
    lastSeq: 0,
    ...extra,
  };
}

/** A store holding `stored` (the conversations as they are now) and a hub that records what is told. */
function setUp(stored: ConversationRecord[] = []) {
  const told: QueuePosition[] = [];
  const reads: string[] = [];
  const hub = {
    emit: (_rooms: HubRoom[], event: string, payload: QueuePosition) => {
      if (event === 'queue:position') told.push(payload);
    },
  } as unknown as ClientHub;
  const store = {
    queuedConversations: (team: string, limit: number) => {
      reads.push(team);
      return Promise.resolve(stored.filter((c) => c.team === team && c.state === 'open' && c.assignee === undefined).slice(0, limit));
    },
    getConversation: (id: string) => Promise.resolve(stored.find((c) => c.id === id) ?? null),
  };
  const make = () => new QueuePositions(store, hub);
  return { positions: make(), make, told, reads, stored };
}

/** Lets the per-tick updates go out. */
const tick = () => nextTick();
const lastFor = (told: QueuePosition[], id: string) => told.filter((p) => p.conversationId === id).at(-1);

describe('queue positions kept in memory', () => {
  it('tells a new conversation its place once, and nobody else their unchanged place (nor the number waiting), reading the store once', async () => {
    const { positions, told, reads, stored } = setUp();
    const queued = ['a', 'b', 'c'].map((id) => conversation(id, 'support'));
    for (const c of queued) {
      stored.push(c);
      await positions.enqueued(c);
      await tick();
    }
    const placeTold = told.filter((p) => p.conversationId === 'c');
    assert.deepEqual(placeTold, [{ conversationId: 'c', team: 'support', position: 3, waiting: 3 }]);
    assert.deepEqual(reads, ['support'], 'the store is read at first use only');
    await tick();
    assert.deepEqual(
      told.filter((p) => p.conversationId === 'a'),
      [{ conversationId: 'a', team: 'support', position: 1, waiting: 2 }],
      'told once: c joining behind tells it nothing',
    );
    positions.stop();
  });

  it('moves everyone up when the first is taken or closed, and tells the one taken position 0', async () => {
    const { positions, told, stored } = setUp();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => conversation(id, 'support'));
    stored.push(a!, b!, c!);
    await positions.tell('support');
    await tick();
    told.length = 0;
    positions.taken({ ...a!, assignee: 'web:shop/a_alice' });
    await tick();
    assert.deepEqual(told, [
      { conversationId: 'a', team: 'support', position: 0, waiting: 0 },
      { conversationId: 'b', team: 'support', position: 1, waiting: 2 },
      { conversationId: 'c', team: 'support', position: 2, waiting: 2 },
    ]);
    told.length = 0;
    positions.changed({ ...b!, state: 'closed' });
    await tick();
    assert.deepEqual(told, [{ conversationId: 'c', team: 'support', position: 1, waiting: 1 }]);
    assert.equal(await positions.positionOf('support', 'c'), 1);
    assert.equal(await positions.positionOf('support', 'b'), undefined);
    positions.stop();
  });

  it('keeps teams apart and follows a transfer from one team to the other, in the store order', async () => {
    const { positions, told, stored } = setUp();
    const early = conversation('early', 'sales');
    const s1 = conversation('s1', 'support');
    const b1 = conversation('b1', 'billing');
    stored.push(early, s1, b1);
    await positions.tell('support');
    await positions.tell('billing');
    await tick();
    assert.deepEqual(lastFor(told, 's1'), { conversationId: 's1', team: 'support', position: 1, waiting: 1 });
    assert.deepEqual(lastFor(told, 'b1'), { conversationId: 'b1', team: 'billing', position: 1, waiting: 1 });
    // Opened before b1: transferred to billing, it goes before it.
    positions.changed({ ...early, team: 'billing' });
    await tick();
    assert.deepEqual(lastFor(told, 'early'), { conversationId: 'early', team: 'billing', position: 1, waiting: 2 });
    assert.deepEqual(lastFor(told, 'b1'), { conversationId: 'b1', team: 'billing', position: 2, waiting: 2 });
    // s1 transferred to billing: it leaves support.
    positions.changed({ ...s1, team: 'billing' });
    assert.equal(await positions.positionOf('support', 's1'), undefined);
    assert.equal(await positions.positionOf('billing', 's1'), 2);
    assert.equal(await positions.positionOf('billing', 'b1'), 3);
    positions.stop();
  });

  it('reads the store again after a restart and tells every waiting visitor its place', async () => {
    const { positions, make, told, stored, reads } = setUp();
    const queued = ['a', 'b'].map((id) => conversation(id, 'support'));
    stored.push(...queued);
    await positions.tell('support');
    await tick();
    positions.stop();
    told.length = 0;
    const restarted = make();
    stored.push(conversation('c', 'support'));
    await restarted.tell('support');
    await tick();
    assert.deepEqual(
      told.map((p) => [p.conversationId, p.position, p.waiting]),
      [
        ['a', 1, 3],
        ['b', 2, 3],
        ['c', 3, 3],
      ],
    );
    assert.deepEqual(reads, ['support', 'support']);
    restarted.stop();
  });

  it('applies changes seen while the store is read', async () => {
    const { positions, stored } = setUp();
    const [a, b] = ['a', 'b'].map((id) => conversation(id, 'support'));
    stored.push(a!, b!);
    const reading = positions.tell('support');
    positions.changed({ ...a!, assignee: 'web:shop/a_alice' }); // taken while the store is read
    await reading;
    assert.equal(await positions.positionOf('support', 'a'), undefined);
    assert.equal(await positions.positionOf('support', 'b'), 1);
    positions.stop();
  });

  it('tells a burst of opens each its place once, and those waiting before them nothing', async () => {
    const { positions, told, stored } = setUp();
    const waiting = Array.from({ length: 20 }, (_, i) => conversation(`w${i}`, 'support'));
    stored.push(...waiting);
    await positions.tell('support');
    await tick();
    told.length = 0;
    // A burst: 50 opens within one tick.
    const burst = Array.from({ length: 50 }, (_, i) => conversation(`n${i}`, 'support'));
    for (const c of burst) positions.changed(c);
    await tick();
    await tick();
    assert.deepEqual(
      told.map((p) => [p.conversationId, p.position, p.waiting]),
      burst.map((c, i) => [c.id, 21 + i, 70]),
      'one packet per new visitor, with the number waiting then',
    );
    // More opens one after another, each in its own tick: still one packet each.
    told.length = 0;
    for (let i = 0; i < 5; i++) {
      positions.changed(conversation(`m${i}`, 'support'));
      await tick();
    }
    assert.deepEqual(
      told.map((p) => p.conversationId),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    // The first taken: everyone told moves up, and hears the number waiting now.
    told.length = 0;
    positions.taken({ ...waiting[0]!, assignee: 'web:shop/a_alice' });
    await tick();
    assert.deepEqual(lastFor(told, 'w1'), { conversationId: 'w1', team: 'support', position: 1, waiting: 74 });
    assert.equal(told.length, 75, 'the one taken, and each who moved up once');
    positions.stop();
  });

  it('tells only the first POSITIONS_TOLD, and the others on their turn', async () => {
    const { positions, told, stored } = setUp();
    const many = Array.from({ length: POSITIONS_TOLD + 2 }, (_, i) => conversation(`q${i}`, 'support'));
    stored.push(...many);
    await positions.tell('support');
    await tick();
    assert.equal(told.length, POSITIONS_TOLD);
    assert.equal(lastFor(told, `q${POSITIONS_TOLD}`), undefined);
    told.length = 0;
    positions.taken({ ...many[0]!, assignee: 'web:shop/a_alice' });
    await tick();
    assert.deepEqual(lastFor(told, `q${POSITIONS_TOLD}`), {
      conversationId: `q${POSITIONS_TOLD}`,
      team: 'support',
      position: POSITIONS_TOLD,
      waiting: POSITIONS_TOLD + 1,
    });
    assert.equal(lastFor(told, `q${POSITIONS_TOLD + 1}`), undefined);
    positions.stop();
  });
  it('reads the queue again after conversations were deleted without a change (an erasure), telling only those who moved', async () => {
    const { positions, told, stored, reads } = setUp();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => conversation(id, 'support'));
    stored.push(a!, b!, c!);
    await positions.tell('support');
    await tick();
    told.length = 0;
    stored.splice(stored.indexOf(b!), 1); // erased in the store; nothing announced
    await positions.reread();
    await tick();
    assert.deepEqual(reads, ['support', 'support']);
    assert.deepEqual(told, [{ conversationId: 'c', team: 'support', position: 2, waiting: 2 }], 'c moves up; a, still first, is not told its place again');
    assert.equal(await positions.positionOf('support', 'b'), undefined, 'the erased conversation is gone from the queue');
    positions.stop();
  });
});

describe('queue positions on several nodes', () => {
  /** Nodes on one store and bus; each visitor is connected to one node, and each node emits to its own connections only. */
  function setUpNodes(count: number, connectedTo: Record<string, number>) {
    const stored: ConversationRecord[] = [];
    const told: (QueuePosition & { node: number })[] = [];
    const store = {
      queuedConversations: (team: string, limit: number) =>
        Promise.resolve(stored.filter((c) => c.team === team && c.state === 'open' && c.assignee === undefined).slice(0, limit)),
      getConversation: (id: string) => Promise.resolve(stored.find((c) => c.id === id) ?? null),
    };
    const buses = loopBus();
    const nodes = Array.from({ length: count }, (_, node) => {
      const bus = buses.node();
      const emit = (rooms: HubRoom[], event: string, payload: QueuePosition) => {
        const here = rooms.some((room) => room.kind === 'address' && connectedTo[room.address] === node);
        if (event === 'queue:position' && here) told.push({ ...payload, node });
      };
      return new QueuePositions(store, {} as ClientHub, { bus, emit: emit as unknown as ClientHub['emit'] });
    });
    /** Stores a change (as the node's store write would) and lets the node that made it announce it. */
    const change = (node: number, conversation: ConversationRecord) => {
      const at = stored.findIndex((c) => c.id === conversation.id);
      if (at >= 0) stored[at] = conversation;
      else stored.push(conversation);
      nodes[node]!.changed(conversation);
    };
    return { nodes, told, stored, change };
  }
  /** Lets the other nodes read the change and tell their visitors. */
  const settle = async () => {
    for (let i = 0; i < 4; i++) await tick();
  };

  it('tells each visitor, from its own node, of changes made on any node, once', async () => {
    const { nodes, told, change } = setUpNodes(2, { 'web:shop/v_a': 0, 'web:shop/v_b': 1, 'web:shop/v_c': 0 });
    const [a, b, c] = ['a', 'b', 'c'].map((id) => conversation(id, 'support'));
    for (const node of nodes) await node.tell('support'); // both keep the team's queue (visitors of it are on both)
    change(0, a!);
    await nodes[0]!.enqueued(a!);
    change(1, b!);
    await nodes[1]!.enqueued(b!);
    change(0, c!);
    await nodes[0]!.enqueued(c!);
    await settle();
    const place = (id: string) => told.filter((p) => p.conversationId === id).map(({ node, position }) => ({ node, position }));
    assert.deepEqual(place('a').at(0), { node: 0, position: 1 });
    assert.deepEqual(place('b').at(0), { node: 1, position: 2 }, 'b, on node 1, learned its place though a was queued on node 0');
    assert.deepEqual(place('c').at(0), { node: 0, position: 3 });
    assert.ok(
      told.every((p) => (p.conversationId === 'b' ? p.node === 1 : p.node === 0)),
      'each visitor hears only from its own node',
    );
    const before = told.length;
    // An agent on node 1 takes a: a hears it from node 0; b and c move up, each told once.
    const taken = { ...a!, assignee: 'xmpp:alice@example.org' as const, participants: [...a!.participants, 'xmpp:alice@example.org' as const] };
    change(1, taken);
    nodes[1]!.taken(taken);
    await settle();
    const after = told
      .slice(before)
      .map(({ node, conversationId, position }) => ({ node, conversationId, position }))
      .sort((x, y) => x.conversationId.localeCompare(y.conversationId));
    assert.deepEqual(after, [
      { node: 0, conversationId: 'a', position: 0 },
      { node: 1, conversationId: 'b', position: 1 },
      { node: 0, conversationId: 'c', position: 2 },
    ]);
    for (const node of nodes) node.stop();
  });

  it('follows the store, not the order events arrive in', async () => {
    const { nodes, told, stored, change } = setUpNodes(2, { 'web:shop/v_a': 1 });
    const a = conversation('a', 'support');
    await nodes[1]!.tell('support');
    change(0, a);
    // Taken at once on node 0: by the time node 1 reads the first event, the store says taken.
    stored[0] = { ...a, assignee: 'xmpp:alice@example.org' };
    await settle();
    assert.equal(await nodes[1]!.positionOf('support', 'a'), undefined);
    assert.deepEqual(told, [], 'never told a place it no longer has');
    for (const node of nodes) node.stop();
  });

  it('reads its queues again when another node deleted conversations without a change (an erasure)', async () => {
    const { nodes, told, stored, change } = setUpNodes(2, { 'web:shop/v_b': 1 });
    const [a, b] = ['a', 'b'].map((id) => conversation(id, 'support'));
    change(0, a!);
    change(0, b!);
    await nodes[1]!.tell('support');
    await settle();
    assert.equal(await nodes[1]!.positionOf('support', 'b'), 2);
    stored.splice(0, 1); // a erased on node 0; nothing announced
    await nodes[0]!.reread();
    await settle();
    assert.equal(await nodes[1]!.positionOf('support', 'b'), 1);
    assert.deepEqual(lastFor(told, 'b'), { conversationId: 'b', team: 'support', position: 1, waiting: 1, node: 1 });
    for (const node of nodes) node.stop();
  });
});
