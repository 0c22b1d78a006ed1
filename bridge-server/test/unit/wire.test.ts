import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toWireConversation } from '../../src/core/wire.js';
import type { ConversationRecord } from '../../src/store/store.js';

describe('wire conversation', () => {
  const record: ConversationRecord = {
    id: 'c_1',
    participants: ['mailto:dana@example.com'],
    team: 'support',
    state: 'open',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastSeq: 2,
    siteKey: 'shop',
    openedBy: 'mailto:dana@example.com',
    updatedAt: '2026-01-01T00:01:00.000Z',
    rating: 4,
    ratingComment: 'kept for the site',
    subject: 'My order',
  };

  it('carries the subject and the rating, not what only the bridge keeps', () => {
    const wire = toWireConversation(record);
    assert.deepEqual(Object.keys(wire).sort(), ['createdAt', 'id', 'lastSeq', 'participants', 'rating', 'state', 'subject', 'team']);
    assert.equal(wire.subject, 'My order');
  });

  it('leaves out a subject the conversation does not have', () => {
    const { subject: _subject, ...without } = record;
    assert.equal('subject' in toWireConversation(without), false);
  });
});
