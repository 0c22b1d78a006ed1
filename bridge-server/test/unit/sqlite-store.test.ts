import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Address } from '@switchboard/protocol';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewMessage } from '../../src/store/store.js';
import { until } from '../helpers.js';
import { assertUpgradedConversations, describeInboxStoreContract } from '../inbox-store-contract.js';
import { type StoreContractSetup, describeStoreContract } from '../store-contract.js';

/** A fresh backing for each case of the store's contracts. */
const setup: StoreContractSetup = {
  multiNode: false,
  async backing() {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    const path = join(dir, 'store.db');
    return {
      make: () => new SqliteStore({ path }),
      async destroy() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

describeStoreContract('SQLite', setup);
describeInboxStoreContract('SQLite', setup);

/** Messages in the search index, and messages with text appended after the last one indexed, as `db` reads them. */
function searchCounts(db: Database.Database): { indexed: () => number; pending: () => number } {
  return {
    indexed: () => (db.prepare("SELECT count(*) AS n FROM search_docs WHERE kind = 'message'").get() as { n: number }).n,
    pending: () =>
      (db.prepare("SELECT count(*) AS n FROM messages WHERE text <> '' AND id > (SELECT last_message FROM search_progress)").get() as { n: number }).n,
  };
}

describe('SQLite store', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
    path = join(dir, 'nested', 'store.db');
    store = new SqliteStore({ path });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the writes of a batch again one by one only when one of them threw, not when the transaction could not start', async () => {
    const internals = store as unknown as { db: Database.Database; runEach: { immediate(batch: unknown[]): unknown } };
    const runEach = internals.runEach;
    let again = 0;
    internals.runEach = Object.assign(() => {}, { immediate: (batch: unknown[]) => (again++, runEach.immediate(batch)) });
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
    const say = (conversationId: string) => store.appendMessage({ conversationId, from: 'web:v_1', text: 'hi', status: 'accepted', outbox: [] });
    const [kept, refused] = await Promise.allSettled([say(c.id), say('c_missing')]);
    assert.equal(kept.status, 'fulfilled');
    assert.equal(refused.status, 'rejected');
    assert.equal(again, 1, 'a write threw: the others run again, each in a savepoint');

    // Another connection holds the write lock: the batch fails as a whole, once.
    const other = new Database(path);
    internals.db.pragma('busy_timeout = 20');
    other.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([say(c.id), say(c.id)]);
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: string }).code),
        ['SQLITE_BUSY', 'SQLITE_BUSY'],
      );
      assert.equal(again, 1, 'nothing ran: nothing is run again');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('reports the outbox items it queued with a message exactly as the queue reads them back', async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test', 'irc:b@irc.test'] });
    const result = await store.appendMessage({
      conversationId: c.id,
      from: 'web:v_1',
      text: 'hello',
      status: 'accepted',
      via: ['bridge-1'],
      outbox: [
        { recipient: 'xmpp:a@x.test', network: 'xmpp' },
        { recipient: 'irc:b@irc.test', network: 'irc', notBefore: 1234 },
      ],
    });
    assert.equal(result.kind, 'stored');
    assert.ok(result.kind === 'stored' && result.queued);
    const read = [...(await store.pendingOutbox('xmpp', 10)), ...(await store.pendingOutbox('irc', 10))];
    assert.deepEqual(result.queued, read);
    assert.deepEqual(
      result.queued.map((item) => [item.recipient, item.nextAttemptAt, item.via]),
      [
        ['xmpp:a@x.test', 0, ['bridge-1']],
        ['irc:b@irc.test', 1234, ['bridge-1']],
      ],
    );
    // Each next item names the one queued for its network before it, while the store knows it.
    const next = () =>
      store.appendMessage({
        conversationId: c.id,
        from: 'web:v_1',
        text: 'more',
        status: 'accepted',
        outbox: [{ recipient: 'irc:b@irc.test', network: 'irc' }],
      });
    const second = await next();
    assert.ok(second.kind === 'stored' && second.queued);
    assert.equal(second.queued[0]!.previous, result.queued[1]!.id, 'the irc item before it (the xmpp one between is not its network)');
    await store.queueEarlierMessages(c.id, 'irc:c@irc.test', 'irc');
    const third = await next();
    assert.ok(third.kind === 'stored' && third.queued);
    assert.equal(third.queued[0]!.previous, undefined, 'unknown after items queued in bulk');

    // In one group commit, a write rolled back gives its outbox ids back to the writes after it.
    const [refused, other, after] = await Promise.allSettled([
      store.appendMessage({
        conversationId: c.id,
        from: 'web:v_1',
        text: 'refused',
        status: 'accepted',
        outbox: [{ recipient: 'irc:b@irc.test', network: 'irc' }],
        webhooks: () => {
          throw new Error('refused while stored');
        },
      }),
      store.appendMessage({
        conversationId: c.id,
        from: 'web:v_1',
        text: 'other',
        status: 'accepted',
        outbox: [{ recipient: 'xmpp:a@x.test', network: 'xmpp' }],
      }),
      next(),
    ]);
    assert.equal(refused.status, 'rejected');
    assert.ok(other.status === 'fulfilled' && other.value.kind === 'stored' && after.status === 'fulfilled' && after.value.kind === 'stored');
    assert.equal(after.value.queued![0]!.previous, undefined, 'unknown after a rollback, not the id the xmpp item took again');
  });

  it("decides a message's outbox recipients as its append runs, in the order asked: after an assignment's joining mark, before the catch-up that removes it", async () => {
    const ann = 'xmpp:ann@x.test';
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
    const toAnn: NewMessage['outboxFor'] = (participants) => participants.filter((p) => p === ann).map((recipient) => ({ recipient, network: 'xmpp' }));
    const message = (text: string) => store.appendMessage({ conversationId: c.id, from: 'web:v_1', text, status: 'accepted', outbox: [], outboxFor: toAnn });
    await message('before');
    // Asked in one turn, committed together: each sees the ones asked before it.
    const asked = [
      store.assignIfQueued(c.id, ann, { joining: true }),
      message('meanwhile'),
      store.queueEarlierMessages(c.id, ann, 'xmpp', { joining: true }),
      message('after'),
    ];
    await Promise.all(asked);
    assert.deepEqual(
      (await store.pendingOutbox('xmpp', 10)).map((item) => item.message.text),
      ['before', 'meanwhile', 'after'],
    );
  });

  it('stamps a claim anew, apart from a mark made in the same millisecond, which a drop of the claim leaves', async (t) => {
    const ann = 'xmpp:ann@x.test';
    let now = 1_800_000_000_001; // odd: a mark and a claim made now must still differ
    t.mock.method(Date, 'now', () => now);
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
    await store.assignIfQueued(c.id, ann, { joining: true });
    now += 60_000;
    assert.deepEqual(await store.claimStaleJoinings(120_000), [], 'not yet');
    const [claimed] = await store.claimStaleJoinings(60_000);
    assert.equal(claimed?.party, ann);
    assert.deepEqual(await store.claimStaleJoinings(1), [], 'stamped anew by the claim');
    // In the same millisecond: the party leaves and is handed the conversation again.
    await store.transferConversation(c.id, null);
    await store.transferConversation(c.id, ann, undefined, { joining: true });
    await store.dropJoining(claimed);
    now += 1;
    assert.deepEqual(
      (await store.claimStaleJoinings(1)).map((mark) => mark.party),
      [ann],
      'the new mark stays',
    );
  });

  it('keeps the WAL from growing under writes that never pause, holding commits (not losing writes) while it is folded', async () => {
    // Passes 200 ms apart: each has more to copy than writes leave time for, as on a saturated store.
    const busy = new SqliteStore({ path: join(dir, 'busy.db'), checkpointIntervalMs: 200, walFoldFrames: 256 });
    await busy.open();
    try {
      const c = await busy.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_ann'] });
      let appended = 0;
      let restarts = 0;
      let salts = walSalts(join(dir, 'busy.db-wal'));
      let largest = 0;
      // Until it started over three times (a loaded machine writes less between two passes: it takes longer).
      const until = Date.now() + 30_000;
      while (restarts < 3 && Date.now() < until) {
        await Promise.all(
          Array.from({ length: 20 }, () =>
            busy.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'hello there '.repeat(20), status: 'sent', outbox: [] }),
          ),
        );
        appended += 20;
        const now = walSalts(join(dir, 'busy.db-wal'));
        if (now !== salts) restarts += 1;
        salts = now;
        largest = Math.max(largest, statSync(join(dir, 'busy.db-wal')).size);
      }
      assert.ok(restarts >= 3, `the WAL started over ${restarts} times while writes went on`);
      // What a few passes' writes add at most (about 20 MiB here), not what the writes of the whole run would.
      assert.ok(largest < 64 * 1024 * 1024, `the WAL reached ${largest} bytes`);
      assert.equal((await busy.history(c.id, { limit: 1 })).messages.length, 1);
      assert.equal((await busy.getConversation(c.id))?.lastSeq, appended, 'every write kept');
    } finally {
      await busy.close();
    }
  });

  it('keeps the WAL file its size when it starts over within twice the fold, so the next round does not grow it again', async () => {
    // Folds past 256 pages (1 MiB); the file is cut back only past 512 pages (2 MiB).
    const path = join(dir, 'kept.db');
    const kept = new SqliteStore({ path, checkpointIntervalMs: 500, walFoldFrames: 256 });
    await kept.open();
    try {
      const c = await kept.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_ann'] });
      const append = (text: string) => kept.appendMessage({ conversationId: c.id, from: 'web:v_1', text, status: 'sent', outbox: [] });
      // Before the checkpointer's first pass (half a second after opening): rounds of 20 messages
      // of a page each, until the WAL is past the fold's size, and short of twice it.
      while (statSync(`${path}-wal`).size < 1.25 * 1024 * 1024) await Promise.all(Array.from({ length: 20 }, () => append('x'.repeat(3000))));
      const grown = statSync(`${path}-wal`).size;
      assert.ok(grown < 2 * 1024 * 1024, `${grown} bytes`);
      // The checkpointer folds it; the next write starts it over.
      const salts = walSalts(`${path}-wal`);
      await until(
        async () => {
          await append('hello');
          return walSalts(`${path}-wal`) !== salts;
        },
        10_000,
        'the WAL started over',
      );
      assert.ok(statSync(`${path}-wal`).size >= grown, 'the file kept its size: its pages are written over from the start');
    } finally {
      await kept.close();
    }
    assert.equal(existsSync(`${path}-wal`), false, 'folded and removed when the store closes');
  });

  it('reads a party again after every write to it, however it was read before', async () => {
    assert.equal(await store.getParty('web:v_ann'), null, 'none yet (remembered as none)');
    await store.upsertParty({ address: 'web:v_ann', siteKey: 'shop', role: 'visitor', verified: false });
    assert.equal((await store.getParty('web:v_ann'))?.name, undefined);
    await store.upsertParty({ address: 'web:v_ann', siteKey: 'shop', role: 'visitor', name: 'Ann', verified: false });
    const read = await store.getParty('web:v_ann');
    assert.equal(read?.name, 'Ann');
    read.name = 'changed by a caller';
    assert.equal((await store.getParty('web:v_ann'))?.name, 'Ann', "a caller's copy is its own");
    assert.equal(await store.expireIdleVisitors('shop', new Date(Date.now() + 60_000).toISOString()), 1);
    assert.equal(await store.getParty('web:v_ann'), null, 'expired');
    await store.upsertParty({ address: 'web:u_bo@shop', siteKey: 'shop', role: 'visitor', name: 'Bo', verified: true });
    assert.equal((await store.getParty('web:u_bo@shop'))?.name, 'Bo');
    await store.eraseParty('shop', 'web:u_bo@shop');
    assert.equal(await store.getParty('web:u_bo@shop'), null, 'erased');
  });

  it("commits an outbox item's completion and a receipt with the next write asked for, or on their own soon after", async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
    const append = (text: string) => appendQueued(store, c.id, text, 'xmpp:a@x.test');
    await append('one');
    await append('two');
    const [first, second] = await store.pendingOutbox('xmpp', 10);

    // Alone: it commits by itself, shortly.
    assert.equal((await store.completeOutbox(first!, 'sent'))?.status, 'sent');
    assert.deepEqual(
      (await store.pendingOutbox('xmpp', 10)).map((item) => item.id),
      [second!.id],
    );

    // A message comes in on the next turn: the completion waited for it and shares its commit.
    let appendAsked = false;
    const completed = store.completeOutbox(second!, 'sent').then((message) => ({ message, appendAsked }));
    await new Promise<void>((resolve) => setImmediate(resolve));
    appendAsked = true;
    const [outcome] = await Promise.all([completed, append('three')]);
    assert.equal(outcome.message?.status, 'sent');
    assert.equal(outcome.appendAsked, true, 'committed with the append, not before it was asked for');
    assert.deepEqual(
      (await store.pendingOutbox('xmpp', 10)).map((item) => item.message.text),
      ['three'],
    );

    // A receipt likewise: alone, then with the next message in.
    assert.equal((await store.advanceStatus(first!.message.id, 'delivered'))?.status, 'delivered');
    appendAsked = false;
    const read = store.advanceStatus(second!.message.id, 'delivered').then((message) => ({ message, appendAsked }));
    await new Promise<void>((resolve) => setImmediate(resolve));
    appendAsked = true;
    const [receipt] = await Promise.all([read, append('four')]);
    assert.equal(receipt.message?.status, 'delivered');
    assert.equal(receipt.appendAsked, true, 'committed with the append');
  });

  it('remembers the conversations in use, not every one it wrote: one that dropped out is read again as last written', async () => {
    const first = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_first', participants: ['web:v_first'], team: 'support' });
    await store.setConversationState(first.id, 'closed');
    const others = await Promise.all(
      Array.from({ length: 1_200 }, (_, i) => store.createConversation({ siteKey: 'shop', openedBy: `web:v_${i}`, participants: [`web:v_${i}`] })),
    );
    for (const other of others) await store.getConversation(other.id);
    const remembered = (store as unknown as { conversations: { size: number } }).conversations.size;
    assert.ok(remembered <= 1_000, `${remembered} conversations kept in memory`);
    const read = await store.getConversation(first.id);
    assert.equal(read?.state, 'closed');
    assert.equal(read?.team, 'support');
    assert.deepEqual(read?.participants, ['web:v_first']);
    // Written while out of memory, then read: the store's answer is the database's.
    const last = others.at(0)!;
    await store.appendMessage({ conversationId: last.id, from: 'web:v_0', text: 'still here', clientId: 'k1', status: 'sent', outbox: [] });
    assert.equal((await store.getConversation(last.id))?.lastSeq, 1);
  });

  it('appends at the seq after the one it last wrote, a resend told by its clientId, and goes the long way when the seq was taken behind its back', async () => {
    const conversation = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_ann', participants: ['web:v_ann', 'web:a_bob'], team: 'support' });
    const append = (text: string, clientId?: string, from: Address = 'web:v_ann') =>
      store.appendMessage({ conversationId: conversation.id, from, text, ...(clientId ? { clientId } : {}), status: 'sent', outbox: [] });
    const first = await append('one', 'k1');
    assert.equal(first.kind, 'stored');
    // The conversation as this store last wrote it is known: the next seq without reading it back.
    const statements = (store as unknown as { statements: Record<string, { get: unknown }> }).statements;
    const nextSeq = statements.nextSeq!;
    let read = 0;
    const get = nextSeq.get as (...args: unknown[]) => unknown;
    nextSeq.get = (...args: unknown[]) => (read++, get.apply(nextSeq, args));
    const [second, resent, third] = await Promise.all([append('two', 'k2'), append('one again', 'k1'), append('three', undefined, 'web:a_bob')]);
    assert.deepEqual([second.kind, second.message.seq], ['stored', 2]);
    assert.deepEqual([resent.kind, resent.message.id, resent.message.text], ['duplicate', first.message.id, 'one'], 'a resend returns the message stored');
    assert.deepEqual([third.kind, third.message.seq], ['stored', 3]);
    assert.equal(read, 0, 'no seq read back from the database');
    // Another connection (never the case in use: the store is its file's only writer) takes seq 4.
    const other = new Database(path);
    other
      .prepare(
        "INSERT INTO messages (id, conversation_id, seq, sender, text, sent_at, status) VALUES ('m_other', ?, 4, 'web:a_bob', 'behind its back', ?, 'sent')",
      )
      .run(conversation.id, new Date().toISOString());
    other.prepare('UPDATE conversations SET last_seq = 4 WHERE id = ?').run(conversation.id);
    other.close();
    const fourth = await append('four', 'k4');
    assert.deepEqual([fourth.kind, fourth.message.seq], ['stored', 5], 'the seq after the one taken');
    assert.equal(read, 1, 'read back once, when the seq it knew was taken');
    const fifth = await append('five', 'k5');
    assert.deepEqual([fifth.kind, fifth.message.seq], ['stored', 6]);
    assert.equal(read, 2, 'read back until the conversation is read again');
    const { messages } = await store.history(conversation.id, { limit: 10 });
    assert.deepEqual(
      messages.map((m) => [m.seq, m.text]),
      [
        [1, 'one'],
        [2, 'two'],
        [3, 'three'],
        [4, 'behind its back'],
        [5, 'four'],
        [6, 'five'],
      ],
    );
    assert.equal((await store.getConversation(conversation.id))?.lastSeq, 6);
    // And one that takes the last message away behind its back: the seq it knew is free but not the next.
    const remover = new Database(path);
    remover.prepare('DELETE FROM messages WHERE conversation_id = ? AND seq = 6').run(conversation.id);
    remover.prepare('UPDATE conversations SET last_seq = 5 WHERE id = ?').run(conversation.id);
    remover.close();
    const again = await append('six again', 'k6');
    assert.deepEqual([again.kind, again.message.seq], ['stored', 6], 'the seq after the last one, no gap');
    assert.equal(read, 3, 'read back once more');
    assert.deepEqual(
      (await store.history(conversation.id, { afterSeq: 4, limit: 10 })).messages.map((m) => [m.seq, m.text]),
      [
        [5, 'four'],
        [6, 'six again'],
      ],
    );
  });

  it('commits an erasure without blocking on a reader that holds the WAL, and folds it back once the reader is done', async () => {
    await store.upsertParty({ address: 'web:u_cy@shop', siteKey: 'shop', role: 'visitor', name: 'Cy', verified: true });
    const reader = new Database(path, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM parties').get(); // a snapshot of older pages held open
    const started = Date.now();
    const erased = await store.eraseParty('shop', 'web:u_cy@shop');
    assert.equal(erased.parties, 1);
    assert.ok(Date.now() - started < 4_000, 'not held by the busy timeout (5 s a try)');
    assert.equal(await store.getParty('web:u_cy@shop'), null);
    reader.exec('COMMIT');
    reader.close();
    await store.upsertParty({ address: 'web:u_di@shop', siteKey: 'shop', role: 'visitor', name: 'Di', verified: true });
    await store.eraseParty('shop', 'web:u_di@shop');
    assert.equal(statSync(`${path}-wal`).size, 0, 'no reader: the WAL is emptied at once');
  });

  it('indexes for search what is pending when searched, so a search finds messages not indexed yet; an erased conversation leaves nothing', async () => {
    // The indexer looks only once a minute here: what the test sees is not raced by a batch of its own.
    const slowPath = join(dir, 'search.db');
    const slow = new SqliteStore({ path: slowPath, searchIndexEveryMs: 60_000 });
    await slow.open();
    const db = new Database(slowPath, { readonly: true });
    const { indexed, pending } = searchCounts(db);
    try {
      const c = await slow.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      const say = (text: string) => slow.appendMessage({ conversationId: c.id, from: 'web:v_1', text, status: 'accepted', outbox: [] });
      await say('first parcel');
      await say('second parcel');
      await say(''); // an attachment-only message has nothing to index
      assert.equal(indexed(), 0, 'not in the commit of each message');
      assert.equal(pending(), 2);
      assert.deepEqual((await slow.searchInbox('shop', 'parcel', 20)).map((hit) => hit.seq).sort(), [1, 2], 'a search indexes what is pending first');
      assert.deepEqual([indexed(), pending()], [2, 0]);

      // A conversation erased before its messages are indexed leaves nothing pending or indexed.
      const other = await slow.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2'], team: 'support' });
      await slow.appendMessage({ conversationId: other.id, from: 'web:v_2', text: 'secret words', status: 'accepted', outbox: [] });
      assert.equal(pending(), 1);
      await slow.eraseParty('shop', 'web:v_2');
      assert.deepEqual([indexed(), pending()], [2, 0]);
      assert.deepEqual(db.prepare('SELECT count(*) AS n FROM search_fts WHERE search_fts MATCH ?').get('secret'), { n: 0 }, 'never in the index');
      assert.deepEqual(await slow.searchInbox('shop', 'secret', 20), []);
    } finally {
      db.close();
      await slow.close();
    }
  });

  it('indexes appended messages for search in batches, on its own shortly after they are appended', async () => {
    const db = new Database(path, { readonly: true });
    const { indexed, pending } = searchCounts(db);
    try {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
      for (let i = 0; i < 20; i++) await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: `batch ${i}`, status: 'accepted', outbox: [] });
      await until(() => pending() === 0, 5000, 'the batch');
      assert.equal(indexed(), 20);
    } finally {
      db.close();
    }
  });

  it('indexes at close what is still pending, and at start what a killed run left', async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
    await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'kept for search', status: 'accepted', outbox: [] });
    await store.close();
    const db = new Database(path);
    try {
      assert.equal((db.prepare("SELECT count(*) AS n FROM search_docs WHERE kind = 'message'").get() as { n: number }).n, 1, 'indexed at close');
      // As a run killed before its batch leaves it: a message appended, not indexed.
      db.prepare("DELETE FROM search_docs WHERE kind = 'message'").run();
      db.prepare("UPDATE search_progress SET last_message = ''").run();
    } finally {
      db.close();
    }
    store = new SqliteStore({ path });
    await store.open();
    const reader = new Database(path, { readonly: true });
    try {
      await until(
        () => (reader.prepare("SELECT count(*) AS n FROM search_docs WHERE kind = 'message'").get() as { n: number }).n === 1,
        5000,
        'the batch at start',
      );
      const next = await store.appendMessage({ conversationId: c.id, from: 'web:v_1', text: 'after the restart', status: 'accepted', outbox: [] });
      assert.ok(
        next.message.id > (reader.prepare('SELECT last_message FROM search_progress').get() as { last_message: string }).last_message,
        'ids keep their order',
      );
    } finally {
      reader.close();
    }
  });

  /** Each statement's query plan (its `?` bound to placeholders), read on a connection of its own. */
  const plansOf = (sources: readonly string[]): [string, string][] => {
    const db = new Database(path, { readonly: true });
    try {
      return sources.map((source) => {
        const params = (source.match(/\?/g) ?? []).map(() => 'x');
        return [source, (db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...params) as { detail: string }[]).map((row) => row.detail).join('; ')];
      });
    } finally {
      db.close();
    }
  };

  it("finds a party's conversations by the opener's index, not by walking the site's conversations", () => {
    type Statements = Record<string, { source: string }>;
    const internals = store as unknown as { statements: Statements; inboxes: { statements: Statements } };
    const sources = [
      internals.statements.openWithTeam!.source,
      internals.statements.openWith!.source,
      internals.statements.conversationsOpenedBy!.source,
      internals.inboxes.statements.latestOpenedBy!.source,
    ];
    for (const [source, plan] of plansOf(sources)) {
      assert.match(plan, /USING INDEX conversations_by_opener/, source);
      assert.doesNotMatch(plan, /conversations_by_site/, source);
    }
  });

  it("reads a site's open conversations for the inbox's views and counts, and a pushed item by its id, never all the site ever had", async () => {
    const reader = { address: 'web:a_al' as const, addresses: ['web:a_al' as const] };
    for (const view of ['mine', 'unassigned', 'open', { ids: ['c_1'] }] as const)
      await store.inbox({ siteKey: 'shop', reader, view, sort: 'waiting', limit: 10 });
    await store.inboxCounts({ siteKey: 'shop', assignees: ['web:a_al'], closedSince: '2026-01-01T00:00:00Z' });
    const queries = (store as unknown as { inboxes: { queries: Map<string, unknown> } }).inboxes.queries;
    const db = new Database(path, { readonly: true });
    try {
      const plans = [...queries.keys()].map((sql) => {
        const params = Object.fromEntries([...new Set(sql.match(/@p\d+/g))].map((name) => [name.slice(1), '[]']));
        return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail).join('; ');
      });
      assert.equal(plans.length, 5);
      for (const plan of plans) assert.doesNotMatch(plan, /conversations_by_site_created|SCAN c\b|SCAN conversations/, plan);
      assert.equal(plans.filter((plan) => /conversations_by_site_state \(site_key=\? AND state=\?\)/.test(plan)).length, 4, 'three views and the counts');
      assert.ok(
        plans.some((plan) => !plan.includes('conversations_by_site') && plan.includes('SEARCH c USING INDEX sqlite_autoindex_conversations_1 (id=?)')),
        'the pushed item by its id',
      );
    } finally {
      db.close();
    }
  });

  it("finds what a sweep or an erasure deletes by index, never by reading the site's conversations, the messages, the inbound ids or the waiting webhook deliveries", () => {
    // (The pending outbox and the handovers under way are read whole by an erasure: they are short.)
    type Statements = Record<string, { source: string }>;
    const internals = store as unknown as { statements: Statements; inboxes: { statements: Statements }; contacts: { statements: Statements } };
    const { statements } = internals;
    const sources = [
      statements.deleteConversationInbound!.source,
      statements.deleteConversationWebhooks!.source,
      statements.deleteSenderInbound!.source,
      statements.deleteRecipientOutbox!.source,
      statements.deleteJoiningsOf!.source,
      statements.deleteDeparturesOf!.source,
      internals.inboxes.statements.deleteCursorsBy!.source,
      internals.inboxes.statements.deleteNotesBy!.source,
      internals.contacts.statements.unused!.source,
    ];
    for (const [source, plan] of plansOf(sources)) {
      assert.doesNotMatch(plan, /SCAN (inbound_ids|conversations|contacts|messages|webhook_deliveries|c|k|m)\b|conversations_by_site/, `${source}\n${plan}`);
    }
  });

  it("reads a party's open conversations by the participants' index, not every conversation it ever had", async () => {
    await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_al'] });
    await store.listConversations({ participant: 'web:a_al', state: 'open', limit: 10 });
    const internals = store as unknown as { statements: Record<string, { source: string }>; listStatements: Map<string, unknown> };
    const sources = [internals.statements.openBetween!.source, ...internals.listStatements.keys()];
    assert.equal(sources.length, 2);
    for (const [source, plan] of plansOf(sources))
      assert.match(plan, /USING (COVERING )?INDEX participants_by_address \(address=\? AND conversation_open=\?\)/, `${source}\n${plan}`);
  });

  it('sweeps long conversations a few at a time, every one of them in the end', async () => {
    const ids: string[] = [];
    for (let c = 0; c < 4; c++) {
      const conversation = await store.createConversation({ siteKey: 'shop', openedBy: `web:v_${c}`, participants: [`web:v_${c}`] });
      ids.push(conversation.id);
      await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          store.appendMessage({ conversationId: conversation.id, from: `web:v_${c}`, text: `line ${i}`, status: 'accepted', outbox: [] }),
        ),
      );
    }
    const writes: number[] = [];
    const internals = store as unknown as { runAll: { immediate(batch: unknown[]): unknown }; searchIndexer: { stop(): void } };
    // The search indexer's batches (on a timer of their own) are not the sweep's transactions.
    internals.searchIndexer.stop();
    const runAll = internals.runAll;
    internals.runAll = Object.assign(() => {}, { immediate: (batch: unknown[]) => (writes.push(batch.length), runAll.immediate(batch)) });
    const swept = await store.sweepSite('shop', new Date(Date.now() + 60_000).toISOString());
    assert.deepEqual(swept, { conversations: 4, messages: 600, parties: 0, blobs: [] });
    assert.equal(writes.length, 4, 'one conversation of 150 messages per transaction');
    for (const id of ids) assert.equal(await store.getConversation(id), null);
  });

  it('creates the schema at the current version, in WAL mode', () => {
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('refuses a database from a newer bridge', async () => {
    await store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const newer = new SqliteStore({ path });
    await assert.rejects(newer.open(), /newer than this bridge knows/);
    store = new SqliteStore({ path: join(dir, 'other.db') });
    await store.open();
  });

  it('upgrades a database of an older bridge: web identities take the site of their conversation', async () => {
    await store.close();
    const oldPath = join(dir, 'old.db');
    // The schema as the bridge before per-site identities left it, with one conversation per site.
    const db = databaseAtVersion(oldPath, 6);
    const now = '2026-01-01T00:00:00.000Z';
    const insertParty = db.prepare('INSERT INTO parties (address, site_key, role, verified, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)');
    insertParty.run('web:a_alice', 'shop', 'agent', now, now);
    insertParty.run('web:u_dana@example.com', 'shop', 'visitor', now, now);
    insertParty.run('web:v_0123456789ab', 'shop', 'visitor', now, now);
    db.prepare(
      "INSERT INTO conversations (id, site_key, team, assignee, state, opened_by, created_at, updated_at, last_seq) VALUES ('c1', 'shop', 'support', 'web:a_alice', 'open', 'web:u_dana@example.com', ?, ?, 1)",
    ).run(now, now);
    db.prepare(
      "INSERT INTO participants (conversation_id, address, position) VALUES ('c1', 'web:u_dana@example.com', 0), ('c1', 'web:a_alice', 1), ('c1', 'xmpp:bob@example.org', 2)",
    ).run();
    db.prepare(
      "INSERT INTO messages (id, conversation_id, seq, sender, client_id, text, sent_at, status) VALUES ('m1', 'c1', 1, 'web:a_alice', 'k1', 'hi', ?, 'sent')",
    ).run(now);
    db.prepare("INSERT INTO outbox (message_id, recipient, network, next_attempt_at) VALUES ('m1', 'xmpp:bob@example.org', 'xmpp', 0)").run();
    db.close();

    store = new SqliteStore({ path: oldPath });
    await store.open();
    const upgraded = await store.getConversation('c1');
    assert.deepEqual(upgraded?.participants, ['web:u_dana@example.com@shop', 'web:a_alice@shop', 'xmpp:bob@example.org']);
    assert.equal(upgraded?.assignee, 'web:a_alice@shop');
    assert.equal(upgraded?.openedBy, 'web:u_dana@example.com@shop');
    assert.equal((await store.messageByClientId('web:a_alice@shop', 'k1'))?.id, 'm1');
    assert.equal((await store.getParty('web:a_alice@shop'))?.role, 'agent');
    assert.equal(await store.getParty('web:a_alice'), null);
    assert.notEqual(await store.getParty('web:v_0123456789ab'), null, 'anonymous visitors keep their one form');
    assert.equal((await store.pendingOutbox('xmpp', 10))[0]?.message.from, 'web:a_alice@shop');
  });

  it('never gives an outbox id twice: an item sent and gone is not mistaken for the next one queued', async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:bob@example.org'] });
    const append = (text: string) => appendQueued(store, c.id, text, 'xmpp:bob@example.org');
    await append('one');
    const [first] = await store.pendingOutbox('xmpp', 10);
    assert.equal((await store.completeOutbox(first!, 'sent'))?.status, 'sent');
    assert.equal(await store.outboxDepth('xmpp'), 0);
    await append('two');
    const [second] = await store.pendingOutbox('xmpp', 10);
    assert.ok(second!.id > first!.id, `${second!.id} after ${first!.id}`);
    // The first one's completion, late (a network that answered twice), leaves the second queued.
    assert.equal(await store.completeOutbox(first!, 'delivered'), null);
    assert.deepEqual(
      (await store.pendingOutbox('xmpp', 10)).map((item) => item.message.text),
      ['two'],
    );
  });

  it("queues a long conversation's earlier messages for a joiner, each once, after the ids given before", async () => {
    await store.close();
    const path = join(dir, 'long.db');
    const db = databaseAtVersion(path, MIGRATIONS.length);
    db.prepare(
      "INSERT INTO conversations (id, site_key, team, state, opened_by, created_at, updated_at, last_seq) VALUES ('c1', 'shop', 'support', 'open', 'web:v_1@shop', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 200000)",
    ).run();
    // More ids than a function call takes arguments.
    db.prepare(
      `WITH RECURSIVE n(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < 200000)
      INSERT INTO messages (id, conversation_id, seq, sender, text, sent_at, status)
      SELECT printf('m%06d', seq), 'c1', seq, 'web:v_1@shop', 'x', '2026-01-01T00:00:00.000Z', 'sent' FROM n`,
    ).run();
    db.close();
    store = new SqliteStore({ path });
    await store.open();
    assert.equal(await store.queueEarlierMessages('c1', 'xmpp:bob@example.org', 'xmpp'), 200_000);
    assert.equal(await store.queueEarlierMessages('c1', 'xmpp:bob@example.org', 'xmpp'), 0, 'each once');
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2', 'xmpp:bob@example.org'] });
    await appendQueued(store, c.id, 'next', 'xmpp:bob@example.org', 'web:v_2');
    const last = await store.pendingOutbox('xmpp', 1, 200_000);
    assert.deepEqual(
      last.map((item) => [item.id, item.message.text]),
      [[200_001, 'next']],
    );
  });

  it('upgrades the outbox of an older bridge: each network keeps its queue in order, and new items follow the largest id', async () => {
    await store.close();
    const oldPath = join(dir, 'before-outbox-keys.db');
    const db = databaseAtVersion(oldPath, 31);
    db.prepare(
      "INSERT INTO conversations (id, site_key, team, state, opened_by, created_at, updated_at, last_seq) VALUES ('c1', 'shop', 'support', 'open', 'web:v_1@shop', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 3)",
    ).run();
    const message = db.prepare(
      "INSERT INTO messages (id, conversation_id, seq, sender, text, sent_at, status) VALUES (?, 'c1', ?, 'web:v_1@shop', ?, '2026-01-01T00:00:00.000Z', 'accepted')",
    );
    message.run('m1', 1, 'one');
    message.run('m2', 2, 'two');
    message.run('m3', 3, 'three');
    // Ids as AUTOINCREMENT left them: gaps where items were sent, a retried one, two networks.
    const item = db.prepare('INSERT INTO outbox (id, message_id, recipient, network, attempts, next_attempt_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?)');
    item.run(5, 'm1', 'xmpp:bob@example.org', 'xmpp', 2, 1000, 'down');
    item.run(7, 'm1', 'irc:carol@net', 'irc', 0, 0, null);
    item.run(9, 'm2', 'xmpp:bob@example.org', 'xmpp', 0, 0, null);
    db.close();

    store = new SqliteStore({ path: oldPath });
    await store.open();
    const xmpp = await store.pendingOutbox('xmpp', 10);
    assert.deepEqual(
      xmpp.map((queued) => [queued.id, queued.message.text, queued.recipient, queued.attempts, queued.nextAttemptAt]),
      [
        [5, 'one', 'xmpp:bob@example.org', 2, 1000],
        [9, 'two', 'xmpp:bob@example.org', 0, 0],
      ],
    );
    assert.deepEqual(
      (await store.pendingOutbox('xmpp', 10, 5)).map((queued) => queued.id),
      [9],
      'after an id',
    );
    assert.deepEqual(
      (await store.pendingOutbox('irc', 10)).map((queued) => [queued.id, queued.message.text]),
      [[7, 'one']],
    );
    assert.deepEqual((await store.outboxNetworks()).sort(), ['irc', 'xmpp']);
    // An item is one per message and recipient, as before: queueing the earlier messages again adds only m3.
    assert.equal(await store.queueEarlierMessages('c1', 'xmpp:bob@example.org', 'xmpp'), 1);
    const [, , third] = await store.pendingOutbox('xmpp', 10);
    assert.equal(third?.message.text, 'three');
    assert.ok(third.id > 9, `${third.id} follows the largest id`);
    assert.equal((await store.completeOutbox(xmpp[0]!, 'sent'))?.status, 'sent');
    await store.retryOutbox(xmpp[1]!, 2000, 'busy');
    assert.deepEqual(
      (await store.pendingOutbox('xmpp', 10)).map((queued) => [queued.id, queued.attempts, queued.nextAttemptAt]),
      [
        [9, 1, 2000],
        [third.id, 0, 0],
      ],
    );
    assert.equal(await store.outboxDepth('irc'), 1, "the other network's item stays");
  });

  it('upgrades a database from before waits were kept: each conversation knows since when its customer waits, each participant whether it is open, each joining mark that its line is not known to have gone out, each webhook delivery its conversation, each offer no seq', async () => {
    await store.close();
    const oldPath = join(dir, 'before-waits.db');
    const db = databaseAtVersion(oldPath, 22);
    const conversation = db.prepare(
      "INSERT INTO conversations (id, site_key, team, state, opened_by, created_at, updated_at, last_seq) VALUES (?, 'shop', 'support', ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 3)",
    );
    const message = db.prepare("INSERT INTO messages (id, conversation_id, seq, sender, text, sent_at, status) VALUES (?, ?, ?, ?, 'x', ?, 'sent')");
    // c1: the customer, the team's greeting, the customer again (waiting since the first); c2 answered; c3 closed while waiting.
    conversation.run('c1', 'open', 'web:v_1@shop');
    message.run('m1', 'c1', 1, 'web:v_1@shop', '2026-01-01T00:00:01.000Z');
    message.run('m2', 'c1', 2, 'team:support', '2026-01-01T00:00:02.000Z');
    message.run('m3', 'c1', 3, 'web:v_1@shop', '2026-01-01T00:00:03.000Z');
    conversation.run('c2', 'open', 'web:v_2@shop');
    message.run('m4', 'c2', 1, 'web:v_2@shop', '2026-01-01T00:00:04.000Z');
    message.run('m5', 'c2', 2, 'web:a_ann@shop', '2026-01-01T00:00:05.000Z');
    conversation.run('c3', 'closed', 'web:v_3@shop');
    message.run('m6', 'c3', 1, 'web:v_3@shop', '2026-01-01T00:00:06.000Z');
    db.prepare("INSERT INTO participants (conversation_id, address, position) VALUES ('c1', 'web:v_1@shop', 0), ('c3', 'web:v_3@shop', 0)").run();
    // A handover left unfinished by the older bridge: whether its context line went out is not known.
    db.prepare("INSERT INTO joining (conversation_id, party, since) VALUES ('c1', 'xmpp:ann@x.test', 2)").run();
    // An offer made by the older bridge: it knows no seq (a claim reads the conversation's own then).
    db.prepare("INSERT INTO offers (conversation_id, agent_id, deadline, declined) VALUES ('c1', 'ann', 1000, '[]')").run();
    // Webhook deliveries waiting: each is found by the conversation its body names.
    const delivery = db.prepare("INSERT INTO webhook_deliveries (id, hook, event, site_key, body) VALUES (?, 'h', ?, 'shop', ?)");
    delivery.run('w1', 'conversation.message', JSON.stringify({ id: 'w1', data: { conversationId: 'c1', message: { text: 'x' } } }));
    delivery.run('w2', 'conversation.closed', JSON.stringify({ id: 'w2', data: { conversation: { id: 'c3' } } }));
    // Unreadable, or naming no conversation: left without one (found by the body, as before).
    delivery.run('w3', 'conversation.opened', 'not JSON c1');
    delivery.run('w4', 'conversation.opened', JSON.stringify({ id: 'w4', data: {} }));
    db.close();

    store = new SqliteStore({ path: oldPath });
    await store.open();
    await assertUpgradedConversations(store);
    const [mark] = await store.claimStaleJoinings(0);
    assert.deepEqual([mark?.conversationId, mark?.party, mark?.introduced], ['c1', 'xmpp:ann@x.test', false], 'its line is sent when it is finished');
    assert.deepEqual(await store.offers(), [{ conversationId: 'c1', agentId: 'ann', deadline: 1000, declined: [] }]);
    const reader = new Database(oldPath, { readonly: true });
    try {
      assert.deepEqual(reader.prepare('SELECT id, conversation_id FROM webhook_deliveries ORDER BY id').all(), [
        { id: 'w1', conversation_id: 'c1' },
        { id: 'w2', conversation_id: 'c3' },
        { id: 'w3', conversation_id: null },
        { id: 'w4', conversation_id: null },
      ]);
    } finally {
      reader.close();
    }
  });
});

/** The WAL header's salts (https://www.sqlite.org/fileformat.html#wal_file_format): new each time the WAL starts over. */
function walSalts(walPath: string): string {
  const fd = openSync(walPath, 'r');
  try {
    const header = Buffer.alloc(8);
    readSync(fd, header, 0, 8, 16);
    return header.toString('hex');
  } finally {
    closeSync(fd);
  }
}

/** A database as a bridge whose schema went up to `version` left it (the first `version` migrations). */
function databaseAtVersion(path: string, version: number): Database.Database {
  const db = new Database(path);
  for (const migration of MIGRATIONS.slice(0, version)) db.exec(migration);
  db.pragma(`user_version = ${version}`);
  return db;
}

/** A visitor's message queued in the outbox for an XMPP recipient. */
function appendQueued(on: SqliteStore, conversationId: string, text: string, recipient: Address, from: Address = 'web:v_1') {
  return on.appendMessage({ conversationId, from, text, status: 'accepted', outbox: [{ recipient, network: 'xmpp' }] });
}
