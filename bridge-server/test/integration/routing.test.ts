// Team routing: strategies by live presence and load, capacity, the queue and its positions,
// agents with several addresses, and offers that move on when the agent does not answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Conversation, InboxItem } from '@switchboard/protocol';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ManualClock } from '../manual-clock.js';
import type { Store } from '../../src/store/store.js';
import { SITE, type TestBridge, type V1Socket, agentAuth, call, collect, connect, next, rawSocket, startBridge, until } from '../helpers.js';

async function withTeam(team: Record<string, unknown>, run: (t: TestBridge) => Promise<void>): Promise<void> {
  const t = await startBridge({ teams: [{ id: 'support', sites: [SITE], ...team }] });
  try {
    await run(t);
  } finally {
    await t.stop();
  }
}

/** Connects web agents and waits until the team counts them all online. */
async function agents(t: TestBridge, ids: string[], online = ids.length): Promise<V1Socket[]> {
  const watcher = await connect(t, { siteKey: SITE });
  const first = await call(watcher.socket, 'presence:subscribe', { team: 'support' });
  const counted = (first.online ?? 0) >= online ? Promise.resolve() : next(watcher.socket, 'team:availability', (a) => a.online >= online, 5000);
  const sockets = [];
  for (const id of ids) sockets.push((await connect(t, agentAuth(id))).socket);
  await counted;
  watcher.socket.disconnect();
  return sockets;
}

async function open(t: TestBridge): Promise<{ socket: V1Socket; conversation: Conversation; token: string }> {
  const { socket, session } = await connect(t, { siteKey: SITE });
  const opened = await call(socket, 'conversation:open', { team: 'support' });
  assert.ok(opened.ok, JSON.stringify(opened));
  return { socket, conversation: opened.conversation, token: session.token };
}

/** Team support with web agents a1, a2 and a3, 2 s to answer an offer, on a clock the test moves from `start`. */
async function withThreeOnClock(run: (t: TestBridge, clock: ManualClock, start: Date) => Promise<void>): Promise<void> {
  const start = new Date();
  const clock = new ManualClock(start);
  const t = await startBridge({ teams: [{ id: 'support', sites: [SITE], members: ['web:a_a1', 'web:a_a2', 'web:a_a3'], offerTimeoutSeconds: 2 }] }, { clock });
  try {
    await run(t, clock, start);
  } finally {
    await t.stop();
  }
}

/** `store` with some of its methods replaced (the others its own). */
function storeWith(store: Store, replaced: Partial<Store>): Store {
  return new Proxy(store, {
    get: (target, property, receiver) => (property in replaced ? replaced[property as keyof Store] : (Reflect.get(target, property, receiver) as unknown)),
  });
}

/** A promise the test settles: `open(value)` once something happened, `opened` to wait for it. */
function gate<T = void>(): { open(value: T): void; opened: Promise<T> } {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { open, opened };
}

/**
 * The store methods that hold an expiry's claim until `until` (`claimed` opened once it is made),
 * and tell the move's outcome (`move`).
 */
function claimHeldUntil(store: Store, claimed: { open(): void }, until: Promise<void>, move: { open(outcome: unknown): void }): Partial<Store> {
  return {
    rescheduleOffer: async (...args) => {
      const outcome = await store.rescheduleOffer(...args);
      if (outcome === true) {
        claimed.open();
        await until;
      }
      return outcome;
    },
    transferOffered: async (...args) => {
      const outcome = await store.transferOffered(...args);
      move.open(outcome);
      return outcome;
    },
  };
}

/**
 * A bridge on a SQLite file of its own, some of whose store methods `replace` replaces, with team
 * support (web agents a1 and a2, 2 s to answer) and offers on a clock the test moves: `runOut()`
 * brings the first offer's deadline. `letGo` opens what a failed test left waiting.
 */
