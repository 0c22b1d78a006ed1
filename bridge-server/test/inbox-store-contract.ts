/**
 * The inbox part of the Store contract (store/inbox-store.ts), run against each engine beside the
 * rest of the contract (test/store-contract.ts): read cursors, notes, views, counts, search, and
 * that erasure takes notes and the search index along.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type Address, LIMITS } from '@switchboard/protocol';
import type { InboxQuery } from '../src/store/inbox-store.js';
import type { Store } from '../src/store/store.js';
import type { StoreContractSetup } from './store-contract.js';

const AGENT = 'web:a_ann@shop' as Address;
const OTHER = 'xmpp:bob@desk.test' as Address;

/**
 * After an upgrade of a database holding c1 (the customer, the team's greeting, the customer again,
 * from 00:00:01), c2 (answered) and c3 (closed while its customer waited from 00:00:06), on site
 * `shop`, with their openers as participants of c1 and c3: each conversation knows since when its
 * customer waits, and each participant whether its conversation is open.
 */
export async function assertUpgradedConversations(store: Store): Promise<void> {
  const listed = async (participant: Address, state: 'open' | 'closed') => (await store.listConversations({ participant, state, limit: 10 })).map((c) => c.id);
  assert.deepEqual([await listed('web:v_1@shop', 'open'), await listed('web:v_3@shop', 'open'), await listed('web:v_3@shop', 'closed')], [['c1'], [], ['c3']]);
  const reader = { address: AGENT, addresses: [AGENT] };
  const rows = await store.inbox({ siteKey: 'shop', reader, view: { ids: ['c1', 'c2', 'c3'] }, sort: 'updated', limit: 10 });
  const waits = Object.fromEntries(rows.map((row) => [row.conversation.id, row.waitingSince ?? null]));
  assert.deepEqual(waits, { c1: '2026-01-01T00:00:01.000Z', c2: null, c3: null });
  await store.setConversationState('c3', 'open');
  const [reopened] = await store.inbox({ siteKey: 'shop', reader, view: { ids: ['c3'] }, sort: 'updated', limit: 1 });
  assert.equal(reopened?.waitingSince, '2026-01-01T00:00:06.000Z', 'a closed one kept its wait for when it opens again');
  assert.deepEqual(await listed('web:v_3@shop', 'open'), ['c3']);
}

