import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { JOINING_TTL_MS } from '../../src/store/store.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';
import { assertUpgradedConversations, describeInboxStoreContract } from '../inbox-store-contract.js';
import { type StoreContractSetup, describeStoreContract } from '../store-contract.js';

let server: PostgresServer;
/**
 * The contract's database: made once and emptied before each case, reached over the Unix socket
 * (a new database and a TCP login per connection would make the cases slow, not more real).
 */
let contractUrl: string;
let admin: pg.Client;
before(async () => {
  server = await startPostgres();
  contractUrl = await server.createDatabase('socket');
  admin = new pg.Client({ connectionString: contractUrl });
  await admin.connect();
});
after(async () => {
  await admin.end();
  await server.destroy();
});

/** A fresh backing for each case of the store's contracts. */
const setup: StoreContractSetup = {
  multiNode: true,
  async backing() {
    // Every table the migrations made (whatever they are), emptied; the schema stays migrated.
    const tables = await admin.query<{ name: string }>(
      "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'",
    );
    if (tables.rows.length > 0) await admin.query(tables.rows.map((t) => `DELETE FROM ${t.name};`).join(' '));
    return {
      make: () => new PostgresStore({ url: contractUrl, poolSize: 3 }),
      async destroy() {},
    };
  },
};

describeStoreContract('Postgres', setup);
describeInboxStoreContract('Postgres', setup);

