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
      rescheduleOffer: async (conversationId: string, from: number, to: number) => {
        const offer = saved.get(conversationId);
        if (offer?.deadline !== from) return offer;
        saved.set(conversationId, { ...offer, deadline: to });
        return true as const;
      },
      endOffer: async (conversationId: string, agentId: string, answerSeq?: number) => {
        const offer = saved.get(conversationId);
        if (offer?.agentId !== agentId) return;
        if (answerSeq === undefined || offer.seq === undefined || offer.seq < answerSeq) saved.delete(conversationId);
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
  return { clock, offers, saved, expired, turns, store };
}

/**
 * Nodes sharing one store and bus; each acts on an expiry as the router does: only when it claimed
 * it, and then (nobody else to take it) ends its claim. A node in `dying` dies right after its claim.
 */
function setUpNodes(count: number) {
  const clock = new ManualClock(START);
  const shared = offerStore();
  const bus = loopBus();
  const acted: { node: number; agentId: string; at: number }[] = [];
  const dying = new Set<number>();
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
        if (!offer) return;
        const held = await node.claimExpiry(conversationId, offer);
        if (held === undefined) return;
        acted.push({ node: i, agentId, at: clock.now().getTime() });
        if (dying.has(i)) node.stop();
        else await node.release(conversationId, offer, held);
      },
    });
    nodes.push(node);
  }
  return { clock, nodes, acted, dying, saved: shared.saved, bus };
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

  it('plans what an assignment stores of its offer, and starts it as stored: its deadline and turn, not stored again', async () => {
    const { clock, offers, saved, expired, turns } = setUp();
    const bob = 'xmpp:bob@example.org';
    assert.deepEqual(
      offers.assigning({ ...conversation, team: 'nobody-offers' }, bob),
      { offer: undefined, turn: { team: 'nobody-offers', agentId: bob } },
      'no such team: no offer, a turn all the same',
    );
    const assigning = offers.assigning(conversation, bob);
    assert.deepEqual(assigning, {
      offer: { conversationId: conversation.id, agentId: bob, deadline: at(30).getTime(), declined: [], seq: conversation.lastSeq },
      turn: { team: 'support', agentId: bob },
    });
    assert.deepEqual(offers.plan(conversation, bob), assigning.offer);
    clock.set(at(2)); // the assignment's commit took a while
    await offers.start(conversation, bob, assigning);
    assert.equal(saved.has(conversation.id), false, 'the assignment stored it');
    assert.equal(turns.size, 0, 'and took the turn');
    clock.set(at(29.999));
    assert.deepEqual(expired, []);
    clock.set(at(30));
    assert.deepEqual(expired, [{ conversationId: conversation.id, agentId: bob, at: at(30).getTime() }]);
    // Planned for another agent than the one started: started afresh, stored, and its turn taken.
    await offers.start(conversation, 'xmpp:carl@example.org', assigning);
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:carl@example.org');
    assert.deepEqual([...turns.keys()], ['support xmpp:carl@example.org']);
    // Stored by an assignment for a conversation whose team makes none now (it changed teams meanwhile): removed, and that team's turn taken.
    const movedAway = { ...assigning.offer, conversationId: 'c_moved' };
    saved.set(movedAway.conversationId, movedAway);
    await offers.start({ ...conversation, id: 'c_moved', team: 'nobody-offers' }, bob, { offer: movedAway, turn: assigning.turn });
    assert.equal(saved.has('c_moved'), false);
    assert.ok(turns.has(`nobody-offers ${bob}`));
  });

  it('ends, once answered, the offer to that agent only: not one made since to another', async () => {
    const { offers, saved } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    const toCarl = { conversationId: conversation.id, agentId: 'xmpp:carl@example.org', deadline: at(35).getTime(), declined: ['xmpp:bob@example.org'] };
    saved.set(conversation.id, toCarl); // moved on by another node; this one has not heard yet
    offers.drop(conversation.id); // bob answers here
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(saved.get(conversation.id), toCarl);
  });

  it('ends on an answer only the offer to the agent who answered, here and on the other nodes', async () => {
    const { nodes, saved, bus } = setUpNodes(2);
    await nodes[1]!.start(conversation, 'xmpp:carl@example.org');
    bus.missing('desk:offer');
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org'); // given to bob on node 0; node 1 did not hear
    nodes[0]!.drop(conversation.id, { agentId: 'xmpp:carl@example.org', seq: 2 }); // carl, whose offer it was before, writes late
    assert.equal(nodes[0]!.current(conversation.id)?.agentId, 'xmpp:bob@example.org');
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:bob@example.org');
    nodes[0]!.drop(conversation.id, { agentId: 'xmpp:bob@example.org', seq: 2 }); // bob answers
    await settle();
    assert.equal(nodes[0]!.current(conversation.id), undefined);
    assert.equal(saved.has(conversation.id), false);
    assert.equal(nodes[1]!.current(conversation.id)?.agentId, 'xmpp:carl@example.org', "told that bob's ended, node 1 keeps what it watches");
  });

  it("keeps the seq the assignment gave the offer (the conversation's as the assignment left it), not the one planned before", async () => {
    const { offers } = setUp();
    const planned = offers.assigning({ ...conversation, lastSeq: 3 }, 'xmpp:bob@example.org');
    assert.equal(planned.offer?.seq, 3);
    // Two more messages were stored before the assignment's transaction: the store wrote seq 5.
    await offers.start({ ...conversation, lastSeq: 5 }, 'xmpp:bob@example.org', planned);
    assert.equal(offers.current(conversation.id)?.seq, 5);
  });

  it('is not ended by a message the agent wrote before it was made (in flight as the conversation came back to them)', async () => {
    const { offers, saved } = setUp();
    const backToBob = { ...conversation, lastSeq: 5 };
    await offers.start(backToBob, 'xmpp:bob@example.org');
    assert.equal(saved.get(conversation.id)?.seq, 5);
    offers.drop(conversation.id, { agentId: 'xmpp:bob@example.org', seq: 5 });
    await settle();
    assert.equal(offers.current(conversation.id)?.agentId, 'xmpp:bob@example.org');
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:bob@example.org');
    offers.drop(conversation.id, { agentId: 'xmpp:bob@example.org', seq: 6 }); // his answer
    await settle();
    assert.equal(offers.current(conversation.id), undefined);
    assert.equal(saved.has(conversation.id), false);
  });

  it('keeps, here and on the other nodes, an offer made again to an agent whose earlier message another node took for an answer to the one before', async () => {
    const { nodes, saved, bus } = setUpNodes(2);
    await nodes[0]!.start({ ...conversation, lastSeq: 3 }, 'xmpp:bob@example.org');
    bus.missing('desk:offer');
    // Offered to bob again on node 1 (the conversation went round and came back); node 0 did not hear.
    await nodes[1]!.start({ ...conversation, lastSeq: 7 }, 'xmpp:bob@example.org');
    // Bob's message 5, written in between, reaches the desk on node 0: an answer to the offer it watches.
    nodes[0]!.drop(conversation.id, { agentId: 'xmpp:bob@example.org', seq: 5 });
    await settle();
    assert.equal(nodes[0]!.current(conversation.id), undefined);
    assert.deepEqual(saved.get(conversation.id)?.seq, 7, 'the offer made since stays in the store');
    assert.equal(nodes[1]!.current(conversation.id)?.seq, 7, 'and on the node that made it');
  });

  it('watches afresh a stored offer its claim found stored again as it was (another claimant kept it waiting for agents)', async () => {
    const { clock, offers, store } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    const offer = offers.current(conversation.id)!;
    clock.set(at(30));
    // Its claim lost to another node's, which stored it back as it was, overdue, before this node read it.
    store.rescheduleOffer = async (conversationId) => (await store.offers()).find((stored) => stored.conversationId === conversationId);
    assert.equal(await offers.claimExpiry(conversation.id, offer), undefined);
    const watched = offers.current(conversation.id)!;
    assert.notEqual(watched, offer, 'watched anew, its timer set');
    assert.equal(watched.deadline, at(30).getTime());
    assert.equal(offers.isWaiting(watched), true, 'overdue: it waits for agents as a resumed offer does');
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

  it('keeps an offer it started while it read the stored offers again, over the row it read before', async () => {
    const clock = new ManualClock(START);
    const { store, saved } = offerStore([{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', deadline: at(30).getTime(), declined: [] }]);
    const expired: string[] = [];
    const node: Offers = new Offers({
      store: {
        ...store,
        offers: async () => {
          const read = await store.offers();
          clock.set(at(5));
          void node.start(conversation, 'xmpp:carl@example.org'); // given to carl meanwhile
          return read;
        },
      },
      teams: teamsConfig(),
      clock,
      logger: pino({ level: 'silent' }),
      expired: async (_conversationId, agentId) => void expired.push(agentId),
    });
    await node.rewatch();
    assert.deepEqual([node.current(conversation.id)?.agentId, node.current(conversation.id)?.deadline], ['xmpp:carl@example.org', at(35).getTime()]);
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:carl@example.org');
    clock.set(at(35));
    assert.deepEqual(expired, ['xmpp:carl@example.org']);
  });

  it('stops the timer of what it watched when it watches an offer anew', async () => {
    const { clock, offers, saved, expired } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    saved.set(conversation.id, { conversationId: conversation.id, agentId: 'xmpp:carl@example.org', deadline: at(35).getTime(), declined: [] });
    await offers.rewatch(); // given to carl on another node; the bus lost it
    clock.set(at(30));
    assert.equal(expired.length, 0, "bob's timer stopped");
    clock.set(at(35));
    assert.deepEqual(
      expired.map((e) => e.agentId),
      ['xmpp:carl@example.org'],
    );
  });

  it('ends only its own claim, and keeps it to re-arm while the store fails; a waiting offer re-armed goes on waiting', async () => {
    const { clock, offers, saved } = setUp([{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', deadline: at(-5).getTime(), declined: [] }]);
    await offers.resume();
    const waiting = offers.current(conversation.id)!;
    assert.equal(waiting.waitUntil, at(60).getTime());
    clock.set(at(10));
    const held = (await offers.claimExpiry(conversation.id, waiting))!;
    assert.equal(held, at(40).getTime());
    offers.rearm(conversation.id, waiting, held);
    const rearmed = offers.current(conversation.id)!;
    assert.deepEqual([rearmed.deadline, rearmed.waitUntil, offers.isWaiting(rearmed)], [held, at(60).getTime(), true], 'still waiting for agents');
    // The claim replaced meanwhile (another node's assignment): released, the newer offer stays.
    const newer = { conversationId: conversation.id, agentId: 'xmpp:carl@example.org', deadline: at(70).getTime(), declined: [] };
    saved.set(conversation.id, newer);
    await offers.release(conversation.id, rearmed, held);
    assert.deepEqual(saved.get(conversation.id), newer);
    await offers.discard(conversation.id, rearmed, held);
    assert.deepEqual(saved.get(conversation.id), newer);
  });

  it('removes at start a stale offer it read (its conversation closed), not one another node stored since', async () => {
    const { store, saved } = offerStore([{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', deadline: at(-5).getTime(), declined: [] }]);
    const offers = new Offers({
      store: {
        ...store,
        // Read closed; meanwhile another node, on which it opened again, offered it to carl.
        getConversation: async () => {
          saved.set(conversation.id, { conversationId: conversation.id, agentId: 'xmpp:carl@example.org', deadline: at(30).getTime(), declined: [] });
          return { ...conversation, state: 'closed' as const };
        },
      },
      teams: teamsConfig(),
      clock: new ManualClock(START),
      logger: pino({ level: 'silent' }),
      expired: async () => undefined,
    });
    await offers.resume();
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:carl@example.org');
  });

  it('keeps a claim it could not end (the store failed) to re-arm it', async () => {
    const { clock, offers, saved, store } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    clock.set(at(30));
    const offer = offers.current(conversation.id)!;
    const held = (await offers.claimExpiry(conversation.id, offer))!;
    const deleteOffer = store.deleteOffer;
    store.deleteOffer = () => Promise.reject(new Error('database unavailable'));
    await assert.rejects(offers.release(conversation.id, offer, held), /database unavailable/);
    store.deleteOffer = deleteOffer;
    assert.equal(offers.current(conversation.id), offer, 'still here');
    offers.rearm(conversation.id, offer, held);
    assert.equal(offers.current(conversation.id)?.deadline, held);
    assert.equal(offers.current(conversation.id)?.seq, conversation.lastSeq, 'still answered only by what is written after it');
    assert.equal(saved.get(conversation.id)?.deadline, held);
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
    assert.equal(saved.has(conversation.id), false, 'the claim ended');
    assert.equal(nodes.filter((node) => node.current(conversation.id) !== undefined).length, 0, 'nobody watches it any more');
    clock.set(at(300));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted.length, 1);
  });

  it('holds a claimed offer: the others watch the hold, and act at its end only if the claimant died before it acted', async () => {
    const { clock, nodes, acted, dying, saved } = setUpNodes(3);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    // Whichever node claims it dies right away: between the claim and moving the conversation on.
    for (let i = 0; i < 3; i++) dying.add(i);
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(acted.length, 1);
    const claimant = acted[0]!.node;
    assert.equal(saved.get(conversation.id)?.deadline, at(60).getTime(), 'the stored offer runs out again at the end of the hold');
    const others = nodes.filter((_, i) => i !== claimant);
    assert.deepEqual(
      others.map((node) => node.current(conversation.id)?.deadline),
      [at(60).getTime(), at(60).getTime()],
      'the others watch the hold',
    );
    dying.clear();
    clock.set(at(59.999));
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(acted.length, 1, 'nobody acts during the hold');
    clock.set(at(60));
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(acted.length, 2, 'one other node acts at its end, once');
    assert.notEqual(acted[1]!.node, claimant);
    assert.equal(acted[1]!.at, at(60).getTime());
    assert.equal(saved.has(conversation.id), false);
  });

  it('watches again, at the end of its hold, an offer its claimant could not act on', async () => {
    const { clock, offers, saved, expired } = setUp();
    await offers.start(conversation, 'xmpp:bob@example.org');
    clock.set(at(30));
    const offer = offers.current(conversation.id)!;
    const held = await offers.claimExpiry(conversation.id, offer);
    assert.equal(held, at(60).getTime());
    offers.rearm(conversation.id, offer, held); // moving it on failed (the store did)
    assert.equal(saved.get(conversation.id)?.deadline, held);
    expired.length = 0;
    clock.set(at(59.999));
    assert.deepEqual(expired, []);
    clock.set(at(60));
    assert.deepEqual(expired, [{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', at: at(60).getTime() }]);
    assert.notEqual(await offers.claimExpiry(conversation.id, offers.current(conversation.id)!), undefined, 'claimed again then');
  });

  it('keeps an offer claimed while it waits for agents overdue in the store, unless it was answered meanwhile', async () => {
    const { clock, offers, saved } = setUp([{ conversationId: conversation.id, agentId: 'xmpp:bob@example.org', deadline: at(-5).getTime(), declined: [] }]);
    await offers.resume();
    const waiting = offers.current(conversation.id)!;
    clock.set(at(10)); // an agent came back, but cannot take it: it goes on waiting
    const held = (await offers.claimExpiry(conversation.id, waiting))!;
    assert.equal(saved.get(conversation.id)?.deadline, at(40).getTime());
    await offers.keepWaiting(conversation.id, waiting, held);
    assert.equal(saved.get(conversation.id)?.deadline, at(-5).getTime(), 'its own deadline again: a restart waits for agents again');
    assert.equal(offers.current(conversation.id), waiting);
    // Claimed again, then answered on another node before it was kept waiting: not stored again.
    const again = (await offers.claimExpiry(conversation.id, waiting))!;
    saved.delete(conversation.id);
    await offers.keepWaiting(conversation.id, waiting, again);
    assert.equal(saved.has(conversation.id), false);
    assert.equal(offers.current(conversation.id), undefined);
  });

  it('reads again, when a node leaves, an offer stored with another deadline than the one watched', async () => {
    const { clock, nodes, saved, bus } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    bus.missing('desk:offer');
    clock.set(at(5));
    await nodes[0]!.start(conversation, 'xmpp:carl@example.org'); // offered again; the bus lost it
    assert.equal(nodes[1]!.current(conversation.id)?.deadline, at(30).getTime(), 'the other node still watches the first');
    bus.nodeLeft(0);
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual([nodes[1]!.current(conversation.id)?.agentId, nodes[1]!.current(conversation.id)?.deadline], ['xmpp:carl@example.org', at(35).getTime()]);
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:carl@example.org');
  });

  it('releases only its own claim: an offer made meanwhile elsewhere stays watched everywhere', async () => {
    const { nodes, saved } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    // Claimed by hand on node 0, before its timer (the clock stays).
    const offer = nodes[0]!.current(conversation.id)!;
    const held = (await nodes[0]!.claimExpiry(conversation.id, offer))!;
    await nodes[1]!.start(conversation, 'xmpp:carl@example.org'); // queued and given to carl on node 1 meanwhile
    assert.equal(nodes[0]!.current(conversation.id)?.agentId, 'xmpp:carl@example.org', 'node 0 heard of it');
    await nodes[0]!.release(conversation.id, offer, held);
    await settle();
    assert.equal(saved.get(conversation.id)?.agentId, 'xmpp:carl@example.org');
    assert.deepEqual(
      nodes.map((node) => node.current(conversation.id)?.agentId),
      ['xmpp:carl@example.org', 'xmpp:carl@example.org'],
    );
  });

  it('takes over the deadline of an offer whose node died', async () => {
    const { clock, nodes, acted } = setUpNodes(2);
    await nodes[0]!.start(conversation, 'xmpp:bob@example.org');
    nodes[0]!.stop(); // its timers die with it; the offer stays in the store
    clock.set(at(30));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(acted, [{ node: 1, agentId: 'xmpp:bob@example.org', at: at(30).getTime() }]);
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
    assert.deepEqual(acted, [{ node: 1, agentId: 'xmpp:bob@example.org', at: at(30).getTime() }]);
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
    assert.deepEqual(acted, [{ node: 1, agentId: 'xmpp:bob@example.org', at: at(30).getTime() }]);
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