export function describeInboxStoreContract(name: string, setup: StoreContractSetup): void {
  describe(`${name} store contract: the agent inbox`, () => {
    let store: Store;
    let destroy: () => Promise<void>;
    beforeEach(async () => {
      const backing = await setup.backing();
      store = backing.make();
      await store.open();
      destroy = async () => {
        await store.close();
        await backing.destroy();
      };
    });
    afterEach(() => destroy());

    const open = (customer: Address, team = 'support', siteKey = 'shop') =>
      store.createConversation({ siteKey, openedBy: customer, participants: [customer], team });
    const say = (conversationId: string, from: Address, text: string) =>
      store.appendMessage({ conversationId, from, text, status: 'accepted', outbox: [] }).then((r) => r.message);
    const view = (v: InboxQuery['view'], extra: Partial<InboxQuery> = {}) =>
      store.inbox({ siteKey: 'shop', reader: { address: AGENT, addresses: [AGENT] }, view: v, sort: 'waiting', limit: 100, ...extra });

    it('lists views with the last message, since when the customer waits, and the reader unread count', async () => {
      await store.upsertParty({ address: 'web:v_1', siteKey: 'shop', role: 'visitor', verified: false, name: 'Vera' });
      const first = await open('web:v_1');
      const second = await open('xmpp:carl@x.test');
      const third = await open('web:v_3', 'sales');
      const m1 = await say(first.id, 'web:v_1', 'hello');
      await say(first.id, 'team:support', 'Welcome! An agent will be with you shortly.');
      await say(first.id, 'web:v_1', 'anyone?');
      await say(second.id, 'xmpp:carl@x.test', 'hi there');
      await store.assignConversation(second.id, AGENT);
      await say(second.id, AGENT, 'how can I help');
      await store.setConversationState(third.id, 'closed');
      await open('web:v_9', 'support', 'blog');

      const unassigned = await view('unassigned');
      assert.deepEqual(
        unassigned.map((row) => row.conversation.id),
        [first.id],
      );
      const [row] = unassigned;
      assert.equal(row!.customerName, 'Vera');
      assert.equal(row!.waitingSince, m1.sentAt, "the oldest unanswered customer message (the team's greeting answers nothing)");
      assert.deepEqual(row!.lastMessage, { seq: 3, from: 'web:v_1', text: 'anyone?', sentAt: row!.lastMessage!.sentAt });
      assert.equal(row!.unread, 2, "the customer's two: the team's greeting is no agent's to read");

      const mine = await view('mine');
      assert.deepEqual(
        mine.map((r) => r.conversation.id),
        [second.id],
      );
      assert.equal(mine[0]!.waitingSince, undefined, 'the desk had the last word');
      assert.equal(mine[0]!.unread, 1, "the reader's own messages are not unread");
      assert.deepEqual((await view('open')).map((r) => r.conversation.id).sort(), [first.id, second.id].sort());
      assert.deepEqual(
        (await view('closed')).map((r) => r.conversation.id),
        [third.id],
      );
      assert.deepEqual(
        (await view('open', { team: 'sales' })).map((r) => r.conversation.id),
        [],
      );
      assert.deepEqual((await view({ ids: [third.id, first.id] }, { sort: 'updated' })).map((r) => r.conversation.id).sort(), [first.id, third.id].sort());

      // Waiting first: the longest waiting conversation leads, one not waiting comes last.
      await say(second.id, 'xmpp:carl@x.test', 'still there?');
      const waiting = await view('open');
      assert.deepEqual(
        waiting.map((r) => r.conversation.id),
        [first.id, second.id],
      );

      assert.deepEqual(await store.inboxCounts({ siteKey: 'shop', assignees: [AGENT], closedSince: new Date(Date.now() - 86_400_000).toISOString() }), {
        mine: 1,
        unassigned: 1,
        open: 2,
        closed: 1,
      });
      assert.deepEqual(
        await store.inboxCounts({ siteKey: 'shop', assignees: [AGENT], team: 'sales', closedSince: new Date(Date.now() + 1000).toISOString() }),
        {
          mine: 0,
          unassigned: 0,
          open: 0,
          closed: 0,
        },
      );
    });

    it('keeps since when the customer waits as messages come, closes and reopens, and as answers are erased', async () => {
      const c = await open('web:v_1');
      const waitingSince = async () => (await view({ ids: [c.id] }))[0]!.waitingSince;
      const first = await say(c.id, 'web:v_1', 'hello');
      await say(c.id, 'team:support', 'Welcome!');
      await say(c.id, 'web:v_1', 'anyone?');
      assert.equal(await waitingSince(), first.sentAt, 'from the first unanswered message on');
      await store.assignConversation(c.id, AGENT);
      await say(c.id, AGENT, 'here');
      assert.equal(await waitingSince(), undefined, 'an answer ends the wait');
      await say(c.id, 'team:support', 'A survey follows.');
      assert.equal(await waitingSince(), undefined, "the team's own line starts no wait");
      const again = await say(c.id, 'web:v_1', 'one more thing');
      await say(c.id, 'web:v_1', 'are you there?');
      assert.equal(await waitingSince(), again.sentAt, 'a new wait starts with the first message after the answer');
      await store.setConversationState(c.id, 'closed');
      assert.equal(await waitingSince(), undefined, 'a closed conversation waits for nobody');
      await store.setConversationState(c.id, 'open');
      assert.equal(await waitingSince(), again.sentAt, 'reopened, it waits as before');
      await store.eraseParty('shop', AGENT);
      assert.equal(await waitingSince(), first.sentAt, 'the answer erased, the customer waits since their first message');
    });

    it('keeps read cursors per reader, moving only forward, participant or not', async () => {
      const c = await open('web:v_1');
      for (const text of ['a', 'b', 'c']) await say(c.id, 'web:v_1', text);
      await store.setReadCursor(c.id, AGENT, 2);
      await store.setReadCursor(c.id, AGENT, 1);
      assert.equal((await view('open'))[0]!.unread, 1);
      const forOther = await store.inbox({ siteKey: 'shop', reader: { address: OTHER, addresses: [OTHER] }, view: 'open', sort: 'updated', limit: 10 });
      assert.equal(forOther[0]!.unread, 3, "another agent's cursor is theirs");
    });

    it('counts neither a retraction nor the message it took back as unread or as the last message, in the views or per reader', async () => {
      const c = await open('web:v_1');
      const said = await say(c.id, 'web:v_1', 'my card is 4111');
      const sorry = await say(c.id, 'web:v_1', 'sorry');
      await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: '', corrects: said.id, status: 'accepted', outbox: [] });
      const reader = { address: AGENT, addresses: [AGENT] };
      assert.deepEqual(await store.unreadCounts(c.id, [reader]), new Map([[AGENT, 1]]));
      const [row] = await store.inbox({ siteKey: 'shop', reader, view: { ids: [c.id] }, sort: 'updated', limit: 1 });
      assert.equal(row!.unread, 1);
      assert.deepEqual(row!.lastMessage, { seq: sorry.seq, from: 'web:v_1', text: 'sorry', sentAt: sorry.sentAt });
    });

    it('counts a corrected message once as unread, in the views and per reader', async () => {
      const c = await open('web:v_1');
      const typo = await say(c.id, 'web:v_1', 'my ordr is 42');
      await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'my order is 42', corrects: typo.id, status: 'accepted', outbox: [] });
      const reader = { address: AGENT, addresses: [AGENT] };
      assert.deepEqual(await store.unreadCounts(c.id, [reader]), new Map([[AGENT, 1]]));
      const [row] = await store.inbox({ siteKey: 'shop', reader, view: { ids: [c.id] }, sort: 'updated', limit: 1 });
      assert.equal(row!.unread, 1);
    });

    it('waits again for an answer taken back, and for no question taken back', async () => {
      const c = await open('web:v_1');
      const question = await say(c.id, 'web:v_1', 'is it waterproof?');
      const answer = await say(c.id, OTHER, 'yes, 3000 mm');
      const waitingSince = async () => (await view({ ids: [c.id] }))[0]!.waitingSince;
      assert.equal(await waitingSince(), undefined, 'answered');
      await store.appendMessage({ conversationId: c.id, from: OTHER, text: '', corrects: answer.id, status: 'accepted', outbox: [] });
      assert.equal(await waitingSince(), question.sentAt, 'the answer was taken back');
      await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: '', corrects: question.id, status: 'accepted', outbox: [] });
      assert.equal(await waitingSince(), undefined, 'the question was taken back');
    });

    it("counts every reader's unread of a conversation in one call, as the views count it", async () => {
      const c = await open('web:v_1');
      await say(c.id, 'web:v_1', 'a');
      await say(c.id, 'web:v_1', 'b');
      await say(c.id, OTHER, 'from bob on xmpp');
      await say(c.id, 'web:v_1', 'c');
      await say(c.id, 'web:a_bob@shop', 'from bob on the web');
      await store.setReadCursor(c.id, AGENT, 2);
      const readers = [
        { address: AGENT, addresses: [AGENT] },
        { address: OTHER, addresses: [OTHER, 'web:a_bob@shop' as Address] },
        { address: 'web:i_crm@shop' as Address, addresses: ['web:i_crm@shop' as Address] },
      ];
      const counts = await store.unreadCounts(c.id, readers);
      assert.deepEqual(
        counts,
        new Map([
          [AGENT, 3],
          [OTHER, 3],
          ['web:i_crm@shop', 5],
        ]),
      );
      for (const reader of readers) {
        const [row] = await store.inbox({ siteKey: 'shop', reader, view: { ids: [c.id] }, sort: 'updated', limit: 1 });
        assert.equal(row!.unread, counts.get(reader.address), reader.address);
      }
      assert.deepEqual(await store.unreadCounts(c.id, []), new Map());
    });

    it(`counts unread messages exactly up to ${LIMITS.maxUnreadCount}, and reads ${LIMITS.maxUnreadCount} beyond`, async () => {
      const c = await open('web:v_1');
      await say(c.id, AGENT, 'mine: never unread');
      for (let i = 0; i < LIMITS.maxUnreadCount + 5; i++) await say(c.id, 'web:v_1', `line ${i}`);
      await say(c.id, AGENT, 'mine again');
      const reader = { address: AGENT, addresses: [AGENT] };
      const unreadNow = async () => {
        const [row] = await store.inbox({ siteKey: 'shop', reader, view: { ids: [c.id] }, sort: 'updated', limit: 1 });
        return [row!.unread, (await store.unreadCounts(c.id, [reader])).get(AGENT)];
      };
      assert.deepEqual(await unreadNow(), [LIMITS.maxUnreadCount, LIMITS.maxUnreadCount]);
      await store.setReadCursor(c.id, AGENT, 7); // the reader's own first message and six lines read
      assert.deepEqual(await unreadNow(), [LIMITS.maxUnreadCount - 1, LIMITS.maxUnreadCount - 1], 'exact below the cap');
    });

    it('stores notes after the last seq, idempotent by author and clientId, never as messages', async () => {
      const c = await open('web:v_1');
      await say(c.id, 'web:v_1', 'hello');
      const first = await store.addNote({ conversationId: c.id, from: AGENT, text: 'VIP customer', clientId: 'n1' });
      assert.equal(first.kind, 'stored');
      assert.equal(first.note.afterSeq, 1);
      const again = await store.addNote({ conversationId: c.id, from: AGENT, text: 'VIP customer', clientId: 'n1' });
      assert.deepEqual(again, { kind: 'duplicate', note: first.note });
      await store.addNote({ conversationId: c.id, from: OTHER, text: 'second' });
      assert.deepEqual(
        (await store.notes(c.id, 500)).map((n) => n.text),
        ['VIP customer', 'second'],
      );
      await store.addNote({ conversationId: c.id, from: OTHER, text: 'third' });
      assert.deepEqual(
        (await store.notes(c.id, 2)).map((n) => n.text),
        ['second', 'third'],
        'past the limit: the latest, oldest first',
      );
      assert.equal((await store.getConversation(c.id))!.lastSeq, 1, 'a note takes no seq');
      assert.equal((await store.history(c.id, { limit: 10 })).messages.length, 1);
      assert.equal((await view('open'))[0]!.unread, 1, 'notes are not unread');
      await assert.rejects(store.addNote({ conversationId: 'c_missing', from: AGENT, text: 'x' }));
    });

    it("searches a site's messages, notes and customers, and forgets what an erasure removes", async () => {
      await store.upsertParty({ address: 'web:v_1', siteKey: 'shop', role: 'visitor', verified: false, name: 'Zoltan Kovacs', email: 'zk@example.com' });
      const c = await open('web:v_1');
      await say(c.id, 'web:v_1', 'My parcel never arrived');
      await store.addNote({ conversationId: c.id, from: AGENT, text: 'parcel lost by the carrier' });
      const blog = await open('web:v_2', 'support', 'blog');
      await say(blog.id, 'web:v_2', 'parcel on the blog');

      const hits = await store.searchInbox('shop', 'parcel', 20);
      assert.deepEqual(hits.map((h) => h.kind).sort(), ['message', 'note']);
      assert.ok(
        hits.every((h) => h.conversationId === c.id),
        'of the site only',
      );
      const message = hits.find((h) => h.kind === 'message')!;
      assert.equal(message.seq, 1);
      assert.equal(message.from, 'web:v_1');
      assert.match(message.snippet, /parcel/i);
      assert.equal(hits.find((h) => h.kind === 'note')!.from, AGENT);
      assert.deepEqual(
        (await store.searchInbox('shop', 'zolt', 20)).map((h) => [h.kind, h.conversationId]),
        [['customer', c.id]],
      );
      assert.equal((await store.searchInbox('shop', 'zk@example.com', 20)).length, 1);
      assert.deepEqual(
        (await store.searchInbox('shop', 'web:v_1', 20)).map((h) => h.kind),
        ['customer'],
        'an address as written',
      );
      assert.deepEqual(await store.searchInbox('shop', '100%', 20), [], '% is no wildcard');
      assert.deepEqual(await store.searchInbox('shop', '"*()', 20), [], 'nothing to search for');
      assert.equal((await store.searchInbox('shop', 'parcel never', 20)).length, 1, 'every word must match');
      assert.deepEqual(await store.searchInbox('shop', 'par\u0000cel', 20), await store.searchInbox('shop', 'parcel', 20), 'a control character is left out');

      const data = await store.partyData('shop', 'web:v_1');
      assert.deepEqual(
        data.conversations[0]!.notes.map((n) => n.text),
        ['parcel lost by the carrier'],
      );
      await store.eraseParty('shop', 'web:v_1');
      assert.deepEqual(await store.searchInbox('shop', 'parcel', 20), []);
      assert.deepEqual(await store.searchInbox('shop', 'zoltan', 20), []);
      assert.deepEqual(await store.notes(c.id, 500), []);
      assert.equal((await store.searchInbox('blog', 'parcel', 20)).length, 1, 'another site keeps its own');
    });
  });
}
