// Offers of team conversations run on the injected clock: an offer expires at its deadline and not
// before, an accepted offer never expires, and an offer that ran out while the bridge was down
// waits for an agent to come back before it moves on. Several nodes on one store and bus: every
// node watches every offer, and a deadline is acted on once. A clock the test moves: no waiting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { configSchema } from '../../src/config.js';
import { Offers } from '../../src/core/desk/offers.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
import { loopBus } from '../loop-state-bus.js';
import type { ConversationRecord, OfferRecord } from '../../src/store/store.js';
import { ManualClock } from '../manual-clock.js';

const START = new Date('2026-11-30T09:00:00Z');
const at = (seconds: number) => new Date(START.getTime() + seconds * 1000);

const conversation: ConversationRecord = {
  id: 'c_offered',
  siteKey: 'shop',
  openedBy: 'web:v_0123456789ab',
  participants: ['web:v_0123456789ab', 'xmpp:bob@example.org'],
  state: 'open',
  team: 'support',
  assignee: 'xmpp:bob@example.org',
  createdAt: START.toISOString(),
  updatedAt: START.toISOString(),
  lastSeq: 1,
};

/** The store's offers and turns as a shared engine keeps them (several nodes read the same). */
function offerStore(stored: OfferRecord[] = []) {
  const saved = new Map(stored.map((offer) => [offer.conversationId, offer]));
  const turns = new Map<string, number>();
  let turn = 0;
  return {
    saved,
    turns,
    store: {
      saveOffer: async (offer: OfferRecord) => void saved.set(offer.conversationId, offer),
      deleteOffer: async (conversationId: string, deadline?: number) => {
        if (deadline !== undefined && saved.get(conversationId)?.deadline !== deadline) return false;
        return saved.delete(conversationId);
      },
      offers: async () => [...saved.values()],
      getConversation: async (id: string) => (id === conversation.id ? conversation : null),
      takeOfferTurn: async (team: string, agentId: string) => void turns.set(`${team} ${agentId}`, ++turn),
      offerTurns: async (team: string) =>
        new Map([...turns].filter(([key]) => key.startsWith(`${team} `)).map(([key, value]) => [key.slice(team.length + 1), value])),
    },
  };
}

const teamsConfig = () =>
  new TeamDirectory(configSchema.shape.teams.parse([{ id: 'support', members: ['xmpp:bob@example.org', 'xmpp:carl@example.org'], offerTimeoutSeconds: 30 }]), [
    'shop',
  ]);

function setUp(stored: OfferRecord[] = []) {
  const clock = new ManualClock(START);
  const { saved, store, turns } = offerStore(stored);
  const expired: { conversationId: string; agentId: string; at: number }[] = [];
  const offers = new Offers({
    store,
    teams: teamsConfig(),
    clock,
    logger: pino({ level: 'silent' }),
    expired: async (conversationId, agentId) => void expired.push({ conversationId, agentId, at: clock.now().getTime() }),
  });
  return { clock, offers, saved, expired, turns };
}

/** Nodes sharing one store and bus; each acts on an expiry as the router does: only when it claimed it. */
function setUpNodes(count: number) {
  const clock = new ManualClock(START);
  const shared = offerStore();
  const bus = loopBus();
  const acted: { node: number; agentId: string }[] = [];
  const nodes: Offers[] = [];
  for (let i = 0; i < count; i++) {
    const node: Offers = new Offers({
      store: shared.store,
      teams: teamsConfig(),
      clock,
      logger: pino({ level: 'silent' }),
      bus: bus.node(),
      expired: async (conversationId, agentId) => {
        const offer = node.current(conversationId);
        if (offer && (await node.claimExpiry(conversationId, offer))) acted.push({ node: i, agentId });
      },
    });
    nodes.push(node);
  }
  return { clock, nodes, acted, saved: shared.saved, bus };
}

