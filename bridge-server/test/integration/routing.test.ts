// Team routing: strategies by live presence and load, capacity, the queue and its positions,
// agents with several addresses, and offers that move on when the agent does not answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Conversation } from '@switchboard/protocol';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ManualClock } from '../manual-clock.js';
import type { Store } from '../../src/store/store.js';
import { SITE, type TestBridge, type V1Socket, agentAuth, call, collect, connect, next, startBridge, until } from '../helpers.js';

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

async function open(t: TestBridge): Promise<{ socket: V1Socket; conversation: Conversation }> {
  const { socket } = await connect(t, { siteKey: SITE });
  const opened = await call(socket, 'conversation:open', { team: 'support' });
  assert.ok(opened.ok, JSON.stringify(opened));
  return { socket, conversation: opened.conversation };
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
      const offerWrites = new Set<PropertyKey>(['takeOfferTurn', 'saveOffer', 'deleteOffer']);
      const dying = new Proxy(store, {
        get: (target, property, receiver) =>
          offerWrites.has(property) ? () => Promise.reject(new Error('the process died')) : (Reflect.get(target, property, receiver) as unknown),
      }) as Store;
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

  it('moves an offer nobody answers to the next agent, with the history, and stops once answered', async () => {
    await withTeam({ members: ['web:a_a1', 'web:a_a2', 'web:a_a3'], offerTimeoutSeconds: 0.3 }, async (t) => {
      const [a1, a2, a3] = await agents(t, ['a1', 'a2', 'a3']);
      const { socket: visitor } = await connect(t, { siteKey: SITE });
      const opened = await call(visitor, 'conversation:open', { team: 'support' });
      assert.equal(opened.conversation.assignee, 'web:a_a1');
      await call(visitor, 'message:send', { conversationId: opened.conversation.id, clientId: 'm1', text: 'hello?' });
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
      assert.equal(a3Sees.filter((c) => c.id === moved.id).length, 0, 'a3 was never offered it');
      const latest = await call(a2!, 'conversation:list', {});
      assert.equal(latest.conversations.find((c: Conversation) => c.id === moved.id)?.assignee, 'web:a_a2');
      assert.equal(a1Sees.filter((c) => c.id === moved.id && c.assignee === 'web:a_a1').length, 0);
    });
  });
});
