// The latest conversation of each party (what `/canned`, `/whois` and `/history` take without an
// id): the last one a message was stored in, or the last one given to the agent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { RecentConversations } from '../../src/core/desk/recent-conversations.js';
import type { ConversationRecord } from '../../src/store/store.js';

const ALICE = 'xmpp:alice@example.org';
const BOB = 'irc:bob@libera';

function conversation(id: string, assignee: Address | undefined, state: 'open' | 'closed' = 'open'): ConversationRecord {
  const participants: Address[] = ['web:v_dana@shop', ...(assignee ? [assignee] : [])];
  return {
    id,
    siteKey: 'shop',
    openedBy: 'web:v_dana@shop',
    participants,
    team: 'support',
    state,
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:00.000Z',
    lastSeq: 1,
    ...(assignee ? { assignee } : {}),
  };
}

describe('recent conversations', () => {
  it('takes the conversation a message was last stored in, for every party in it', () => {
    const recent = new RecentConversations();
    recent.messageIn(conversation('c_1', ALICE));
    recent.messageIn(conversation('c_2', ALICE));
    assert.equal(recent.latestOf(ALICE), 'c_2');
    assert.equal(recent.latestOf('web:v_dana@shop'), 'c_2');
  });

  it('takes a conversation given to an agent as theirs, and no other change of one', () => {
    const recent = new RecentConversations();
    recent.messageIn(conversation('c_1', ALICE));
    recent.changed(conversation('c_1', ALICE));
    recent.messageIn(conversation('c_2', BOB));
    recent.changed(conversation('c_2', BOB));
    // Transferred to alice: her latest, though its messages came before she had it.
    recent.changed(conversation('c_2', ALICE));
    assert.equal(recent.latestOf(ALICE), 'c_2');
    // Another change of c_1 (still hers) is no new assignment.
    recent.messageIn(conversation('c_3', ALICE));
    recent.changed(conversation('c_1', ALICE));
    assert.equal(recent.latestOf(ALICE), 'c_3');
    // Closed, then opened again with her: given to her again.
    recent.changed(conversation('c_1', ALICE, 'closed'));
    assert.equal(recent.latestOf(ALICE), 'c_3');
    recent.changed(conversation('c_1', ALICE));
    assert.equal(recent.latestOf(ALICE), 'c_1');
    // Back in the queue: nobody's.
    recent.changed(conversation('c_4', undefined));
    assert.equal(recent.latestOf(ALICE), 'c_1');
  });
});
