// The SDK's timeline and outbox on their own: the ordering and resending rules the client's
// guarantees rest on (the real-bridge behaviour is in test/integration/client.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '@switchboard/protocol';
import { SwitchboardError } from '../../src/errors.js';
import { Outbox, type OutboxEntry } from '../../src/outbox.js';
import { PersistedState, memoryStorage } from '../../src/storage.js';
import { Timeline } from '../../src/timeline.js';

const message = (seq: number, conversationId = 'c1'): Message => ({
  id: `m${seq}`,
  conversationId,
  seq,
  from: 'web:a_alice',
  text: `#${seq}`,
  sentAt: '2026-01-01T00:00:00.000Z',
});

describe('SDK timeline', () => {
  it("keeps a message's status moving forward: a late report of an earlier status is not taken or told", () => {
    const timeline = new Timeline({
      persisted: new PersistedState(memoryStorage(), 't:'),
      fetchAfter: async () => ({ messages: [], hasMore: false }),
      deliver: () => {},
    });
    timeline.accept({ ...message(1), status: 'sent' });
    const report = (status: 'sent' | 'delivered' | 'read' | 'failed') => timeline.status({ conversationId: 'c1', id: 'm1', status });
    assert.equal(report('delivered'), true);
    assert.equal(report('sent'), false, 'late: not told');
    assert.equal(report('delivered'), true, 'the same again changes nothing and is told as before');
    assert.equal(report('failed'), false);
    assert.equal(report('read'), true);
    assert.equal(timeline.status({ conversationId: 'c1', id: 'm9', status: 'sent' }), true, 'a message not known here: told');
    const notice = { conversationId: 'c1', id: 'm1', status: 'accepted' as const, error: { code: 'unavailable' as const, message: 'kept' } };
    assert.equal(timeline.status(notice), true, 'a kept-for-retry notice is always told');
  });

  it("keeps a status that overtook its send's ack, and never lets a message seen again move its status back", () => {
    const timeline = new Timeline({
      persisted: new PersistedState(memoryStorage(), 't:'),
      fetchAfter: async () => ({ messages: [], hasMore: false }),
      deliver: () => {},
    });
    // `sent` reported before the ack, which says `accepted`: the message shows `sent`.
    assert.equal(timeline.status({ conversationId: 'c1', id: 'm1', status: 'sent' }), true);
    const acked = { ...message(1), status: 'accepted' as const };
    timeline.accept(acked);
    assert.equal(acked.status, 'sent', 'what the send resolves with');
    assert.equal(timeline.messages('c1')[0]?.status, 'sent');
    // An earlier report overtaken by a later one stays behind it.
    timeline.status({ conversationId: 'c1', id: 'm2', status: 'read' });
    timeline.status({ conversationId: 'c1', id: 'm2', status: 'delivered' });
    timeline.accept({ ...message(2), status: 'sent' });
    assert.equal(timeline.messages('c1')[1]?.status, 'read');
    // Seen again (a replay, an ack answered late) with an older status: the one known stays.
    timeline.status({ conversationId: 'c1', id: 'm2', status: 'read' });
    timeline.accept({ ...message(2), status: 'delivered' });
    assert.equal(timeline.messages('c1')[1]?.status, 'read');
  });

  it('delivers each message once, in seq order, holding one past a gap until history fills it', async () => {
    const delivered: number[] = [];
    const stored = [1, 2, 3, 4].map((seq) => message(seq));
    let filled!: () => void;
    const gapFilled = new Promise<void>((resolve) => (filled = resolve));
    const timeline = new Timeline({
      persisted: new PersistedState(memoryStorage(), 't:'),
      fetchAfter: async (_id, after) => {
        queueMicrotask(filled);
        return { messages: stored.filter((m) => m.seq > after), hasMore: false };
      },
      deliver: (m) => delivered.push(m.seq),
    });
    assert.equal(timeline.accept(message(1)), true);
    assert.equal(timeline.accept(message(3)), false, 'seq 3 waits for seq 2');
    assert.deepEqual(delivered, [1]);
    await gapFilled;
    assert.deepEqual(delivered, [1, 2, 3, 4]);
    assert.equal(timeline.accept(message(2)), false, 'a message already delivered is not delivered again');
    assert.equal(timeline.cursor('c1'), 4);
    assert.deepEqual(
      timeline.messages('c1').map((m) => m.seq),
      [1, 2, 3, 4],
    );
  });

  it("keeps a conversation's lastSeq from going back, and lists older than an event do not overwrite it", () => {
    const timeline = new Timeline({
      persisted: new PersistedState(memoryStorage(), 't:'),
      fetchAfter: async () => ({ messages: [], hasMore: false }),
      deliver: () => undefined,
    });
    const asked = timeline.mark();
    assert.equal(timeline.changed({ id: 'c1', participants: [], state: 'open', createdAt: '2026-01-01T00:00:00.000Z', lastSeq: 5 }), true);
    timeline.rememberListed([{ id: 'c1', participants: [], state: 'closed', createdAt: '2026-01-01T00:00:00.000Z', lastSeq: 4 }], asked);
    assert.equal(timeline.conversation('c1')?.state, 'open', 'the list was older than the event');
    timeline.remember({ id: 'c1', participants: [], state: 'closed', createdAt: '2026-01-01T00:00:00.000Z', lastSeq: 3 });
    assert.equal(timeline.conversation('c1')?.lastSeq, 5);
  });
});