describe('Postgres store', () => {
  const query = async <R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };

  it('migrates once when several nodes start together, recording each version', async () => {
    const url = await server.createDatabase();
    const nodes = Array.from({ length: 4 }, () => new PostgresStore({ url, poolSize: 2 }));
    await Promise.all(nodes.map((node) => node.open()));
    try {
      const versions = await query<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        versions.map((v) => v.version),
        MIGRATIONS.map((_, i) => i + 1),
      );
      assert.equal(await nodes[3]!.ping(), true);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
    assert.equal(await nodes[0]!.ping(), false, 'a closed store does not answer');
  });

  it('refuses a database from a newer bridge', async () => {
    const url = await server.createDatabase();
    const first = new PostgresStore({ url });
    await first.open();
    await first.close();
    await query(url, 'INSERT INTO schema_migrations (version) VALUES ($1)', [MIGRATIONS.length + 1]);
    const newer = new PostgresStore({ url });
    await assert.rejects(newer.open(), /newer than this bridge knows/);
    await newer.close();
  });

  it('upgrades a database from before waits were kept: each conversation knows since when its customer waits, each participant whether it is open, each joining mark that its line is not known to have gone out, each webhook delivery its conversation, each offer no seq', async () => {
    const url = await server.createDatabase();
    await query(
      url,
      `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); ${MIGRATIONS.slice(0, 18).join('\n')}`,
    );
    await query(url, `INSERT INTO schema_migrations (version) SELECT generate_series(1, 18)`);
    // c1: the customer, the team's greeting, the customer again (waiting since the first); c2 answered; c3 closed while waiting.
    await query(
      url,
      `INSERT INTO conversations (id, site_key, team, state, opened_by, created_at, updated_at, last_seq) VALUES
       ('c1', 'shop', 'support', 'open', 'web:v_1@shop', $1, $1, 3), ('c2', 'shop', 'support', 'open', 'web:v_2@shop', $1, $1, 2),
       ('c3', 'shop', 'support', 'closed', 'web:v_3@shop', $1, $1, 1)`,
      ['2026-01-01T00:00:00.000Z'],
    );
    await query(
      url,
      `INSERT INTO messages (id, conversation_id, seq, sender, text, sent_at, status) VALUES
       ('m1', 'c1', 1, 'web:v_1@shop', 'x', '2026-01-01T00:00:01.000Z', 'sent'), ('m2', 'c1', 2, 'team:support', 'x', '2026-01-01T00:00:02.000Z', 'sent'),
       ('m3', 'c1', 3, 'web:v_1@shop', 'x', '2026-01-01T00:00:03.000Z', 'sent'), ('m4', 'c2', 1, 'web:v_2@shop', 'x', '2026-01-01T00:00:04.000Z', 'sent'),
       ('m5', 'c2', 2, 'web:a_ann@shop', 'x', '2026-01-01T00:00:05.000Z', 'sent'), ('m6', 'c3', 1, 'web:v_3@shop', 'x', '2026-01-01T00:00:06.000Z', 'sent')`,
    );
    await query(url, "INSERT INTO participants (conversation_id, address, position) VALUES ('c1', 'web:v_1@shop', 0), ('c3', 'web:v_3@shop', 0)");
    // A handover left unfinished by the older bridge: whether its context line went out is not known.
    await query(url, "INSERT INTO joining (conversation_id, party, since) VALUES ('c1', 'xmpp:ann@x.test', 2)");
    // An offer made by the older bridge: it knows no seq (a claim reads the conversation's own then).
    await query(url, "INSERT INTO offers (conversation_id, agent_id, deadline, declined) VALUES ('c1', 'ann', 1000, '{}')");
    // Webhook deliveries waiting: each is found by the conversation its body names.
    await query(
      url,
      // Unreadable (not JSON; an escaped NUL, which jsonb refuses), or naming no conversation: left
      // without one (found by the body, as before), the upgrade going on.
      `INSERT INTO webhook_deliveries (id, hook, event, site_key, body) VALUES ('w1', 'h', 'conversation.message', 'shop', $1),
       ('w2', 'h', 'conversation.closed', 'shop', $2), ('w3', 'h', 'conversation.opened', 'shop', 'not JSON c1'),
       ('w4', 'h', 'conversation.message', 'shop', $3), ('w5', 'h', 'conversation.opened', 'shop', $4)`,
      [
        JSON.stringify({ id: 'w1', data: { conversationId: 'c1', message: { text: 'x' } } }),
        JSON.stringify({ id: 'w2', data: { conversation: { id: 'c3' } } }),
        JSON.stringify({ id: 'w4', data: { conversationId: 'c1', message: { text: '\0' } } }),
        JSON.stringify({ id: 'w5', data: {} }),
      ],
    );
    const store = new PostgresStore({ url });
    await store.open();
    try {
      await assertUpgradedConversations(store);
      const [mark] = await store.claimStaleJoinings(0);
      assert.deepEqual([mark?.conversationId, mark?.party, mark?.introduced], ['c1', 'xmpp:ann@x.test', false], 'its line is sent when it is finished');
      assert.deepEqual(await store.offers(), [{ conversationId: 'c1', agentId: 'ann', deadline: 1000, declined: [] }]);
      assert.deepEqual(await query(url, 'SELECT id, conversation_id FROM webhook_deliveries ORDER BY id'), [
        { id: 'w1', conversation_id: 'c1' },
        { id: 'w2', conversation_id: 'c3' },
        { id: 'w3', conversation_id: null },
        { id: 'w4', conversation_id: null },
        { id: 'w5', conversation_id: null },
      ]);
    } finally {
      await store.close();
    }
  });

  it('upgrades a database of the first version: what exists was told to webhooks, and nothing is waiting', async () => {
    const url = await server.createDatabase();
    // The schema as the first Postgres bridge left it, with one assigned conversation and one closed.
    await query(url, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); ${MIGRATIONS[0]}`);
    await query(url, 'INSERT INTO schema_migrations (version) VALUES (1)');
    const now = '2026-01-01T00:00:00.000Z';
    await query(
      url,
      `INSERT INTO conversations (id, site_key, team, assignee, state, opened_by, created_at, updated_at, last_seq) VALUES
       ('c1', 'shop', 'support', 'web:a_alice@shop', 'open', 'web:v_1', $1, $1, 0), ('c2', 'shop', 'support', NULL, 'closed', 'web:v_2', $1, $1, 0)`,
      [now],
    );
    const store = new PostgresStore({ url });
    await store.open();
    try {
      assert.deepEqual(await store.conversationsAheadOfMarks(10), []);
      assert.deepEqual(await store.swapConversationMark('c1', { state: 'closed', assignee: 'web:a_alice@shop' }), {
        state: 'open',
        assignee: 'web:a_alice@shop',
      });
      assert.deepEqual(await store.swapConversationMark('c2', { state: 'closed' }), { state: 'closed' });
      assert.equal(await store.webhookBacklog(), 0);
      assert.deepEqual(await store.offers(), []);
      const versions = await query<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        versions.map((v) => v.version),
        MIGRATIONS.map((_, i) => i + 1),
      );
    } finally {
      await store.close();
    }
  });

  const ANN = 'xmpp:ann@x.test';

  /** A store on a database of its own, with a conversation assigned to ANN as joining (store.ts, `Joining`); closed after `run`. */
  async function withAnnJoining(run: (store: PostgresStore, url: string, conversationId: string) => Promise<void>): Promise<void> {
    const url = await server.createDatabase();
    const store = new PostgresStore({ url, poolSize: 2 });
    await store.open();
    try {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await store.assignIfQueued(c.id, ANN, { joining: true });
      await run(store, url, c.id);
    } finally {
      await store.close();
    }
  }

  /** Resolves once another connection waits for a lock `holder` holds (10 s at most). */
  async function someoneWaitsFor(url: string, holder: pg.Client, what: string): Promise<void> {
    const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const deadline = Date.now() + 10_000;
    const waiting = async () =>
      (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid]))[0]!.n > 0;
    while (!(await waiting())) {
      assert.ok(Date.now() < deadline, what);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Runs `during` while an assignment is under way on another node: it holds a new conversation's
   * row, ANN added (open), not committed yet; `during` starts what is to wait for it, which is
   * awaited once the assignment is committed.
   */
  async function whileAssigning(what: string, during: (store: PostgresStore, conversationId: string) => Promise<unknown>): Promise<PostgresStore> {
    const url = await server.createDatabase();
    const store = new PostgresStore({ url, poolSize: 2 });
    await store.open();
    const assigning = new pg.Client({ connectionString: url });
    await assigning.connect();
    try {
      const c = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_1', participants: ['web:v_1'] });
      await assigning.query('BEGIN');
      await assigning.query('UPDATE conversations SET assignee = $1, roster = roster + 1 WHERE id = $2', [ANN, c.id]);
      await assigning.query('INSERT INTO participants (conversation_id, address, position) VALUES ($1, $2, 1)', [c.id, ANN]);
      const waiting = during(store, c.id);
      await someoneWaitsFor(url, assigning, what);
      await assigning.query('COMMIT');
      await waiting;
      return store;
    } catch (error) {
      await store.close();
      throw error;
    } finally {
      await assigning.end();
    }
  }

  it('queues a message for a party assigned while its append waited for the conversation, though it read the participants before', async () => {
    const seen: (readonly Address[])[] = [];
    const store = await whileAssigning('the append waits for the assignment holding the conversation', (on, conversationId) =>
      on.appendMessage({
        conversationId,
        from: 'web:v_1',
        text: 'hello',
        status: 'accepted',
        outbox: [],
        outboxFor: (participants) => (seen.push(participants), participants.filter((p) => p === ANN).map((recipient) => ({ recipient, network: 'xmpp' }))),
      }),
    );
    try {
      assert.deepEqual(seen, [['web:v_1', ANN]]);
      assert.deepEqual(
        (await store.pendingOutbox('xmpp', 10)).map((item) => [item.message.text, item.recipient]),
        [['hello', ANN]],
      );
    } finally {
      await store.close();
    }
  });

  it('closes a conversation for a participant another node added while the close waited for the conversation', async () => {
    let id = '';
    const store = await whileAssigning('the close waits for the assignment holding the conversation', (on, conversationId) => {
      id = conversationId;
      return on.setConversationState(conversationId, 'closed');
    });
    try {
      assert.deepEqual(
        (await store.listConversations({ participant: ANN, state: 'closed', limit: 10 })).map((x) => x.id),
        [id],
      );
      assert.deepEqual(await store.listConversations({ participant: ANN, state: 'open', limit: 10 }), []);
    } finally {
      await store.close();
    }
  });

  it("catches a joining party up only once an append holding the conversation is committed, with that append's message", () =>
    withAnnJoining(async (store, url, conversationId) => {
      const appending = new pg.Client({ connectionString: url });
      await appending.connect();
      try {
        // An append under way on another node, which left the joining party out: it holds the
        // conversation's row (as an append's seq does) and has written its message, not committed yet.
        await appending.query('BEGIN');
        const [{ seq }] = (
          await appending.query<{ seq: number }>('UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq AS seq', [conversationId])
        ).rows as [{ seq: number }];
        await appending.query(
          `INSERT INTO messages (id, conversation_id, seq, sender, text, sent_at, status) VALUES ('m_under_way', $1, $2, 'web:v_1', 'under way', $3, 'accepted')`,
          [conversationId, seq, new Date().toISOString()],
        );
        const caughtUp = store.queueEarlierMessages(conversationId, ANN, 'xmpp');
        await someoneWaitsFor(url, appending, 'the catch-up waits for the append holding the conversation');
        await appending.query('COMMIT');
        assert.equal(await caughtUp, 1);
        assert.deepEqual(
          (await store.pendingOutbox('xmpp', 10)).map((item) => [item.message.text, item.recipient]),
          [['under way', ANN]],
        );
      } finally {
        await appending.end();
      }
    }));

  it('erases the joining marks that name a party; a transfer away drops the mark of the party that leaves', () =>
    withAnnJoining(async (store, url, conversationId) => {
      const marks = async () => (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM joining WHERE party = $1', [ANN]))[0]!.n;
      const other = await store.createConversation({ siteKey: 'shop', openedBy: 'web:v_2', participants: ['web:v_2'] });
      await store.assignIfQueued(other.id, ANN, { joining: true });
      await store.transferConversation(other.id, 'web:a_bob@shop');
      assert.equal(await marks(), 1, 'only the conversation ANN is still joining');
      await store.eraseParty('shop', ANN);
      assert.equal(await marks(), 0);
      assert.deepEqual(await store.claimStaleJoinings(0), []);
      assert.ok(await store.getConversation(conversationId));
    }));

  it("holds a party's messages back past JOINING_TTL_MS until its mark is claimed and the handover finished, which queues them once", () =>
    withAnnJoining(async (store, url, conversationId) => {
      const send = (text: string) =>
        store.appendMessage({
          conversationId,
          from: 'web:v_1',
          text,
          status: 'accepted',
          outbox: [],
          outboxFor: (participants) => participants.filter((p) => p === ANN).map((recipient) => ({ recipient, network: 'xmpp' })),
        });
      await send('while joining');
      assert.deepEqual(await store.claimStaleJoinings(JOINING_TTL_MS), [], 'a handover under way is not claimed');
      await query(url, 'UPDATE joining SET since = since - $1', [JOINING_TTL_MS]);
      await send('after its node died');
      assert.deepEqual(await store.pendingOutbox('xmpp', 10), [], 'still held back');
      assert.deepEqual(
        (await store.claimStaleJoinings(JOINING_TTL_MS)).map((mark) => [mark.conversationId, mark.party]),
        [[conversationId, ANN]],
      );
      assert.deepEqual(await store.claimStaleJoinings(JOINING_TTL_MS), [], 'claimed once, stamped anew');
      const [finished, late] = await Promise.all([
        store.queueEarlierMessages(conversationId, ANN, 'xmpp', { joining: true }),
        store.queueEarlierMessages(conversationId, ANN, 'xmpp', { joining: true }),
      ]);
      assert.deepEqual([finished, late].sort(), [0, 2], 'the claim and a late catch-up of the node that made the mark: one queues');
      await send('once caught up');
      assert.deepEqual(
        (await store.pendingOutbox('xmpp', 10)).map((item) => item.message.text),
        ['while joining', 'after its node died', 'once caught up'],
      );
    }));

  it('reports a wrong password as the server says it', async () => {
    const url = (await server.createDatabase()).replace(/:[^:@/]+@/, ':wrong@');
    const store = new PostgresStore({ url });
    await assert.rejects(store.open(), (error: { code?: string }) => error.code === '28P01');
    await store.close();
  });
});
