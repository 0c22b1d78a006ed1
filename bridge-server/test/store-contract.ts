/**
 * The Store contract: what every engine must answer alike, run against each (SQLite in the unit
 * tier, Postgres in the integration tier on a real server). Engine-specific cases (files, pragmas,
 * upgrades of old schemas) stay beside their engine's own test.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { FileClaimError, type FileRecord, type NewMessage, type Store } from '../src/store/store.js';

export interface StoreBacking {
  /** A new, unopened Store on this backing; several share it as the bridge's nodes (or restarts) do. */
  make(): Store;
  destroy(): Promise<void>;
}

export interface StoreContractSetup {
  /** A fresh, empty backing (a new file, a new database) for one test. */
  backing(): Promise<StoreBacking>;
  /**
   * Whether several Store instances may write to one backing at once (Postgres: several nodes).
   * Where not (SQLite: one process per file), the concurrency cases share one instance.
   */
  multiNode: boolean;
}

/** Waits until the clock has moved on, so the next write's time sorts after the last one's. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() <= now) await new Promise((resolve) => setTimeout(resolve, 1));
}

export function describeStoreContract(name: string, setup: StoreContractSetup): void {
  describe(`${name} store contract`, () => {
    let backing: StoreBacking;
    let store: Store;
    const opened: Store[] = [];

    /** Another Store on the same backing, open (another node, or the same process after a restart). */
    const another = async (): Promise<Store> => {
      const next = backing.make();
      await next.open();
      opened.push(next);
      return next;
    };
    const reopen = async (): Promise<void> => {
      await store.close();
      store = await another();
    };

    beforeEach(async () => {
      backing = await setup.backing();
      store = await another();
    });
    afterEach(async () => {
      for (const each of opened.splice(0)) await each.close();
      await backing.destroy();
    });

    const conversation = (on: Store = store) => on.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
    const append = (conversationId: string, extra: Partial<NewMessage> = {}, on: Store = store) =>
      on.appendMessage({ conversationId, from: 'web:v_1', text: 'hi', status: 'accepted', outbox: [], ...extra });

    it('assigns gap-free seq per conversation, also when appends are issued together', async () => {
      const a = await conversation();
      const b = await conversation();
      const results = await Promise.all([append(a.id), append(b.id), append(a.id), append(a.id), append(b.id)]);
      const seqs = (id: string) =>
        results
          .filter((r) => r.message.conversationId === id)
          .map((r) => r.message.seq)
          .sort((x, y) => x - y);
      assert.deepEqual(seqs(a.id), [1, 2, 3]);
      assert.deepEqual(seqs(b.id), [1, 2]);
      assert.equal((await store.getConversation(a.id))!.lastSeq, 3);
    });

    it('returns the stored message for a repeated clientId or remote id', async () => {
      const c = await conversation();
      const first = await append(c.id, { clientId: 'k' });
      const again = await append(c.id, { clientId: 'k', text: 'different' });
      assert.equal(again.kind, 'duplicate');
      assert.equal(again.message.id, first.message.id);
      assert.equal(again.message.text, 'hi');
      const other = await append(c.id, { clientId: 'k', from: 'web:a_x' });
      assert.equal(other.kind, 'stored');
      const inbound = await append(c.id, { from: 'xmpp:bob@x.test', remote: { network: 'xmpp', id: 'stanza-1' } });
      const retransmitted = await append(c.id, { from: 'xmpp:bob@x.test', remote: { network: 'xmpp', id: 'stanza-1' } });
      assert.equal(retransmitted.kind, 'duplicate');
      assert.equal(retransmitted.message.id, inbound.message.id);
      assert.equal((await store.messageByRemoteId('xmpp', 'stanza-1'))?.id, inbound.message.id);
      assert.equal(await store.messageByRemoteId('xmpp', 'stanza-2'), null);
      assert.equal((await store.messageByClientId('web:v_1', 'k'))?.id, first.message.id);
      assert.equal(await store.messageByClientId('web:v_2', 'k'), null);
      assert.equal((await store.getConversation(c.id))!.lastSeq, 3, 'a duplicate takes no seq');
    });

    it('isolates a failing write among writes issued together: the others commit', async () => {
      const c = await conversation();
      const [ok1, bad, ok2] = await Promise.allSettled([append(c.id), append('c_missing'), append(c.id)]);
      assert.equal(ok1.status, 'fulfilled');
      assert.equal(bad.status, 'rejected');
      assert.equal(ok2.status, 'fulfilled');
      const history = await store.history(c.id, { limit: 10 });
      assert.deepEqual(
        history.messages.map((m) => m.seq),
        [1, 2],
      );
    });

    it("answers the statuses of a sender's own messages among the ids asked, in one query", async () => {
      const c = await conversation();
      const mine = await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'one', status: 'sent', outbox: [] });
      const other = await store.appendMessage({ conversationId: c.id, from: 'web:a_x', text: 'two', status: 'sent', outbox: [] });
      assert.equal(mine.kind, 'stored');
      assert.equal(other.kind, 'stored');
      if (mine.kind !== 'stored' || other.kind !== 'stored') return;
      await store.advanceStatus(mine.message.id, 'delivered');
      assert.deepEqual(await store.statusesOf('web:v_1', [mine.message.id, other.message.id, 'm_unknown']), [
        { id: mine.message.id, conversationId: c.id, status: 'delivered' },
      ]);
      assert.deepEqual(await store.statusesOf('web:v_1', []), []);
    });

    it('answers which addresses take part in a conversation of a site, in one query for all', async () => {
      const open = await store.createConversation({ siteKey: 'shop', openedBy: 'xmpp:carl@x.test', participants: ['xmpp:carl@x.test', 'irc:dave@test'] });
      await store.createConversation({ siteKey: 'blog', openedBy: 'sip:erin@y.test', participants: ['sip:erin@y.test'] });
      await store.addParticipant(open.id, 'sip:frank@y.test');
      await store.closeConversation(open.id);
      const asked = ['xmpp:carl@x.test', 'irc:dave@test', 'sip:frank@y.test', 'sip:erin@y.test', 'xmpp:nobody@x.test'] as const;
      assert.deepEqual(
        [...(await store.takingPartOnSite('shop', asked))].sort(),
        ['irc:dave@test', 'sip:frank@y.test', 'xmpp:carl@x.test'],
        'closed conversations count; another site does not',
      );
      assert.deepEqual([...(await store.takingPartOnSite('blog', asked))], ['sip:erin@y.test']);
      assert.equal((await store.takingPartOnSite('shop', [])).size, 0);
    });

    it('pages history both ways', async () => {
      const c = await conversation();
      for (let i = 1; i <= 5; i++) await append(c.id, { text: `m${i}` });
      const latest = await store.history(c.id, { limit: 2 });
      assert.deepEqual([latest.messages.map((m) => m.seq), latest.hasMore], [[4, 5], true]);
      const earlier = await store.history(c.id, { beforeSeq: 4, limit: 2 });
      assert.deepEqual([earlier.messages.map((m) => m.seq), earlier.hasMore], [[2, 3], true]);
      const after = await store.history(c.id, { afterSeq: 3, limit: 5 });
      assert.deepEqual([after.messages.map((m) => m.text), after.hasMore], [['m4', 'm5'], false]);
      assert.equal((await store.getMessage(after.messages[0]!.id))?.seq, 4);
      assert.equal(await store.getMessage('m_missing'), null);
    });

    it('moves statuses only forward, and fails only what was not delivered', async () => {
      const c = await conversation();
      const { message } = await append(c.id);
      assert.deepEqual(
        await store.advanceStatus(message.id, 'sent'),
        { id: message.id, conversationId: c.id, from: message.from, status: 'sent' },
        'what its sender is told',
      );
      assert.equal(await store.advanceStatus(message.id, 'sent'), null);
      assert.equal((await store.advanceStatus(message.id, 'delivered'))?.status, 'delivered');
      assert.equal(await store.advanceStatus(message.id, 'sent'), null);
      assert.equal(await store.advanceStatus(message.id, 'failed'), null);
      assert.equal((await store.advanceStatus(message.id, 'read'))?.status, 'read');
      const other = (await append(c.id)).message;
      assert.equal((await store.advanceStatus(other.id, 'failed'))?.status, 'failed');
      assert.equal(await store.advanceStatus(other.id, 'accepted'), null);
      assert.equal((await store.advanceStatus(other.id, 'sent'))?.status, 'sent');
      assert.equal((await store.getMessage(other.id))?.status, 'sent');
      assert.equal(await store.advanceStatus('m_missing', 'sent'), null);
    });

    it("marks the others' messages read up to a seq, once, answering the newest within the limit", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_x'] });
      await append(c.id);
      await append(c.id, { from: 'web:a_x' });
      await append(c.id);
      const failed = (await append(c.id)).message;
      await store.advanceStatus(failed.id, 'failed');
      await append(c.id);
      const read = (await store.markRead(c.id, 'web:a_x', 3, 100)) ?? [];
      assert.deepEqual(
        read.map((m) => [m.seq, m.status]),
        [
          [1, 'read'],
          [3, 'read'],
        ],
      );
      assert.deepEqual(await store.markRead(c.id, 'web:a_x', 3, 100), []);
      assert.deepEqual(await store.markRead(c.id, 'web:a_x', 2, 100), []);
      assert.equal(await store.markRead(c.id, 'web:nobody', 3, 100), null, 'null for a reader who takes no part');
      const limited = (await store.markRead(c.id, 'web:a_x', 5, 1)) ?? [];
      assert.deepEqual(
        limited.map((m) => m.seq),
        [5],
        'the failed one stays failed',
      );
      assert.equal((await store.getMessage(failed.id))?.status, 'failed');
      assert.equal((await store.history(c.id, { limit: 10 })).messages[1]?.status, 'accepted', "the reader's own message is not read by it");
    });

    it('keeps the outbox in queue order and counts it', async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
      for (let i = 0; i < 3; i++) await append(c.id, { text: `m${i}`, outbox: [{ recipient: 'xmpp:a@x.test', network: 'xmpp' }] });
      assert.equal(await store.outboxDepth('xmpp'), 3);
      assert.equal(await store.outboxDepth('irc'), 0);
      assert.deepEqual(await store.outboxNetworks(), ['xmpp']);
      const items = await store.pendingOutbox('xmpp', 10);
      assert.deepEqual(
        items.map((i) => i.message.text),
        ['m0', 'm1', 'm2'],
      );
      assert.deepEqual(
        (await store.pendingOutbox('xmpp', 10, items[0]!.id)).map((i) => i.message.text),
        ['m1', 'm2'],
      );
      await store.retryOutbox(items[0]!, Date.now() + 60_000, 'down');
      const retried = (await store.pendingOutbox('xmpp', 1))[0]!;
      assert.equal(retried.attempts, 1);
      assert.ok(retried.nextAttemptAt > Date.now());
      assert.equal(await store.completeOutbox(items[0]!), null);
      assert.equal(await store.outboxDepth('xmpp'), 2);
      const sent = await store.completeOutbox(items[1]!, 'sent');
      const { message: second } = items[1]!;
      assert.deepEqual(sent, { id: second.id, conversationId: second.conversationId, from: second.from, status: 'sent' });
      assert.equal(await store.outboxDepth('xmpp'), 1);
      assert.equal(await store.completeOutbox(items[1]!, 'delivered'), null, 'an item already gone changes nothing');
    });

    it('holds an outbox item queued with a time back until then', async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_x'] });
      const notBefore = Date.now() + 300_000;
      await append(c.id, { text: 'later', from: 'web:a_x', outbox: [{ recipient: 'mailto:v@x.test', network: 'mailto', notBefore }] });
      const [item] = await store.pendingOutbox('mailto', 10);
      assert.deepEqual([item?.message.text, item?.recipient, item?.nextAttemptAt, item?.attempts], ['later', 'mailto:v@x.test', notBefore, 0]);
    });

    it("queues a joiner's earlier messages (not its own) in seq order, once", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await append(c.id, { text: 'one' });
      await append(c.id, { text: 'mine', from: 'xmpp:a@x.test' });
      await append(c.id, { text: 'two' });
      assert.equal(await store.queueEarlierMessages(c.id, 'xmpp:a@x.test', 'xmpp'), 2);
      assert.equal(await store.queueEarlierMessages(c.id, 'xmpp:a@x.test', 'xmpp'), 0);
      assert.deepEqual(
        (await store.pendingOutbox('xmpp', 10)).map((i) => [i.message.text, i.recipient]),
        [
          ['one', 'xmpp:a@x.test'],
          ['two', 'xmpp:a@x.test'],
        ],
      );
    });

    it('queues for an assignee transferred away and back only what was said after it left', async () => {
      const ann = 'xmpp:ann@x.test';
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await append(c.id, { text: 'first' });
      await store.assignConversation(c.id, ann);
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp'), 1);
      await append(c.id, { text: 'second', outbox: [{ recipient: ann, network: 'xmpp' }] });
      for (const item of await store.pendingOutbox('xmpp', 10)) await store.completeOutbox(item, 'sent');
      await store.transferConversation(c.id, 'web:a_x');
      await append(c.id, { text: 'while away' });
      await store.transferConversation(c.id, null);
      await append(c.id, { text: 'queued again' });
      await store.transferConversation(c.id, ann);
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp'), 2);
      assert.deepEqual(
        (await store.pendingOutbox('xmpp', 10)).map((i) => i.message.text),
        ['while away', 'queued again'],
      );
      // An erased party leaves nothing behind: a new one at the same address is caught up from the start.
      await store.transferConversation(c.id, null);
      await store.eraseParty('shop', ann);
      await store.transferConversation(c.id, ann);
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp'), 4);
    });

    it('keeps joining marks until a catch-up removes them, claimed once they ran out; a catch-up with `joining` queues only while its mark is there', async () => {
      const ann = 'xmpp:ann@x.test';
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await append(c.id, { text: 'before' });
      await store.assignIfQueued(c.id, ann, { joining: true });
      assert.deepEqual(await store.claimStaleJoinings(60_000), [], 'not yet ran out');
      const [claimed, ...more] = await store.claimStaleJoinings(0);
      assert.deepEqual([claimed?.conversationId, claimed?.party, claimed!.since % 2, more], [c.id, ann, 1, []], 'stamped odd, as claims are');
      assert.deepEqual(await store.claimStaleJoinings(60_000), [], 'stamped anew by the claim');
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp', { joining: true }), 1);
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp', { joining: true }), 0, 'its mark is gone: caught up already');
      assert.deepEqual(await store.claimStaleJoinings(0), []);
      // A party that leaves while joining is joining no more, and had nothing of it: back, it gets it all.
      await store.transferConversation(c.id, 'xmpp:bob@x.test', undefined, { joining: true });
      await store.transferConversation(c.id, null);
      assert.deepEqual(await store.claimStaleJoinings(0), []);
      await store.transferConversation(c.id, 'xmpp:bob@x.test');
      assert.equal(await store.queueEarlierMessages(c.id, 'xmpp:bob@x.test', 'xmpp'), 1);
    });

    it('drops a claimed joining mark only as claimed: not one made anew since, even in the same millisecond', async () => {
      const ann = 'xmpp:ann@x.test';
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await append(c.id, { text: 'before' });
      await store.assignIfQueued(c.id, ann, { joining: true });
      const [claimed] = await store.claimStaleJoinings(0);
      // Its finisher found it gone; meanwhile it was handed the conversation again.
      await store.transferConversation(c.id, null);
      await store.transferConversation(c.id, ann, undefined, { joining: true });
      await store.dropJoining(claimed!);
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp', { joining: true }), 1, 'the new handover catches up');
      await store.transferConversation(c.id, 'web:a_x');
      await store.transferConversation(c.id, ann, undefined, { joining: true });
      const [again] = await store.claimStaleJoinings(0);
      await store.dropJoining(again!);
      assert.deepEqual(await store.claimStaleJoinings(0), [], 'dropped as claimed');
    });

    it("notes a joining mark's context line: claims tell it until the mark goes, and a mark made anew starts without it", async () => {
      const ann = 'xmpp:ann@x.test';
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await append(c.id, { text: 'before' });
      await store.markIntroduced(c.id, ann); // no mark yet: nothing to note, nothing made
      assert.deepEqual(await store.claimStaleJoinings(0), []);
      await store.assignIfQueued(c.id, ann, { joining: true });
      const [first] = await store.claimStaleJoinings(0);
      assert.equal(first?.introduced, false, 'made without it');
      await store.markIntroduced(c.id, ann);
      const [second] = await store.claimStaleJoinings(0);
      assert.deepEqual([second?.conversationId, second?.party, second?.introduced], [c.id, ann, true], 'kept through a claim');
      const [third] = await store.claimStaleJoinings(0);
      assert.equal(third?.introduced, true, 'and the next');
      // Handed to someone else, then to her again: a new handover, a new line.
      await store.transferConversation(c.id, 'web:a_x');
      await store.transferConversation(c.id, ann, undefined, { joining: true });
      const [anew] = await store.claimStaleJoinings(0);
      assert.equal(anew?.introduced, false, 'a mark made anew starts without it');
      await store.markIntroduced(c.id, 'xmpp:bob@x.test');
      const [untouched] = await store.claimStaleJoinings(0);
      assert.equal(untouched?.introduced, false, "another party's note is not hers");
      // Noted, then handed to her anew while her mark is still there (assigned aside without a handover, then back): no note.
      await store.markIntroduced(c.id, ann);
      await store.assignConversation(c.id, 'web:a_x');
      await store.transferConversation(c.id, ann, undefined, { joining: true });
      const [remade] = await store.claimStaleJoinings(0);
      assert.deepEqual([remade?.party, remade?.introduced], [ann, false], 'the mark made anew over the old one starts without it');
      assert.equal(await store.queueEarlierMessages(c.id, ann, 'xmpp', { joining: true }), 1);
      await store.markIntroduced(c.id, ann); // caught up: no mark left to note
      assert.deepEqual(await store.claimStaleJoinings(0), []);
    });

    it('finds open conversations and queues, and reads back what it wrote after a restart', async () => {
      const c = await conversation();
      assert.equal((await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:v_1', team: 'support' }))?.id, c.id);
      assert.equal(await store.findOpenConversation({ siteKey: 'other', openedBy: 'web:v_1', team: 'support' }), null);
      assert.equal(await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:v_1' }), null);
      assert.deepEqual(
        (await store.queuedConversations('support', 10)).map((q) => q.id),
        [c.id],
      );
      const assigned = await store.assignConversation(c.id, 'web:a_x');
      assert.deepEqual(assigned.participants, ['web:v_1', 'web:a_x']);
      assert.deepEqual(await store.queuedConversations('support', 10), []);
      const copy = (await store.getConversation(c.id))!;
      copy.participants.push('web:mutated');
      assert.deepEqual((await store.getConversation(c.id))!.participants, ['web:v_1', 'web:a_x']);
      await store.setConversationState(c.id, 'closed');
      assert.equal(await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:v_1', team: 'support' }), null);
      await reopen();
      const reread = (await store.getConversation(c.id))!;
      assert.deepEqual([reread.state, reread.assignee, reread.participants], ['closed', 'web:a_x', ['web:v_1', 'web:a_x']]);
      assert.equal(await store.getConversation('c_missing'), null);
      await assert.rejects(store.setConversationState('c_missing', 'closed'), /does not exist/);
    });

    it('closes an open conversation once: of two closes at the same moment one closes it, the other finds it closed', async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      const both = await Promise.all([store.closeConversation(c.id), store.closeConversation(c.id)]);
      assert.deepEqual(both.map((result) => result.closed).sort(), [false, true]);
      const first = both.find((result) => result.closed)!;
      const second = both.find((result) => !result.closed)!;
      assert.equal(first.conversation.state, 'closed');
      assert.deepEqual(second.conversation, first.conversation, 'the second answers it as the first left it');
      // Open again, it closes again.
      await store.setConversationState(c.id, 'open');
      assert.equal((await store.closeConversation(c.id)).closed, true);
      await assert.rejects(store.closeConversation('c_missing'), /does not exist/);
    });

    it('finds the open two-party conversation opened with someone, newest first', async () => {
      const older = await store.createConversation({ siteKey: 'shop', openedBy: 'web:a_x', participants: ['web:a_x', 'web:v_1'] });
      const newer = await store.createConversation({ siteKey: 'shop', openedBy: 'web:a_x', participants: ['web:a_x', 'web:v_1'] });
      await store.createConversation({ siteKey: 'shop', openedBy: 'web:a_x', participants: ['web:a_x', 'web:v_2', 'web:v_3'] });
      const found = await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:a_x', with: 'web:v_1' });
      assert.ok(found?.id === newer.id || (found?.id === older.id && older.createdAt === newer.createdAt));
      assert.equal(
        await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:a_x', with: 'web:v_2' }),
        null,
        'three parties are not a two-party conversation',
      );
      await store.addParticipant(newer.id, 'web:v_9');
      assert.equal((await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:a_x', with: 'web:v_1' }))?.id, older.id);
    });

    it('lists conversations by participant, site, state, teams and id suffix, most recently active first', async () => {
      const a = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      const b = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2', 'web:a_x'], team: 'sales' });
      const c = await store.createConversation({ siteKey: 'blog', openedBy: 'web:v_3', participants: ['web:v_3', 'web:a_x'] });
      await store.setConversationState(c.id, 'closed');
      await nextMillisecond();
      await append(a.id); // a is now the most recently active
      const ids = async (query: Parameters<Store['listConversations']>[0]) => (await store.listConversations(query)).map((x) => x.id);
      assert.deepEqual((await ids({ limit: 10 }))[0], a.id);
      assert.deepEqual((await ids({ limit: 10 })).sort(), [a.id, b.id, c.id].sort());
      assert.deepEqual(await ids({ limit: 1 }), [a.id]);
      assert.deepEqual((await ids({ participant: 'web:a_x', limit: 10 })).sort(), [b.id, c.id].sort());
      assert.deepEqual(await ids({ siteKey: 'blog', limit: 10 }), [c.id]);
      assert.deepEqual(await ids({ state: 'closed', limit: 10 }), [c.id]);
      assert.deepEqual(await ids({ teams: ['sales'], limit: 10 }), [b.id]);
      assert.deepEqual((await ids({ teams: ['sales', 'support'], siteKey: 'shop', state: 'open', limit: 10 })).sort(), [a.id, b.id].sort());
      assert.deepEqual(await ids({ teams: [], limit: 10 }), []);
      const suffix = b.id.slice(-6);
      assert.deepEqual(await ids({ idSuffix: suffix, limit: 10 }), [b.id]);
      assert.deepEqual(await ids({ idSuffix: suffix.toUpperCase(), limit: 10 }), [b.id], 'a short reference ignores case');
      assert.deepEqual(await ids({ idSuffix: '%', limit: 10 }), []);
      assert.deepEqual(await ids({ idSuffix: `_${suffix.slice(1)}`, limit: 10 }), []);
      const listed = (await store.listConversations({ participant: 'web:a_x', siteKey: 'shop', limit: 10 }))[0]!;
      assert.deepEqual([listed.participants, listed.team, listed.openedBy], [['web:v_2', 'web:a_x'], 'sales', 'web:v_2']);
    });

    it("lists a site's conversations in every state together, most recently active first, within the limit", async () => {
      const made: Awaited<ReturnType<Store['createConversation']>>[] = [];
      for (let i = 0; i < 6; i++) made.push(await store.createConversation({ siteKey: 'shop', openedBy: `web:v_${i}`, participants: [`web:v_${i}`] }));
      await store.createConversation({ siteKey: 'blog', openedBy: 'web:v_9', participants: ['web:v_9'] });
      // Each one's last activity in this order: a message in an open one, the close of a closed one.
      const closed = new Set([1, 3, 4]);
      for (const i of [2, 3, 0, 5, 1, 4]) {
        await nextMillisecond();
        if (closed.has(i)) await store.setConversationState(made[i]!.id, 'closed');
        else await append(made[i]!.id);
      }
      const expected = [4, 1, 5, 0, 3, 2].map((i) => made[i]!.id);
      assert.deepEqual(
        (await store.listConversations({ siteKey: 'shop', limit: 10 })).map((x) => x.id),
        expected,
      );
      assert.deepEqual(
        (await store.listConversations({ siteKey: 'shop', limit: 4 })).map((x) => x.id),
        expected.slice(0, 4),
      );
      assert.deepEqual(
        (await store.listConversations({ siteKey: 'shop', idSuffix: made[3]!.id.slice(-8), limit: 2 })).map((x) => x.id),
        [made[3]!.id],
      );
    });

    it("lists a party's open or closed conversations as they close and open again, whoever joined when", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
      const listed = async (participant: Address, state: 'open' | 'closed') =>
        (await store.listConversations({ participant, state, limit: 10 })).map((x) => x.id);
      assert.deepEqual(await listed('xmpp:a@x.test', 'open'), [c.id]);
      assert.deepEqual(await listed('xmpp:a@x.test', 'closed'), []);
      await store.setConversationState(c.id, 'closed');
      await store.addParticipant(c.id, 'irc:late@test');
      for (const party of ['web:v_1', 'xmpp:a@x.test', 'irc:late@test'] as const) {
        assert.deepEqual(await listed(party, 'open'), [], party);
        assert.deepEqual(await listed(party, 'closed'), [c.id], party);
      }
      await store.setConversationState(c.id, 'open');
      for (const party of ['web:v_1', 'xmpp:a@x.test', 'irc:late@test'] as const) {
        assert.deepEqual(await listed(party, 'open'), [c.id], `${party}, open again`);
        assert.deepEqual(await listed(party, 'closed'), [], party);
      }
      assert.equal((await store.openConversationBetween('irc:late@test', 'web:v_1'))?.id, c.id, 'one who joined it closed shares it once open');
    });

    it('finds the open conversation two parties share, most recently active first', async () => {
      const older = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
      const newer = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
      await append(older.id); // the older one is now the more recently active
      assert.equal((await store.openConversationBetween('web:v_1', 'xmpp:a@x.test'))?.id, older.id);
      await store.setConversationState(older.id, 'closed');
      assert.equal((await store.openConversationBetween('xmpp:a@x.test', 'web:v_1'))?.id, newer.id);
      assert.equal(await store.openConversationBetween('web:v_1', 'xmpp:mallory@x.test'), null);
    });

    it('answers the same question again as the conversations change: messages, a new one, a party gone, closed and open again', async () => {
      const between = async () => (await store.openConversationBetween('xmpp:c@x.test', 'irc:d@test'))?.id;
      // Each change a few milliseconds after the last: the latest is told by its time.
      const later = () => new Promise((resolve) => setTimeout(resolve, 5));
      const first = await store.createConversation({ siteKey: 'shop', openedBy: 'xmpp:c@x.test', participants: ['xmpp:c@x.test', 'irc:d@test'] });
      assert.equal(await between(), first.id);
      await later();
      const second = await store.createConversation({ siteKey: 'shop', openedBy: 'irc:d@test', participants: ['irc:d@test', 'xmpp:c@x.test'] });
      assert.equal(await between(), second.id, 'a new conversation is the latest');
      await later();
      await append(first.id);
      assert.equal(await between(), first.id, 'a message makes its conversation the latest');
      assert.equal(await between(), first.id, 'asked again');
      await later();
      await append(second.id);
      assert.equal(await between(), second.id);
      await later();
      await store.setConversationState(second.id, 'closed');
      assert.equal(await between(), first.id);
      await later();
      await store.setConversationState(second.id, 'open');
      assert.equal(await between(), second.id, 'open again, and changed last');
      await store.eraseParty('shop', 'irc:d@test');
      assert.equal(await between(), undefined, 'a party erased is in neither');
    });

    it('transfers: the previous assignee leaves, the team may change, and null returns it to the queue', async () => {
      const c = await conversation();
      await store.assignConversation(c.id, 'web:a_x');
      const moved = await store.transferConversation(c.id, 'web:a_y');
      assert.deepEqual([moved.assignee, moved.team, moved.participants], ['web:a_y', 'support', ['web:v_1', 'web:a_y']]);
      const same = await store.transferConversation(c.id, 'web:a_y', 'billing');
      assert.deepEqual([same.assignee, same.team, same.participants], ['web:a_y', 'billing', ['web:v_1', 'web:a_y']]);
      const queued = await store.transferConversation(c.id, null);
      assert.deepEqual([queued.assignee, queued.team, queued.participants], [undefined, 'billing', ['web:v_1']]);
      assert.deepEqual(
        (await store.queuedConversations('billing', 10)).map((q) => q.id),
        [c.id],
      );
      await assert.rejects(store.transferConversation('c_missing', 'web:a_x'), /does not exist/);
    });

    it('assigns a queued conversation only once, and never a closed one', async () => {
      const c = await conversation();
      const taken = await store.assignIfQueued(c.id, 'web:a_x');
      assert.deepEqual([taken?.assignee, taken?.participants], ['web:a_x', ['web:v_1', 'web:a_x']]);
      assert.equal(await store.assignIfQueued(c.id, 'web:a_y'), null);
      const closed = await conversation();
      await store.setConversationState(closed.id, 'closed');
      assert.equal(await store.assignIfQueued(closed.id, 'web:a_x'), null);
      assert.equal(await store.assignIfQueued('c_missing', 'web:a_x'), null);
    });

    it('counts open conversations per assignee', async () => {
      const one = await conversation();
      const two = await conversation();
      const three = await conversation();
      await store.assignConversation(one.id, 'web:a_x');
      await store.assignConversation(two.id, 'web:a_x');
      await store.assignConversation(three.id, 'web:a_y');
      await store.setConversationState(three.id, 'closed');
      assert.deepEqual(
        [...(await store.openCounts(['web:a_x', 'web:a_y', 'web:a_z']))],
        [
          ['web:a_x', 2],
          ['web:a_y', 0],
          ['web:a_z', 0],
        ],
      );
      assert.equal((await store.openCounts([])).size, 0);
    });

    it('keeps the latest rating with its comment', async () => {
      const c = await conversation();
      const rated = await store.rateConversation(c.id, 2, 'slow');
      assert.deepEqual([rated.rating, rated.ratingComment], [2, 'slow']);
      const again = await store.rateConversation(c.id, 5);
      assert.deepEqual([again.rating, again.ratingComment], [5, undefined]);
    });

    it('keeps a subject on one line, trimmed and cut to 300 code points, and answers it on every read', async () => {
      const c = await conversation();
      assert.equal(c.subject, undefined);
      const set = await store.setConversationSubject(c.id, '  Re:\tmy order\r\n  \r\n is late\u0007\u0000 ');
      assert.equal(set.subject, 'Re: my order is late');
      await store.swapConversationMark(c.id, { state: 'closed' });
      await store.assignConversation(c.id, 'xmpp:bob@x.test');
      await reopen();
      const reads = [
        await store.getConversation(c.id),
        await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:v_1', team: 'support' }),
        (await store.listConversations({ siteKey: 'shop', limit: 10 }))[0],
        await store.openConversationBetween('web:v_1', 'xmpp:bob@x.test'),
        (await store.conversationsAheadOfMarks(10))[0]?.conversation,
        (await store.partyData('shop', 'web:v_1')).conversations[0]?.conversation,
      ];
      assert.deepEqual(
        reads.map((read) => read?.subject),
        reads.map(() => 'Re: my order is late'),
      );
      const transferred = await store.transferConversation(c.id, null);
      assert.equal((await store.queuedConversations('support', 10))[0]?.subject, 'Re: my order is late');
      assert.equal(transferred.subject, 'Re: my order is late', 'other changes keep it');
      // 😀 is two UTF-16 units: the cut counts code points and never splits one.
      const long = await store.setConversationSubject(c.id, `${'😀'.repeat(299)}ab`);
      assert.equal(long.subject, `${'😀'.repeat(299)}a`);
      assert.equal(Array.from(long.subject).length, 300);
      const cut = await store.setConversationSubject(c.id, `${'x'.repeat(299)} tail`);
      assert.equal(cut.subject, 'x'.repeat(299), 'no blank is left at the end of a cut');
      const cleared = await store.setConversationSubject(c.id, ' \r\n\u0001 ');
      assert.equal(cleared.subject, undefined, 'nothing left: no subject');
      assert.equal((await store.getConversation(c.id))!.subject, undefined);
      await assert.rejects(store.setConversationSubject('c_missing', 'Hello'), /does not exist/);
    });

    it("keeps a conversation's thread per network until replaced or removed, only for a conversation that exists", async () => {
      const a = await conversation();
      const b = await conversation();
      await store.setConversationThread(a.id, 'email', '["<1@x.test>"]');
      await store.setConversationThread(a.id, 'email', '["<1@x.test>","<2@x.test>"]');
      await store.setConversationThread(a.id, 'other', 'o');
      await store.setConversationThread(b.id, 'email', '["<3@x.test>"]');
      await reopen();
      assert.equal(await store.conversationThread(a.id, 'email'), '["<1@x.test>","<2@x.test>"]');
      assert.equal(await store.conversationThread(a.id, 'other'), 'o');
      assert.equal(await store.conversationThread(b.id, 'email'), '["<3@x.test>"]');
      assert.equal(await store.conversationThread(b.id, 'other'), null);
      await store.setConversationThread(a.id, 'email', null);
      await store.setConversationThread(a.id, 'none', null);
      assert.equal(await store.conversationThread(a.id, 'email'), null);
      assert.equal(await store.conversationThread(a.id, 'other'), 'o');
      await assert.rejects(store.setConversationThread('c_missing', 'email', '[]'), /does not exist/);
      assert.equal(await store.conversationThread('c_missing', 'email'), null);
    });

    it("keeps a network's state across a restart, per network and key, until removed", async () => {
      await store.setNetworkState('email', 'INBOX:uidvalidity', '1700000000');
      await store.setNetworkState('email', 'INBOX:uid', '41');
      await store.setNetworkState('email', 'INBOX:uid', '42');
      await store.setNetworkState('other', 'INBOX:uid', '7');
      await reopen();
      assert.equal(await store.networkState('email', 'INBOX:uidvalidity'), '1700000000');
      assert.equal(await store.networkState('email', 'INBOX:uid'), '42');
      assert.equal(await store.networkState('other', 'INBOX:uid'), '7');
      assert.equal(await store.networkState('email', 'Archive:uid'), null);
      await store.setNetworkState('email', 'INBOX:uid', null);
      await store.setNetworkState('email', 'never-set', null);
      assert.equal(await store.networkState('email', 'INBOX:uid'), null);
      assert.equal(await store.networkState('other', 'INBOX:uid'), '7');
      // Durable once resolved: another instance (a restart, another node) sees it at once.
      await store.setNetworkState('email', 'INBOX:uid', '43');
      assert.equal(await (await another()).networkState('email', 'INBOX:uid'), '43');
    });

    it('merges parties: later facts win, missing ones keep the earlier, verified stays verified', async () => {
      await store.upsertParty({
        address: 'web:u_dana@shop',
        siteKey: 'shop',
        role: 'visitor',
        name: 'Dana',
        email: 'd@x.test',
        verified: true,
        pageUrl: 'https://shop.test/a',
      });
      await store.upsertParty({ address: 'web:u_dana@shop', siteKey: 'shop', role: 'visitor', verified: false, pageUrl: 'https://shop.test/b' });
      assert.deepEqual(await store.getParty('web:u_dana@shop'), {
        address: 'web:u_dana@shop',
        siteKey: 'shop',
        role: 'visitor',
        name: 'Dana',
        email: 'd@x.test',
        verified: true,
        pageUrl: 'https://shop.test/b',
      });
      await store.upsertParty({ address: 'xmpp:bob@x.test', siteKey: null, role: 'agent', verified: false });
      assert.deepEqual(await store.getParty('xmpp:bob@x.test'), { address: 'xmpp:bob@x.test', siteKey: null, role: 'agent', verified: false });
      assert.equal(await store.getParty('web:v_missing'), null);
    });

    it("forgets a site's idle anonymous visitors that never took part, and only those", async () => {
      const visitor = (address: `web:${string}`, siteKey = 'shop', verified = false) => store.upsertParty({ address, siteKey, role: 'visitor', verified });
      await visitor('web:v_idle');
      await visitor('web:v_talked');
      await visitor('web:v_opened');
      await visitor('web:u_known@shop', 'shop', true);
      await visitor('web:v_elsewhere', 'blog');
      await store.upsertParty({ address: 'web:a_agent@shop', siteKey: 'shop', role: 'agent', verified: false });
      await store.createConversation({ siteKey: 'shop', openedBy: 'web:a_agent@shop', participants: ['web:a_agent@shop', 'web:v_talked'] });
      await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_opened', participants: [] });
      assert.equal(await store.expireIdleVisitors('shop', '2000-01-01T00:00:00.000Z'), 0, 'none is idle yet');
      const later = new Date(Date.now() + 60_000).toISOString();
      assert.equal(await store.expireIdleVisitors('shop', later), 1);
      assert.equal(await store.getParty('web:v_idle'), null);
      for (const kept of ['web:v_talked', 'web:v_opened', 'web:u_known@shop', 'web:v_elsewhere', 'web:a_agent@shop'] as const) {
        assert.notEqual(await store.getParty(kept), null, kept);
      }
    });

    it('sums usage per day, site and boundary, and reads a range in order', async () => {
      await store.addUsage([
        { day: '2026-03-02', siteKey: 'shop', from: 'web', to: 'xmpp', messages: 1, bytes: 10 },
        { day: '2026-03-01', siteKey: 'shop', from: 'xmpp', to: 'web', messages: 2, bytes: 20 },
        { day: '2026-03-02', siteKey: 'shop', from: 'web', to: 'xmpp', messages: 3, bytes: 30 },
        { day: '2026-03-01', siteKey: 'blog', from: 'web', to: 'irc', messages: 9, bytes: 90 },
      ]);
      await store.addUsage([{ day: '2026-03-01', siteKey: 'shop', from: 'web', to: 'irc', messages: 1, bytes: 5_000_000_000 }]);
      await store.addUsage([]);
      assert.deepEqual(await store.usage('shop', '2026-03-01', '2026-03-02'), [
        { day: '2026-03-01', siteKey: 'shop', from: 'web', to: 'irc', messages: 1, bytes: 5_000_000_000 },
        { day: '2026-03-01', siteKey: 'shop', from: 'xmpp', to: 'web', messages: 2, bytes: 20 },
        { day: '2026-03-02', siteKey: 'shop', from: 'web', to: 'xmpp', messages: 4, bytes: 40 },
      ]);
      assert.deepEqual(
        (await store.usage('shop', '2026-03-02', '2026-03-31')).map((r) => r.day),
        ['2026-03-02'],
      );
    });

    it('keeps secrets across a restart', async () => {
      const secret = await store.secret('token');
      assert.equal(await store.secret('token'), secret);
      assert.notEqual(await store.secret('other'), secret);
      await reopen();
      assert.equal(await store.secret('token'), secret);
    });

    it('keeps gateway presence subscriptions across a restart, found from either side, once each', async () => {
      await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }, true);
      await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }, true);
      await store.setGatewayFollow({ watcher: 'irc:dave@z', target: 'xmpp:carl@x.test' }, true);
      await reopen();
      assert.deepEqual((await store.gatewayFollows('xmpp:carl@x.test')).map((f) => `${f.watcher}>${f.target}`).sort(), [
        'irc:dave@z>xmpp:carl@x.test',
        'xmpp:carl@x.test>sip:bob@y.test',
      ]);
      assert.deepEqual(await store.gatewayFollows('sip:bob@y.test'), [{ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }]);
      await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }, false);
      assert.deepEqual(await store.gatewayFollows(), [{ watcher: 'irc:dave@z', target: 'xmpp:carl@x.test' }]);
    });

    it("keeps customers' subscriptions to teams' addresses across a restart, per network, once each, until removed", async () => {
      await store.setTeamSubscriber({ team: 'support', subscriber: 'xmpp:carl@x.test' }, true);
      await store.setTeamSubscriber({ team: 'support', subscriber: 'xmpp:carl@x.test' }, true);
      await store.setTeamSubscriber({ team: 'sales', subscriber: 'xmpp:carl@x.test' }, true);
      await store.setTeamSubscriber({ team: 'support', subscriber: 'xmpp:ann@x.test' }, true);
      await store.setTeamSubscriber({ team: 'support', subscriber: 'sip:bob@y.test' }, true);
      await reopen();
      assert.deepEqual(await store.teamSubscribers('xmpp'), [
        { team: 'sales', subscriber: 'xmpp:carl@x.test' },
        { team: 'support', subscriber: 'xmpp:ann@x.test' },
        { team: 'support', subscriber: 'xmpp:carl@x.test' },
      ]);
      assert.deepEqual(await store.teamSubscribers('sip'), [{ team: 'support', subscriber: 'sip:bob@y.test' }]);
      assert.deepEqual(await store.teamSubscribers('xmp'), [], 'a network by its whole scheme');
      assert.deepEqual(
        await store.teamsSubscribedBy(['xmpp:carl@x.test', 'xmpp:nobody@x.test', 'xmpp:ann@x.test']),
        new Map([
          ['xmpp:ann@x.test', ['support']],
          ['xmpp:carl@x.test', ['sales', 'support']],
        ]),
      );
      assert.deepEqual(await store.teamsSubscribedBy([]), new Map());
      await store.setTeamSubscriber({ team: 'support', subscriber: 'xmpp:carl@x.test' }, false);
      await store.setTeamSubscriber({ team: 'support', subscriber: 'xmpp:nobody@x.test' }, false);
      assert.deepEqual(await store.teamSubscribers('xmpp'), [
        { team: 'sales', subscriber: 'xmpp:carl@x.test' },
        { team: 'support', subscriber: 'xmpp:ann@x.test' },
      ]);
    });

    it('keeps webhook deliveries per hook in order across a restart, with their attempts', async () => {
      const c = await conversation();
      await store.enqueueWebhooks([
        { id: 'd1', hook: 'h1', event: 'conversation.opened', siteKey: 'shop', body: '{"n":1}' },
        { id: 'd2', hook: 'h2', event: 'conversation.opened', siteKey: 'shop', body: '{"n":2}' },
      ]);
      await store.enqueueWebhooks([]);
      // A message's deliveries are written in the message's own transaction; a duplicate queues none.
      const stored = await append(c.id, {
        webhooks: (message) => [{ id: 'd3', hook: 'h1', event: 'conversation.message', siteKey: 'shop', body: JSON.stringify(message) }],
      });
      await append(c.id, { clientId: 'once' });
      await append(c.id, { clientId: 'once', webhooks: () => [{ id: 'dup', hook: 'h1', event: 'conversation.message', siteKey: 'shop', body: '{}' }] });
      // Queued again under the same id (a retried request): kept once, where it was first queued.
      await store.enqueueWebhooks([{ id: 'd1', hook: 'h1', event: 'conversation.opened', siteKey: 'shop', body: '{"n":1}' }]);
      await store.retryWebhook('d1', 12345, 'HTTP 503');
      await reopen();
      assert.equal(await store.webhookBacklog(), 3);
      assert.equal(await store.webhookBacklog('h1'), 2);
      assert.equal(await store.webhookBacklog('h9'), 0);
      const pending = await store.pendingWebhooks('h1', 10);
      assert.deepEqual(
        pending.map((d) => [d.id, d.attempts, d.nextAttemptAt]),
        [
          ['d1', 1, 12345],
          ['d3', 0, 0],
        ],
      );
      assert.deepEqual(
        { ...pending[0]!, attempts: 0, nextAttemptAt: 0 },
        { id: 'd1', hook: 'h1', event: 'conversation.opened', siteKey: 'shop', body: '{"n":1}', attempts: 0, nextAttemptAt: 0 },
      );
      assert.equal((JSON.parse(pending[1]!.body) as { id: string }).id, stored.message.id);
      assert.deepEqual(
        (await store.pendingWebhooks('h1', 1)).map((d) => d.id),
        ['d1'],
      );
      assert.equal(await store.hasWebhook('d1'), true);
      assert.equal(await store.hasWebhook('dup'), false);
      await store.completeWebhook('d1');
      assert.equal(await store.hasWebhook('d1'), false);
      assert.deepEqual(
        (await store.pendingWebhooks('h1', 10)).map((d) => d.id),
        ['d3'],
      );
    });

    it('keeps what webhooks last said of a conversation, and finds the conversations ahead of it', async () => {
      const c = await conversation();
      assert.deepEqual(
        (await store.conversationsAheadOfMarks(10)).map((r) => [r.conversation.id, r.mark]),
        [[c.id, null]],
      );
      assert.equal(await store.swapConversationMark(c.id, { state: 'open' }), null);
      assert.deepEqual(await store.conversationsAheadOfMarks(10), []);
      await store.assignConversation(c.id, 'web:a_alice');
      const ahead = await store.conversationsAheadOfMarks(10);
      assert.deepEqual(
        ahead.map((r) => r.mark),
        [{ state: 'open' }],
      );
      assert.deepEqual(ahead[0]!.conversation, await store.getConversation(c.id));
      assert.deepEqual(await store.swapConversationMark(c.id, { state: 'open', assignee: 'web:a_alice' }), { state: 'open' });
      assert.deepEqual(await store.conversationsAheadOfMarks(10), []);
      await store.setConversationState(c.id, 'closed');
      assert.deepEqual(
        (await store.conversationsAheadOfMarks(10)).map((r) => r.conversation.state),
        ['closed'],
      );
      await reopen();
      assert.deepEqual(await store.swapConversationMark(c.id, { state: 'closed', assignee: 'web:a_alice' }), { state: 'open', assignee: 'web:a_alice' });
      assert.deepEqual(await store.conversationsAheadOfMarks(10), []);
    });

    it('keeps offers and their deadlines across a restart', async () => {
      const c = await conversation();
      const d = await conversation();
      await store.saveOffer({ conversationId: c.id, agentId: 'alice', deadline: 1000, declined: [] });
      await store.saveOffer({ conversationId: c.id, agentId: 'bob', deadline: 2000, declined: ['alice'] });
      await store.saveOffer({ conversationId: d.id, agentId: 'carol', deadline: 1_800_000_000_000, declined: [] });
      await reopen();
      assert.deepEqual(await store.offers(), [
        { conversationId: c.id, agentId: 'bob', deadline: 2000, declined: ['alice'] },
        { conversationId: d.id, agentId: 'carol', deadline: 1_800_000_000_000, declined: [] },
      ]);
      assert.equal(await store.deleteOffer(c.id, 1000), false, 'an offer replaced since is not the one that ran out');
      assert.equal(await store.deleteOffer(c.id, 2000), true);
      assert.equal(await store.deleteOffer(c.id, 2000), false, 'removed once');
      assert.equal(await store.deleteOffer(d.id), true);
      assert.equal(await store.deleteOffer('c_missing'), false);
      assert.deepEqual(await store.offers(), []);
    });

    it('stores the offer and the turn an assignment starts with it, only if the assignment is made', async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      const toAlice = { conversationId: c.id, agentId: 'alice', deadline: 1000, declined: [], seq: 0 };
      assert.ok(await store.assignIfQueued(c.id, 'web:a_alice', { joining: false, offer: toAlice, turn: { team: 'support', agentId: 'alice' } }));
      const toBob = { offer: { ...toAlice, agentId: 'bob' }, turn: { team: 'support', agentId: 'bob' } };
      assert.equal(await store.assignIfQueued(c.id, 'web:a_bob', toBob), null, 'taken already');
      await reopen();
      assert.deepEqual(await store.offers(), [toAlice], 'stored with the assignment, kept across a restart; not the refused one');
      assert.deepEqual([...(await store.offerTurns('support')).keys()], ['alice'], 'nor its turn');
      // Planned before the visitor wrote again: its seq is the conversation's as it is assigned.
      const toCarol = { conversationId: c.id, agentId: 'carol', deadline: 2000, declined: ['alice'], seq: 0 };
      await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'still there?', status: 'accepted', outbox: [] });
      await store.transferConversation(c.id, 'web:a_carol', undefined, { offer: toCarol, turn: { team: 'support', agentId: 'carol' } });
      assert.deepEqual(await store.offers(), [{ ...toCarol, seq: 1 }], 'the earlier offer replaced');
      const turns = await store.offerTurns('support');
      assert.ok(turns.get('carol')! > turns.get('alice')!, "carol's turn taken after alice's");
      await store.transferConversation(c.id, null, undefined, { offer: { ...toCarol, agentId: 'dan' }, turn: { team: 'support', agentId: 'dan' } });
      assert.equal((await store.offerTurns('support')).has('dan'), false, 'nobody to give a turn to');
      assert.deepEqual(await store.offers(), [], 'back to the queue: nobody to offer it to, and the earlier offer is over');
    });

    it("ends a conversation's earlier offer with any assignment made without one", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      const offer = { conversationId: c.id, agentId: 'alice', deadline: 1000, declined: [] };
      await store.saveOffer(offer); // left by an assignment whose node did not end it
      assert.ok(await store.assignIfQueued(c.id, 'web:a_bob'), 'claimed, or taken by answering');
      assert.deepEqual(await store.offers(), []);
      await store.saveOffer(offer);
      await store.transferConversation(c.id, 'web:a_carol', undefined, { joining: true });
      assert.deepEqual(await store.offers(), [], 'handed to an agent on purpose');
      const other = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2'], team: 'support' });
      await store.saveOffer({ ...offer, conversationId: other.id });
      await store.saveOffer(offer);
      await store.transferConversation(c.id, null, 'sales');
      assert.deepEqual(await store.offers(), [{ ...offer, conversationId: other.id }], "back to a queue; only that conversation's");
    });

    it('claims an expired offer by its deadline, and moves its conversation on only while the claim holds', async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      await store.assignIfQueued(c.id, 'web:a_alice');
      const offer = { conversationId: c.id, agentId: 'alice', deadline: 1000, declined: ['zoe'] };
      await store.saveOffer(offer);
      assert.equal(await store.rescheduleOffer(c.id, 1000, 31_000), true, 'claimed: held until 31 s');
      assert.deepEqual(await store.rescheduleOffer(c.id, 1000, 32_000), { ...offer, deadline: 31_000 }, 'claimed once; the hold as it is stored');
      assert.equal(await store.rescheduleOffer('c_missing', 1000, 31_000), undefined);
      await reopen();
      assert.deepEqual(await store.offers(), [{ ...offer, deadline: 31_000 }], 'the hold is kept: a node that died leaves it to run out');
      const toBob = { conversationId: c.id, agentId: 'bob', deadline: 90_000, declined: ['zoe', 'alice'] };
      const claim = { deadline: 31_000, seq: 0, agent: ['web:a_alice', 'xmpp:alice@example.org'] as Address[] };
      assert.equal(
        await store.transferOffered(c.id, { ...claim, deadline: 1000 }, 'web:a_bob', { offer: toBob, turn: { team: 'support', agentId: 'bob' } }),
        null,
        'not with a deadline that is not the claim',
      );
      assert.deepEqual(await store.offerTurns('support'), new Map(), 'no turn taken');
      assert.equal((await store.getConversation(c.id))?.assignee, 'web:a_alice');
      // Others writing since the claim do not answer for alice.
      await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'anyone?', status: 'accepted', outbox: [] });
      await store.appendMessage({ conversationId: c.id, from: 'web:a_zoe', text: 'not mine', status: 'accepted', outbox: [] });
      const moved = await store.transferOffered(c.id, claim, 'web:a_bob', { joining: true, offer: toBob, turn: { team: 'support', agentId: 'bob' } });
      assert.deepEqual([...(await store.offerTurns('support')).keys()], ['bob'], 'its turn taken with it');
      assert.equal(moved?.assignee, 'web:a_bob');
      assert.deepEqual(moved?.participants, ['web:v_1', 'web:a_bob']);
      assert.deepEqual(await store.offers(), [{ ...toBob, seq: 2 }], 'the next offer in place of the claim, from the seq it was made at');
      // A claim the agent answered meanwhile, on any of its addresses, its offer still there: the conversation stays.
      const seq = moved.lastSeq;
      assert.equal(await store.rescheduleOffer(c.id, 90_000, 120_000), true);
      await store.appendMessage({ conversationId: c.id, from: 'xmpp:bob@example.org', text: 'Here!', status: 'accepted', outbox: [] });
      const bobsClaim = { deadline: 120_000, seq, agent: ['web:a_bob', 'xmpp:bob@example.org'] as Address[] };
      assert.equal(await store.transferOffered(c.id, bobsClaim, 'web:a_carol', { offer: { ...toBob, agentId: 'carol' } }), null);
      assert.equal((await store.getConversation(c.id))?.assignee, 'web:a_bob');
      // Its offer ended by the answer: the same.
      await store.endOffer(c.id, 'bob');
      assert.equal(await store.transferOffered(c.id, { ...bobsClaim, seq: seq + 1 }, 'web:a_carol', { offer: { ...toBob, agentId: 'carol' } }), null);
      assert.equal((await store.getConversation(c.id))?.assignee, 'web:a_bob');
      assert.deepEqual(await store.offers(), []);
    });

    it("moves an expired offer's conversation on only if the agent wrote nothing since it was offered, and only while it is open", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'hello?', status: 'accepted', outbox: [] });
      const offer = { conversationId: c.id, agentId: 'alice', deadline: 1000, declined: [], seq: 1 };
      await store.assignIfQueued(c.id, 'web:a_alice', { offer });
      await reopen();
      assert.deepEqual(await store.offers(), [offer], 'its seq kept');
      // Alice answered in time, but her answer was not taken up before the deadline: the claim read a later seq.
      await store.appendMessage({ conversationId: c.id, from: 'web:a_alice', text: 'Here!', status: 'accepted', outbox: [] });
      assert.equal(await store.rescheduleOffer(c.id, 1000, 31_000), true);
      const claim = { deadline: 31_000, seq: 2, agent: ['web:a_alice'] as Address[] };
      const toBob = { offer: { ...offer, agentId: 'bob', deadline: 90_000 }, turn: { team: 'support', agentId: 'bob' } };
      assert.equal(await store.transferOffered(c.id, claim, 'web:a_bob', toBob), null);
      assert.equal((await store.getConversation(c.id))?.assignee, 'web:a_alice');
      // Closed meanwhile: its offer is over, and nothing moves.
      await store.saveOffer({ ...offer, deadline: 31_000, seq: 2 });
      await store.setConversationState(c.id, 'closed');
      assert.deepEqual(await store.offers(), []);
      await store.saveOffer({ ...offer, deadline: 31_000, seq: 2 });
      assert.equal(await store.transferOffered(c.id, claim, 'web:a_bob', toBob), null);
      assert.equal((await store.getConversation(c.id))?.assignee, 'web:a_alice');
      assert.deepEqual(await store.offerTurns('support'), new Map());
    });

    it("assigns from a team's queue only a conversation still in that team", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'sales' });
      // Read in support's queue, then moved to sales before the assignment.
      assert.equal(await store.assignIfQueued(c.id, 'web:a_alice', { team: 'support', turn: { team: 'support', agentId: 'alice' } }), null);
      assert.equal((await store.getConversation(c.id))?.assignee, undefined);
      assert.deepEqual(await store.offerTurns('support'), new Map());
      assert.equal((await store.assignIfQueued(c.id, 'web:a_bob', { team: 'sales' }))?.assignee, 'web:a_bob');
    });

    it("takes an assignment's turn only for the team the conversation is in", async () => {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'sales' });
      // Routed by support's queue as it was read, then moved to sales before the assignment.
      assert.ok(await store.assignIfQueued(c.id, 'web:a_alice', { turn: { team: 'support', agentId: 'alice' } }));
      await store.transferConversation(c.id, 'web:a_bob', undefined, { turn: { team: 'support', agentId: 'bob' } });
      assert.deepEqual(await store.offerTurns('support'), new Map());
      await store.transferConversation(c.id, 'web:a_carol', undefined, { turn: { team: 'sales', agentId: 'carol' } });
      assert.deepEqual([...(await store.offerTurns('sales')).keys()], ['carol']);
    });

    it('ends the offer an agent answered, whatever its deadline, not one made since to another agent', async () => {
      const c = await conversation();
      await store.saveOffer({ conversationId: c.id, agentId: 'alice', deadline: 31_000, declined: [] });
      await store.endOffer(c.id, 'alice');
      assert.deepEqual(await store.offers(), []);
      const toBob = { conversationId: c.id, agentId: 'bob', deadline: 90_000, declined: ['alice'] };
      await store.saveOffer(toBob);
      await store.endOffer(c.id, 'alice'); // alice's answer, late
      await store.endOffer('c_missing', 'alice');
      assert.deepEqual(await store.offers(), [toBob]);
    });

    it('ends an offer only by an answer written after it was made (its seq), or one stored without a seq', async () => {
      const c = await conversation();
      const toAlice = { conversationId: c.id, agentId: 'alice', deadline: 31_000, declined: [], seq: 5 };
      await store.saveOffer(toAlice);
      await store.endOffer(c.id, 'alice', 4); // written before the conversation came back to her
      await store.endOffer(c.id, 'alice', 5);
      assert.deepEqual(await store.offers(), [toAlice]);
      await store.endOffer(c.id, 'alice', 6);
      assert.deepEqual(await store.offers(), []);
      // An offer an older version stored has no seq: any answer of the agent's ends it.
      await store.saveOffer({ conversationId: c.id, agentId: 'alice', deadline: 31_000, declined: [] });
      await store.endOffer(c.id, 'alice', 1);
      assert.deepEqual(await store.offers(), []);
    });

    it("keeps each team's round-robin turns across a restart", async () => {
      assert.deepEqual(await store.offerTurns('support'), new Map());
      await store.takeOfferTurn('support', 'alice');
      await store.takeOfferTurn('support', 'bob');
      await store.takeOfferTurn('sales', 'alice');
      await store.takeOfferTurn('support', 'alice');
      await reopen();
      const turns = await store.offerTurns('support');
      assert.deepEqual([...turns.keys()].sort(), ['alice', 'bob']);
      assert.ok(turns.get('bob')! < turns.get('alice')!, 'alice was offered one after bob');
      assert.ok(turns.get('bob')! > 0);
      assert.deepEqual([...(await store.offerTurns('sales')).keys()], ['alice']);
      assert.deepEqual(await store.offerTurns('billing'), new Map());
    });

    it('keeps the hop marker a gateway message came with, for its outbox items', async () => {
      const c = await conversation();
      const outbox = [{ recipient: 'xmpp:al@x.org' as const, network: 'xmpp' }];
      await append(c.id, { text: 'through two bridges', via: ['bridge-a', 'bridge-b'], outbox });
      await append(c.id, { text: 'came with none', via: [], outbox });
      await append(c.id, { text: 'not through the gateway', outbox });
      await reopen();
      const items = await store.pendingOutbox('xmpp', 10);
      assert.deepEqual(
        items.map((item) => item.via),
        [['bridge-a', 'bridge-b'], [], undefined],
      );
      assert.equal('via' in items[0]!.message, false, 'not part of the message clients see');
    });

    it("keeps a site's blocks across a restart, each told once, apart from other sites'", async () => {
      assert.equal(await store.block({ siteKey: 'shop', address: 'xmpp:mallory@evil.example', by: 'xmpp:erin@example.org' }), true);
      await nextMillisecond();
      assert.equal(await store.block({ siteKey: 'shop', address: 'sip:trudy@example.com', by: 'web:a_alice@shop' }), true);
      assert.equal(await store.block({ siteKey: 'shop', address: 'xmpp:mallory@evil.example', by: 'web:a_bob@shop' }), false, 'the first block is kept');
      await reopen();
      const mallory = await store.blockOf('shop', 'xmpp:mallory@evil.example');
      assert.deepEqual(mallory && { ...mallory, at: typeof mallory.at }, {
        siteKey: 'shop',
        address: 'xmpp:mallory@evil.example',
        by: 'xmpp:erin@example.org',
        at: 'string',
        told: false,
      });
      assert.equal(await store.blockOf('blog', 'xmpp:mallory@evil.example'), null, 'a block is for its site only');
      assert.deepEqual(
        (await store.blocks('shop')).map((b) => b.address),
        ['xmpp:mallory@evil.example', 'sip:trudy@example.com'],
      );
      assert.deepEqual(await store.blocks('blog'), []);
      assert.equal(await store.markBlockTold('shop', 'xmpp:mallory@evil.example'), true);
      assert.equal(await store.markBlockTold('shop', 'xmpp:mallory@evil.example'), false, 'told once');
      assert.equal(await store.markBlockTold('shop', 'xmpp:nobody@example.org'), false);
      assert.equal((await store.blockOf('shop', 'xmpp:mallory@evil.example'))?.told, true);
      assert.equal(await store.unblock('shop', 'xmpp:mallory@evil.example'), true);
      assert.equal(await store.unblock('shop', 'xmpp:mallory@evil.example'), false);
      assert.equal(await store.blockOf('shop', 'xmpp:mallory@evil.example'), null);
    });

    it('erases the webhook deliveries that name a party as its site writes it, and only those', async () => {
      await store.upsertParty({ address: 'web:u_dana@shop', siteKey: 'shop', role: 'visitor', verified: true });
      await store.upsertParty({ address: 'xmpp:al@x.org', siteKey: 'shop', role: 'visitor', verified: true });
      await store.enqueueWebhooks([
        // Webhook bodies carry the site's own form of a web identity (no `@shop`).
        { id: 'dana', hook: 'h', event: 'conversation.message', siteKey: 'shop', body: JSON.stringify({ message: { from: 'web:u_dana' } }) },
        { id: 'al', hook: 'h', event: 'conversation.message', siteKey: 'shop', body: JSON.stringify({ message: { from: 'xmpp:al@x.org' } }) },
        { id: 'al-longer', hook: 'h', event: 'conversation.message', siteKey: 'shop', body: JSON.stringify({ message: { from: 'xmpp:al@x.org.uk' } }) },
      ]);
      await store.eraseParty('shop', 'web:u_dana@shop');
      await store.eraseParty('shop', 'xmpp:al@x.org');
      assert.deepEqual(
        (await store.pendingWebhooks('h', 10)).map((d) => d.id),
        ['al-longer'],
      );
    });

    it('exports and erases one party of one site, and nothing of another site', async () => {
      const party = { address: 'web:u_x', role: 'visitor', verified: true, name: 'X' } as const;
      await store.upsertParty({ ...party, siteKey: 'shop' });
      const own = await store.createConversation({ siteKey: 'shop', openedBy: 'web:u_x', participants: ['web:u_x', 'xmpp:agent@x.test'] });
      await store.appendMessage({
        conversationId: own.id,
        from: 'web:u_x',
        text: 'mine',
        status: 'accepted',
        outbox: [{ recipient: 'xmpp:agent@x.test', network: 'xmpp' }],
      });
      await store.appendMessage({
        conversationId: own.id,
        from: 'xmpp:agent@x.test',
        text: 'reply',
        status: 'accepted',
        outbox: [],
        remote: { network: 'xmpp', id: 'r1' },
      });
      await store.saveOffer({ conversationId: own.id, agentId: 'alice', deadline: 1000, declined: [] });
      await store.swapConversationMark(own.id, { state: 'open' });
      const joined = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2', 'web:u_x'] });
      await store.appendMessage({ conversationId: joined.id, from: 'web:u_x', text: 'joined', status: 'accepted', outbox: [] });
      await store.appendMessage({
        conversationId: joined.id,
        from: 'web:v_2',
        text: 'stays',
        status: 'accepted',
        outbox: [{ recipient: 'web:u_x', network: 'irc' }],
      });
      const elsewhere = await store.createConversation({ siteKey: 'blog', openedBy: 'web:u_y', participants: ['web:u_y', 'web:u_x'] });
      await store.appendMessage({ conversationId: elsewhere.id, from: 'web:u_x', text: 'on the blog', status: 'accepted', outbox: [] });
      await store.enqueueWebhooks([
        { id: 'about-x', hook: 'h', event: 'conversation.message', siteKey: 'shop', body: '{"from":"web:u_x"}' },
        { id: 'about-own', hook: 'h', event: 'conversation.opened', siteKey: 'shop', body: JSON.stringify({ conversationId: own.id }) },
        { id: 'about-x-on-blog', hook: 'h', event: 'conversation.message', siteKey: 'blog', body: '{"from":"web:u_x"}' },
        { id: 'unrelated', hook: 'h', event: 'conversation.opened', siteKey: 'shop', body: '{}' },
      ]);
      await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'web:u_x' }, true);
      await store.setTeamSubscriber({ team: 'support', subscriber: 'web:u_x' }, true);
      await store.setConversationSubject(own.id, 'My order');
      await store.setConversationThread(own.id, 'email', '["<own@x.test>"]');
      await store.setConversationThread(joined.id, 'email', '["<joined@x.test>"]');

      const data = await store.partyData('shop', 'web:u_x');
      assert.equal(data.conversations.find((c) => c.conversation.id === own.id)?.conversation.subject, 'My order');
      assert.deepEqual(data.party, { ...party, siteKey: 'shop' });
      assert.deepEqual(
        data.conversations.map((c) => [c.conversation.id, c.messages.map((m) => m.text)]).sort(),
        [
          [own.id, ['mine', 'reply']],
          [joined.id, ['joined', 'stays']],
        ].sort(),
      );
      assert.deepEqual((await store.partyData('blog', 'web:u_x')).party, null, 'the party is of another site');
      assert.deepEqual(
        (await store.partyData('blog', 'web:u_x')).conversations.map((c) => c.conversation.id),
        [elsewhere.id],
      );

      assert.deepEqual(await store.eraseParty('shop', 'web:u_x'), { conversations: 1, messages: 3, parties: 1, blobs: [] });
      assert.equal(await store.getConversation(own.id), null);
      assert.equal(await store.outboxDepth('xmpp'), 0);
      assert.equal(await store.outboxDepth('irc'), 0);
      assert.deepEqual(await store.offers(), []);
      assert.deepEqual(
        (await store.pendingWebhooks('h', 10)).map((d) => d.id),
        ['about-x-on-blog', 'unrelated'],
      );
      assert.deepEqual(
        (await store.history(joined.id, { limit: 10 })).messages.map((m) => m.text),
        ['stays'],
      );
      assert.deepEqual((await store.getConversation(joined.id))!.participants, ['web:v_2']);
      assert.deepEqual(
        (await store.history(elsewhere.id, { limit: 10 })).messages.map((m) => m.text),
        ['on the blog'],
      );
      assert.deepEqual((await store.getConversation(elsewhere.id))!.participants, ['web:u_y', 'web:u_x']);
      assert.equal(await store.getParty('web:u_x'), null);
      assert.deepEqual(await store.gatewayFollows(), []);
      assert.deepEqual(await store.teamSubscribers('web'), []);
      assert.equal(await store.conversationThread(own.id, 'email'), null);
      assert.equal(await store.conversationThread(joined.id, 'email'), '["<joined@x.test>"]', 'a conversation that stays keeps its thread');
      // The remote id of an erased message may come again: it is a new message then.
      const again = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_3', participants: ['web:v_3'] });
      assert.equal((await append(again.id, { from: 'xmpp:agent@x.test', remote: { network: 'xmpp', id: 'r1' } })).kind, 'stored');
      assert.deepEqual(await store.eraseParty('shop', 'web:u_x'), { conversations: 0, messages: 0, parties: 0, blobs: [] });
      assert.deepEqual(await store.partyData('shop', 'web:u_x'), { party: null, conversations: [] });
    });

    it('keeps a customer on their own network once for every site they write to: each site that heard from them exports and finds them, erasures file them under another', async () => {
      const bob = 'xmpp:bob@x.test';
      await store.upsertParty({ address: bob, siteKey: 'shop', role: 'visitor', name: 'Bob Smithers', verified: false });
      const onShop = await store.createConversation({ siteKey: 'shop', openedBy: bob, participants: [bob], team: 'support' });
      const onBlog = await store.createConversation({ siteKey: 'blog', openedBy: bob, participants: [bob], team: 'support' });
      await append(onShop.id, { from: bob, text: 'about my order' });
      await append(onBlog.id, { from: bob, text: 'about a post' });
      // An outreach the customer never answered: the forum has heard nothing from them.
      const onForum = await store.createConversation({ siteKey: 'forum', openedBy: bob, participants: [bob], team: 'support' });
      await append(onForum.id, { from: 'web:a_agent@forum', text: 'we have news for you' });

      for (const [site, conversationId] of [
        ['shop', onShop.id],
        ['blog', onBlog.id],
      ] as const) {
        assert.equal(await store.heardFrom(site, bob), true, site);
        assert.equal((await store.partyData(site, bob)).party?.name, 'Bob Smithers', site);
        assert.deepEqual(
          (await store.searchInbox(site, 'smithers', 20)).map((hit) => [hit.kind, hit.conversationId]),
          [['customer', conversationId]],
          site,
        );
      }
      assert.equal(await store.heardFrom('forum', bob), false);
      assert.equal((await store.partyData('forum', bob)).party, null, 'a site that never heard from them');
      assert.deepEqual(await store.searchInbox('forum', 'smithers', 20), []);
      // A site's own web visitor and an agent stay theirs, whoever else heard from them.
      await store.upsertParty({ address: 'web:v_9', siteKey: 'shop', role: 'visitor', name: 'Vera Smithers', verified: false });
      const veraOnBlog = await store.createConversation({ siteKey: 'blog', openedBy: 'web:v_9', participants: ['web:v_9'], team: 'support' });
      await append(veraOnBlog.id, { from: 'web:v_9' });
      assert.equal((await store.partyData('blog', 'web:v_9')).party, null);
      const erin = 'xmpp:erin@x.test';
      await store.upsertParty({ address: erin, siteKey: 'shop', role: 'agent', name: 'Erin', verified: true });
      const erinOnBlog = await store.createConversation({ siteKey: 'blog', openedBy: erin, participants: [erin] });
      await append(erinOnBlog.id, { from: erin });
      assert.equal((await store.partyData('blog', erin)).party, null);
      assert.equal((await store.eraseParty('blog', erin)).parties, 0);
      assert.equal((await store.getParty(erin))?.name, 'Erin');

      assert.equal((await store.eraseParty('forum', bob)).parties, 0, 'the shop and the blog heard from them');
      assert.equal((await store.getParty(bob))?.siteKey, 'shop');
      assert.equal((await store.eraseParty('shop', bob)).parties, 0, 'the blog still heard from them');
      assert.deepEqual(await store.getParty(bob), { address: bob, siteKey: 'blog', role: 'visitor', name: 'Bob Smithers', verified: false });
      assert.equal((await store.partyData('shop', bob)).party, null);
      assert.equal((await store.partyData('blog', bob)).party?.name, 'Bob Smithers');
      assert.deepEqual(
        (await store.searchInbox('blog', 'smithers', 20)).map((hit) => hit.conversationId),
        [onBlog.id],
      );
      assert.equal((await store.eraseParty('blog', bob)).parties, 1, 'no site hears from them any more');
      assert.equal(await store.getParty(bob), null);

      // Filed under a site that holds nothing of them any more, and not heard from elsewhere: the next erasure deletes it.
      const carl = 'sip:carl@x.test';
      await store.upsertParty({ address: carl, siteKey: 'shop', role: 'visitor', name: 'Carl', verified: false });
      await store.createConversation({ siteKey: 'blog', openedBy: carl, participants: [carl], team: 'support' });
      assert.equal((await store.eraseParty('blog', carl)).parties, 1);
      assert.equal(await store.getParty(carl), null);
    });

    describe('agent console', () => {
      it('keeps sign-in sessions across restarts and nodes until they expire or are deleted', async () => {
        const now = Date.now();
        const alice = {
          idHash: 'a'.repeat(64),
          siteKey: 'shop',
          agent: 'alice',
          createdAt: now,
          expiresAt: now + 60_000,
          passwordFingerprint: '0123456789abcdef',
        };
        await store.createAgentSession(alice);
        await store.createAgentSession({ idHash: 'b'.repeat(64), siteKey: 'shop', agent: 'bob', createdAt: now - 120_000, expiresAt: now - 60_000 });
        await reopen();
        const other = await another();
        assert.deepEqual(await other.agentSession('a'.repeat(64), now), alice);
        assert.equal(await store.agentSession('b'.repeat(64), now), null, 'an expired session signs no one in');
        assert.equal(await store.agentSession('a'.repeat(64), now + 60_000), null, 'expired at its expiry');
        assert.equal(await store.agentSession('c'.repeat(64), now), null);
        assert.equal(await store.deleteExpiredAgentSessions(now), 1);
        assert.equal(await store.deleteAgentSession('a'.repeat(64)), true);
        assert.equal(await store.deleteAgentSession('a'.repeat(64)), false);
        assert.equal(await other.agentSession('a'.repeat(64), now), null, 'a sign-out holds on every node');
      });

      it('records the first customer message and the first response once, and when a conversation closed', async () => {
        const c = await conversation();
        assert.equal(await store.markAgentResponse(c.id, '2026-01-01T10:00:00.000Z'), null, 'no response before a customer message');
        await store.markCustomerMessage(c.id, '2026-01-01T10:01:00.000Z');
        await store.markCustomerMessage(c.id, '2026-01-01T10:02:00.000Z');
        const [first, second] = await Promise.all([
          store.markAgentResponse(c.id, '2026-01-01T10:03:00.000Z'),
          store.markAgentResponse(c.id, '2026-01-01T10:04:00.000Z'),
        ]);
        assert.deepEqual(
          [first, second].filter((x) => x !== null),
          ['2026-01-01T10:01:00.000Z'],
          'one response is the first',
        );
        await store.rateConversation(c.id, 4);
        const closed = await store.setConversationState(c.id, 'closed');
        const other = await store.createConversation({ siteKey: 'blog', openedBy: 'web:v_2', participants: ['web:v_2'] });
        const rows = await store.reportConversations('shop', '2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
        assert.equal(rows.length, 1);
        const row = rows[0]!;
        assert.equal(row.id, c.id);
        assert.equal(row.team, 'support');
        assert.equal(row.openedBy, 'web:v_1');
        assert.equal(row.state, 'closed');
        assert.equal(row.createdAt, c.createdAt);
        assert.equal(row.closedAt, closed.updatedAt);
        assert.equal(row.firstCustomerAt, '2026-01-01T10:01:00.000Z');
        assert.equal(row.firstResponseAt, first ? '2026-01-01T10:03:00.000Z' : '2026-01-01T10:04:00.000Z');
        assert.equal(row.rating, 4);
        assert.equal(row.assignee, undefined);
        await store.setConversationState(c.id, 'open');
        assert.equal(
          (await store.reportConversations('shop', '2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'))[0]!.closedAt,
          undefined,
          'reopened: open',
        );
        assert.deepEqual(await store.reportConversations('shop', c.createdAt, c.createdAt), [], 'the end is exclusive');
        assert.equal((await store.reportConversations('blog', other.createdAt, '2100-01-01T00:00:00.000Z')).length, 1);
      });
    });

    describe('files', () => {
      let serial = 0;
      const file = (conversationId: string, extra: Partial<FileRecord> = {}): FileRecord => {
        serial += 1;
        return {
          id: `f_${serial}`,
          name: `shot-${serial}.png`,
          type: 'image/png',
          size: 100 + serial,
          sha256: `${serial}`.padStart(64, 'a'),
          siteKey: 'shop',
          conversationId,
          uploadedBy: 'web:v_1',
          createdAt: new Date().toISOString(),
          blob: `${serial}`.padStart(64, 'a'),
          ...extra,
        };
      };

      it('keeps a file, and binds it to the message that carries it, in the order given', async () => {
        const c = await conversation();
        const png = file(c.id, { width: 640, height: 480 });
        const pdf = file(c.id, { name: 'report.pdf', type: 'application/pdf' });
        await store.createFile(png);
        await store.createFile(pdf);
        assert.deepEqual(await store.getFile(png.id), png);
        assert.equal(await store.getFile('f_none'), null);
        const sent = await append(c.id, { clientId: 'with-files', text: '', attachments: [pdf.id, png.id] });
        assert.equal(sent.kind, 'stored');
        const expected = [
          { id: pdf.id, name: 'report.pdf', type: 'application/pdf', size: pdf.size, sha256: pdf.sha256 },
          { id: png.id, name: png.name, type: 'image/png', size: png.size, sha256: png.sha256, width: 640, height: 480 },
        ];
        assert.deepEqual(sent.message.attachments, expected);
        assert.deepEqual((await store.getMessage(sent.message.id))!.attachments, expected);
        assert.deepEqual((await store.history(c.id, { limit: 10 })).messages[0]!.attachments, expected);
        assert.equal((await store.getFile(png.id))!.messageId, sent.message.id);
        const again = await append(c.id, { clientId: 'with-files', text: '', attachments: [pdf.id, png.id] });
        assert.equal(again.kind, 'duplicate', 'a resend is the first message, its files already bound');
        assert.equal((await append(c.id)).message.attachments, undefined, 'a message without files has none');
        await reopen();
        assert.deepEqual((await store.getMessage(sent.message.id))!.attachments, expected);
      });

      it('refuses, storing nothing, a file that is unknown, of another conversation or sender, or sent already', async () => {
        const c = await conversation();
        const other = await conversation();
        const theirs = file(c.id, { uploadedBy: 'web:v_2' });
        const elsewhere = file(other.id);
        const mine = file(c.id);
        for (const each of [theirs, elsewhere, mine]) await store.createFile(each);
        const refusals: [string[], RegExp][] = [
          [['f_none'], /attachments: file "f_none" does not exist/],
          [[mine.id, theirs.id], /was uploaded by someone else/],
          [[elsewhere.id], /was uploaded to another conversation/],
        ];
        for (const [ids, reason] of refusals) {
          await assert.rejects(append(c.id, { attachments: ids }), (error: Error) => error instanceof FileClaimError && reason.test(error.message));
        }
        assert.equal((await store.getConversation(c.id))!.lastSeq, 0, 'no message, no seq used');
        assert.equal((await store.getFile(mine.id))!.messageId, undefined, 'a refused message binds none of its files');
        await append(c.id, { attachments: [mine.id] });
        await assert.rejects(append(c.id, { attachments: [mine.id] }), /was sent with another message already/);
        assert.equal((await store.getConversation(c.id))!.lastSeq, 1);
      });

      it("moves a sender's files not sent yet to another conversation, and no one else's", async () => {
        const closed = await conversation();
        const fresh = await conversation();
        const mine = file(closed.id);
        const theirs = file(closed.id, { uploadedBy: 'web:v_2' });
        const sent = file(closed.id);
        for (const each of [mine, theirs, sent]) await store.createFile(each);
        await append(closed.id, { attachments: [sent.id] });
        assert.equal(await store.moveUnsentFiles([mine.id, theirs.id, sent.id, 'f_none'], closed.id, fresh.id, 'web:v_1'), 1);
        assert.equal((await store.getFile(mine.id))!.conversationId, fresh.id);
        assert.equal((await store.getFile(theirs.id))!.conversationId, closed.id);
        assert.equal((await store.getFile(sent.id))!.conversationId, closed.id);
        assert.equal((await append(fresh.id, { attachments: [mine.id] })).kind, 'stored');
      });

      it("records a preview, counts a site's bytes, and tells which blobs are still used", async () => {
        const c = await conversation();
        const png = file(c.id);
        await store.createFile(png);
        await store.setFileThumbnail(png.id, `${png.blob}-t320`);
        assert.equal((await store.getFile(png.id))!.thumbnailBlob, `${png.blob}-t320`);
        await store.createFile(file(c.id, { blob: png.blob, sha256: png.sha256, size: 1000 }));
        assert.equal(await store.siteFileBytes('shop'), png.size + 1000);
        assert.equal(await store.siteFileBytes('blog'), 0);
        assert.deepEqual([...(await store.blobsInUse([png.blob, `${png.blob}-t320`, 'unknown'].sort()))].sort(), [png.blob, `${png.blob}-t320`].sort());
      });

      it("records a file within a quota only while the site's files with it fit, even when several are recorded at once", async () => {
        const c = await conversation();
        const used = await store.siteFileBytes('shop');
        const quota = used + 350;
        // Three of 100 bytes fit in 350; of five recorded at once, only three are.
        const files = Array.from({ length: 5 }, () => file(c.id, { size: 100 }));
        const recorded = await Promise.all(files.map((each) => store.createFile(each, quota)));
        assert.deepEqual(recorded.filter(Boolean).length, 3);
        assert.equal(await store.siteFileBytes('shop'), used + 300);
        for (const [index, each] of files.entries()) assert.equal((await store.getFile(each.id)) !== null, recorded[index]);
        assert.equal(await store.createFile(file(c.id, { size: 50 }), quota), true, 'what still fits is recorded');
      });

      it('deletes files never sent that are older than a time, releasing only blobs no file uses', async () => {
        const c = await conversation();
        const old = file(c.id, { createdAt: '2026-01-01T00:00:00.000Z' });
        const twin = file(c.id, { createdAt: '2026-01-01T00:00:00.000Z', blob: 'shared', sha256: 'shared' });
        const sentTwin = file(c.id, { createdAt: '2026-01-01T00:00:00.000Z', blob: 'shared', sha256: 'shared' });
        const recent = file(c.id);
        for (const each of [old, twin, sentTwin, recent]) await store.createFile(each);
        await append(c.id, { attachments: [sentTwin.id] });
        assert.deepEqual(await store.deleteUnsentFiles('2026-06-01T00:00:00.000Z'), [old.blob]);
        assert.equal(await store.getFile(old.id), null);
        assert.equal(await store.getFile(twin.id), null);
        assert.notEqual(await store.getFile(sentTwin.id), null, 'a sent file stays');
        assert.notEqual(await store.getFile(recent.id), null, 'a recent upload stays');
      });

      it('empties what a retraction takes back: the original and its corrections lose their text, files and search entries', async () => {
        const c = await conversation();
        await store.addParticipant(c.id, 'xmpp:al@x.org');
        const photo = file(c.id);
        const kept = file(c.id, { blob: 'shared', sha256: 'shared' });
        const twin = file(c.id, { blob: 'shared', sha256: 'shared' });
        for (const each of [photo, kept, twin]) await store.createFile(each);
        const toAl = [{ recipient: 'xmpp:al@x.org' as const, network: 'xmpp' }];
        // Each message's `conversation.message` delivery, waiting for a receiver that is down.
        const hooked = (name: string): Partial<NewMessage> => ({
          webhooks: (message) => [
            {
              id: `w-${name}`,
              hook: 'h1',
              event: 'conversation.message',
              siteKey: 'shop',
              conversationId: c.id,
              body: JSON.stringify({ data: { conversationId: c.id, message } }),
            },
          ],
        });
        const original = await append(c.id, { text: 'my card is 4471 0000', attachments: [photo.id, twin.id], outbox: toAl, ...hooked('original') });
        const answer = await append(c.id, { from: 'xmpp:al@x.org', text: 'noted, card 4471', ...hooked('answer') });
        const corrected = await append(c.id, { text: 'my card is 4471 0001', corrects: original.message.id, ...hooked('corrected') });
        const other = await append(c.id, { text: 'and my card 4471 expires soon', attachments: [kept.id], ...hooked('other') });
        assert.equal((await store.searchInbox('shop', '4471', 20)).length, 4);
        const retraction = await append(c.id, { text: '', corrects: original.message.id, outbox: toAl });
        // What was not sent yet is not sent at all; the retraction goes all the same.
        assert.deepEqual(
          (await store.pendingOutbox('xmpp', 10)).map((item) => item.message.id),
          [retraction.message.id],
        );
        assert.equal(retraction.kind, 'stored');
        assert.equal(retraction.message.corrects, original.message.id);
        // The twin's blob is still the other message's file's: only the photo's bytes are free.
        const takenBack = retraction.kind === 'stored' ? retraction.takenBack : undefined;
        assert.deepEqual(takenBack && { ...takenBack, webhooks: [...takenBack.webhooks].sort((a, b) => a.id.localeCompare(b.id)) }, {
          messages: [original.message.id, corrected.message.id].sort(),
          blobs: [photo.blob],
          webhooks: [
            { id: 'w-corrected', hook: 'h1' },
            { id: 'w-original', hook: 'h1' },
          ],
        });
        // Nor are webhook receivers told of what was taken back (the retraction's own delivery tells
        // them); the sender's other message still goes.
        assert.deepEqual(
          (await store.pendingWebhooks('h1', 10)).map((delivery) => delivery.id),
          ['w-answer', 'w-other'],
        );
        assert.equal(await store.getFile(photo.id), null);
        assert.equal(await store.getFile(twin.id), null);
        assert.notEqual(await store.getFile(kept.id), null);
        await reopen();
        const history = await store.history(c.id, { limit: 10 });
        assert.deepEqual(
          history.messages.map((m) => [m.id, m.text, m.attachments?.length ?? 0]),
          [
            [original.message.id, '', 0],
            [answer.message.id, 'noted, card 4471', 0],
            [corrected.message.id, '', 0],
            [other.message.id, 'and my card 4471 expires soon', 1],
            [retraction.message.id, '', 0],
          ],
        );
        assert.deepEqual((await store.searchInbox('shop', '4471', 20)).map((hit) => hit.seq).sort(), [answer.message.seq, other.message.seq]);
        // A party joining later is caught up on what still says something.
        assert.equal(await store.queueEarlierMessages(c.id, 'xmpp:bo@x.org', 'xmpp'), 2);
        assert.deepEqual(
          (await store.pendingOutbox('xmpp', 10)).filter((item) => item.recipient === 'xmpp:bo@x.org').map((item) => item.message.id),
          [answer.message.id, other.message.id],
        );
      });

      it("goes with its conversation and its uploader's erasure, and with the retention sweep", async () => {
        const own = await store.createConversation({ siteKey: 'shop', openedBy: 'web:u_x', participants: ['web:u_x'] });
        const joined = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2', 'web:u_x'] });
        const inOwn = file(own.id, { uploadedBy: 'web:u_x', thumbnailBlob: 'own-thumb' });
        const agentsInOwn = file(own.id, { uploadedBy: 'web:a_1@shop', blob: 'kept-elsewhere', sha256: 'kept-elsewhere' });
        const sameContent = file(joined.id, { uploadedBy: 'web:v_2', blob: 'kept-elsewhere', sha256: 'kept-elsewhere' });
        const unsentInJoined = file(joined.id, { uploadedBy: 'web:u_x' });
        const staysInJoined = file(joined.id, { uploadedBy: 'web:v_2' });
        for (const each of [inOwn, agentsInOwn, sameContent, unsentInJoined, staysInJoined]) await store.createFile(each);
        await append(own.id, { from: 'web:u_x', attachments: [inOwn.id] });
        const erased = await store.eraseParty('shop', 'web:u_x');
        assert.deepEqual(erased.blobs.sort(), [inOwn.blob, 'own-thumb', unsentInJoined.blob].sort(), 'the shared content stays: another file uses it');
        for (const gone of [inOwn, agentsInOwn, unsentInJoined]) assert.equal(await store.getFile(gone.id), null);
        assert.notEqual(await store.getFile(sameContent.id), null);
        assert.notEqual(await store.getFile(staysInJoined.id), null);

        await nextMillisecond();
        const swept = await store.sweepSite('shop', new Date(Date.now() + 60_000).toISOString());
        assert.deepEqual(swept.blobs.sort(), ['kept-elsewhere', staysInJoined.blob].sort());
        assert.equal(await store.getFile(staysInJoined.id), null);
      });
    });

    it("sweeps a site's conversations idle since before a time, then its parties nothing refers to", async () => {
      await store.upsertParty({ address: 'web:v_1', siteKey: 'shop', role: 'visitor', verified: false });
      await store.upsertParty({ address: 'web:a_busy@shop', siteKey: 'shop', role: 'agent', verified: true });
      await store.upsertParty({ address: 'web:v_blog', siteKey: 'blog', role: 'visitor', verified: false });
      const c = await conversation();
      await append(c.id, { outbox: [{ recipient: 'xmpp:a@x.test', network: 'xmpp' }] });
      await store.saveOffer({ conversationId: c.id, agentId: 'alice', deadline: 1000, declined: [] });
      await store.enqueueWebhooks([
        // Named by its column; and one that names no conversation, by its body.
        { id: 'about-c', hook: 'h', event: 'conversation.opened', siteKey: 'shop', conversationId: c.id, body: '{"data":{}}' },
        { id: 'naming-c', hook: 'h', event: 'conversation.opened', siteKey: 'shop', body: JSON.stringify({ conversationId: c.id }) },
      ]);
      await store.setConversationThread(c.id, 'email', '["<c@x.test>"]');
      const blog = await store.createConversation({ siteKey: 'blog', openedBy: 'web:v_blog', participants: ['web:v_blog'] });
      await store.setConversationThread(blog.id, 'email', '["<blog@x.test>"]');
      const later = new Date(Date.now() + 60_000).toISOString();
      assert.deepEqual(await store.sweepSite('shop', new Date(0).toISOString()), { conversations: 0, messages: 0, parties: 0, blobs: [] });
      // An agent assigned a conversation that stays is still referred to.
      await nextMillisecond();
      const kept = await store.createConversation({
        siteKey: 'shop',
        openedBy: 'xmpp:bob@x.test',
        participants: ['xmpp:bob@x.test'],
        assignee: 'web:a_busy@shop',
      });
      const beforeKept = kept.updatedAt;
      // About the conversation that stays, quoting the other's id: it stays too.
      await store.enqueueWebhooks([
        { id: 'about-kept', hook: 'h', event: 'conversation.message', siteKey: 'shop', conversationId: kept.id, body: JSON.stringify({ text: `see ${c.id}` }) },
      ]);
      assert.deepEqual(await store.sweepSite('shop', beforeKept), { conversations: 1, messages: 1, parties: 1, blobs: [] });
      assert.equal(await store.getConversation(c.id), null);
      assert.equal(await store.getParty('web:v_1'), null);
      assert.notEqual(await store.getParty('web:a_busy@shop'), null);
      assert.notEqual(await store.getConversation(kept.id), null);
      assert.equal(await store.outboxDepth('xmpp'), 0);
      assert.deepEqual(await store.offers(), []);
      assert.deepEqual(
        (await store.pendingWebhooks('h', 10)).map((delivery) => delivery.id),
        ['about-kept'],
      );
      assert.equal(await store.conversationThread(c.id, 'email'), null);
      assert.notEqual(await store.getConversation(blog.id), null, 'another site is not swept');
      assert.equal(await store.conversationThread(blog.id, 'email'), '["<blog@x.test>"]');
      assert.notEqual(await store.getParty('web:v_blog'), null);
      assert.deepEqual(await store.sweepSite('blog', later), { conversations: 1, messages: 0, parties: 1, blobs: [] });
      assert.equal(await store.conversationThread(blog.id, 'email'), null);
    });

    it('keeps the address a message came through, in history and the outbox', async () => {
      const c = await conversation();
      const through = await append(c.id, { text: 'from my phone', sentFrom: 'xmpp:dana@x.test', outbox: [{ recipient: 'xmpp:al@x.org', network: 'xmpp' }] });
      const plain = await append(c.id);
      assert.equal(through.message.sentFrom, 'xmpp:dana@x.test');
      assert.equal(plain.message.sentFrom, undefined);
      assert.equal((await store.getMessage(through.message.id))?.sentFrom, 'xmpp:dana@x.test');
      const history = await store.history(c.id, { limit: 10 });
      assert.deepEqual(
        history.messages.map((m) => m.sentFrom),
        ['xmpp:dana@x.test', undefined],
      );
      assert.equal((await store.pendingOutbox('xmpp', 10))[0]?.message.sentFrom, 'xmpp:dana@x.test');
    });

    it("keeps which earlier message of the sender's a message corrects, only one in the same conversation", async () => {
      const c = await conversation();
      const other = await conversation();
      await store.addParticipant(c.id, 'xmpp:al@x.org');
      const original = await append(c.id, { text: 'Helo' });
      const theirs = await append(c.id, { from: 'xmpp:al@x.org', text: 'hi' });
      const elsewhere = await append(other.id, { text: 'elsewhere' });
      const correction = await append(c.id, { text: 'Hello', corrects: original.message.id, outbox: [{ recipient: 'xmpp:al@x.org', network: 'xmpp' }] });
      const ofAnother = await append(c.id, { text: 'not mine', corrects: theirs.message.id });
      const acrossConversations = await append(c.id, { text: 'not here', corrects: elsewhere.message.id });
      const ofNothing = await append(c.id, { text: 'nothing', corrects: 'm_unknown' });
      // A message taken back stays so: a correction of it after its retraction is a message of its
      // own, not text back in its place; a retraction of it again is still one.
      const takenBack = await append(c.id, { text: 'Sent too soon' });
      const retraction = await append(c.id, { text: '', corrects: takenBack.message.id });
      const afterRetraction = await append(c.id, { text: 'Sent too soon, again', corrects: takenBack.message.id });
      const retractedAgain = await append(c.id, { text: '', corrects: takenBack.message.id });
      assert.equal(correction.message.corrects, original.message.id);
      for (const plain of [ofAnother, acrossConversations, ofNothing, afterRetraction]) assert.equal(plain.message.corrects, undefined);
      for (const taking of [retraction, retractedAgain]) assert.equal(taking.message.corrects, takenBack.message.id);
      assert.equal((await store.getMessage(correction.message.id))?.corrects, original.message.id);
      assert.equal((await store.pendingOutbox('xmpp', 10))[0]?.message.corrects, original.message.id);
      await reopen();
      const history = await store.history(c.id, { limit: 10 });
      assert.deepEqual(
        history.messages.map((m) => m.corrects),
        [undefined, undefined, original.message.id, undefined, undefined, undefined, undefined, takenBack.message.id, undefined, takenBack.message.id],
      );
    });

    it('keeps one continuation per conversation across a restart, and finds the live ones by address', async () => {
      const c = await conversation();
      const other = await conversation();
      const pending = {
        conversationId: c.id,
        siteKey: 'shop',
        visitor: 'web:v_1' as const,
        address: 'xmpp:dana@x.test' as const,
        state: 'pending' as const,
        proof: 'code' as const,
        codeHash: 'h1',
        expiresAt: 1_900_000_000_000,
        attemptsLeft: 5,
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
      await store.saveContinuation(pending);
      await store.saveContinuation({ ...pending, conversationId: other.id, state: 'stopped', reason: 'visitor', updatedAt: '2026-01-01T00:00:01.000Z' });
      assert.deepEqual(await store.continuationOf(c.id), pending);
      assert.deepEqual(
        (await store.continuationsAt('xmpp:dana@x.test')).map((r) => r.conversationId),
        [c.id],
        'a stopped one is not live',
      );
      // With the team it began with (after a transfer, its address still writes to that team's).
      const active = { ...pending, state: 'active' as const, provenAt: '2026-01-01T00:00:02.000Z', updatedAt: '2026-01-01T00:00:02.000Z', team: 'support' };
      delete (active as Partial<typeof active>).codeHash;
      delete (active as Partial<typeof active>).expiresAt;
      delete (active as Partial<typeof active>).attemptsLeft;
      await store.saveContinuation(active);
      await reopen();
      assert.deepEqual(await store.continuationOf(c.id), active, 'replaced, not added; durable');
      assert.equal(await store.continuationOf('c_missing'), null);
      await store.deleteContinuation(c.id);
      assert.equal(await store.continuationOf(c.id), null);
      assert.deepEqual(await store.continuationsAt('xmpp:nobody@x.test'), []);
    });

    it('erases continuations with their conversation, and those at an erased address', async () => {
      const c = await conversation();
      const base = { siteKey: 'shop', visitor: 'web:v_1' as const, state: 'active' as const, proof: 'code' as const, updatedAt: '2026-01-01T00:00:00.000Z' };
      await store.saveContinuation({ ...base, conversationId: c.id, address: 'xmpp:dana@x.test' });
      const elsewhere = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2'], team: 'support' });
      await store.saveContinuation({ ...base, conversationId: elsewhere.id, visitor: 'web:v_2', address: 'sip:al@x.org' });
      await store.eraseParty('shop', 'web:v_1');
      assert.equal(await store.continuationOf(c.id), null);
      await store.eraseParty('other-site', 'sip:al@x.org');
      assert.notEqual(await store.continuationOf(elsewhere.id), null, "another site's erasure leaves it");
      await store.eraseParty('shop', 'sip:al@x.org');
      assert.equal(await store.continuationOf(elsewhere.id), null);
    });

    it('answers ping while open', async () => {
      assert.equal(await store.ping(), true);
    });

    describe('contacts', () => {
      const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
      const link = (party: string, address?: string, minute = 0, newId = `k_${party}`, siteKey = 'shop') =>
        store.linkContact({
          siteKey,
          newId,
          at: at(minute),
          party: { address: party as Address, proof: 'session' },
          ...(address !== undefined ? { address: { address: address as Address, proof: 'code' } } : {}),
        });

      it('records an address as a contact of its own, then links proven addresses into it, once', async () => {
        const id = await link('web:v_1');
        assert.equal(await link('web:v_1', undefined, 5, 'k_other'), id, 'an address keeps its contact');
        assert.equal(await link('web:v_1', 'xmpp:dana@example.org', 1), id);
        assert.equal(await link('web:v_1', 'xmpp:dana@example.org', 2), id, 'linking again changes nothing');
        await reopen();
        const contact = await store.contactOf('shop', 'xmpp:dana@example.org');
        assert.equal(contact?.id, id);
        assert.deepEqual(contact.addresses, [
          { address: 'web:v_1', proof: 'session', provenAt: at(0) },
          { address: 'xmpp:dana@example.org', proof: 'code', provenAt: at(1) },
        ]);
        assert.deepEqual(contact.merges, []);
        assert.deepEqual(await store.contactById('shop', id), contact);
      });

      it("folds a proven address's own contact into the party's, with every address of it", async () => {
        const visitor = await link('web:v_1', 'sip:dana@example.com', 0);
        const user = await link('web:u_dana@shop', undefined, 1);
        assert.equal(await link('web:u_dana@shop', 'web:v_1', 2), user);
        const contact = await store.contactOf('shop', 'sip:dana@example.com');
        assert.equal(contact?.id, user);
        assert.deepEqual(
          contact.addresses.map((a) => [a.address, a.proof]),
          [
            ['sip:dana@example.com', 'code'],
            ['web:u_dana@shop', 'session'],
            ['web:v_1', 'code'],
          ],
        );
        assert.equal(await store.contactById('shop', visitor), null, 'the folded contact is gone');
      });

      it('undoes chained merges in either order, each address back in its own contact', async () => {
        for (const [n, order] of [
          [1, ['m_ab', 'm_bc']],
          [2, ['m_bc', 'm_ab']],
        ] as const) {
          const [a, b, c] = [await link(`web:v_a${n}`), await link(`web:v_b${n}`), await link(`web:v_c${n}`)];
          const id = (merge: string) => `${merge}${n}`;
          await store.mergeContacts({ siteKey: 'shop', id: id('m_ab'), from: a, into: b, by: 'web:a_bob@shop', at: at(1) });
          await store.mergeContacts({ siteKey: 'shop', id: id('m_bc'), from: b, into: c, by: 'web:a_bob@shop', at: at(2) });
          assert.deepEqual((await store.contactById('shop', c))?.addresses.map((x) => x.address).sort(), [`web:v_a${n}`, `web:v_b${n}`, `web:v_c${n}`]);
          for (const merge of order) assert.ok(await store.unmergeContacts('shop', id(merge), at(3)), merge);
          for (const [contact, address] of [
            [a, `web:v_a${n}`],
            [b, `web:v_b${n}`],
            [c, `web:v_c${n}`],
          ] as const) {
            assert.deepEqual(
              (await store.contactById('shop', contact))?.addresses.map((x) => x.address),
              [address],
              `${order.join(' then ')}: ${address}`,
            );
          }
        }
      });

      it('keeps each site apart: the same address is two contacts, and no site reaches another one', async () => {
        const shop = await link('xmpp:carol@example.com');
        const blog = await link('xmpp:carol@example.com', 'sip:carol@example.com', 0, 'k_blog', 'blog');
        assert.notEqual(shop, blog);
        assert.equal(await store.contactOf('shop', 'sip:carol@example.com'), null);
        assert.equal(await store.contactById('shop', blog), null);
        assert.equal(await store.mergeContacts({ siteKey: 'shop', id: 'm_x', from: blog, into: shop, by: 'web:a_bob@shop', at: at(3) }), null);
        assert.equal(await store.eraseContact('shop', blog), false);
        assert.equal((await store.contactById('blog', blog))?.addresses.length, 2);
      });

      it('merges two contacts and undoes it, the addresses back with their proofs, across a restart', async () => {
        const a = await link('web:v_1', 'xmpp:dana@example.org', 0);
        const b = await link('sip:dana@example.com', undefined, 1);
        const merge = await store.mergeContacts({ siteKey: 'shop', id: 'm_1', from: b, into: a, by: 'web:a_bob@shop', at: at(2) });
        assert.deepEqual(merge, { id: 'm_1', siteKey: 'shop', into: a, from: b, addresses: ['sip:dana@example.com'], by: 'web:a_bob@shop', at: at(2) });
        await reopen();
        const merged = await store.contactOf('shop', 'sip:dana@example.com');
        assert.equal(merged?.id, a);
        assert.deepEqual(
          merged.addresses.find((x) => x.address === 'sip:dana@example.com'),
          { address: 'sip:dana@example.com', proof: 'merge', provenAt: at(2) },
        );
        assert.deepEqual(
          merged.merges.map((m) => m.id),
          ['m_1'],
        );
        assert.equal(await store.contactById('shop', b), null);
        assert.equal(await store.unmergeContacts('blog', 'm_1', at(3)), null, "another site's merge is not found");
        const undone = await store.unmergeContacts('shop', 'm_1', at(3));
        assert.equal(undone?.undoneAt, at(3));
        assert.equal(await store.unmergeContacts('shop', 'm_1', at(4)), null, 'a merge is undone once');
        assert.deepEqual((await store.contactById('shop', b))?.addresses, [{ address: 'sip:dana@example.com', proof: 'session', provenAt: at(1) }]);
        const back = await store.contactById('shop', a);
        assert.deepEqual(
          back?.addresses.map((x) => x.address),
          ['web:v_1', 'xmpp:dana@example.org'],
        );
        assert.deepEqual(back.merges, []);
      });

      it("lists a site's conversations opened by or with any of the addresses, newest first, capped", async () => {
        const first = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
        await nextMillisecond();
        const second = await store.createConversation({
          siteKey: 'shop',
          openedBy: 'web:a_bob@shop',
          participants: ['web:a_bob@shop', 'xmpp:dana@example.org'],
        });
        await nextMillisecond();
        await store.createConversation({ siteKey: 'blog', openedBy: 'xmpp:dana@example.org', participants: ['xmpp:dana@example.org'], team: 'support' });
        await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2'], team: 'support' });
        const found = await store.contactConversations('shop', ['web:v_1', 'xmpp:dana@example.org'], 50);
        assert.deepEqual(
          found.map((c) => c.id),
          [second.id, first.id],
        );
        assert.deepEqual(
          (await store.contactConversations('shop', ['web:v_1', 'xmpp:dana@example.org'], 1)).map((c) => c.id),
          [second.id],
        );
        assert.deepEqual(await store.contactConversations('shop', [], 50), []);
      });

      it('sweeps the contacts none of whose addresses is in a conversation of the site any more', async () => {
        const kept = await link('web:v_1', 'xmpp:dana@example.org', 0);
        const gone = await link('web:v_2', 'sip:erin@example.com', 0);
        await link('web:v_3', undefined, 0, 'k_blog', 'blog');
        await store.createConversation({ siteKey: 'shop', openedBy: 'web:a_bob@shop', participants: ['web:a_bob@shop', 'xmpp:dana@example.org'] });
        await store.createConversation({ siteKey: 'blog', openedBy: 'web:v_2', participants: ['web:v_2'], team: 'support' });
        assert.equal(await store.sweepContacts('shop'), 1);
        assert.equal((await store.contactById('shop', kept))?.addresses.length, 2);
        assert.equal(await store.contactById('shop', gone), null, "another site's conversation keeps nothing here");
        assert.notEqual(await store.contactById('blog', 'k_blog'), null, 'other sites are not swept');
      });

      it('erases a contact with its addresses and the merges into or out of it', async () => {
        const a = await link('web:v_1', 'xmpp:dana@example.org', 0);
        const b = await link('sip:dana@example.com', undefined, 1);
        await store.mergeContacts({ siteKey: 'shop', id: 'm_1', from: b, into: a, by: 'web:a_bob@shop', at: at(2) });
        assert.equal(await store.eraseContact('shop', a), true);
        assert.equal(await store.contactOf('shop', 'sip:dana@example.com'), null);
        assert.equal(await store.contactById('shop', a), null);
        assert.equal(await store.unmergeContacts('shop', 'm_1', at(3)), null, 'its merges went with it');
        assert.equal(await store.eraseContact('shop', a), false);
      });

      it('keeps a merge into a contact that is merged in turn with the contact it went to: listed there, erased with it', async () => {
        const a = await link('web:v_1', undefined, 0);
        const b = await link('sip:dana@example.com', undefined, 1);
        const c = await link('xmpp:dana@example.org', undefined, 2);
        await store.mergeContacts({ siteKey: 'shop', id: 'm_1', from: b, into: a, by: 'web:a_bob@shop', at: at(3) });
        await store.mergeContacts({ siteKey: 'shop', id: 'm_2', from: a, into: c, by: 'web:a_bob@shop', at: at(4) });
        assert.deepEqual((await store.contactById('shop', c))?.merges.map((m) => m.id).sort(), ['m_1', 'm_2']);
        assert.equal(await store.eraseContact('shop', c), true);
        assert.equal(await store.unmergeContacts('shop', 'm_1', at(5)), null, 'no merge outlives the erasure, with the addresses it names');
      });
    });

    describe('writers on several nodes at once', () => {
      /** Two writers: two instances (two pools) where the engine has nodes, else the one instance twice. */
      const nodes = async (): Promise<[Store, Store]> => [store, setup.multiNode ? await another() : store];

      it('gives seq 1..N with no gap and no duplicate when two nodes append to one conversation', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => append(c.id, { text: `t${i}`, from: i % 2 ? 'web:v_1' : 'web:a_x' }, i % 2 ? a : b)),
        );
        assert.deepEqual(
          results.map((r) => r.message.seq).sort((x, y) => x - y),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
        assert.equal((await b.getConversation(c.id))!.lastSeq, 40);
        const history = await a.history(c.id, { limit: 100 });
        assert.deepEqual(
          history.messages.map((m) => m.seq),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
        assert.equal(new Set(history.messages.map((m) => m.text)).size, 40);
      });

      it('tells a blocked customer once when both nodes take their messages at once', async () => {
        const [a, b] = await nodes();
        await a.block({ siteKey: 'shop', address: 'xmpp:mallory@evil.example', by: 'xmpp:erin@example.org' });
        const told = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).markBlockTold('shop', 'xmpp:mallory@evil.example')));
        assert.equal(told.filter(Boolean).length, 1);
      });

      it('stores one message when both nodes receive the same clientId at once', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        for (let round = 0; round < 5; round++) {
          const results = await Promise.all([
            append(c.id, { clientId: `k${round}`, text: 'from a' }, a),
            append(c.id, { clientId: `k${round}`, text: 'from b' }, b),
          ]);
          assert.deepEqual(results.map((r) => r.kind).sort(), ['duplicate', 'stored']);
          assert.equal(results[0].message.id, results[1].message.id);
          assert.equal(results[0].message.seq, round + 1);
        }
        assert.equal((await a.getConversation(c.id))!.lastSeq, 5, 'the losing writer gave its seq back');
      });

      it('stores one message when both nodes receive the same remote id at once', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        const remote = { network: 'xmpp', id: 'stanza-42' };
        const results = await Promise.all([append(c.id, { from: 'xmpp:bob@x.test', remote }, a), append(c.id, { from: 'xmpp:bob@x.test', remote }, b)]);
        assert.deepEqual(results.map((r) => r.kind).sort(), ['duplicate', 'stored']);
        assert.equal(results[0].message.id, results[1].message.id);
        assert.equal((await b.history(c.id, { limit: 10 })).messages.length, 1);
      });

      /** `outboxFor` of a bridge whose XMPP parties get messages through the outbox: every other XMPP participant. */
      const toXmpp = (from: Address) => (participants: readonly Address[]) =>
        participants.filter((p) => p !== from && p.startsWith('xmpp:')).map((recipient) => ({ recipient, network: 'xmpp' }));
      const queuedFor = async (on: Store) => (await on.pendingOutbox('xmpp', 10)).map((item) => `${item.message.text} -> ${item.recipient}`);

      it('queues a message for the parties taking part when it is stored, as assignments and transfers on the other node left them', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        const seen: (readonly Address[])[] = [];
        const toXmppSeen = (participants: readonly Address[]) => {
          seen.push(participants);
          return toXmpp('web:v_1')(participants);
        };
        await a.assignConversation(c.id, 'xmpp:ann@x.test');
        const one = await append(c.id, { text: 'one', outboxFor: toXmppSeen }, b);
        await a.transferConversation(c.id, 'xmpp:bob@x.test');
        const two = await append(c.id, { text: 'two', outboxFor: toXmppSeen }, b);
        // Told with the result, for what goes out from the store (deliveries to web parties).
        assert.deepEqual(
          [one, two].map((result) => result.kind === 'stored' && result.participants),
          seen,
        );
        assert.deepEqual(seen, [
          ['web:v_1', 'xmpp:ann@x.test'],
          ['web:v_1', 'xmpp:bob@x.test'],
        ]);
        assert.deepEqual(await queuedFor(a), ['one -> xmpp:ann@x.test', 'two -> xmpp:bob@x.test']);
      });

      it("sets a message's status from the parties taking part when it is stored, whatever status the sender's node made of them", async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        const statusFor = (participants: readonly Address[]) => (participants.every((p) => p.startsWith('web:')) ? 'sent' : 'accepted');
        await a.assignConversation(c.id, 'web:a_x');
        const one = await append(c.id, { text: 'one', status: 'accepted', statusFor }, b);
        await a.transferConversation(c.id, 'xmpp:ann@x.test');
        const two = await append(c.id, { text: 'two', status: 'sent', statusFor }, b);
        assert.deepEqual([one.message.status, two.message.status], ['sent', 'accepted']);
        assert.deepEqual(
          (await a.history(c.id, { limit: 10 })).messages.map((m) => m.status),
          ['sent', 'accepted'],
        );
      });

      it('leaves a party assigned as joining out on every node until its catch-up, which queues what was said, in order', async () => {
        const [a, b] = await nodes();
        const ann = 'xmpp:ann@x.test';
        const bob = 'xmpp:bob@x.test';
        const c = await conversation(a);
        await append(c.id, { text: 'before' }, b);
        assert.ok(await a.assignIfQueued(c.id, ann, { joining: true }));
        await append(c.id, { text: 'meanwhile', outboxFor: toXmpp('web:v_1') }, b);
        assert.deepEqual(await queuedFor(a), [], 'nothing for the party while it joins');
        assert.equal(await a.queueEarlierMessages(c.id, ann, 'xmpp'), 2);
        await append(c.id, { text: 'after', outboxFor: toXmpp('web:v_1') }, b);
        assert.deepEqual(await queuedFor(b), [`before -> ${ann}`, `meanwhile -> ${ann}`, `after -> ${ann}`]);
        // A transfer marks its new assignee the same way; one without the mark is a recipient at once.
        await a.transferConversation(c.id, bob, undefined, { joining: true });
        await append(c.id, { text: 'to bob, later', outboxFor: toXmpp('web:v_1') }, b);
        assert.equal((await queuedFor(b)).filter((item) => item.endsWith(bob)).length, 0);
        await a.transferConversation(c.id, ann);
        await append(c.id, { text: 'to ann, at once', outboxFor: toXmpp('web:v_1') }, b);
        assert.deepEqual((await queuedFor(b)).at(-1), `to ann, at once -> ${ann}`);
        // A transfer to who has it already (two transfers raced) marks nothing: it has what was said.
        await a.transferConversation(c.id, ann, undefined, { joining: true });
        await append(c.id, { text: 'still to ann', outboxFor: toXmpp('web:v_1') }, b);
        assert.deepEqual((await queuedFor(b)).at(-1), `still to ann -> ${ann}`);
        assert.deepEqual(await b.claimStaleJoinings(0), []);
      });

      it('lets exactly one node take a queued conversation', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        const [x, y] = await Promise.all([a.assignIfQueued(c.id, 'web:a_x'), b.assignIfQueued(c.id, 'web:a_y')]);
        assert.equal([x, y].filter((r) => r !== null).length, 1);
        const winner = (x ?? y)!.assignee;
        assert.deepEqual((await a.getConversation(c.id))!.participants, ['web:v_1', winner]);
      });

      it("keeps a network's outbox in queue order while both nodes queue to it", async () => {
        const [a, b] = await nodes();
        const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
        const outbox = [{ recipient: 'xmpp:a@x.test' as const, network: 'xmpp' }];
        await Promise.all(Array.from({ length: 20 }, (_, i) => append(c.id, { text: `t${i}`, outbox }, i % 2 ? a : b)));
        const items = await b.pendingOutbox('xmpp', 100);
        assert.deepEqual(
          items.map((i) => i.message.seq),
          Array.from({ length: 20 }, (_, i) => i + 1),
          'outbox order is seq order',
        );
      });

      it('lets two readers on two nodes mark overlapping ranges read at once', async () => {
        const [a, b] = await nodes();
        const c = await a.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_x', 'web:a_y'] });
        for (let i = 0; i < 10; i++) await append(c.id, {}, a);
        const [xRead, yRead] = await Promise.all([a.markRead(c.id, 'web:a_x', 10, 100), b.markRead(c.id, 'web:a_y', 10, 100)]);
        const [x, y] = [xRead ?? [], yRead ?? []];
        assert.equal(x.length + y.length, 10, 'each message became read once, for one of them');
        assert.deepEqual(
          [...x, ...y].map((m) => m.seq).sort((p, q) => p - q),
          Array.from({ length: 10 }, (_, i) => i + 1),
        );
        assert.ok((await b.history(c.id, { limit: 100 })).messages.every((m) => m.status === 'read'));
      });

      it('keeps every participant two nodes add at once, each once', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        const joiners = Array.from({ length: 6 }, (_, i) => `web:a_${i}` as const);
        await Promise.all(joiners.map((joiner, i) => (i % 2 ? a : b).addParticipant(c.id, joiner)));
        await Promise.all([a.addParticipant(c.id, 'web:a_0'), b.addParticipant(c.id, 'web:a_0')]);
        const participants = (await a.getConversation(c.id))!.participants;
        assert.equal(participants[0], 'web:v_1');
        assert.deepEqual([...participants].sort(), ['web:v_1', ...joiners].sort());
      });

      it("keeps each hook's webhook deliveries in commit order, losing none, while both nodes queue to it", async () => {
        const [a, b] = await nodes();
        const reader = setup.multiNode ? await another() : store;
        const c = await conversation(a);
        const delivery = (id: string, hook = 'h') => ({ id, hook, event: 'conversation.message', siteKey: 'shop', body: `{"id":"${id}"}` });
        /** One writer's deliveries, queued one call after another: by enqueueWebhooks and with messages. */
        const writer = async (on: Store, name: string) => {
          for (let i = 0; i < 15; i++) {
            if (i % 3 === 2)
              await append(c.id, { text: `${name}${i}`, webhooks: () => [delivery(`${name}-${i}`), delivery(`${name}-${i}-other`, 'other')] }, on);
            else await on.enqueueWebhooks([delivery(`${name}-${i}`), delivery(`${name}-${i}-other`, 'other')]);
          }
        };
        // What a delivery worker reads while they write: each read must extend the last one, never
        // show a delivery that an earlier read had passed over.
        const reads: string[][] = [];
        let writing = true;
        const reading = (async () => {
          while (writing) {
            reads.push((await reader.pendingWebhooks('h', 1000)).map((d) => d.id));
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        await Promise.all([writer(a, 'a'), writer(b, 'b'), writer(a, 'x'), writer(b, 'y')]);
        writing = false;
        await reading;
        const final = (await reader.pendingWebhooks('h', 1000)).map((d) => d.id);
        for (const read of [...reads, final]) assert.deepEqual(final.slice(0, read.length), read, 'a later read kept the earlier order');
        assert.equal(final.length, 60, 'none lost, none twice');
        for (const name of ['a', 'b', 'x', 'y']) {
          assert.deepEqual(
            final.filter((id) => id.startsWith(`${name}-`)),
            Array.from({ length: 15 }, (_, i) => `${name}-${i}`),
            `${name} in the order it queued`,
          );
        }
        assert.equal(await reader.webhookBacklog('other'), 60);
        assert.equal(await reader.webhookBacklog(), 120);
      });

      // One process per database (SQLite): nobody to claim against, a claim is a read.
      if (!setup.multiNode)
        it("answers a claim of a hook's deliveries with those waiting, whatever claimed them before", async () => {
          await store.enqueueWebhooks(['d1', 'd2'].map((id) => ({ id, hook: 'h', event: 'conversation.opened', siteKey: 'shop', body: '{}' })));
          await store.claimWebhooks('h', { holder: 'before-a-crash', forMs: 30_000 }, 10);
          await reopen();
          assert.deepEqual(
            (await store.claimWebhooks('h', { holder: 'after-it', forMs: 30_000 }, 10)).deliveries.map((d) => d.id),
            ['d1', 'd2'],
          );
        });
      else
        it("lets one node at a time claim a hook's deliveries, in order, until its claim runs out or it lets go", async () => {
          const [a, b] = await nodes();
          await a.enqueueWebhooks(['d1', 'd2', 'd3'].map((id) => ({ id, hook: 'h', event: 'conversation.opened', siteKey: 'shop', body: '{}' })));
          await a.enqueueWebhooks([{ id: 'o1', hook: 'other', event: 'conversation.opened', siteKey: 'shop', body: '{}' }]);
          const [first, second] = await Promise.all([
            a.claimWebhooks('h', { holder: 'node-a', forMs: 30_000 }, 2),
            b.claimWebhooks('h', { holder: 'node-b', forMs: 30_000 }, 2),
          ]);
          const winner = first.deliveries.length > 0 ? first : second;
          const loser = winner === first ? second : first;
          assert.deepEqual(
            winner.deliveries.map((d) => d.id),
            ['d1', 'd2'],
          );
          assert.deepEqual(loser.deliveries, []);
          // Counted on the database's clock: what is left of the winner's 30 s.
          assert.ok(loser.busyForMs! > 25_000 && loser.busyForMs! <= 30_000, `busy for ${loser.busyForMs} ms`);
          const [holder, other] = winner === first ? ['node-a', 'node-b'] : ['node-b', 'node-a'];
          // Each attempt asks whether its node still holds the delivery: only the claim's holder does.
          assert.equal(await b.hasWebhook('d1', holder), true);
          assert.equal(await b.hasWebhook('d1', other), false, 'not the holder');
          assert.equal(await b.hasWebhook('d3', holder), false, 'not claimed');
          assert.equal(await b.hasWebhook('d3'), true, 'waiting, whoever may claim it');
          // Another hook is not held by this claim; the holder itself reads on (its own claim).
          assert.deepEqual(
            (await b.claimWebhooks('other', { holder: other, forMs: 30_000 }, 10)).deliveries.map((d) => d.id),
            ['o1'],
          );
          await a.completeWebhook('d1');
          assert.deepEqual(
            (await a.claimWebhooks('h', { holder, forMs: 30_000 }, 10)).deliveries.map((d) => d.id),
            ['d2', 'd3'],
          );
          await b.renewWebhookClaims(holder, 60_000);
          const renewed = await b.claimWebhooks('h', { holder: other, forMs: 30_000 }, 10);
          assert.ok(renewed.deliveries.length === 0 && renewed.busyForMs! > 55_000, `renewed: busy for ${renewed.busyForMs} ms`);
          // Its node died: once the claim ran out, another takes the deliveries over, still in order.
          await b.renewWebhookClaims(holder, 200);
          let taken: { deliveries: { id: string; attempts: number }[]; busyForMs?: number } = { deliveries: [] };
          for (let tries = 0; taken.deliveries.length === 0 && tries < 50; tries++) {
            taken = await b.claimWebhooks('h', { holder: other, forMs: 30_000 }, 10);
            if (taken.deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(100, taken.busyForMs ?? 100)));
          }
          // The node that held them, thawed, no longer does: it must not send what the other took over.
          assert.equal(await a.hasWebhook('d2', holder), false, 'a claim run out and taken over');
          assert.equal(await a.hasWebhook('d2', other), true);
          assert.deepEqual(
            taken.deliveries.map((d) => [d.id, d.attempts]),
            [
              ['d2', 0],
              ['d3', 0],
            ],
          );
          await a.releaseWebhookClaims(other);
          assert.equal((await a.claimWebhooks('h', { holder, forMs: 30_000 }, 10)).deliveries.length, 2, 'let go: claimed at once');
          assert.equal(await a.webhookBacklog('h'), 2, 'a claim removes nothing');
        });

      it('acts once on an offer that ran out when both nodes see it run out', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        await a.saveOffer({ conversationId: c.id, agentId: 'alice', deadline: 5000, declined: [] });
        const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).rescheduleOffer(c.id, 5000, 35_000 + i)));
        assert.equal(claims.filter((claim) => claim === true).length, 1);
        const held = (await a.offers())[0]!.deadline;
        const removed = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).deleteOffer(c.id, held)));
        assert.equal(removed.filter(Boolean).length, 1);
      });

      it('gives different round-robin turns to offers taken at once on both nodes', async () => {
        const [a, b] = await nodes();
        await Promise.all(['alice', 'bob', 'carol', 'dave'].map((agent, i) => (i % 2 ? a : b).takeOfferTurn('support', agent)));
        const turns = [...(await a.offerTurns('support')).values()];
        assert.equal(new Set(turns).size, 4);
      });

      it('tells each change of a conversation once when both nodes swap its webhook mark at once', async () => {
        const [a, b] = await nodes();
        const c = await conversation(a);
        for (let round = 0; round < 5; round++) {
          const marks = [
            { state: 'open', assignee: `web:a_${round}x` },
            { state: 'open', assignee: `web:a_${round}y` },
          ] as const;
          await a.swapConversationMark(c.id, { state: 'open' });
          const [x, y] = await Promise.all([a.swapConversationMark(c.id, marks[0]), b.swapConversationMark(c.id, marks[1])]);
          // One of them swapped first (and saw the plain mark), the other saw what it wrote.
          assert.ok(
            (JSON.stringify(x) === JSON.stringify({ state: 'open' }) && JSON.stringify(y) === JSON.stringify(marks[0])) ||
              (JSON.stringify(y) === JSON.stringify({ state: 'open' }) && JSON.stringify(x) === JSON.stringify(marks[1])),
            JSON.stringify([x, y]),
          );
        }
      });

      it('gives a first webhook mark to one node only when both swap it at once', async () => {
        const [a, b] = await nodes();
        for (let round = 0; round < 5; round++) {
          const c = await conversation(a);
          const results = await Promise.all([a.swapConversationMark(c.id, { state: 'open' }), b.swapConversationMark(c.id, { state: 'closed' })]);
          assert.equal(results.filter((r) => r === null).length, 1, JSON.stringify(results));
        }
      });

      it("leaves nothing of an erased party's conversation while the other node appends to it", async () => {
        const [a, b] = await nodes();
        for (let round = 0; round < 3; round++) {
          const address = `web:u_gone${round}` as const;
          const own = await a.createConversation({ siteKey: 'shop', openedBy: address, participants: [address, 'xmpp:agent@x.test'] });
          await append(own.id, { from: address }, a);
          let erased = false;
          // Appends go on until the erasure is done; each lands before it (and goes with it) or fails after.
          const appending = (async () => {
            let failed = 0;
            for (let i = 0; !erased || failed === 0; i++) {
              const outbox = [{ recipient: 'xmpp:agent@x.test' as const, network: 'xmpp' }];
              const webhooks = () => [
                { id: `w${round}-${i}`, hook: 'h', event: 'conversation.message', siteKey: 'shop', body: JSON.stringify({ conversationId: own.id }) },
              ];
              try {
                await append(own.id, { from: address, text: `t${i}`, outbox, webhooks }, a);
              } catch (error) {
                assert.match((error as Error).message, /does not exist/);
                failed += 1;
              }
            }
          })();
          const counts = await b.eraseParty('shop', address);
          erased = true;
          await appending;
          assert.equal(counts.conversations, 1);
          assert.ok(counts.messages >= 1);
          assert.deepEqual((await a.history(own.id, { limit: 1000 })).messages, [], 'no message outlived its conversation');
          assert.equal(await a.outboxDepth('xmpp'), 0);
          assert.equal(await a.webhookBacklog(), 0);
        }
      });

      it("leaves no thread of an erased party's conversation while the other node records it", async () => {
        const [a, b] = await nodes();
        for (let round = 0; round < 3; round++) {
          const address = `web:u_thread${round}` as const;
          const own = await a.createConversation({ siteKey: 'shop', openedBy: address, participants: [address] });
          let erased = false;
          // Records go on until the erasure is done; each lands before it (and goes with it) or fails after.
          const recording = (async () => {
            let failed = 0;
            for (let i = 0; !erased || failed === 0; i++) {
              try {
                await a.setConversationThread(own.id, 'email', `["<${i}@x.test>"]`);
              } catch (error) {
                assert.match((error as Error).message, /does not exist/);
                failed += 1;
              }
            }
          })();
          assert.equal((await b.eraseParty('shop', address)).conversations, 1);
          erased = true;
          await recording;
          assert.equal(await a.conversationThread(own.id, 'email'), null, 'no thread outlived its conversation');
        }
      });

      it('agrees on one secret when both nodes create it at once', async () => {
        const [a, b] = await nodes();
        const [x, y] = await Promise.all([a.secret('shared'), b.secret('shared')]);
        assert.equal(x, y);
      });
    });
  });
}