/** Lets the expiry handlers (async, on the store) finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('offers', () => {
  it('expires at its deadline on the clock, not before, and keeps the deadline in the store', async () => {
    const { clock, offers, saved, expired } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    assert.equal(saved.get(conversation.id)?.deadline, at(30).getTime());
    clock.set(at(29.999));
    assert.deepEqual(expired, []);
    clock.set(at(30));
    assert.deepEqual(expired, [{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', at: at(30).getTime() }]);
  });

  it('plans the offer an assignment stores, and starts it as stored: its deadline, not stored again', async () => {
    const { clock, offers, saved, expired, turns } = setUp();
    assert.equal(offers.plan({ ...conversation, team: 'nobody-offers' }, 'xmpp:bob@example.org'), undefined, 'no such team: no offer');
    const planned = offers.plan(conversation, 'xmpp:bob@example.org');
    assert.deepEqual(planned, { conversationId: conversation.id, agentId: 'xmpp:bob@example.org', deadline: at(30).getTime(), declined: [] });
    clock.set(at(2)); // the assignment's commit took a while
    await offers.start(conversation, 'xmpp:bob@example.org', planned);
    assert.equal(saved.has(conversation.id), false, 'the assignment stored it');
    assert.ok(turns.has('support xmpp:bob@example.org'), 'the turn taken');
    clock.set(at(29.999));
    assert.deepEqual(expired, []);
    clock.set(at(30));
    assert.deepEqual(expired, [{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', at: at(30).getTime() }]);
    // Planned for another agent than the one started: started afresh, and stored.
    await offers.start(conversation, 'xmpp:carl@example.org', planned);
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:carl@example.org');
    // Stored by an assignment for a conversation whose team makes none now (it changed teams meanwhile): removed.
    const movedAway = { ...planned, conversationId: 'c_moved' };
    saved.set(movedAway.conversationId, movedAway);
    await offers.start({ ...conversation, id: 'c_moved', team: 'nobody-offers' }, 'xmpp:bob@example.org', movedAway);
    assert.equal(saved.has('c_moved'), false);
  });

  it('never expires once accepted', async () => {
    const { clock, offers, saved, expired } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    clock.set(at(10));
    offers.drop(conversation.id);
    clock.set(at(120));
    assert.deepEqual(expired, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(saved.has(conversation.id), false);
  });

  it('resumes an offer that ran out while the bridge was down: it waits a minute for an agent to come back', async () => {
    const { clock, offers, expired } = setUp([{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', deadline: at(-5).getTime(), declined: [] }]);
    await offers.resume();
    const offer = offers.current(conversation.id)!;
    assert.equal(offers.isWaiting(offer), true);
    clock.set(at(59));
    assert.deepEqual(expired, []);
    clock.set(at(60));
    assert.equal(expired.length, 1);
    assert.equal(offers.isWaiting(offer), false);
  });

  it('keeps round-robin turns in the store, per team: the same for every node and after a restart', async () => {
    const first = setUp();
    await first.offers.start(conversation, 'xmpp:carl@example.org');
    await first.offers.start({ ...conversation, id: 'c_2' }, 'xmpp:bob@example.org');
    const turns = await first.offers.turnsOf('support');
    assert.ok(turns.get('xmpp:carl@example.org')! < turns.get('xmpp:bob@example.org')!, 'carl was offered one before bob');
    assert.deepEqual(await first.offers.turnsOf('sales'), new Map());
  });
});

describe('offers on several nodes', () => {
  it('acts once on a deadline that every node watches', async () => {
    const { clock, nodes, acted, saved } = setUpNodes(3);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    assert.equal(nodes[2]!.current(conversation.id)?.deadline, at(30).getTime(), 'the others learned the offer');
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted.length, 1);
    assert.equal(saved.has(conversation.id), false);
    assert.equal(nodes.filter((node) => node.current(conversation.id) !== undefined).length, 1, 'only the node that acted still holds it (to move it on)');
  });

  it('takes over the deadline of an offer whose node died', async () => {
    const { clock, nodes, acted } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    nodes[0]!.stop(); // its timers die with it; the offer stays in the store
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, [{ node: 1, agentId: 'xmpp:bob@example.org' }]);
  });

  it('reads the stored offers again when a node leaves: one whose start the bus lost is watched then', async () => {
    const { clock, nodes, acted, bus } = setUpNodes(2);
    bus.missing('desk:offer');
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    assert.equal(nodes[1]!.current(conversation.id), undefined, 'the other node never heard of it');
    nodes[0]!.stop(); // then its node dies
    bus.nodeLeft(0);
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(nodes[1]!.current(conversation.id)?.deadline, at(30).getTime());
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, [{ node: 1, agentId: 'xmpp:bob@example.org' }]);
  });

  it('watches nothing more once stopped, even when another node leaves (the whole cluster shutting down)', async () => {
    const { clock, nodes, acted, bus } = setUpNodes(2);
    bus.missing('desk:offer');
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    nodes[0]!.stop();
    nodes[1]!.stop();
    bus.nodeLeft(0);
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(nodes[1]!.current(conversation.id), undefined);
    clock.set(at(31));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, []);
  });

  it('takes up, at start, offers another node made before it', async () => {
    const { clock, nodes, acted } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    nodes[0]!.stop();
    nodes[1]!.stop(); // a node started after: it has heard nothing, it reads the store
    await nodes[1]!.resume();
    assert.equal(nodes[1]!.current(conversation.id)?.deadline, at(30).getTime());
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, [{ node: 1, agentId: 'xmpp:bob@example.org' }]);
  });

  it('ends everywhere an offer accepted on one node', async () => {
    const { clock, nodes, acted, saved } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    nodes[1]!.drop(conversation.id); // the agent answered through the other node
    await settle();
    assert.equal(saved.has(conversation.id), false);
    assert.equal(nodes[0]!.current(conversation.id), undefined);
    clock.set(at(120));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, []);
  });

  it('acts on nothing when the store no longer holds the offer, even if the bus missed its end', async () => {
    const { clock, nodes, acted, saved } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    saved.delete(conversation.id); // accepted on a node whose message never arrived
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, []);
    assert.equal(nodes[0]!.current(conversation.id), undefined, 'forgotten');
  });
});