describe('SDK outbox', () => {
  function outbox(send: (entry: OutboxEntry) => Promise<Message>, online = () => true, storage = memoryStorage()) {
    const persisted = new PersistedState(storage, 'o:');
    const changes: number[] = [];
    const box = new Outbox({ persisted, send, isOnline: online, stored: () => undefined, changed: (entries) => changes.push(entries.length) });
    return { box, persisted, changes };
  }

  it('sends in order, one at a time, resending the same clientId after a lost answer', async () => {
    const attempts: string[] = [];
    let seq = 0;
    let lose = true;
    const { box, persisted } = outbox(async (entry) => {
      attempts.push(`${entry.text}:${entry.clientId}`);
      if (entry.text === 'b' && lose) {
        lose = false;
        throw new SwitchboardError({ code: 'unavailable', message: 'no answer' });
      }
      return { ...message(++seq), text: entry.text };
    });
    const sent = await Promise.all([box.add('c1', 'a'), box.add('c1', 'b'), box.add('c1', 'c')]);
    assert.deepEqual(
      sent.map((m) => [m.text, m.seq]),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
    const texts = attempts.map((a) => a.split(':')[0]);
    assert.deepEqual(texts, ['a', 'b', 'b', 'c']);
    assert.equal(attempts[1], attempts[2], 'the resend keeps its clientId');
    assert.deepEqual(persisted.outbox, []);
  });

  it('keeps a refused send as failed until retried or discarded', async () => {
    let refuse = true;
    const { box, persisted } = outbox(async (entry) => {
      if (refuse) throw new SwitchboardError({ code: 'too_large', message: 'too long' });
      return { ...message(1), text: entry.text };
    });
    await assert.rejects(box.add('c1', 'x'), /too long/);
    const [failed] = box.list();
    assert.equal(failed?.state, 'failed');
    assert.equal(persisted.outbox[0]?.error?.code, 'too_large');
    refuse = false;
    assert.equal((await box.retry(failed.clientId)).text, 'x');
    assert.deepEqual(box.list(), []);
    await assert.rejects(box.retry('nope'), (error: SwitchboardError) => error.code === 'not_found');
  });

  it('settles a send and a retry asked while it is still pending with the same message', async () => {
    let answer: (() => void) | undefined;
    const { box } = outbox((entry) => new Promise<Message>((resolve) => (answer = () => resolve({ ...message(1), text: entry.text }))));
    const sending = box.add('c1', 'slow');
    const [pending] = box.list();
    const retried = box.retry(pending!.clientId);
    // The send starts on a later turn: wait for it.
    while (answer === undefined) await new Promise((resolve) => setImmediate(resolve));
    answer();
    const [sent, again] = await Promise.all([sending, retried]);
    assert.equal(sent.id, again.id);
  });

  it("keeps another tab's sends when it writes its own, and sends, once it connects, those a closed tab left, in the order they were written", async () => {
    const storage = memoryStorage();
    const sent: string[] = [];
    let online = false;
    const send = async (entry: OutboxEntry) => (sent.push(entry.text), { ...message(sent.length), text: entry.text });
    const first = outbox(send, () => online, storage);
    const second = outbox(send, () => online, storage);
    void second.box.add('c1', 'from the second tab');
    void first.box.add('c1', 'from the first tab');
    void first.box.add('c1', 'the first tab again');
    assert.deepEqual(
      first.persisted.outbox.map((entry) => entry.text).sort(),
      ['from the first tab', 'from the second tab', 'the first tab again'],
      'no tab wrote over the other',
    );
    assert.deepEqual(
      second.box.list().map((entry) => entry.text),
      ['from the second tab'],
    );
    // The second tab is closed while offline (its send written a minute before the first tab's); the first connects again.
    const earlier = new Date(Date.now() - 60_000).toISOString();
    first.persisted.outbox = first.persisted.outbox.map((entry) => (entry.text === 'from the second tab' ? { ...entry, createdAt: earlier } : entry));
    online = true;
    await first.box.resume();
    assert.deepEqual(sent, ['from the second tab', 'from the first tab', 'the first tab again']);
    assert.deepEqual(first.persisted.outbox, []);
  });

  it('sends, in a tab opened after every other was closed, what they left in the order it was written', async () => {
    const storage = memoryStorage();
    const never = () => new Promise<Message>(() => undefined);
    const first = outbox(never, () => false, storage);
    const second = outbox(never, () => false, storage);
    // Written in turns by two tabs, a moment apart each (the order is the writing time's).
    for (const [tab, text] of [
      [first, 'one'],
      [second, 'two'],
      [first, 'three'],
      [second, 'four'],
    ] as const) {
      void tab.box.add('c1', text);
      const written = Date.now();
      while (Date.now() === written) await new Promise((resolve) => setImmediate(resolve));
    }
    const sent: string[] = [];
    const reopened = outbox(
      async (entry) => (sent.push(entry.text), message(sent.length)),
      () => true,
      storage,
    );
    await reopened.box.flush();
    assert.deepEqual(sent, ['one', 'two', 'three', 'four']);
  });

  it('drops, in every tab, a refused send one tab discarded, rather than write it back', async () => {
    const storage = memoryStorage();
    const refuse = () => Promise.reject(new SwitchboardError({ code: 'too_large', message: 'too long' }));
    const first = outbox(refuse, () => true, storage);
    await assert.rejects(first.box.add('c1', 'refused'), /too long/);
    // Another tab, opened now, holds it too (as failed).
    const second = outbox(refuse, () => false, storage);
    const [failed] = second.box.list();
    assert.equal(failed?.state, 'failed');
    first.box.discard(failed.clientId);
    void second.box.add('c1', 'written later in the second tab');
    assert.deepEqual(
      second.persisted.outbox.map((entry) => entry.text),
      ['written later in the second tab'],
    );
    assert.deepEqual(
      second.box.list().map((entry) => entry.text),
      ['written later in the second tab'],
    );
  });

  it('waits while offline, then sends what waited', async () => {
    let online = false;
    const { box } = outbox(
      async (entry) => ({ ...message(1), text: entry.text }),
      () => online,
    );
    const pending = box.add('c1', 'later');
    await Promise.resolve();
    assert.equal(box.list()[0]?.state, 'pending');
    online = true;
    await box.flush();
    assert.equal((await pending).text, 'later');
  });

  it("keeps a message's file ids with it across a reload, and leaves them out of a message without files", async () => {
    const sends: OutboxEntry[] = [];
    let online = false;
    const { box, persisted } = outbox(
      async (entry) => {
        sends.push(entry);
        return message(sends.length);
      },
      () => online,
    );
    void box.add('c1', '', ['f_1', 'f_2']);
    void box.add('c1', 'plain');
    assert.deepEqual(
      persisted.outbox.map((e) => e.attachments),
      [['f_1', 'f_2'], undefined],
    );
    online = true;
    await box.flush();
    assert.deepEqual(
      sends.map((e) => [e.text, e.attachments]),
      [
        ['', ['f_1', 'f_2']],
        ['plain', undefined],
      ],
    );
  });
});
