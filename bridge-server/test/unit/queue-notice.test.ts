// What a customer on their own network is told when their new conversation waits in the queue:
// one message from the team with their place in line, within the team's hours only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { TeamConfig } from '../../src/config.js';
import { QueueNotice, queueText } from '../../src/core/desk/queue-notice.js';
import { QueuePositions } from '../../src/core/desk/queue-positions.js';
import type { ClientHub } from '../../src/core/hub.js';
import type { Network, OutboundMessage } from '../../src/networks/network.js';
import type { ConversationRecord } from '../../src/store/store.js';

const CAROL = 'xmpp:carol@example.org';
const conversation = (id: string, extra: Partial<ConversationRecord> = {}): ConversationRecord =>
  ({ id, siteKey: 'shop', openedBy: CAROL, participants: [CAROL], team: 'support', state: 'open', updatedAt: '', ...extra }) as ConversationRecord;
const team = (extra: Partial<TeamConfig> = {}): TeamConfig =>
  ({ id: 'support', name: 'Support', queueMessage: 'You are number {position} in line.', ...extra }) as TeamConfig;

function notice({ queued = ['c1', 'c2', 'c3'], open = true, fails = false, posted = [] as string[] } = {}) {
  const sent: OutboundMessage[] = [];
  const network = {
    send: (outbound: OutboundMessage) => {
      sent.push(outbound);
      return fails ? Promise.reject(new Error('offline')) : Promise.resolve({});
    },
  } as unknown as Network;
  const queue = new QueueNotice({
    positions: new QueuePositions(
      { queuedConversations: () => Promise.resolve(queued.map((id) => conversation(id))), getConversation: () => Promise.resolve(null) },
      {} as ClientHub,
    ),
    registry: { forAddress: (address) => (address === CAROL ? network : undefined) },
    isOpen: () => open,
    store: {
      history: () =>
        Promise.resolve({
          messages: posted.map((text, i) => ({ id: `m${i}`, conversationId: 'c1', seq: i + 1, from: 'team:support', text, sentAt: '' })),
          hasMore: false,
        }),
    },
    now: () => new Date('2026-12-01T10:00:00.000Z'),
    logger: pino({ level: 'silent' }),
  });
  return { queue, sent };
}

describe('queue notice to customers on their own networks', () => {
  it('fills in the place in line', () => {
    assert.equal(queueText('Number {position}; yes, {position}.', 3), 'Number 3; yes, 3.');
  });

  it("sends the customer their place from the team, named as the team, in the conversation's chat", async () => {
    const { queue, sent } = notice();
    await queue.tell(conversation('c3'), team());
    assert.equal(sent.length, 1);
    const [out] = sent;
    assert.equal(out!.to, CAROL);
    assert.equal(out!.message.from, 'team:support');
    assert.equal(out!.message.text, 'You are number 3 in line.');
    assert.equal(out!.message.conversationId, 'c3');
    assert.equal(out!.conversation.openedBy, CAROL);
    assert.equal(out!.fromName, 'Support');
  });

  it('says nothing when the conversation has an agent, left the queue, the team is closed, or the team wants no message', async () => {
    for (const [why, run] of [
      ['assigned', (q: QueueNotice) => q.tell(conversation('c1', { assignee: 'web:a_alice' }), team())],
      ['taken meanwhile', (q: QueueNotice) => q.tell(conversation('c9'), team())],
      ['no message', (q: QueueNotice) => q.tell(conversation('c1'), team({ queueMessage: false }))],
    ] as const) {
      const { queue, sent } = notice();
      await run(queue);
      assert.equal(sent.length, 0, why);
    }
    const closed = notice({ open: false });
    await closed.queue.tell(conversation('c1'), team());
    assert.equal(closed.sent.length, 0, 'closed: the offline message says it');
  });

  it('says nothing after the offline message a team with a greeting posted (none of its agents available); after its greeting, the place in line', async () => {
    const greeting = { greeting: 'Hi from Support!', offlineMessage: "We're away right now." };
    const away = notice({ posted: ["We're away right now."] });
    await away.queue.tell(conversation('c1'), team(greeting));
    assert.equal(away.sent.length, 0, "we're away right now, and no place in line with it");
    const busy = notice({ posted: ['Hi from Support!'] });
    await busy.queue.tell(conversation('c1'), team(greeting));
    assert.deepEqual(
      busy.sent.map((out) => out.message.text),
      ['You are number 1 in line.'],
      'agents there but busy: the greeting, and the place in line',
    );
  });

  it("does not fail the customer's message when the network cannot send it", async () => {
    const { queue, sent } = notice({ fails: true });
    await queue.tell(conversation('c1'), team());
    assert.equal(sent.length, 1);
  });
});
