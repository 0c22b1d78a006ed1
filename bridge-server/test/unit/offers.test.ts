// Offers of team conversations run on the injected clock: an offer expires at its deadline and not
// before, an accepted offer never expires, and an offer that ran out while the bridge was down
// waits for an agent to come back before it moves on. A clock the test moves: no waiting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { configSchema } from '../../src/config.js';
import { Offers } from '../../src/core/desk/offers.js';
import { TeamDirectory } from '../../src/core/desk/teams.js';
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

function setUp(stored: OfferRecord[] = []) {
  const clock = new ManualClock(START);
  const saved = new Map(stored.map((offer) => [offer.conversationId, offer]));
  const expired: { conversationId: string; agentId: string; at: number }[] = [];
  const teams = new TeamDirectory(
    configSchema.shape.teams.parse([{ id: 'support', members: ['xmpp:bob@example.org', 'xmpp:carl@example.org'], offerTimeoutSeconds: 30 }]),
    ['shop'],
  );
  const offers = new Offers({
    store: {
      saveOffer: async (offer) => void saved.set(offer.conversationId, offer),
      deleteOffer: async (conversationId) => void saved.delete(conversationId),
      offers: async () => [...saved.values()],
      getConversation: async (id) => (id === conversation.id ? conversation : null),
    },
    teams,
    clock,
    logger: pino({ level: 'silent' }),
    expired: async (conversationId, agentId) => void expired.push({ conversationId, agentId, at: clock.now().getTime() }),
  });
  return { clock, offers, saved, expired };
}

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
});
