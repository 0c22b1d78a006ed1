import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

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

  const conversation = () => store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'], team: 'support' });
  const append = (conversationId: string, extra: Partial<Parameters<SqliteStore['appendMessage']>[0]> = {}) =>
    store.appendMessage({ conversationId, from: 'web:v_1', text: 'hi', status: 'accepted', outbox: [], ...extra });

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
    const db = new Database(oldPath);
    // The schema as the bridge before per-site identities left it, with one conversation per site.
    for (const migration of MIGRATIONS.slice(0, 6)) db.exec(migration);
    db.pragma('user_version = 6');
    const now = '2026-01-01T00:00:00.000Z';
    const insertParty = db.prepare("INSERT INTO parties (address, site_key, role, verified, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)");
    insertParty.run('web:a_alice', 'shop', 'agent', now, now);
    insertParty.run('web:u_dana@example.com', 'shop', 'visitor', now, now);
    insertParty.run('web:v_0123456789ab', 'shop', 'visitor', now, now);
    db.prepare("INSERT INTO conversations (id, site_key, team, assignee, state, opened_by, created_at, updated_at, last_seq) VALUES ('c1', 'shop', 'support', 'web:a_alice', 'open', 'web:u_dana@example.com', ?, ?, 1)").run(now, now);
    db.prepare("INSERT INTO participants (conversation_id, address, position) VALUES ('c1', 'web:u_dana@example.com', 0), ('c1', 'web:a_alice', 1), ('c1', 'xmpp:bob@example.org', 2)").run();
    db.prepare("INSERT INTO messages (id, conversation_id, seq, sender, client_id, text, sent_at, status) VALUES ('m1', 'c1', 1, 'web:a_alice', 'k1', 'hi', ?, 'sent')").run(now);
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

  it('assigns gap-free seq per conversation, also when appends are batched together', async () => {
    const a = await conversation();
    const b = await conversation();
    const results = await Promise.all([append(a.id), append(b.id), append(a.id), append(a.id), append(b.id)]);
    assert.deepEqual(results.map((r) => [r.message.conversationId === a.id ? 'a' : 'b', r.message.seq]), [['a', 1], ['b', 1], ['a', 2], ['a', 3], ['b', 2]]);
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
  });

  it('isolates a failing write in a batch: the others commit', async () => {
    const c = await conversation();
    const [ok1, bad, ok2] = await Promise.allSettled([append(c.id), append('c_missing'), append(c.id)]);
    assert.equal(ok1.status, 'fulfilled');
    assert.equal(bad.status, 'rejected');
    assert.equal(ok2.status, 'fulfilled');
    const history = await store.history(c.id, { limit: 10 });
    assert.deepEqual(history.messages.map((m) => m.seq), [1, 2]);
  });

  it('moves statuses only forward, and fails only what was not delivered', async () => {
    const c = await conversation();
    const { message } = await append(c.id);
    assert.equal((await store.advanceStatus(message.id, 'sent'))?.status, 'sent');
    assert.equal(await store.advanceStatus(message.id, 'sent'), null);
    assert.equal((await store.advanceStatus(message.id, 'delivered'))?.status, 'delivered');
    assert.equal(await store.advanceStatus(message.id, 'sent'), null);
    assert.equal(await store.advanceStatus(message.id, 'failed'), null);
    assert.equal((await store.advanceStatus(message.id, 'read'))?.status, 'read');
    const other = (await append(c.id)).message;
    assert.equal((await store.advanceStatus(other.id, 'failed'))?.status, 'failed');
    assert.equal((await store.advanceStatus(other.id, 'sent'))?.status, 'sent');
    assert.equal(await store.advanceStatus('m_missing', 'sent'), null);
  });

  it('marks the others\' messages read up to a seq, once', async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'web:a_x'] });
    await append(c.id);
    await append(c.id, { from: 'web:a_x' });
    await append(c.id);
    const read = await store.markRead(c.id, 'web:a_x', 3, 100);
    assert.deepEqual(read.map((m) => m.seq), [1, 3]);
    assert.deepEqual(await store.markRead(c.id, 'web:a_x', 3, 100), []);
    assert.deepEqual(await store.markRead(c.id, 'web:nobody', 3, 100), []);
  });

  it('keeps the outbox in queue order and counts it', async () => {
    const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
    for (let i = 0; i < 3; i++) await append(c.id, { text: `m${i}`, outbox: [{ recipient: 'xmpp:a@x.test', network: 'xmpp' }] });
    assert.equal(await store.outboxDepth('xmpp'), 3);
    assert.deepEqual(await store.outboxNetworks(), ['xmpp']);
    const items = await store.pendingOutbox('xmpp', 10);
    assert.deepEqual(items.map((i) => i.message.text), ['m0', 'm1', 'm2']);
    await store.retryOutbox(items[0]!.id, Date.now() + 1000, 'down');
    const retried = (await store.pendingOutbox('xmpp', 1))[0]!;
    assert.equal(retried.attempts, 1);
    assert.ok(retried.nextAttemptAt > Date.now());
    assert.equal(await store.completeOutbox(items[0]!.id), null);
    assert.equal(await store.outboxDepth('xmpp'), 2);
    const sent = await store.completeOutbox(items[1]!.id, 'sent');
    assert.deepEqual([sent?.id, sent?.status], [items[1]!.message.id, 'sent']);
    assert.equal(await store.outboxDepth('xmpp'), 1);
  });

  it('finds open conversations, queues, and keeps its cache in step with the database', async () => {
    const c = await conversation();
    assert.equal((await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:v_1', team: 'support' }))?.id, c.id);
    assert.deepEqual((await store.queuedConversations('support', 10)).map((q) => q.id), [c.id]);
    const assigned = await store.assignConversation(c.id, 'web:a_x');
    assert.deepEqual(assigned.participants, ['web:v_1', 'web:a_x']);
    assert.deepEqual(await store.queuedConversations('support', 10), []);
    const copy = (await store.getConversation(c.id))!;
    copy.participants.push('web:mutated');
    assert.deepEqual((await store.getConversation(c.id))!.participants, ['web:v_1', 'web:a_x']);
    await store.setConversationState(c.id, 'closed');
    assert.equal(await store.findOpenConversation({ siteKey: 'shop', openedBy: 'web:v_1', team: 'support' }), null);
    await store.close();
    store = new SqliteStore({ path });
    await store.open();
    const reread = (await store.getConversation(c.id))!;
    assert.deepEqual([reread.state, reread.assignee, reread.participants], ['closed', 'web:a_x', ['web:v_1', 'web:a_x']]);
  });

  it('finds the open conversation two parties share, most recent first', async () => {
    const older = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
    const newer = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1', 'xmpp:a@x.test'] });
    await append(older.id); // the older one is now the more recently active
    assert.equal((await store.openConversationBetween('web:v_1', 'xmpp:a@x.test'))?.id, older.id);
    await store.setConversationState(older.id, 'closed');
    assert.equal((await store.openConversationBetween('xmpp:a@x.test', 'web:v_1'))?.id, newer.id);
    assert.equal(await store.openConversationBetween('web:v_1', 'xmpp:mallory@x.test'), null);
  });

  it('keeps secrets across reopening', async () => {
    const secret = await store.secret('token');
    assert.equal(await store.secret('token'), secret);
    await store.close();
    store = new SqliteStore({ path });
    await store.open();
    assert.equal(await store.secret('token'), secret);
  });

  it('keeps gateway presence subscriptions across reopening, found from either side, once each', async () => {
    await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }, true);
    await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }, true);
    await store.setGatewayFollow({ watcher: 'irc:dave@z', target: 'xmpp:carl@x.test' }, true);
    await store.close();
    store = new SqliteStore({ path });
    await store.open();
    assert.deepEqual(
      (await store.gatewayFollows('xmpp:carl@x.test')).map((f) => `${f.watcher}>${f.target}`).sort(),
      ['irc:dave@z>xmpp:carl@x.test', 'xmpp:carl@x.test>sip:bob@y.test'],
    );
    assert.deepEqual(await store.gatewayFollows('sip:bob@y.test'), [{ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }]);
    await store.setGatewayFollow({ watcher: 'xmpp:carl@x.test', target: 'sip:bob@y.test' }, false);
    assert.deepEqual(await store.gatewayFollows(), [{ watcher: 'irc:dave@z', target: 'xmpp:carl@x.test' }]);
  });

  it('keeps webhook deliveries per hook in order across reopening, with their attempts', async () => {
    const c = await conversation();
    await store.enqueueWebhooks([
      { id: 'd1', hook: 'h1', event: 'conversation.opened', siteKey: 'shop', body: '{"n":1}' },
      { id: 'd2', hook: 'h2', event: 'conversation.opened', siteKey: 'shop', body: '{"n":2}' },
    ]);
    // A message's deliveries are written in the message's own transaction.
    const stored = await append(c.id, { webhooks: (message) => [{ id: 'd3', hook: 'h1', event: 'conversation.message', siteKey: 'shop', body: JSON.stringify(message) }] });
    await append(c.id, { clientId: 'once' });
    await append(c.id, { clientId: 'once', webhooks: () => [{ id: 'dup', hook: 'h1', event: 'conversation.message', siteKey: 'shop', body: '{}' }] });
    await store.retryWebhook('d1', 12345, 'HTTP 503');
    await store.close();
    store = new SqliteStore({ path });
    await store.open();
    assert.equal(await store.webhookBacklog(), 3);
    const pending = await store.pendingWebhooks('h1', 10);
    assert.deepEqual(pending.map((d) => [d.id, d.attempts, d.nextAttemptAt]), [['d1', 1, 12345], ['d3', 0, 0]]);
    assert.equal(JSON.parse(pending[1]!.body).id, stored.message.id);
    await store.completeWebhook('d1');
    assert.deepEqual((await store.pendingWebhooks('h1', 10)).map((d) => d.id), ['d3']);
  });

  it('keeps what webhooks last said of a conversation, and finds the conversations ahead of it', async () => {
    const c = await conversation();
    assert.deepEqual((await store.conversationsAheadOfMarks(10)).map((r) => [r.conversation.id, r.mark]), [[c.id, null]]);
    assert.equal(await store.swapConversationMark(c.id, { state: 'open' }), null);
    assert.deepEqual(await store.conversationsAheadOfMarks(10), []);
    await store.assignConversation(c.id, 'web:a_alice');
    assert.deepEqual((await store.conversationsAheadOfMarks(10)).map((r) => r.mark), [{ state: 'open' }]);
    assert.deepEqual(await store.swapConversationMark(c.id, { state: 'open', assignee: 'web:a_alice' }), { state: 'open' });
    await store.setConversationState(c.id, 'closed');
    assert.deepEqual((await store.conversationsAheadOfMarks(10)).map((r) => r.conversation.state), ['closed']);
  });

  it('keeps offers and their deadlines across reopening', async () => {
    const c = await conversation();
    await store.saveOffer({ conversationId: c.id, agentId: 'alice', deadline: 1000, declined: [] });
    await store.saveOffer({ conversationId: c.id, agentId: 'bob', deadline: 2000, declined: ['alice'] });
    await store.close();
    store = new SqliteStore({ path });
    await store.open();
    assert.deepEqual(await store.offers(), [{ conversationId: c.id, agentId: 'bob', deadline: 2000, declined: ['alice'] }]);
    await store.deleteOffer(c.id);
    assert.deepEqual(await store.offers(), []);
  });

  it('erases one party of one site, and nothing of another site', async () => {
    const party = { address: 'web:u_x', role: 'visitor', verified: true, name: 'X' } as const;
    await store.upsertParty({ ...party, siteKey: 'shop' });
    const own = await store.createConversation({ siteKey: 'shop', openedBy: 'web:u_x', participants: ['web:u_x', 'xmpp:agent@x.test'] });
    await store.appendMessage({ conversationId: own.id, from: 'web:u_x', text: 'mine', status: 'accepted', outbox: [{ recipient: 'xmpp:agent@x.test', network: 'xmpp' }] });
    const elsewhere = await store.createConversation({ siteKey: 'blog', openedBy: 'web:u_y', participants: ['web:u_y', 'web:u_x'] });
    await store.appendMessage({ conversationId: elsewhere.id, from: 'web:u_x', text: 'on the blog', status: 'accepted', outbox: [] });
    assert.equal((await store.partyData('shop', 'web:u_x')).conversations.length, 1);
    assert.deepEqual(await store.eraseParty('shop', 'web:u_x'), { conversations: 1, messages: 1, parties: 1 });
    assert.equal(await store.getConversation(own.id), null);
    assert.equal(await store.outboxDepth('xmpp'), 0);
    assert.deepEqual((await store.history(elsewhere.id, { limit: 10 })).messages.map((m) => m.text), ['on the blog']);
    assert.deepEqual((await store.getConversation(elsewhere.id))!.participants, ['web:u_y', 'web:u_x']);
  });

  it('sweeps a site\'s conversations idle since before a time, then its parties nothing refers to', async () => {
    await store.upsertParty({ address: 'web:v_1', siteKey: 'shop', role: 'visitor', verified: false });
    const c = await conversation();
    await append(c.id);
    const later = new Date(Date.now() + 60_000).toISOString();
    assert.deepEqual(await store.sweepSite('blog', later), { conversations: 0, messages: 0, parties: 0 });
    assert.deepEqual(await store.sweepSite('shop', new Date(0).toISOString()), { conversations: 0, messages: 0, parties: 0 });
    assert.deepEqual(await store.sweepSite('shop', later), { conversations: 1, messages: 1, parties: 1 });
    assert.equal(await store.getConversation(c.id), null);
    assert.equal(await store.getParty('web:v_1'), null);
  });
});