async function withOffers(
  replace: (store: Store) => Partial<Store>,
  run: (t: TestBridge, runOut: () => void, clock: ManualClock, start: Date) => Promise<void>,
  letGo: () => void = () => undefined,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-it-'));
  const start = new Date();
  const clock = new ManualClock(start);
  const store = new SqliteStore({ path: join(dir, 'switchboard.db') });
  const teams = [{ id: 'support', sites: [SITE], members: ['web:a_a1', 'web:a_a2'], offerTimeoutSeconds: 2 }];
  const t = await startBridge({ teams }, { dir, store: storeWith(store, replace(store)), clock });
  try {
    await run(t, () => clock.set(new Date(start.getTime() + 2000)), clock, start);
  } finally {
    letGo();
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('team routing', () => {
  it('round-robin takes turns among the available agents', async () => {
    await withTeam({ members: ['web:a_a1', 'web:a_a2', 'web:a_a3'], routing: 'round-robin' }, async (t) => {
      await agents(t, ['a1', 'a2', 'a3']);
      const assignees = [];
      for (let i = 0; i < 4; i++) assignees.push((await open(t)).conversation.assignee);
      assert.deepEqual(assignees, ['web:a_a1', 'web:a_a2', 'web:a_a3', 'web:a_a1']);
    });
  });

  it('tells a visitor its place when it connects again, and position 0 when an agent takes the conversation by answering it or by a transfer', async () => {
    await withTeam({ members: ['web:a_a1', 'web:a_a2'], capacity: 1 }, async (t) => {
      const [a1, a2] = await agents(t, ['a1', 'a2']);
      const assignees = [(await open(t)).conversation.assignee, (await open(t)).conversation.assignee];
      assert.deepEqual(assignees.sort(), ['web:a_a1', 'web:a_a2']);
      const third = await open(t);
      const fourth = await open(t);
      assert.deepEqual([third.conversation.assignee, fourth.conversation.assignee], [undefined, undefined]);
      const thirdTold = collect(third.socket, 'queue:position');
      const fourthTold = collect(fourth.socket, 'queue:position');
      const answered = await call(a1!, 'message:send', { conversationId: third.conversation.id, clientId: 'a1-3', text: 'I am here' });
      assert.ok(answered.ok, JSON.stringify(answered));
      await until(() => thirdTold.some((p) => p.position === 0), 5000, 'position 0 for the answered conversation');
      await until(() => fourthTold.some((p) => p.position === 1), 5000, 'the next one moved up');
      // A visitor who connects again (a reload) is told where it stands at once, not at the next move.
      const again = rawSocket(t, { siteKey: SITE, token: fourth.token });
      const told = next(again, 'queue:position', () => true, 5000);
      again.connect();
      assert.deepEqual(await told, { conversationId: fourth.conversation.id, team: 'support', position: 1, waiting: 1 });
      again.disconnect();
      const moved = await call(a2!, 'conversation:transfer', { conversationId: fourth.conversation.id, to: { agent: 'web:a_a2' } });
      assert.ok(moved.ok, JSON.stringify(moved));
      await until(() => fourthTold.some((p) => p.position === 0), 5000, 'position 0 for the transferred conversation');
    });
  });

  it('least-busy picks the agent with the fewest open conversations', async () => {
    await withTeam({ members: ['web:a_a1', 'web:a_a2'], routing: 'least-busy' }, async (t) => {
      const [a1] = await agents(t, ['a1']);
      const first = await open(t);
      const second = await open(t);
      assert.equal(first.conversation.assignee, 'web:a_a1');
      assert.equal(second.conversation.assignee, 'web:a_a1');
      await agents(t, ['a2'], 2);
      assert.equal((await open(t)).conversation.assignee, 'web:a_a2');
      assert.equal((await open(t)).conversation.assignee, 'web:a_a2', 'a2 has 1 open, a1 has 2');
      await call(a1!, 'conversation:close', { conversationId: first.conversation.id });
      await call(a1!, 'conversation:close', { conversationId: second.conversation.id });
      assert.equal((await open(t)).conversation.assignee, 'web:a_a1', 'a1 now has none');
    });
  });

  it('queues beyond capacity with positions pushed to the visitors, and offers on when an agent has room', async () => {
    await withTeam({ members: ['web:a_a1', { addresses: ['web:a_a2'], capacity: 1 }], capacity: 1 }, async (t) => {
      const [a1] = await agents(t, ['a1', 'a2']);
      const one = await open(t);
      const two = await open(t);
      assert.deepEqual([one.conversation.assignee, two.conversation.assignee], ['web:a_a1', 'web:a_a2']);
      const { socket: third } = await connect(t, { siteKey: SITE });
      const thirdPositions = collect(third, 'queue:position');
      const opened = await call(third, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, undefined);
      await until(() => thirdPositions.some((p) => p.position === 1 && p.waiting === 1), 5000, 'position 1 of 1');
      const { socket: fourth } = await connect(t, { siteKey: SITE });
      const fourthPositions = collect(fourth, 'queue:position');
      await call(fourth, 'conversation:open', { team: 'support' });
      await until(() => fourthPositions.some((p) => p.position === 2 && p.waiting === 2), 5000, 'position 2 of 2');

      const taken = next(third, 'conversation', (c) => c.assignee === 'web:a_a1');
      await call(a1!, 'conversation:close', { conversationId: one.conversation.id });
      await taken;
      await until(() => thirdPositions.some((p) => p.position === 0), 5000, 'the third told it is taken');
      await until(() => fourthPositions.some((p) => p.position === 1 && p.waiting === 1), 5000, 'the fourth moved up');
    });
  });

  it('offers what waits to an agent whose conversation was transferred away, before any newer one', async () => {
    await withTeam({ members: ['web:a_a1', 'web:a_a2'], capacity: 1 }, async (t) => {
      const [a1] = await agents(t, ['a1']);
      const one = await open(t);
      assert.equal(one.conversation.assignee, 'web:a_a1');
      const { socket: second } = await connect(t, { siteKey: SITE });
      const queued = await call(second, 'conversation:open', { team: 'support' });
      assert.equal(queued.conversation.assignee, undefined, 'a1 is full: it waits');
      // a1 hands the first one to a2 (offline): a1 has room again, and the waiting one is theirs.
      const taken = next(second, 'conversation', (c) => c.id === queued.conversation.id && c.assignee === 'web:a_a1');
      const moved = await call(a1!, 'conversation:transfer', { conversationId: one.conversation.id, to: { agent: 'web:a_a2' } });
      assert.equal(moved.conversation.assignee, 'web:a_a2');
      await taken;
    });
  });

  it('routes a queued conversation closed and reopened by its visitor as soon as an agent can take it', async () => {
    await withTeam({ members: ['web:a_a1'], capacity: 1 }, async (t) => {
      const waiting = await open(t);
      assert.equal(waiting.conversation.assignee, undefined, 'nobody online: it waits');
      await call(waiting.socket, 'conversation:close', { conversationId: waiting.conversation.id });
      await agents(t, ['a1']);
      const taken = next(waiting.socket, 'conversation', (c) => c.id === waiting.conversation.id && c.assignee === 'web:a_a1');
      await call(waiting.socket, 'message:send', { conversationId: waiting.conversation.id, clientId: 'again-1', text: 'Still there?' });
      await taken;
    });
  });

  it('reaches an agent with several addresses on the one that is available, and counts the agent once', async () => {
    await withTeam({ members: [{ id: 'dave', name: 'Dave', addresses: ['web:a_dave_desk', 'web:a_dave_phone'] }] }, async (t) => {
      const watcher = await connect(t, { siteKey: SITE });
      await call(watcher.socket, 'presence:subscribe', { team: 'support' });
      const online = next(watcher.socket, 'team:availability', (a) => a.available);
      const phone = await connect(t, agentAuth('dave_phone'));
      assert.deepEqual(await online, { team: 'support', available: true, online: 1 });
      assert.equal((await open(t)).conversation.assignee, 'web:a_dave_phone');
      const desk = await connect(t, agentAuth('dave_desk'));
      const availability = await call(watcher.socket, 'presence:subscribe', { team: 'support' });
      assert.equal(availability.online, 1, 'one agent, however many addresses');
      assert.equal((await open(t)).conversation.assignee, 'web:a_dave_desk', 'the first address in the config wins');
      phone.socket.disconnect();
      desk.socket.disconnect();
    });
  });

  it('offers a conversation nobody answers to each agent once, then leaves it with the last', async () => {
    await withTeam({ members: ['web:a_a1', 'web:a_a2', 'web:a_a3'], offerTimeoutSeconds: 0.2 }, async (t) => {
      const [, a2, a3] = await agents(t, ['a1', 'a2', 'a3']);
      const { socket: visitor } = await connect(t, { siteKey: SITE });
      const opened = await call(visitor, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, 'web:a_a1');
      await next(a2!, 'conversation', (c) => c.id === opened.conversation.id && c.assignee === 'web:a_a2', 5000);
      await next(a3!, 'conversation', (c) => c.id === opened.conversation.id && c.assignee === 'web:a_a3', 5000);
      // a3 lets it run out too: a1 and a2 declined it before, so nobody is left and the offer ends with a3.
      await until(async () => !(await t.bridge.store.offers()).some((offer) => offer.conversationId === opened.conversation.id), 5000, 'the offer ended');
      const settled = await t.bridge.store.getConversation(opened.conversation.id);
      assert.equal(settled?.assignee, `web:a_a3@${SITE}`);
    });
  });

  it('keeps the offer of an assignment whose process died before the offer started: the next start moves it on at its deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-it-'));
    const teams = [{ id: 'support', sites: [SITE], members: ['web:a_a1', 'web:a_a2'], offerTimeoutSeconds: 2 }];
    // Offers follow clocks the test moves: the deadline comes once a2 is there, however slow the machine.
    const start = new Date();
    try {
      // The process dies right after the assignment's commit: the offer's own writes never happen.
      const store = new SqliteStore({ path: join(dir, 'switchboard.db') });
      const died = () => Promise.reject(new Error('the process died'));
      const dying = storeWith(store, { takeOfferTurn: died, saveOffer: died, deleteOffer: died });
      const first = await startBridge({ teams }, { dir, store: dying, clock: new ManualClock(start) });
      try {
        await agents(first, ['a1']);
        const { socket: visitor } = await connect(first, { siteKey: SITE });
        await call(visitor, 'conversation:open', { team: 'support' });
      } finally {
        await first.stop();
      }
      const clock = new ManualClock(start);
      const second = await startBridge({ teams }, { dir, clock });
      try {
        const [assigned] = await second.bridge.store.listConversations({ siteKey: SITE, limit: 10 });
        assert.equal(assigned?.assignee, `web:a_a1@${SITE}`, 'assigned before the process died');
        assert.deepEqual(
          (await second.bridge.store.offers()).map((offer) => [offer.conversationId, offer.agentId, offer.deadline]),
          [[assigned?.id, 'web:a_a1', start.getTime() + 2000]],
          'its offer, stored with it',
        );
        await agents(second, ['a2']);
        clock.set(new Date(start.getTime() + 2000));
        await until(async () => (await second.bridge.store.getConversation(assigned.id))?.assignee === `web:a_a2@${SITE}`, 10_000, 'the offer to move on');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a conversation with the agent who answered while its expired offer was being moved on', async () => {
    // The expiry is claimed, then held there until a1 has answered; the move's outcome is kept.
    const claimed = gate();
    const answered = gate();
    const move = gate<unknown>();
    await withOffers(
      (store) => ({
        ...claimHeldUntil(store, claimed, answered.opened, move),
      }),
      async (t, runOut) => {
        const [a1] = await agents(t, ['a1', 'a2']);
        const { conversation } = await open(t);
        assert.equal(conversation.assignee, 'web:a_a1');
        runOut();
        await claimed.opened;
        const answer = await call(a1!, 'message:send', { conversationId: conversation.id, clientId: 'r1', text: 'Here!' });
        assert.ok(answer.ok, JSON.stringify(answer));
        await until(async () => (await t.bridge.store.offers()).length === 0, 5000, 'the answer to end the offer');
        answered.open();
        assert.equal(await move.opened, null, 'the move refused: the claim no longer holds');
        assert.equal((await t.bridge.store.getConversation(conversation.id))?.assignee, `web:a_a1@${SITE}`);
        assert.deepEqual(await t.bridge.store.offers(), []);
      },
      () => answered.open(),
    );
  });

  it('leaves a conversation with the agent whose answer was stored before the move, however late its offer ends', async () => {
    const claimed = gate();
    const answered = gate();
    const move = gate<unknown>();
    const ended = gate();
    await withOffers(
      (store) => ({
        ...claimHeldUntil(store, claimed, answered.opened, move),
        // The answer's end of the offer comes last, after the move was tried.
        endOffer: async (...args) => {
          await move.opened;
          await store.endOffer(...args);
          ended.open();
        },
      }),
      async (t, runOut) => {
        const [a1] = await agents(t, ['a1', 'a2']);
        const { conversation } = await open(t);
        runOut();
        await claimed.opened;
        const answer = await call(a1!, 'message:send', { conversationId: conversation.id, clientId: 'r1', text: 'Here!' });
        assert.ok(answer.ok, JSON.stringify(answer));
        answered.open();
        await ended.opened;
        assert.equal(await move.opened, null, 'the move gave way to the answer stored before it');
        assert.equal((await t.bridge.store.getConversation(conversation.id))?.assignee, `web:a_a1@${SITE}`);
        await until(async () => (await t.bridge.store.offers()).length === 0, 5000, 'the offer ended');
      },
      () => {
        answered.open();
        move.open(undefined);
      },
    );
  });

  it('leaves a conversation with the agent who answered in time, though the answer had not ended the offer when the deadline came', async () => {
    const ends = gate();
    const move = gate<unknown>();
    await withOffers(
      (store) => ({
        // The answering node is slow to end the offer (or dies first): another node watches it still.
        endOffer: async (...args) => {
          await ends.opened;
          await store.endOffer(...args);
        },
        transferOffered: async (...args) => {
          const outcome = await store.transferOffered(...args);
          move.open(outcome);
          return outcome;
        },
      }),
      async (t, runOut) => {
        const [a1] = await agents(t, ['a1', 'a2']);
        const { conversation } = await open(t);
        const answer = await call(a1!, 'message:send', { conversationId: conversation.id, clientId: 'r1', text: 'Here!' });
        assert.ok(answer.ok, JSON.stringify(answer));
        await t.bridge.core.router.offers.rewatch(); // as a node that did not hear of the answer
        assert.ok(t.bridge.core.router.offers.current(conversation.id), 'the offer watched still');
        runOut();
        assert.equal(await move.opened, null, 'the move gave way to the answer stored before the deadline');
        assert.equal((await t.bridge.store.getConversation(conversation.id))?.assignee, `web:a_a1@${SITE}`);
      },
      () => ends.open(),
    );
  });

  it('is answered by what the agent writes after the offer was made, not by a message written before it', async () => {
    await withOffers(
      () => ({}),
      async (t) => {
        await agents(t, ['a1', 'a2']);
        const { conversation } = await open(t);
        const offered = (await t.bridge.store.getConversation(conversation.id))!;
        const a1 = `web:a_a1@${SITE}`;
        assert.equal(offered.assignee, a1);
        // A message of a1's stored before the assignment (in flight as the conversation came back to a1).
        t.bridge.core.router.answeredBy(offered, a1, offered.lastSeq);
        assert.equal(t.bridge.core.router.offers.current(conversation.id)?.agentId, 'web:a_a1');
        assert.equal((await t.bridge.store.offers()).length, 1);
        t.bridge.core.router.answeredBy(offered, a1, offered.lastSeq + 1);
        assert.equal(t.bridge.core.router.offers.current(conversation.id), undefined);
        await until(async () => (await t.bridge.store.offers()).length === 0, 5000, 'the answered offer removed from the store');
      },
    );
  });

  it("keeps the next agent's offer when the agent whose offer moved on writes late", async () => {
    await withOffers(
      () => ({}),
      async (t, runOut) => {
        const [, a2] = await agents(t, ['a1', 'a2']);
        const { conversation } = await open(t);
        const asA1 = await t.bridge.store.getConversation(conversation.id);
        runOut();
        await next(a2!, 'conversation', (c) => c.id === conversation.id && c.assignee === 'web:a_a2', 5000);
        await until(async () => (await t.bridge.store.offers())[0]?.agentId === 'web:a_a2', 5000, "a2's offer");
        // a1's message read the conversation while it was still a1's, and was stored after the move.
        t.bridge.core.router.answeredBy(asA1!, `web:a_a1@${SITE}`, asA1!.lastSeq + 1);
        assert.equal(t.bridge.core.router.offers.current(conversation.id)?.agentId, 'web:a_a2');
        assert.deepEqual(
          (await t.bridge.store.offers()).map((offer) => offer.agentId),
          ['web:a_a2'],
        );
      },
    );
  });

  it('moves an expired offer on at the end of its hold when moving it failed the first time', async () => {
    const failed = gate();
    let failures = 0;
    await withOffers(
      (store) => ({
        transferOffered: async (...args) => {
          if (failures++ > 0) return store.transferOffered(...args);
          failed.open();
          throw new Error('the store failed over');
        },
      }),
      async (t, runOut, clock, start) => {
        await agents(t, ['a1', 'a2']);
        const { conversation } = await open(t);
        assert.equal(conversation.assignee, 'web:a_a1');
        runOut();
        await failed.opened;
        await until(async () => (await t.bridge.store.offers())[0]?.deadline === start.getTime() + 32_000, 5000, 'the claim to be held');
        assert.equal((await t.bridge.store.getConversation(conversation.id))?.assignee, `web:a_a1@${SITE}`);
        clock.set(new Date(start.getTime() + 32_000));
        await until(async () => (await t.bridge.store.getConversation(conversation.id))?.assignee === `web:a_a2@${SITE}`, 10_000, 'the offer to move on');
        assert.equal(failures, 2);
      },
    );
  });

  it('acts on no offer made to another agent than the one who has the conversation now', async () => {
    await withThreeOnClock(async (t, clock, start) => {
      await agents(t, ['a1', 'a2', 'a3']);
      const { conversation } = await open(t);
      assert.equal(conversation.assignee, 'web:a_a1');
      // Handed to a2 where the offer to a1 is not ended (a node of an earlier version): a1's offer is left in the store.
      const [left] = await t.bridge.store.offers();
      await t.bridge.store.transferConversation(conversation.id, `web:a_a2@${SITE}`);
      await t.bridge.store.saveOffer(left!);
      clock.set(new Date(start.getTime() + 2000));
      await until(async () => (await t.bridge.store.offers()).length === 0, 5000, "a1's offer to be removed");
      assert.equal((await t.bridge.store.getConversation(conversation.id))?.assignee, `web:a_a2@${SITE}`, 'not moved on from a2');
    });
  });

  it("gives the offered agent the offer's deadline in the inbox item while it runs, the next agent theirs, and none once answered", async () => {
    await withThreeOnClock(async (t, clock, start) => {
      const [a1, a2] = await agents(t, ['a1', 'a2', 'a3']);
      const { socket: visitor } = await connect(t, { siteKey: SITE });
      const offeredTo = (socket: V1Socket, agent: string) =>
        next(socket, 'inbox:item', (item: InboxItem) => item.assignee === agent && item.offer !== undefined, 5000);
      const toA1 = offeredTo(a1!, 'web:a_a1');
      const opened = await call(visitor, 'conversation:open', { team: 'support' });
      const id = opened.conversation.id;
      assert.equal(opened.conversation.assignee, 'web:a_a1');
      // Absolute, on the bridge's clock: the team's offerTimeoutSeconds (2) after the offer.
      assert.deepEqual((await toA1).offer, { agent: 'web:a_a1', expiresAt: new Date(start.getTime() + 2000).toISOString() });
      const listed = await call(a2!, 'inbox:list', { view: 'open' });
      assert.deepEqual(listed.items.find((item: InboxItem) => item.id === id)?.offer, {
        agent: 'web:a_a1',
        expiresAt: new Date(start.getTime() + 2000).toISOString(),
      });
      // The desk's own: a visitor's conversation says nothing of it.
      assert.equal('offer' in opened.conversation, false);

      const toA2 = offeredTo(a2!, 'web:a_a2');
      clock.set(new Date(start.getTime() + 2000));
      assert.deepEqual((await toA2).offer, { agent: 'web:a_a2', expiresAt: new Date(start.getTime() + 4000).toISOString() });
      const answered = next(a2!, 'inbox:item', (item: InboxItem) => item.id === id && item.lastMessage?.text === 'Here!', 5000);
      await call(a2!, 'message:send', { conversationId: id, clientId: 'r1', text: 'Here!' });
      assert.equal((await answered).offer, undefined);
      const after = await call(a2!, 'inbox:list', { view: 'mine' });
      assert.equal(after.items.find((item: InboxItem) => item.id === id)?.offer, undefined);
    });
  });

  it('takes an offer up with a claim of its own agent, as an answer does: its inbox item loses the deadline, and it no longer moves on', async () => {
    await withThreeOnClock(async (t, clock, start) => {
      const [a1, , a3] = await agents(t, ['a1', 'a2', 'a3']);
      const { socket: visitor } = await connect(t, { siteKey: SITE });
      const offered = next(a1!, 'inbox:item', (item: InboxItem) => item.assignee === 'web:a_a1' && item.offer !== undefined, 5000);
      const opened = await call(visitor, 'conversation:open', { team: 'support' });
      const id = opened.conversation.id;
      await offered;
      const taken = next(a1!, 'inbox:item', (item: InboxItem) => item.id === id && item.offer === undefined, 5000);
      const claimed = await call(a1!, 'conversation:claim', { conversationId: id });
      assert.equal(claimed.conversation.assignee, 'web:a_a1');
      assert.equal((await taken).assignee, 'web:a_a1');
      await until(async () => !(await t.bridge.store.offers()).some((offer) => offer.conversationId === id), 5000, 'the offer settled');
      // Past the deadline: nothing moves it on.
      const a3Sees = collect(a3!, 'conversation');
      clock.set(new Date(start.getTime() + 5000));
      await call(a1!, 'conversation:list', {});
      const latest = await call(a1!, 'conversation:list', {});
      assert.equal(latest.conversations.find((c: Conversation) => c.id === id)?.assignee, 'web:a_a1');
      assert.equal(a3Sees.filter((c) => c.id === id).length, 0, 'nobody else was offered it');
    });
  });

  it('moves an offer nobody answers to the next agent, with the history, and stops once answered', async () => {
    // The offers' clock moves only when the test says: a1's offer runs out, a2's never does, however slow the machine.
    await withThreeOnClock(async (t, clock, start) => {
      const [a1, a2, a3] = await agents(t, ['a1', 'a2', 'a3']);
      const { socket: visitor } = await connect(t, { siteKey: SITE });
      const opened = await call(visitor, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, 'web:a_a1');
      await call(visitor, 'message:send', { conversationId: opened.conversation.id, clientId: 'm1', text: 'hello?' });
      clock.set(new Date(start.getTime() + 2000));
      const moved = await next(a2!, 'conversation', (c) => c.id === opened.conversation.id && c.assignee === 'web:a_a2', 5000);
      assert.deepEqual(moved.participants.includes('web:a_a1'), false, 'the first agent left the conversation');
      const history = await call(a2!, 'history:get', { conversationId: moved.id });
      assert.deepEqual(
        history.messages.map((m: { text: string }) => m.text),
        ['hello?'],
      );
      const a1Sees = collect(a1!, 'conversation');
      const a3Sees = collect(a3!, 'conversation');
      await call(a2!, 'message:send', { conversationId: moved.id, clientId: 'r1', text: 'Here!' });
      // Answered: the offer is over (no running offer is left to move it on to a3).
      await until(async () => !(await t.bridge.store.offers()).some((offer) => offer.conversationId === moved.id), 5000, 'the offer settled');
      // Past a2's deadline: an answered offer has no timer left to move it on.
      clock.set(new Date(start.getTime() + 5000));
      await call(a2!, 'conversation:list', {});
      assert.equal(a3Sees.filter((c) => c.id === moved.id).length, 0, 'a3 was never offered it');
      const latest = await call(a2!, 'conversation:list', {});
      assert.equal(latest.conversations.find((c: Conversation) => c.id === moved.id)?.assignee, 'web:a_a2');
      assert.equal(a1Sees.filter((c) => c.id === moved.id && c.assignee === 'web:a_a1').length, 0);
    });
  });
});
