import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from '../store-contract.js';

describeStoreContract('SQLite', {
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
});

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
