// A conversation's log: messages by seq, notes after the message they follow, sends in flight last,
// a day separator wherever the date changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, OutboxEntry } from '@switchboard/sdk';
import type { Note } from '../../src/desk-api.js';
import { logEntries } from '../../src/log-entries.js';

const message = (seq: number, sentAt: string): Message => ({ id: `m${seq}`, conversationId: 'c1', seq, from: 'web:v_1', text: `text ${seq}`, sentAt });
const note = (id: string, afterSeq: number, createdAt: string): Note => ({ id, conversationId: 'c1', afterSeq, from: 'web:a_alice', text: id, createdAt });
const keys = (entries: ReturnType<typeof logEntries>) => entries.filter((e) => e.kind !== 'day').map((e) => e.key);

describe('logEntries', () => {
  it('puts each note right after the message it was written after, oldest first among equals', () => {
    const messages = [message(2, '2026-03-01T10:02:00Z'), message(1, '2026-03-01T10:01:00Z'), message(3, '2026-03-01T10:03:00Z')];
    const notes = [
      note('late', 1, '2026-03-01T10:01:50Z'),
      note('early', 1, '2026-03-01T10:01:30Z'),
      note('end', 3, '2026-03-01T10:04:00Z'),
      note('start', 0, '2026-03-01T10:00:00Z'),
    ];
    assert.deepEqual(keys(logEntries(messages, notes, [], 0)), ['n:start', 'm:m1', 'n:early', 'n:late', 'm:m2', 'm:m3', 'n:end']);
  });

  it('holds back notes written before the oldest loaded message until those messages are loaded', () => {
    const entries = logEntries([message(5, '2026-03-01T10:05:00Z')], [note('old', 2, '2026-03-01T10:02:00Z'), note('near', 4, '2026-03-01T10:04:30Z')], [], 5);
    assert.deepEqual(keys(entries), ['n:near', 'm:m5']);
  });

  it('shows sends in flight last, and a day separator at each change of date', () => {
    const pending: OutboxEntry = { clientId: 'k1', conversationId: 'c1', text: 'hi', createdAt: '2026-03-03T09:00:00Z', state: 'pending' };
    const entries = logEntries([message(1, '2026-03-01T12:00:00Z'), message(2, '2026-03-01T12:05:00Z'), message(3, '2026-03-02T12:00:00Z')], [], [pending], 0);
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['day', 'message', 'message', 'day', 'message', 'day', 'pending'],
    );
  });

  it('shows a correction in the place of the message it corrects, keeping what that said', () => {
    const corrected = { ...message(2, '2026-03-01T10:02:00Z'), text: 'Hello', corrects: 'm1' };
    const entries = logEntries(
      [message(1, '2026-03-01T10:01:00Z'), corrected, message(3, '2026-03-01T10:03:00Z')],
      [note('after-1', 1, '2026-03-01T10:01:30Z')],
      [],
      0,
    );
    assert.deepEqual(keys(entries), ['m:m1', 'n:after-1', 'm:m3']);
    const first = entries.find((e) => e.key === 'm:m1');
    assert.ok(first?.kind === 'message');
    assert.deepEqual([first.message.text, first.edited, first.originalText], ['Hello', true, 'text 1']);
  });

  it('shows a message taken back (a retraction) as deleted, in its place', () => {
    const retraction = { ...message(2, '2026-03-01T10:02:00Z'), text: '', corrects: 'm1' };
    const entries = logEntries([message(1, '2026-03-01T10:01:00Z'), retraction], [], [], 0);
    assert.deepEqual(keys(entries), ['m:m1']);
    const first = entries.find((e) => e.key === 'm:m1');
    assert.ok(first?.kind === 'message');
    assert.deepEqual([first.message.text, first.deleted, first.edited, first.originalText], ['', true, undefined, undefined]);
  });
});
