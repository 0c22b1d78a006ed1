/**
 * The Postgres store: the same contract as the SQLite engine, for several bridge nodes sharing one
 * database. Nothing is cached in the process (another node may have written since); every
 * guarantee rests on the database itself:
 * - `seq` is taken by `UPDATE conversations SET last_seq = last_seq + 1 ... RETURNING` inside the
 *   message's transaction: the row lock orders writers of one conversation, and a rolled-back
 *   message gives its number back, so there is no gap.
 * - a repeated `clientId` (per sender) or remote id loses on a unique index (`ON CONFLICT DO
 *   NOTHING`, which waits for the other writer's outcome); the loser rolls back, seq included, and
 *   returns the stored message.
 * - outbox rows of one network, and webhook deliveries of one hook, are queued under a
 *   transaction-scoped advisory lock of that network or hook, so their ids (seqs) are handed out in
 *   commit order: a reader that sees an item sees every one queued before it.
 * - an erasure or a sweep locks the conversations it deletes or deletes from (and queueing a
 *   joiner's earlier messages holds its conversation), so nothing written into them at the same
 *   time outlives it: a message appended at once lands before (and goes with its conversation) or
 *   after (into a conversation that stays, or not at all: the conversation is gone).
 */
import type { AgentSessionRecord, ReportConversation } from '../console-store.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import type { Address, ConversationState, InboxCounts, InboxSearchResult, Message, MessageStatus, Note } from '@switchboard/protocol';
import { isRetraction, statusMovesForward } from '@switchboard/protocol';
import { bounded } from '../../util/bounded.js';
import { newId } from '../../util/ids.js';
import type { BlobStore } from '../../core/files/blob-store.js';
import { PostgresBlobStore } from './postgres-blobs.js';
import { checkOut } from './checked-out.js';
import { READ_TIMEOUT, asUnavailable, isUnreachable } from './unreachable.js';
import type {
  AppendResult,
  BlockRecord,
  ContinuationRecord,
  ConversationQuery,
  ConversationRecord,
  GatewayFollow,
  TeamSubscriber,
  HistoryQuery,
  NewConversation,
  Assigning,
  Joining,
  JoiningMark,
  NewMessage,
  OutboxItem,
  OutboxRef,
  PartyRecord,
  Store,
  UsageRow,
  Fence,
  ConversationMark,
  ErasureResult,
  FileRecord,
  NewWebhookDelivery,
  OfferClaim,
  OfferRecord,
  PartyData,
  WebhookClaim,
  WebhookDeliveryRecord,
  StatusChange,
  TakenBack,
} from '../store.js';
import {
  type BlockRow,
  type ContinuationRow,
  type ConversationRow,
  type MessageRow,
  type PartyRow,
  cleanSubject,
  continuationColumns,
  toBlock,
  toContinuation,
  toConversation as fromRow,
  toMessage,
  toParty,
  heardFromSql,
  lastHeardSiteSql,
  partyOfSite,
  type WebhookRow,
  toWebhookDelivery,
  viaColumn,
  viaOfRow,
  takesBack,
  webhookNeedleOf,
  webhookNeedles,
  teamsBySubscriber,
  type StatusChangeRow,
} from '../rows.js';
import { FencedError, isSharedCustomer } from '../store.js';
import { MIGRATIONS } from './migrations.js';
import { PostgresConsole } from './postgres-console.js';
import { PostgresContacts } from './postgres-contacts.js';
import { PostgresFiles } from './postgres-files.js';
import { PostgresInbox } from './postgres-inbox.js';
import type { AddNoteResult, InboxCountQuery, InboxQuery, InboxReader, InboxRow, NewNote } from '../inbox-store.js';
import { attachmentsColumn } from '../file-rows.js';
import { AWAITING_FROM_MESSAGES, awaitingAfterMessage, saysSomething } from '../inbox-sql.js';
import type { ContactMergeRecord, ContactRecord, NewContactLink, NewContactMerge } from '../contact-store.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Connections this node keeps at most. */
  poolSize?: number;
  /** Errors of idle connections (the server went away); queries report their own errors. */
  onError?: (error: Error) => void;
  /**
   * Each statement is answered within this or fails: the server cancels it past this
   * (`statement_timeout`, which also frees the locks it waits on or holds), and the bridge gives up
   * on a server that does not answer at all (hung, or cut off without a TCP reset) a second later.
   */
  queryTimeoutMs?: number;
  /** A new connection is made (TCP, TLS, login) within this or fails. */
  connectTimeoutMs?: number;
  /** A query failed because the database did not answer or could not be reached (clients are told `unavailable`). */
  onUnreachable?: (error: Error) => void;
}

/** A conversation row with its participants (aggregated in the query). */
interface ConversationWithParticipants extends ConversationRow {
  participants: string[];
}

/** A row of `offers` (bigint deadlines come back as strings). */
interface OfferRow {
  conversation_id: string;
  agent_id: string;
  deadline: string;
  declined: string[];
  seq: string | null;
}

const toOffer = (row: OfferRow): OfferRecord => ({
  conversationId: row.conversation_id,
  agentId: row.agent_id,
  deadline: Number(row.deadline),
  declined: row.declined,
  ...(row.seq !== null ? { seq: Number(row.seq) } : {}),
});

/** The database's clock in epoch ms (webhook claims): every node reads the same one, whatever its own says. */
const DATABASE_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const toConversation = (row: ConversationWithParticipants) => fromRow(row, row.participants);

type Queryable = Pick<PoolClient, 'query'>;

/** The key of the session lock that lets one node at a time migrate. */
const MIGRATION_LOCK = 0x53574d49; // "SWMI"
/** The first key of the per-network outbox locks (the second is the network's hash). */
const OUTBOX_LOCK_SPACE = 0x53574f42; // "SWOB"
/** The first key of the per-hook webhook delivery locks (the second is the hook's hash). */
const WEBHOOK_LOCK_SPACE = 0x53575748; // "SWWH"
/** Conversations deleted per transaction by a retention sweep. */
const SWEEP_BATCH = 200;
/** serialization_failure, deadlock_detected: the transaction did nothing and may run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 5;
export const QUERY_TIMEOUT_MS = 5_000;
export const CONNECT_TIMEOUT_MS = 5_000;
/** How much longer than the server's own `statement_timeout` the bridge waits for its answer. */
const READ_MARGIN_MS = 1_000;
/**
 * TCP keepalive probes start after this much silence: an idle connection to a server that went away
 * without a reset (a failover, a cut link) is found dead and dropped by the kernel instead of being
 * handed out again.
 */
const KEEPALIVE_DELAY_MS = 10_000;
/**
 * How long readiness waits for the server to answer `SELECT 1`: a server that hangs, or was cut
 * off without a reset, leaves the pool's open connections waiting for good (no TCP error comes),
 * and a readiness check must answer within its own timeout (HAProxy's `inter`, 2 s in
 * docs/deploying.md; Kubernetes' 1 s by default).
 */
const PING_TIMEOUT_MS = 900;

/** A conversation row with its participants in the order they joined. */
const CONVERSATION = `c.*, coalesce((SELECT array_agg(p.address ORDER BY p.position) FROM participants p WHERE p.conversation_id = c.id), '{}') AS participants`;

/** Thrown inside a transaction to roll it back and still answer `value`. */
class RollbackWith<T> extends Error {
  constructor(readonly value: T) {
    super('rolled back with a result');
  }
}

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE.has((error as { code?: string }).code ?? '');
}

export class PostgresStore implements Store {
  private pool: pg.Pool | undefined;
  private closed = false;
  private readonly console = new PostgresConsole(() => this.db);
  private readonly contacts = new PostgresContacts((work, begin) => this.transaction(work, begin));
  private readonly files = new PostgresFiles(
    () => this.db,
    (work, begin) => this.transaction(work, begin),
  );

  private readonly inboxes = new PostgresInbox(
    () => this.db,
    (work) => this.transaction(work),
  );

  constructor(private readonly options: PostgresStoreOptions) {}

  private get db(): pg.Pool {
    if (!this.pool) throw new Error('the Postgres store is not open');
    return this.pool;
  }

  private async rows<R extends QueryResultRow>(sql: string, params: unknown[] = [], on: Queryable = this.db): Promise<R[]> {
    return (await on.query<R>(sql, params)).rows;
  }

  /**
   * Runs `work` in one transaction (read committed). A deadlock or serialization failure rolled
   * everything back, so the whole transaction runs again.
   */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    try {
      return await this.attempts(work, begin);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  private async attempts<T>(work: (client: PoolClient) => Promise<T>, begin: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await checkOut(this.db, (error) => this.options.onError?.(error));
      let broken = false;
      try {
        await client.query(begin);
        const value = await work(client);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        // A statement the server never answered still holds the connection: a ROLLBACK would only
        // queue behind it. Dropping the connection rolls the transaction back on the server (or, if
        // it was the COMMIT, the transaction stands, and a resend with the same clientId finds it).
        if ((error as Error).message === READ_TIMEOUT) broken = true;
        else {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true; // the connection is gone: the pool must not hand it out again
          }
        }
        if (error instanceof RollbackWith) return error.value as T;
        if (!broken && isRetryable(error) && attempt < ATTEMPTS) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  private lastUnreachableReport = -Infinity;

  /** `error` as a client should see it; a database that does not answer is reported, once in 10 s at most. */
  private unavailable(error: unknown): unknown {
    if (!isUnreachable(error)) return error;
    const now = Date.now();
    if (now - this.lastUnreachableReport >= 10_000) {
      this.lastUnreachableReport = now;
      this.options.onUnreachable?.(error as Error);
    }
    return asUnavailable(error);
  }

  async open(): Promise<void> {
    this.closed = false;
    const statementTimeout = this.options.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
    // A server that does not answer fails a query (and readiness) in bounded time instead of holding
    // it forever; the connection it hung on is then dropped (pg-pool removes a client released with
    // an error), so the pool heals by itself once the server, or the one that took its place, answers.
    const pool = new pg.Pool({
      connectionString: this.options.url,
      max: this.options.poolSize ?? 10,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      statement_timeout: statementTimeout,
      // A node that stopped mid-transaction (hung, cut off) must not hold its row locks for long.
      idle_in_transaction_session_timeout: statementTimeout,
      query_timeout: statementTimeout + READ_MARGIN_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    });
    // Every statement run on the pool itself: a database that does not answer is `unavailable` to clients.
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    pool.query = ((...args: unknown[]) =>
      query(...args).catch((error: unknown) => {
        throw this.unavailable(error);
      })) as typeof pool.query;
    this.pool = pool;
    // Without a listener an idle connection's error (the server restarted) would end the process.
    this.pool.on('error', (error) => this.options.onError?.(error));
    await this.migrate();
  }

  async close(): Promise<void> {
    if (!this.pool || this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  blobs(): BlobStore {
    return new PostgresBlobStore(() => this.db);
  }

  async ping(): Promise<boolean> {
    if (!this.pool || this.closed) return false;
    // The query's own timeout fails it, and the pool then drops the connection it hung on; the
    // timer also covers the wait for a connection (the pool busy with queries that hang too).
    // node-postgres reads `query_timeout` from a query's config too (pg/lib/client.js); its types list it for the client only.
    const ping: pg.QueryConfig & { query_timeout: number } = { text: 'SELECT 1 AS one', query_timeout: PING_TIMEOUT_MS };
    const answered = await bounded(this.pool.query<{ one: number }>(ping), PING_TIMEOUT_MS);
    return answered?.rows[0]?.one === 1;
  }

  private async migrate(): Promise<void> {
    // A connection of its own, without the pool's time limits: waiting for another node's
    // migration, or an upgrade step over a large table, may rightly take longer than a query.
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS });
    client.on('error', (error) => this.options.onError?.(error));
    await client.connect();
    try {
      // Nodes starting together wait here; the first migrates, the others then find nothing to do.
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
        const current = (await this.rows<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations', [], client))[0]!.version;
        if (current > MIGRATIONS.length) {
          throw new Error(`The database has schema version ${current}, newer than this bridge knows (${MIGRATIONS.length}); upgrade the bridge.`);
        }
        for (let version = current; version < MIGRATIONS.length; version++) {
          await client.query('BEGIN');
          try {
            await client.query(MIGRATIONS[version]!);
            await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version + 1]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      await client.end();
    }
  }

  async secret(name: string): Promise<string> {
    const key = `secret:${name}`;
    await this.db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, randomBytes(32).toString('base64url')]);
    // A second statement: it sees the value another node stored meanwhile.
    return (await this.rows<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))[0]!.value;
  }

  async upsertParty(party: PartyRecord): Promise<void> {
    const now = new Date().toISOString();
    await this.db.query(
      `INSERT INTO parties (address, site_key, role, name, email, verified, page_url, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (address) DO UPDATE SET role = excluded.role, name = coalesce(excluded.name, parties.name),
         email = coalesce(excluded.email, parties.email), verified = parties.verified OR excluded.verified,
         page_url = coalesce(excluded.page_url, parties.page_url), updated_at = excluded.updated_at`,
      [party.address, party.siteKey, party.role, party.name ?? null, party.email ?? null, party.verified, party.pageUrl ?? null, now],
    );
  }

  async getParty(address: Address): Promise<PartyRecord | null> {
    const row = (await this.rows<PartyRow>('SELECT * FROM parties WHERE address = $1', [address]))[0];
    return row ? toParty(row) : null;
  }

  async expireIdleVisitors(siteKey: string, before: string): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM parties
       WHERE site_key = $1 AND updated_at < $2 AND role = 'visitor' AND NOT verified
         AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.address = parties.address)
         AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.opened_by = parties.address)`,
      [siteKey, before],
    );
    return result.rowCount ?? 0;
  }

  private async loadConversation(id: string, on: Queryable = this.db): Promise<ConversationRecord | null> {
    const row = (await this.rows<ConversationWithParticipants>(`SELECT ${CONVERSATION} FROM conversations c WHERE c.id = $1`, [id], on))[0];
    return row ? toConversation(row) : null;
  }

  private async requireConversation(id: string, on: Queryable): Promise<ConversationRecord> {
    const record = await this.loadConversation(id, on);
    if (!record) throw new Error(`conversation ${id} does not exist`);
    return record;
  }

  /** Marks the new assignee joining, in its assignment's transaction (store.ts, `Joining`), stamped even (`JoiningMark`). */
  private async markJoining(id: string, party: Address, on: Queryable): Promise<void> {
    await on.query(
      `INSERT INTO joining (conversation_id, party, since) VALUES ($1, $2, ${DATABASE_NOW_MS} / 2 * 2)
       ON CONFLICT (conversation_id, party) DO UPDATE SET since = excluded.since, introduced = false`,
      [id, party],
    );
  }

  /** Locks a conversation's row for the rest of the transaction (participants join in order). */
  private async lockConversation(id: string, on: Queryable): Promise<{ assignee: string | null }> {
    const row = (await this.rows<{ assignee: string | null }>('SELECT assignee FROM conversations WHERE id = $1 FOR UPDATE', [id], on))[0];
    if (!row) throw new Error(`conversation ${id} does not exist`);
    return row;
  }

  /** Adds a participant, counting a change of the conversation's roster (see `participantsNow`). */
  private async insertParticipant(id: string, address: Address, on: Queryable): Promise<void> {
    await on.query(
      `WITH changed AS (UPDATE conversations SET roster = roster + 1 WHERE id = $1)
       INSERT INTO participants (conversation_id, address, position, conversation_open)
       SELECT $1, $2, (SELECT count(*) FROM participants WHERE conversation_id = $1), state = 'open' FROM conversations WHERE id = $1
       ON CONFLICT DO NOTHING`,
      [id, address],
    );
  }

  /** Removes a participant from each of these conversations, counting a change of their rosters. */
  private async deleteParticipant(ids: readonly string[], address: Address, on: Queryable): Promise<void> {
    await on.query(
      `WITH gone AS (DELETE FROM participants WHERE conversation_id = ANY($1::text[]) AND address = $2 RETURNING conversation_id)
       UPDATE conversations SET roster = roster + 1 WHERE id IN (SELECT conversation_id FROM gone)`,
      [ids, address],
    );
  }

  async createConversation(input: NewConversation): Promise<ConversationRecord> {
    const id = newId('c');
    return this.transaction(async (client) => {
      const now = new Date().toISOString();
      await client.query(
        `INSERT INTO conversations (id, site_key, team, assignee, state, opened_by, created_at, updated_at, last_seq)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $6, 0)`,
        [id, input.siteKey, input.team ?? null, input.assignee ?? null, input.openedBy, now],
      );
      for (const address of input.participants) await this.insertParticipant(id, address, client);
      return this.requireConversation(id, client);
    });
  }

  async getConversation(id: string): Promise<ConversationRecord | null> {
    return this.loadConversation(id);
  }

  async findOpenConversation(query: { siteKey: string; openedBy: Address; team?: string; with?: Address }): Promise<ConversationRecord | null> {
    let rows: ConversationWithParticipants[] = [];
    if (query.team !== undefined) {
      rows = await this.rows<ConversationWithParticipants>(
        `SELECT ${CONVERSATION} FROM conversations c
         WHERE c.opened_by = $1 AND c.site_key = $2 AND c.team = $3 AND c.state = 'open' ORDER BY c.created_at DESC LIMIT 1`,
        [query.openedBy, query.siteKey, query.team],
      );
    } else if (query.with !== undefined) {
      rows = await this.rows<ConversationWithParticipants>(
        `SELECT ${CONVERSATION} FROM conversations c
         JOIN participants w ON w.conversation_id = c.id AND w.address = $1
         WHERE c.opened_by = $2 AND c.site_key = $3 AND c.team IS NULL AND c.state = 'open'
           AND (SELECT count(*) FROM participants WHERE conversation_id = c.id) = 2
         ORDER BY c.created_at DESC LIMIT 1`,
        [query.with, query.openedBy, query.siteKey],
      );
    }
    return rows[0] ? toConversation(rows[0]) : null;
  }

  async listConversations(query: ConversationQuery): Promise<ConversationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (query.participant !== undefined) {
      const open = query.state !== undefined ? ` AND conversation_open = ${param(query.state === 'open')}` : '';
      where.push(`c.id IN (SELECT conversation_id FROM participants WHERE address = ${param(query.participant)}${open})`);
    }
    if (query.siteKey !== undefined) where.push(`c.site_key = ${param(query.siteKey)}`);
    if (query.state !== undefined) where.push(`c.state = ${param(query.state)}`);
    if (query.teams !== undefined) where.push(`c.team = ANY(${param([...query.teams])}::text[])`);
    if (query.idSuffix !== undefined) {
      // Letters and digits only: `_` and `%` would be LIKE wildcards. ILIKE: SQLite's LIKE ignores ASCII case.
      if (!/^[0-9a-z]+$/i.test(query.idSuffix)) return [];
      where.push(`c.id ILIKE '%' || ${param(query.idSuffix)}`);
    }
    const rows = await this.rows<ConversationWithParticipants>(
      `SELECT ${CONVERSATION} FROM conversations c ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY c.updated_at DESC, c.id DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(toConversation);
  }

  async openConversationBetween(a: Address, b: Address): Promise<ConversationRecord | null> {
    const rows = await this.rows<ConversationWithParticipants>(
      `SELECT ${CONVERSATION} FROM participants pa
       JOIN participants pb ON pb.conversation_id = pa.conversation_id AND pb.address = $1
       JOIN conversations c ON c.id = pa.conversation_id
       WHERE pa.address = $2 AND pa.conversation_open AND c.state = 'open' ORDER BY c.updated_at DESC, c.last_seq DESC LIMIT 1`,
      [b, a],
    );
    return rows[0] ? toConversation(rows[0]) : null;
  }

  async queuedConversations(team: string, limit: number): Promise<ConversationRecord[]> {
    const rows = await this.rows<ConversationWithParticipants>(
      `SELECT ${CONVERSATION} FROM conversations c
       WHERE c.team = $1 AND c.state = 'open' AND c.assignee IS NULL ORDER BY c.created_at, c.id LIMIT $2`,
      [team, limit],
    );
    return rows.map(toConversation);
  }

  /** One UPDATE of a conversation's row, answered with the conversation as it then is. */
  private async updateConversation(id: string, set: string, params: unknown[], on: Queryable = this.db): Promise<ConversationRecord> {
    const rows = await this.rows<ConversationWithParticipants>(
      `WITH c AS (UPDATE conversations SET ${set}, updated_at = $2 WHERE id = $1 RETURNING *) SELECT ${CONVERSATION} FROM c`,
      [id, new Date().toISOString(), ...params],
      on,
    );
    if (!rows[0]) throw new Error(`conversation ${id} does not exist`);
    return toConversation(rows[0]);
  }

  async closeConversation(id: string): Promise<{ conversation: ConversationRecord; closed: boolean }> {
    const closed = await this.transaction(async (client) => {
      // The row held: a close on another node waits, then finds it closed.
      const held = await client.query<{ state: string }>('SELECT state FROM conversations WHERE id = $1 FOR UPDATE', [id]);
      if (!held.rows[0]) throw new Error(`conversation ${id} does not exist`);
      return held.rows[0].state === 'closed' ? null : this.stateChanged(client, id, 'closed');
    });
    if (closed) return { conversation: closed, closed: true };
    const conversation = await this.getConversation(id);
    if (!conversation) throw new Error(`conversation ${id} does not exist`);
    return { conversation, closed: false };
  }

  async setConversationState(id: string, state: ConversationState): Promise<ConversationRecord> {
    return this.transaction((client) => this.stateChanged(client, id, state));
  }

  /** Inside a transaction: the conversation's state set, its participants' rows and offer following. */
  private async stateChanged(client: PoolClient, id: string, state: ConversationState): Promise<ConversationRecord> {
    // The close time: `updated_at` ($2) of the change that closed it.
    const record = await this.updateConversation(id, "state = $3, closed_at = CASE WHEN $3 = 'closed' THEN $2 END", [state], client);
    // Its participants' rows say whether it is open (participants_by_address). A statement of
    // its own, once the conversation's row is held: it sees every participant a transaction that
    // held the row before added (one statement's snapshot would miss those committed while it waited).
    await client.query('UPDATE participants SET conversation_open = $2 WHERE conversation_id = $1', [id, state === 'open']);
    // Closed: whatever offer it had is over.
    if (state === 'closed') await client.query('DELETE FROM offers WHERE conversation_id = $1', [id]);
    return record;
  }

  async rateConversation(id: string, rating: number, comment?: string): Promise<ConversationRecord> {
    return this.updateConversation(id, 'rating = $3, rating_comment = $4', [rating, comment ?? null]);
  }

  async setConversationSubject(id: string, subject: string): Promise<ConversationRecord> {
    return this.updateConversation(id, 'subject = $3', [cleanSubject(subject)]);
  }

  async conversationThread(conversationId: string, network: string): Promise<string | null> {
    const rows = await this.rows<{ value: string }>('SELECT value FROM conversation_threads WHERE conversation_id = $1 AND network = $2', [
      conversationId,
      network,
    ]);
    return rows[0]?.value ?? null;
  }

  async setConversationThread(conversationId: string, network: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.query('DELETE FROM conversation_threads WHERE conversation_id = $1 AND network = $2', [conversationId, network]);
      return;
    }
    await this.transaction(async (client) => {
      // Held against an erasure or a sweep: a thread outliving its conversation would never be erased.
      const found = await client.query('SELECT 1 FROM conversations WHERE id = $1 FOR KEY SHARE', [conversationId]);
      if (found.rowCount === 0) throw new Error(`conversation ${conversationId} does not exist`);
      await client.query(
        `INSERT INTO conversation_threads (conversation_id, network, value) VALUES ($1, $2, $3)
         ON CONFLICT (conversation_id, network) DO UPDATE SET value = excluded.value`,
        [conversationId, network, value],
      );
    });
  }

  async assignConversation(id: string, assignee: Address): Promise<ConversationRecord> {
    return this.transaction(async (client) => {
      await client.query('UPDATE conversations SET assignee = $1, updated_at = $2 WHERE id = $3', [assignee, new Date().toISOString(), id]);
      await this.insertParticipant(id, assignee, client);
      return this.requireConversation(id, client);
    });
  }

  async assignIfQueued(id: string, assignee: Address, options: Assigning = {}): Promise<ConversationRecord | null> {
    return this.transaction(async (client) => {
      // Another node's assignment makes this one match nothing: read committed re-checks the row it waited for.
      const result = await client.query(
        `UPDATE conversations SET assignee = $1, updated_at = $2 WHERE id = $3 AND assignee IS NULL AND state = 'open' AND ($4::text IS NULL OR team = $4)`,
        [assignee, new Date().toISOString(), id, options.team ?? null],
      );
      if (result.rowCount === 0) return null;
      await this.insertParticipant(id, assignee, client);
      if (options.joining) await this.markJoining(id, assignee, client);
      const assigned = await this.requireConversation(id, client);
      await this.replaceOffer(assigned, options.offer, client);
      return this.tookTurn(assigned, options.turn, client);
    });
  }

  async transferConversation(id: string, to: Address | null, team?: string, options: Assigning = {}): Promise<ConversationRecord> {
    return this.transaction(async (client) => this.transferNow(id, await this.lockConversation(id, client), to, team, options, client));
  }

  async transferOffered(id: string, claim: OfferClaim, to: Address, options: Assigning = {}): Promise<ConversationRecord | null> {
    return this.transaction(async (client) => {
      // The conversation locked: a message of it, stored with its seq under the same lock, is committed before this reads, or after this move.
      const before = await this.lockConversation(id, client);
      const held = await client.query(
        `SELECT 1 FROM offers o WHERE o.conversation_id = $1 AND o.deadline = $2
           AND EXISTS (SELECT 1 FROM conversations WHERE id = $1 AND state = 'open')
           AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = $1 AND m.seq > coalesce(o.seq, $3) AND m.sender = ANY($4::text[]))
         FOR UPDATE OF o`,
        [id, claim.deadline, claim.seq, [...claim.agent]],
      );
      return held.rowCount === 0 ? null : this.transferNow(id, before, to, undefined, options, client);
    });
  }

  /** `transferConversation` of conversation `id`, locked (`before`: its assignee then), inside `client`'s transaction. */
  private async transferNow(
    id: string,
    before: { assignee: string | null },
    to: Address | null,
    team: string | undefined,
    options: Assigning,
    client: PoolClient,
  ): Promise<ConversationRecord> {
    // The previous assignee leaves: it no longer receives the conversation's messages, and had
    // them all so far, unless it leaves before its catch-up (then it has what it had before).
    if (before.assignee !== null && before.assignee !== to) {
      await this.deleteParticipant([id], before.assignee as Address, client);
      await client.query(
        `WITH unmarked AS (DELETE FROM joining WHERE conversation_id = $1 AND party = $2 RETURNING 1)
         INSERT INTO departures (conversation_id, party, through_seq)
         SELECT id, $2, last_seq FROM conversations WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM unmarked)
         ON CONFLICT (conversation_id, party) DO UPDATE SET through_seq = excluded.through_seq`,
        [id, before.assignee],
      );
    }
    await client.query('UPDATE conversations SET assignee = $1, team = coalesce($2, team), updated_at = $3 WHERE id = $4', [
      to,
      team ?? null,
      new Date().toISOString(),
      id,
    ]);
    if (to !== null) await this.insertParticipant(id, to, client);
    // Not who has it already (two transfers to it raced): it has what was said.
    if (to !== null && options.joining && before.assignee !== to) await this.markJoining(id, to, client);
    const after = await this.requireConversation(id, client);
    await this.replaceOffer(after, to === null ? undefined : options.offer, client);
    return this.tookTurn(after, to === null ? undefined : options.turn, client);
  }

  async addParticipant(id: string, address: Address): Promise<ConversationRecord> {
    return this.transaction(async (client) => {
      await this.lockConversation(id, client);
      await this.insertParticipant(id, address, client);
      return this.requireConversation(id, client);
    });
  }

  async addUsage(rows: readonly UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Summed here first (one statement may not update a row twice), and sorted, so that two nodes
    // adding to the same rows lock them in the same order.
    const sums = new Map<string, UsageRow>();
    for (const row of rows) {
      const key = JSON.stringify([row.siteKey, row.day, row.from, row.to]);
      const sum = sums.get(key);
      if (sum) {
        sum.messages += row.messages;
        sum.bytes += row.bytes;
      } else sums.set(key, { ...row });
    }
    const sorted = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    await this.db.query(
      `INSERT INTO usage (day, site_key, from_network, to_network, messages, bytes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
       ON CONFLICT (site_key, day, from_network, to_network) DO UPDATE SET messages = usage.messages + excluded.messages, bytes = usage.bytes + excluded.bytes`,
      [
        sorted.map((r) => r.day),
        sorted.map((r) => r.siteKey),
        sorted.map((r) => r.from),
        sorted.map((r) => r.to),
        sorted.map((r) => r.messages),
        sorted.map((r) => r.bytes),
      ],
    );
  }

  async usage(siteKey: string, fromDay: string, toDay: string): Promise<UsageRow[]> {
    const rows = await this.rows<{ day: string; site_key: string; from_network: string; to_network: string; messages: string; bytes: string }>(
      'SELECT * FROM usage WHERE site_key = $1 AND day >= $2 AND day <= $3 ORDER BY day, from_network, to_network',
      [siteKey, fromDay, toDay],
    );
    return rows.map((row) => ({
      day: row.day,
      siteKey: row.site_key,
      from: row.from_network,
      to: row.to_network,
      messages: Number(row.messages),
      bytes: Number(row.bytes),
    }));
  }

  async setGatewayFollow(follow: GatewayFollow, on: boolean): Promise<void> {
    if (on) {
      await this.db.query('INSERT INTO gateway_follows (watcher, target, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        follow.watcher,
        follow.target,
        new Date().toISOString(),
      ]);
    } else {
      await this.db.query('DELETE FROM gateway_follows WHERE watcher = $1 AND target = $2', [follow.watcher, follow.target]);
    }
  }

  async networkState(network: string, key: string): Promise<string | null> {
    return (await this.rows<{ value: string }>('SELECT value FROM network_state WHERE network = $1 AND key = $2', [network, key]))[0]?.value ?? null;
  }

  async setNetworkState(network: string, key: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.db.query('DELETE FROM network_state WHERE network = $1 AND key = $2', [network, key]);
      return;
    }
    await this.db.query(
      `INSERT INTO network_state (network, key, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (network, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [network, key, value, new Date().toISOString()],
    );
  }

  async gatewayFollows(address?: Address): Promise<GatewayFollow[]> {
    const rows =
      address === undefined
        ? await this.rows<{ watcher: string; target: string }>('SELECT watcher, target FROM gateway_follows ORDER BY watcher, target')
        : await this.rows<{ watcher: string; target: string }>(
            // In key order, as SQLite answers (its tables are kept in primary-key order).
            'SELECT watcher, target FROM gateway_follows WHERE watcher = $1 UNION SELECT watcher, target FROM gateway_follows WHERE target = $1 ORDER BY watcher, target',
            [address],
          );
    return rows.map((row) => ({ watcher: row.watcher as Address, target: row.target as Address }));
  }

  async setTeamSubscriber(subscription: TeamSubscriber, on: boolean): Promise<void> {
    if (on) {
      await this.db.query('INSERT INTO team_subscribers (team, subscriber, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        subscription.team,
        subscription.subscriber,
        new Date().toISOString(),
      ]);
    } else {
      await this.db.query('DELETE FROM team_subscribers WHERE team = $1 AND subscriber = $2', [subscription.team, subscription.subscriber]);
    }
  }

  async teamsSubscribedBy(subscribers: readonly Address[]): Promise<Map<Address, string[]>> {
    if (subscribers.length === 0) return new Map();
    return teamsBySubscriber(
      await this.rows<{ subscriber: string; team: string }>(
        'SELECT subscriber, team FROM team_subscribers WHERE subscriber = ANY($1::text[]) ORDER BY subscriber, team',
        [[...subscribers]],
      ),
    );
  }

  async takingPartOnSite(siteKey: string, addresses: readonly Address[]): Promise<Set<Address>> {
    if (addresses.length === 0) return new Set();
    const rows = await this.rows<{ address: string }>(
      `SELECT DISTINCT p.address FROM participants p JOIN conversations c ON c.id = p.conversation_id
      WHERE p.address = ANY($1::text[]) AND c.site_key = $2`,
      [[...addresses], siteKey],
    );
    return new Set(rows.map((row) => row.address as Address));
  }

  async teamSubscribers(network: string): Promise<TeamSubscriber[]> {
    const rows = await this.rows<{ team: string; subscriber: string }>(
      "SELECT team, subscriber FROM team_subscribers WHERE starts_with(subscriber, $1 || ':') ORDER BY team, subscriber",
      [network],
    );
    return rows.map((row) => ({ team: row.team, subscriber: row.subscriber as Address }));
  }

  async openCounts(assignees: readonly Address[]): Promise<Map<Address, number>> {
    const rows = await this.rows<{ assignee: string; n: number }>(
      `SELECT assignee, count(*)::int AS n FROM conversations WHERE assignee = ANY($1::text[]) AND state = 'open' GROUP BY assignee`,
      [[...assignees]],
    );
    const counts = new Map(rows.map((row) => [row.assignee, row.n]));
    return new Map(assignees.map((assignee) => [assignee, counts.get(assignee) ?? 0]));
  }

  private async byClientId(from: Address, clientId: string, on: Queryable = this.db): Promise<MessageRow | undefined> {
    return (await this.rows<MessageRow>('SELECT * FROM messages WHERE sender = $1 AND client_id = $2', [from, clientId], on))[0];
  }

  private async byRemoteId(network: string, remoteId: string, on: Queryable = this.db): Promise<MessageRow | undefined> {
    return (
      await this.rows<MessageRow>(
        'SELECT m.* FROM inbound_ids i JOIN messages m ON m.id = i.message_id WHERE i.network = $1 AND i.remote_id = $2',
        [network, remoteId],
        on,
      )
    )[0];
  }

  /** Queues outbox rows of these networks in commit order (see the file's comment). */
  private async lockOutboxes(networks: Iterable<string>, on: Queryable): Promise<void> {
    await this.lockQueues(OUTBOX_LOCK_SPACE, networks, on);
  }

  /** Takes the transaction's advisory locks of these queues; sorted, so locks never cross. */
  private async lockQueues(space: number, keys: Iterable<string>, on: Queryable): Promise<void> {
    for (const key of [...new Set(keys)].sort()) await on.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [space, key]);
  }

  /** Queues webhook deliveries in order, each hook's under its lock (taken after any outbox lock). */
  private async insertWebhooks(deliveries: readonly NewWebhookDelivery[], on: Queryable): Promise<void> {
    if (deliveries.length === 0) return;
    await this.lockQueues(
      WEBHOOK_LOCK_SPACE,
      deliveries.map((delivery) => delivery.hook),
      on,
    );
    await on.query(
      `INSERT INTO webhook_deliveries (id, hook, event, site_key, conversation_id, body)
       SELECT d.id, d.hook, d.event, d.site_key, d.conversation_id, d.body
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         WITH ORDINALITY AS d (id, hook, event, site_key, conversation_id, body, n) ORDER BY d.n
       ON CONFLICT (id) DO NOTHING`,
      [
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.hook),
        deliveries.map((d) => d.event),
        deliveries.map((d) => d.siteKey),
        deliveries.map((d) => d.conversationId ?? null),
        deliveries.map((d) => d.body),
      ],
    );
  }

  async appendMessage(input: NewMessage): Promise<AppendResult> {
    return this.transaction(async (client): Promise<AppendResult> => {
      if (input.clientId !== undefined) {
        const existing = await this.byClientId(input.from, input.clientId, client);
        if (existing) return { kind: 'duplicate', message: toMessage(existing) };
      }
      if (input.remote !== undefined) {
        const existing = await this.byRemoteId(input.remote.network, input.remote.id, client);
        if (existing) return { kind: 'duplicate', message: toMessage(existing) };
      }
      const sentAt = new Date().toISOString();
      const id = newId('m');
      const corrects =
        input.corrects !== undefined &&
        // The sender's own message in this conversation, not taken back (the SQLite store's `correctable`).
        (
          await client.query(
            "SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2 AND sender = $3 AND (text <> '' OR attachments IS NOT NULL OR $4::boolean)",
            [input.corrects, input.conversationId, input.from, takesBack(input)],
          )
        ).rowCount
          ? input.corrects
          : undefined;
      // Who takes part, read before the conversation's row is held (so as not to hold it longer);
      // read again under it should the roster have changed meanwhile.
      const seen = input.outboxFor || input.statusFor ? await this.participantsNow(input.conversationId, client) : undefined;
      // The next seq and the message in one statement: the conversation's row stays locked for
      // fewer round trips. `stored` is false when the clientId lost to another writer.
      const next = (
        await this.rows<{ seq: number | null; roster: number | null; stored: boolean }>(
          `WITH next AS (UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1, awaiting_answer_since = ${awaitingAfterMessage('$4', '$1')}
             WHERE id = $2 RETURNING last_seq, roster),
           inserted AS (
             INSERT INTO messages (id, conversation_id, seq, sender, client_id, text, sent_at, status, sent_from, via, corrects)
             SELECT $3, $2, next.last_seq, $4, $5, $6, $1, $7, $8, $9, $10 FROM next
             ON CONFLICT (sender, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING 1)
           SELECT (SELECT last_seq FROM next) AS seq, (SELECT roster FROM next) AS roster, EXISTS (SELECT 1 FROM inserted) AS stored`,
          [
            sentAt,
            input.conversationId,
            id,
            input.from,
            input.clientId ?? null,
            input.text,
            input.status,
            input.sentFrom ?? null,
            viaColumn(input.via),
            corrects ?? null,
          ],
          client,
        )
      )[0]!;
      if (next.seq === null) throw new Error(`conversation ${input.conversationId} does not exist`);
      if (!next.stored) {
        // Another node stored this clientId meanwhile (and committed: ON CONFLICT waited for it).
        throw new RollbackWith<AppendResult>({ kind: 'duplicate', message: toMessage((await this.byClientId(input.from, input.clientId!, client))!) });
      }
      const message: Message = { id, conversationId: input.conversationId, seq: next.seq, from: input.from, text: input.text, sentAt, status: input.status };
      if (input.clientId !== undefined) message.clientId = input.clientId;
      if (input.sentFrom !== undefined) message.sentFrom = input.sentFrom;
      if (corrects !== undefined) message.corrects = corrects;
      if (input.attachments !== undefined && input.attachments.length > 0) {
        message.attachments = await this.files.claim(client, message.id, input.conversationId, input.from, input.attachments);
        await client.query('UPDATE messages SET attachments = $1 WHERE id = $2', [attachmentsColumn(message.attachments), message.id]);
      }
      if (input.remote !== undefined) {
        const recorded = await client.query('INSERT INTO inbound_ids (network, remote_id, message_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
          input.remote.network,
          input.remote.id,
          message.id,
        ]);
        if (recorded.rowCount === 0) {
          throw new RollbackWith<AppendResult>({
            kind: 'duplicate',
            message: toMessage((await this.byRemoteId(input.remote.network, input.remote.id, client))!),
          });
        }
      }
      let outbox = input.outbox;
      let participants: Address[] | undefined;
      if (seen) {
        // The row's roster as this update found it (after any assignment it waited for).
        const now = seen.roster === next.roster ? seen : await this.participantsNow(input.conversationId, client);
        participants = now.participants;
        if (input.outboxFor) outbox = [...outbox, ...input.outboxFor(now.participants).filter((item) => !now.joining.has(item.recipient))];
        const status = input.statusFor?.(now.participants) ?? message.status;
        if (status !== message.status) {
          await client.query('UPDATE messages SET status = $1 WHERE id = $2', [status, message.id]);
          message.status = status;
        }
      }
      if (outbox.length > 0) {
        await this.lockOutboxes(
          outbox.map((item) => item.network),
          client,
        );
        await client.query(
          `INSERT INTO outbox (message_id, recipient, network, next_attempt_at)
           SELECT $1, r.recipient, r.network, r.not_before FROM unnest($2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS r (recipient, network, not_before, n) ORDER BY r.n
           ON CONFLICT DO NOTHING`,
          [message.id, outbox.map((item) => item.recipient), outbox.map((item) => item.network), outbox.map((item) => item.notBefore ?? 0)],
        );
      }
      const takenBack = isRetraction(message) ? await this.takeBack(message, client) : undefined;
      await this.insertWebhooks(input.webhooks?.(message) ?? [], client);
      return { kind: 'stored', message, ...(participants ? { participants } : {}), ...(takenBack ? { takenBack } : {}) };
    });
  }

  /**
   * Inside the append of a retraction: empties the message it takes back and the corrections
   * before it (each names the original) of their text, files and outbox items, leaving their
   * places in the history; search reads the emptied text.
   */
  private async takeBack(retraction: Message, client: PoolClient): Promise<TakenBack> {
    const emptied = await this.rows<{ id: string }>(
      `UPDATE messages SET text = '', attachments = NULL
       WHERE conversation_id = $1 AND sender = $2 AND (id = $3 OR corrects = $3) AND id <> $4 RETURNING id`,
      [retraction.conversationId, retraction.from, retraction.corrects, retraction.id],
      client,
    );
    const messages = emptied.map((row) => row.id).sort();
    // Not sent yet, not sent at all; the retraction goes to every recipient all the same (one may
    // be getting the message as this runs).
    await client.query('DELETE FROM outbox WHERE message_id = ANY($1::text[])', [messages]);
    // Nor told to webhook receivers still waiting for it: the retraction's own delivery tells them.
    const webhooks = await this.rows<{ id: string; hook: string }>(
      `DELETE FROM webhook_deliveries w WHERE w.conversation_id = $1 AND w.event = 'conversation.message'
       AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS n (needle) WHERE strpos(w.body, n.needle) > 0) RETURNING w.id, w.hook`,
      [retraction.conversationId, messages.map(webhookNeedleOf)],
      client,
    );
    const blobs = await this.files.deleteOfMessages(client, retraction.conversationId, messages);
    // An answer taken back answered nothing (the customer waits again); a question taken back waits for none.
    await client.query(`UPDATE conversations SET awaiting_answer_since = ${AWAITING_FROM_MESSAGES} WHERE id = $1`, [retraction.conversationId]);
    return { messages, blobs: blobs.length > 0 ? await this.files.unused(blobs, client) : [], webhooks };
  }

  /**
   * A conversation's participants, those of them joining it, and its roster: a count every change
   * of either bumps, with the conversation's row (an assignment, a transfer, a catch-up). An
   * append reads them, then takes the row: if the roster it finds there is the one it read, what
   * it read holds (a change committed since would have bumped it; one after waits for this
   * message); if not, it reads them again under the row. A party still joining is left out of the
   * outbox: its catch-up takes the row after this commit, so it finds this message.
   */
  private async participantsNow(
    conversationId: string,
    client: PoolClient,
  ): Promise<{ roster: number | null; participants: Address[]; joining: Set<Address> }> {
    const row = (
      await client.query<{ roster: number; participants: Address[]; joining: Address[] }>(
        `SELECT c.roster,
           coalesce((SELECT array_agg(p.address ORDER BY p.position) FROM participants p WHERE p.conversation_id = c.id), '{}') AS participants,
           coalesce((SELECT array_agg(j.party) FROM joining j WHERE j.conversation_id = c.id), '{}') AS joining
         FROM conversations c WHERE c.id = $1`,
        [conversationId],
      )
    ).rows[0];
    return { roster: row?.roster ?? null, participants: row?.participants ?? [], joining: new Set(row?.joining ?? []) };
  }

  async getMessage(id: string): Promise<Message | null> {
    const row = (await this.rows<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]))[0];
    return row ? toMessage(row) : null;
  }

  async statusesOf(sender: Address, ids: readonly string[]): Promise<{ id: string; conversationId: string; status: MessageStatus }[]> {
    if (ids.length === 0) return [];
    const rows = await this.rows<{ id: string; conversation_id: string; status: MessageStatus }>(
      'SELECT id, conversation_id, status FROM messages WHERE id = ANY($1::text[]) AND sender = $2',
      [[...ids], sender],
    );
    return rows.map((row) => ({ id: row.id, conversationId: row.conversation_id, status: row.status }));
  }

  async messageByRemoteId(network: string, remoteId: string): Promise<Message | null> {
    const row = await this.byRemoteId(network, remoteId);
    return row ? toMessage(row) : null;
  }

  async messageByClientId(from: Address, clientId: string): Promise<Message | null> {
    const row = await this.byClientId(from, clientId);
    return row ? toMessage(row) : null;
  }

  async history(conversationId: string, query: HistoryQuery): Promise<{ messages: Message[]; hasMore: boolean }> {
    // One row more than asked tells whether there is another page in that direction.
    if (query.afterSeq !== undefined) {
      const rows = await this.rows<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3', [
        conversationId,
        query.afterSeq,
        query.limit + 1,
      ]);
      return { messages: rows.slice(0, query.limit).map(toMessage), hasMore: rows.length > query.limit };
    }
    const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = await this.rows<MessageRow>('SELECT * FROM messages WHERE conversation_id = $1 AND seq < $2::bigint ORDER BY seq DESC LIMIT $3', [
      conversationId,
      before,
      query.limit + 1,
    ]);
    return { messages: rows.slice(0, query.limit).reverse().map(toMessage), hasMore: rows.length > query.limit };
  }

  async advanceStatus(id: string, status: MessageStatus): Promise<StatusChange | null> {
    return this.transaction((client) => this.advance(id, status, client));
  }

  /** Moves a status forward inside the current transaction; the change when there was one. */
  private async advance(id: string, status: MessageStatus, client: Queryable): Promise<StatusChange | null> {
    const row = (
      await this.rows<StatusChangeRow & { status: MessageStatus }>(
        'SELECT conversation_id, sender, status FROM messages WHERE id = $1 FOR UPDATE',
        [id],
        client,
      )
    )[0];
    if (!row) return null;
    if (!statusMovesForward(row.status, status)) return null;
    await client.query('UPDATE messages SET status = $1 WHERE id = $2', [status, id]);
    return { id, conversationId: row.conversation_id, from: row.sender as Address, status };
  }

  async markRead(conversationId: string, reader: Address, seq: number, limit: number): Promise<Message[] | null> {
    return this.transaction(async (client): Promise<Message[] | null> => {
      const row = (
        await this.rows<{ read_seq: string }>(
          'SELECT read_seq FROM participants WHERE conversation_id = $1 AND address = $2 FOR UPDATE',
          [conversationId, reader],
          client,
        )
      )[0];
      if (!row) return null;
      if (seq <= Number(row.read_seq)) return [];
      const readSeq = Number(row.read_seq);
      // Rows locked in seq order (two readers never deadlock), and re-checked once locked, so a
      // message another node failed meanwhile is neither changed nor reported.
      const rows = await this.rows<MessageRow>(
        `UPDATE messages SET status = 'read' WHERE id IN (
           SELECT id FROM messages WHERE conversation_id = $1 AND seq > $2::bigint AND seq <= $3::bigint AND sender <> $4 AND status IN ('accepted', 'sent', 'delivered')
           ORDER BY seq FOR UPDATE)
         RETURNING *`,
        [conversationId, readSeq, seq, reader],
        client,
      );
      await client.query('UPDATE participants SET read_seq = $1 WHERE conversation_id = $2 AND address = $3', [seq, conversationId, reader]);
      // The newest `limit` of them, in seq order (as the SQLite engine answers).
      return rows
        .sort((a, b) => a.seq - b.seq)
        .slice(-limit)
        .map(toMessage);
    });
  }

  async pendingOutbox(network: string, limit: number, afterId = 0): Promise<OutboxItem[]> {
    const rows = await this.rows<MessageRow & { outbox_id: string; recipient: string; network: string; attempts: number; next_attempt_at: string }>(
      `SELECT o.id AS outbox_id, o.recipient, o.network, o.attempts, o.next_attempt_at, m.* FROM outbox o JOIN messages m ON m.id = o.message_id
       WHERE o.network = $1 AND o.id > $2 ORDER BY o.id LIMIT $3`,
      [network, afterId, limit],
    );
    return rows.map((row) => ({
      id: Number(row.outbox_id),
      message: toMessage(row),
      recipient: row.recipient as Address,
      network: row.network,
      attempts: row.attempts,
      nextAttemptAt: Number(row.next_attempt_at),
      ...viaOfRow(row),
    }));
  }

  async completeOutbox({ id }: OutboxRef, status?: MessageStatus, fence?: Fence): Promise<StatusChange | null> {
    if (!status && !fence) {
      await this.db.query('DELETE FROM outbox WHERE id = $1', [id]);
      return null;
    }
    return this.transaction(async (client) => {
      if (fence) await this.holdFence(fence, client);
      const removed = (await this.rows<{ message_id: string }>('DELETE FROM outbox WHERE id = $1 RETURNING message_id', [id], client))[0];
      return removed && status ? this.advance(removed.message_id, status, client) : null;
    });
  }

  async retryOutbox({ id }: OutboxRef, nextAttemptAt: number, error: string, fence?: Fence): Promise<void> {
    const update = 'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3';
    if (!fence) {
      await this.db.query(update, [nextAttemptAt, error, id]);
      return;
    }
    await this.transaction(async (client) => {
      await this.holdFence(fence, client);
      await client.query(update, [nextAttemptAt, error, id]);
    });
  }

  /**
   * Checks, at the head of a transaction, that the fence's holder still holds its lease with its
   * token and that the lease has not run out (the database's clock); throws FencedError else. The
   * row stays share-locked until the transaction ends: a takeover (which updates it) waits for the
   * write to commit, so the write either comes before the new holder's tenure or is refused.
   */
  private async holdFence(fence: Fence, client: Queryable): Promise<void> {
    const held = await this.rows(
      'SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now() FOR SHARE',
      [fence.lease, fence.holder, fence.token],
      client,
    );
    if (held.length === 0) throw new FencedError(fence);
  }

  async queueEarlierMessages(conversationId: string, recipient: Address, network: string, options: Joining = {}): Promise<number> {
    return this.transaction(async (client) => {
      // The conversation's row, as an append holds it, its roster bumped: a message whose append
      // left the party out (it was joining) is committed before this reads the messages, and an
      // append that read the party as joining before this commits reads again. Held against an
      // erasure or a sweep too, which would leave these items without their messages.
      await client.query('UPDATE conversations SET roster = roster + 1 WHERE id = $1', [conversationId]);
      const unmarked = await client.query('DELETE FROM joining WHERE conversation_id = $1 AND party = $2', [conversationId, recipient]);
      // Its handover's, or the claim's of whoever finishes it: whoever removes the mark catches up, once.
      if (unmarked.rowCount === 0 && options.joining) return 0;
      await this.lockOutboxes([network], client);
      const result = await client.query(
        `INSERT INTO outbox (message_id, recipient, network, next_attempt_at)
         SELECT id, $1, $2, 0 FROM messages WHERE conversation_id = $3 AND sender <> $1 AND ${saysSomething('messages')}
           AND seq > coalesce((SELECT through_seq FROM departures WHERE conversation_id = $3 AND party = $1), 0) ORDER BY seq
         ON CONFLICT DO NOTHING`,
        [recipient, network, conversationId],
      );
      return result.rowCount ?? 0;
    });
  }

  async claimStaleJoinings(olderThanMs: number): Promise<JoiningMark[]> {
    // One statement: of two nodes claiming at once, each mark goes to one (the other's update finds it stamped anew).
    // Stamped odd (store.ts, `JoiningMark`); with 0, whatever the stamp.
    const claimed = await this.rows<{ conversation_id: string; party: Address; since: string; introduced: boolean }>(
      `UPDATE joining SET since = ${DATABASE_NOW_MS} / 2 * 2 + 1 WHERE $1::bigint = 0 OR since <= ${DATABASE_NOW_MS} - $1
       RETURNING conversation_id, party, since, introduced`,
      [olderThanMs],
    );
    return claimed.map((row) => ({ conversationId: row.conversation_id, party: row.party, since: Number(row.since), introduced: row.introduced }));
  }

  async markIntroduced(conversationId: string, party: Address): Promise<void> {
    await this.db.query('UPDATE joining SET introduced = true WHERE conversation_id = $1 AND party = $2', [conversationId, party]);
  }

  async dropJoining(mark: JoiningMark): Promise<void> {
    const params = [mark.conversationId, mark.party, mark.since];
    await this.transaction(async (client) => {
      // The conversation's row first, its roster bumped, as a catch-up takes them (and as any change of who is joining it).
      await client.query(
        `UPDATE conversations SET roster = roster + 1
         WHERE id = $1 AND EXISTS (SELECT 1 FROM joining WHERE conversation_id = $1 AND party = $2 AND since = $3)`,
        params,
      );
      await client.query('DELETE FROM joining WHERE conversation_id = $1 AND party = $2 AND since = $3', params);
    });
  }

  async outboxDepth(network: string): Promise<number> {
    return (await this.rows<{ depth: number }>('SELECT count(*)::int AS depth FROM outbox WHERE network = $1', [network]))[0]?.depth ?? 0;
  }

  async outboxNetworks(): Promise<string[]> {
    return (await this.rows<{ network: string }>('SELECT DISTINCT network FROM outbox ORDER BY network')).map((row) => row.network);
  }

  async enqueueWebhooks(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.transaction((client) => this.insertWebhooks(deliveries, client));
  }

  async pendingWebhooks(hook: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.rows<WebhookRow>(
      'SELECT id, hook, event, site_key, body, attempts, next_attempt_at FROM webhook_deliveries WHERE hook = $1 ORDER BY seq LIMIT $2',
      [hook, limit],
    );
    return rows.map(toWebhookDelivery);
  }

  /**
   * Under the hook's queue lock (which queueing takes too), so two nodes claiming at once take
   * turns and the second sees the first's claim: each statement of a transaction reads what was
   * committed before it began.
   */
  async claimWebhooks(hook: string, claim: WebhookClaim, limit: number): Promise<{ deliveries: WebhookDeliveryRecord[]; busyForMs?: number }> {
    return this.transaction(async (client) => {
      await this.lockQueues(WEBHOOK_LOCK_SPACE, [hook], client);
      const busy = (
        await this.rows<{ left: string | null }>(
          `SELECT max(claimed_until) - ${DATABASE_NOW_MS} AS left FROM webhook_deliveries
           WHERE hook = $1 AND claimed_by <> $2 AND claimed_until > ${DATABASE_NOW_MS}`,
          [hook, claim.holder],
          client,
        )
      )[0]?.left;
      if (busy !== null && busy !== undefined) return { deliveries: [], busyForMs: Number(busy) };
      const rows = await this.rows<WebhookRow & { seq: string }>(
        `UPDATE webhook_deliveries SET claimed_by = $2, claimed_until = ${DATABASE_NOW_MS} + $3
         WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE hook = $1 ORDER BY seq LIMIT $4)
         RETURNING seq, id, hook, event, site_key, body, attempts, next_attempt_at`,
        [hook, claim.holder, Math.round(claim.forMs), limit],
        client,
      );
      return { deliveries: rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toWebhookDelivery) };
    });
  }

  async renewWebhookClaims(holder: string, forMs: number): Promise<void> {
    await this.db.query(`UPDATE webhook_deliveries SET claimed_until = ${DATABASE_NOW_MS} + $2 WHERE claimed_by = $1`, [holder, Math.round(forMs)]);
  }

  async releaseWebhookClaims(holder: string): Promise<void> {
    await this.db.query('UPDATE webhook_deliveries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1', [holder]);
  }

  async webhookBacklog(hook?: string): Promise<number> {
    const rows =
      hook === undefined
        ? await this.rows<{ n: number }>('SELECT count(*)::int AS n FROM webhook_deliveries')
        : await this.rows<{ n: number }>('SELECT count(*)::int AS n FROM webhook_deliveries WHERE hook = $1', [hook]);
    return rows[0]?.n ?? 0;
  }

  async hasWebhook(id: string, holder?: string): Promise<boolean> {
    if (holder === undefined) return (await this.rows('SELECT 1 FROM webhook_deliveries WHERE id = $1', [id])).length > 0;
    const held = `SELECT 1 FROM webhook_deliveries WHERE id = $1 AND claimed_by = $2 AND claimed_until > ${DATABASE_NOW_MS}`;
    return (await this.rows(held, [id, holder])).length > 0;
  }

  async completeWebhook(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM webhook_deliveries WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async retryWebhook(id: string, nextAttemptAt: number, error: string): Promise<boolean> {
    const { rowCount } = await this.db.query('UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3', [
      nextAttemptAt,
      error,
      id,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async swapConversationMark(
    conversationId: string,
    mark: ConversationMark,
    events?: (before: ConversationMark | null) => readonly NewWebhookDelivery[],
  ): Promise<ConversationMark | null> {
    return this.transaction(async (client): Promise<ConversationMark | null> => {
      const before = await this.swapMark(conversationId, mark, client);
      const deliveries = events?.(before) ?? [];
      if (deliveries.length > 0) await this.insertWebhooks(deliveries, client);
      return before;
    });
  }

  private async swapMark(conversationId: string, mark: ConversationMark, client: PoolClient): Promise<ConversationMark | null> {
    for (;;) {
      // The first mark: nothing was said before. A concurrent first mark makes this wait for it, then do nothing.
      const inserted = await client.query(
        'INSERT INTO webhook_marks (conversation_id, state, assignee) VALUES ($1, $2, $3) ON CONFLICT (conversation_id) DO NOTHING',
        [conversationId, mark.state, mark.assignee ?? null],
      );
      if (inserted.rowCount === 1) return null;
      // Locked, so two nodes swapping at once each get what the other (or nobody) said: never both the same.
      const row = (
        await this.rows<{ state: ConversationState; assignee: string | null }>(
          'SELECT state, assignee FROM webhook_marks WHERE conversation_id = $1 FOR UPDATE',
          [conversationId],
          client,
        )
      )[0];
      if (!row) continue; // erased meanwhile: this is a first mark again
      await client.query('UPDATE webhook_marks SET state = $2, assignee = $3 WHERE conversation_id = $1', [conversationId, mark.state, mark.assignee ?? null]);
      return { state: row.state, ...(row.assignee !== null ? { assignee: row.assignee as Address } : {}) };
    }
  }

  async conversationsAheadOfMarks(limit: number): Promise<{ conversation: ConversationRecord; mark: ConversationMark | null }[]> {
    const rows = await this.rows<ConversationWithParticipants & { mark_state: ConversationState | null; mark_assignee: string | null; marked: boolean }>(
      `SELECT ${CONVERSATION}, m.state AS mark_state, m.assignee AS mark_assignee, m.conversation_id IS NOT NULL AS marked
       FROM conversations c LEFT JOIN webhook_marks m ON m.conversation_id = c.id
       WHERE m.conversation_id IS NULL OR (c.assignee IS NOT NULL AND c.assignee IS DISTINCT FROM m.assignee) OR (c.state = 'closed' AND m.state <> 'closed')
       ORDER BY c.created_at, c.id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      conversation: toConversation(row),
      mark: row.marked ? { state: row.mark_state!, ...(row.mark_assignee !== null ? { assignee: row.mark_assignee as Address } : {}) } : null,
    }));
  }

  async saveOffer(offer: OfferRecord): Promise<void> {
    await this.putOffer(offer, this.db);
  }

  /** Stores an offer (the conversation's earlier one replaced), on `on` (a transaction's client, or the pool). */
  private async putOffer(offer: OfferRecord, on: Queryable): Promise<void> {
    await on.query(
      `INSERT INTO offers (conversation_id, agent_id, deadline, declined, seq) VALUES ($1, $2, $3, $4::text[], $5)
       ON CONFLICT (conversation_id) DO UPDATE SET agent_id = excluded.agent_id, deadline = excluded.deadline, declined = excluded.declined, seq = excluded.seq`,
      [offer.conversationId, offer.agentId, offer.deadline, [...offer.declined], offer.seq ?? null],
    );
  }

  async deleteOffer(conversationId: string, deadline?: number): Promise<boolean> {
    const result =
      deadline === undefined
        ? await this.db.query('DELETE FROM offers WHERE conversation_id = $1', [conversationId])
        : await this.db.query('DELETE FROM offers WHERE conversation_id = $1 AND deadline = $2', [conversationId, deadline]);
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * An assignment's offer stored (`Assigning`), or, with none, the conversation's earlier one
   * removed; inside `client`'s transaction, the conversation's row held. Its seq is the
   * conversation's as it is assigned: what the agent writes from here on answers it (not what it
   * wrote before, since the offer was planned).
   */
  private async replaceOffer(conversation: ConversationRecord, offer: OfferRecord | undefined, client: PoolClient): Promise<void> {
    if (offer) await this.putOffer({ ...offer, seq: conversation.lastSeq }, client);
    else await client.query('DELETE FROM offers WHERE conversation_id = $1', [conversation.id]);
  }

  async endOffer(conversationId: string, agentId: string, answerSeq?: number): Promise<void> {
    // An offer stored without its seq (by an older version) ends whatever the answer's.
    await this.db.query('DELETE FROM offers WHERE conversation_id = $1 AND agent_id = $2 AND ($3::bigint IS NULL OR seq IS NULL OR seq < $3)', [
      conversationId,
      agentId,
      answerSeq ?? null,
    ]);
  }

  async rescheduleOffer(conversationId: string, from: number, to: number): Promise<true | OfferRecord | undefined> {
    const moved = await this.db.query('UPDATE offers SET deadline = $1 WHERE conversation_id = $2 AND deadline = $3', [to, conversationId, from]);
    if ((moved.rowCount ?? 0) > 0) return true;
    // A statement of its own: it sees what a claim or an end the update waited for committed (one
    // statement's snapshot would show the row as it was before them).
    const [row] = await this.rows<OfferRow>('SELECT * FROM offers WHERE conversation_id = $1', [conversationId]);
    return row && toOffer(row);
  }

  async takeOfferTurn(team: string, agentId: string): Promise<void> {
    await this.takeTurn({ team, agentId }, this.db);
  }

  /** An assignment's turn (`Assigning`) taken, while `conversation` is still that team's; returns the conversation. */
  private async tookTurn(conversation: ConversationRecord, turn: Assigning['turn'], client: PoolClient): Promise<ConversationRecord> {
    if (turn && conversation.team === turn.team) await this.takeTurn(turn, client);
    return conversation;
  }

  /** `takeOfferTurn`, on `on` (a transaction's client, or the pool). */
  private async takeTurn({ team, agentId }: { team: string; agentId: string }, on: Queryable): Promise<void> {
    await on.query(
      `INSERT INTO offer_turns (team, agent_id, turn) VALUES ($1, $2, nextval('offer_turn_seq'))
       ON CONFLICT (team, agent_id) DO UPDATE SET turn = excluded.turn`,
      [team, agentId],
    );
  }

  async offerTurns(team: string): Promise<Map<string, number>> {
    const rows = await this.rows<{ agent_id: string; turn: string }>('SELECT agent_id, turn FROM offer_turns WHERE team = $1', [team]);
    return new Map(rows.map((row) => [row.agent_id, Number(row.turn)]));
  }

  async offers(): Promise<OfferRecord[]> {
    return (await this.rows<OfferRow>('SELECT * FROM offers ORDER BY deadline, conversation_id')).map(toOffer);
  }

  async block(input: { siteKey: string; address: Address; by: Address }): Promise<boolean> {
    const result = await this.db.query('INSERT INTO blocks (site_key, address, blocked_by, blocked_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      input.siteKey,
      input.address,
      input.by,
      new Date().toISOString(),
    ]);
    return result.rowCount === 1;
  }

  async unblock(siteKey: string, address: Address): Promise<boolean> {
    return (await this.db.query('DELETE FROM blocks WHERE site_key = $1 AND address = $2', [siteKey, address])).rowCount === 1;
  }

  async saveContinuation(continuation: ContinuationRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO continuations (conversation_id, site_key, visitor, address, state, proof, code_hash, expires_at, attempts_left, proven_at, reason, updated_at, team)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (conversation_id) DO UPDATE SET site_key = excluded.site_key, visitor = excluded.visitor, address = excluded.address,
         state = excluded.state, proof = excluded.proof, code_hash = excluded.code_hash, expires_at = excluded.expires_at,
         attempts_left = excluded.attempts_left, proven_at = excluded.proven_at, reason = excluded.reason, updated_at = excluded.updated_at,
         team = excluded.team`,
      continuationColumns(continuation),
    );
  }

  async deleteContinuation(conversationId: string): Promise<void> {
    await this.db.query('DELETE FROM continuations WHERE conversation_id = $1', [conversationId]);
  }

  async continuationOf(conversationId: string): Promise<ContinuationRecord | null> {
    const row = (await this.rows<ContinuationRow>('SELECT * FROM continuations WHERE conversation_id = $1', [conversationId]))[0];
    return row ? toContinuation(row) : null;
  }

  async continuationsAt(address: Address): Promise<ContinuationRecord[]> {
    const rows = await this.rows<ContinuationRow>(
      "SELECT * FROM continuations WHERE address = $1 AND state IN ('pending', 'active') ORDER BY updated_at DESC, conversation_id",
      [address],
    );
    return rows.map(toContinuation);
  }

  async blockOf(siteKey: string, address: Address): Promise<BlockRecord | null> {
    const row = (await this.rows<BlockRow>('SELECT * FROM blocks WHERE site_key = $1 AND address = $2', [siteKey, address]))[0];
    return row ? toBlock(row) : null;
  }

  async blocks(siteKey: string): Promise<BlockRecord[]> {
    return (await this.rows<BlockRow>('SELECT * FROM blocks WHERE site_key = $1 ORDER BY blocked_at, address', [siteKey])).map(toBlock);
  }

  async markBlockTold(siteKey: string, address: Address): Promise<boolean> {
    // One node's update wins the row: the customer is told once, whichever node takes their messages.
    return (await this.db.query('UPDATE blocks SET told = true WHERE site_key = $1 AND address = $2 AND NOT told', [siteKey, address])).rowCount === 1;
  }

  async partyData(siteKey: string, address: Address): Promise<PartyData> {
    // One snapshot: the conversations and their messages as they were at one instant.
    return this.transaction(async (client): Promise<PartyData> => {
      const partyRow = (await this.rows<PartyRow>('SELECT * FROM parties WHERE address = $1', [address], client))[0];
      const heard = await this.rows<{ one: number }>(`SELECT 1 AS one WHERE ${heardFromSql('$1', '$2')}`, [siteKey, address], client);
      const conversations = await this.rows<ConversationWithParticipants>(
        `SELECT ${CONVERSATION} FROM conversations c
         WHERE c.site_key = $1 AND (c.opened_by = $2 OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id AND p.address = $2))
         ORDER BY c.opened_by = $2 DESC, c.created_at, c.id`,
        [siteKey, address],
        client,
      );
      const messages = new Map<string, Message[]>(conversations.map((row) => [row.id, []]));
      if (conversations.length > 0) {
        const rows = await this.rows<MessageRow>(
          'SELECT * FROM messages WHERE conversation_id = ANY($1::text[]) ORDER BY conversation_id, seq',
          [[...messages.keys()]],
          client,
        );
        for (const row of rows) messages.get(row.conversation_id)!.push(toMessage(row));
      }
      const notes = await this.inboxes.notesOf(client, [...messages.keys()]);
      return {
        party: partyOfSite(partyRow ? toParty(partyRow) : null, siteKey, heard.length > 0),
        conversations: conversations.map((row) => ({ conversation: toConversation(row), messages: messages.get(row.id)!, notes: notes.get(row.id) ?? [] })),
      };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  /** Deletes these (locked) conversations of a site and everything in them; returns how many messages went, and their files' blob keys. */
  private async deleteConversations(ids: readonly string[], siteKey: string, client: Queryable): Promise<{ messages: number; blobs: string[] }> {
    if (ids.length === 0) return { messages: 0, blobs: [] };
    const params = [[...ids]];
    const blobs = await this.files.deleteOfConversations(client, ids);
    await this.inboxes.deleteOfConversations(client, ids);
    await client.query('DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ANY($1::text[]))', params);
    await client.query('DELETE FROM inbound_ids WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ANY($1::text[]))', params);
    const messages = (await client.query('DELETE FROM messages WHERE conversation_id = ANY($1::text[])', params)).rowCount ?? 0;
    await client.query('DELETE FROM participants WHERE conversation_id = ANY($1::text[])', params);
    await client.query('DELETE FROM webhook_marks WHERE conversation_id = ANY($1::text[])', params);
    await client.query('DELETE FROM conversation_threads WHERE conversation_id = ANY($1::text[])', params);
    await client.query('DELETE FROM offers WHERE conversation_id = ANY($1::text[])', params);
    await client.query('DELETE FROM continuations WHERE conversation_id = ANY($1::text[])', params);
    // By their column; a delivery that names no conversation, by its body.
    await client.query('DELETE FROM webhook_deliveries WHERE conversation_id = ANY($1::text[])', params);
    await client.query(
      `DELETE FROM webhook_deliveries w WHERE w.conversation_id IS NULL AND w.site_key = $1
         AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS c (id) WHERE strpos(w.body, c.id) > 0)`,
      [siteKey, [...ids]],
    );
    await client.query('DELETE FROM conversations WHERE id = ANY($1::text[])', params);
    return { messages, blobs };
  }

  async eraseParty(siteKey: string, address: Address): Promise<ErasureResult> {
    return this.transaction(async (client): Promise<ErasureResult> => {
      const found = await this.rows<{ id: string; own: boolean }>(
        `SELECT c.id, c.opened_by = $2 AS own FROM conversations c
         WHERE c.site_key = $1 AND (c.opened_by = $2 OR EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id AND p.address = $2))
         ORDER BY c.id FOR UPDATE`,
        [siteKey, address],
        client,
      );
      const own = found.filter((row) => row.own).map((row) => row.id);
      const joined = found.filter((row) => !row.own).map((row) => row.id);
      const deleted = await this.deleteConversations(own, siteKey, client);
      const counts: ErasureResult = { conversations: own.length, messages: deleted.messages, parties: 0, blobs: [] };
      if (joined.length > 0) {
        const params = [joined, address];
        await client.query('DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ANY($1::text[]) AND sender = $2)', params);
        await client.query(
          'DELETE FROM inbound_ids WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ANY($1::text[]) AND sender = $2)',
          params,
        );
        counts.messages += (await client.query('DELETE FROM messages WHERE conversation_id = ANY($1::text[]) AND sender = $2', params)).rowCount ?? 0;
        // Their answers gone, the customers may have been waiting since earlier.
        await client.query(`UPDATE conversations SET awaiting_answer_since = ${AWAITING_FROM_MESSAGES} WHERE id = ANY($1::text[])`, [joined]);
        await this.deleteParticipant(joined, address, client);
      }
      // Marks naming the party (one left behind by a handover that never ended, in any conversation of the site).
      await client.query('DELETE FROM joining WHERE party = $1 AND conversation_id IN (SELECT id FROM conversations WHERE site_key = $2)', [address, siteKey]);
      await client.query('DELETE FROM departures WHERE party = $1 AND conversation_id IN (SELECT id FROM conversations WHERE site_key = $2)', [
        address,
        siteKey,
      ]);
      await client.query(
        `DELETE FROM outbox WHERE recipient = $1
         AND message_id IN (SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.site_key = $2)`,
        [address, siteKey],
      );
      await client.query('DELETE FROM continuations WHERE address = $1 AND site_key = $2', [address, siteKey]);
      const uploads = await this.files.deleteUploadsOf(client, siteKey, address);
      await this.inboxes.deleteOfParty(client, siteKey, address);
      counts.blobs = await this.files.unused([...deleted.blobs, ...uploads], client);
      await client.query(
        'DELETE FROM webhook_deliveries w WHERE w.site_key = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS n (needle) WHERE strpos(w.body, n.needle) > 0)',
        [siteKey, webhookNeedles(address)],
      );
      counts.parties = await this.eraseOrRefile(address, siteKey, client);
      // Gateway subscriptions belong to no site: they go only with a party of this site.
      if (counts.parties > 0) {
        await client.query('DELETE FROM gateway_follows WHERE watcher = $1 OR target = $1', [address]);
        await client.query('DELETE FROM team_subscribers WHERE subscriber = $1', [address]);
      }
      return counts;
    });
  }

  /**
   * Inside an erasure, once the site's conversations are gone: the site's party goes. A customer
   * on their own network, kept once for every site, goes only when no site has heard from them any
   * more; while one has, the party stays, filed under that site if it was filed under this one.
   * Answers how many parties were deleted.
   */
  private async eraseOrRefile(address: Address, siteKey: string, client: Queryable): Promise<number> {
    const party = (await this.rows<PartyRow>('SELECT * FROM parties WHERE address = $1 FOR UPDATE', [address], client))[0];
    const deleteFiledUnder = async (site: string) =>
      (await client.query('DELETE FROM parties WHERE address = $1 AND site_key = $2', [address, site])).rowCount ?? 0;
    if (!party || !isSharedCustomer(party)) return deleteFiledUnder(siteKey);
    const heard = (await this.rows<{ site_key: string }>(lastHeardSiteSql('$1'), [address], client))[0]?.site_key;
    if (heard === undefined) return deleteFiledUnder(party.site_key ?? siteKey);
    if (party.site_key === siteKey) await client.query('UPDATE parties SET site_key = $1 WHERE address = $2', [heard, address]);
    return 0;
  }

  async heardFrom(siteKey: string, address: Address): Promise<boolean> {
    return (await this.rows<{ one: number }>(`SELECT 1 AS one WHERE ${heardFromSql('$1', '$2')}`, [siteKey, address])).length > 0;
  }

  setReadCursor(conversationId: string, reader: Address, seq: number): Promise<void> {
    return this.inboxes.setReadCursor(conversationId, reader, seq);
  }

  addNote(note: NewNote): Promise<AddNoteResult> {
    return this.inboxes.addNote(note);
  }

  notes(conversationId: string, limit: number): Promise<Note[]> {
    return this.inboxes.notes(conversationId, limit);
  }

  inbox(query: InboxQuery): Promise<InboxRow<ConversationRecord>[]> {
    return this.inboxes.inbox(query);
  }

  unreadCounts(conversationId: string, readers: readonly InboxReader[]): Promise<Map<Address, number>> {
    return this.inboxes.unreadCounts(conversationId, readers);
  }

  inboxCounts(query: InboxCountQuery): Promise<InboxCounts> {
    return this.inboxes.inboxCounts(query);
  }

  searchInbox(siteKey: string, query: string, limit: number): Promise<InboxSearchResult[]> {
    return this.inboxes.searchInbox(siteKey, query, limit);
  }

  async sweepSite(siteKey: string, before: string): Promise<ErasureResult> {
    const total: ErasureResult = { conversations: 0, messages: 0, parties: 0, blobs: [] };
    // In batches, so a large sweep does not hold many rows locked for long.
    for (;;) {
      const batch = await this.transaction(async (client) => {
        const candidates = await this.rows<{ id: string }>(
          'SELECT id FROM conversations WHERE site_key = $1 AND updated_at < $2 ORDER BY id LIMIT $3',
          [siteKey, before, SWEEP_BATCH],
          client,
        );
        if (candidates.length === 0) return { candidates: 0, conversations: 0, messages: 0, blobs: [] };
        // Locked and checked again: one that took a message meanwhile is not idle any more.
        const stale = await this.rows<{ id: string }>(
          'SELECT id FROM conversations WHERE id = ANY($1::text[]) AND updated_at < $2 ORDER BY id FOR UPDATE',
          [candidates.map((row) => row.id), before],
          client,
        );
        const ids = stale.map((row) => row.id);
        const deleted = await this.deleteConversations(ids, siteKey, client);
        return { candidates: candidates.length, conversations: ids.length, messages: deleted.messages, blobs: await this.files.unused(deleted.blobs, client) };
      });
      total.conversations += batch.conversations;
      total.messages += batch.messages;
      total.blobs.push(...batch.blobs);
      if (batch.candidates < SWEEP_BATCH) break;
    }
    const parties = await this.db.query(
      `DELETE FROM parties WHERE site_key = $1 AND updated_at < $2
       AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.address = parties.address)
       AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.opened_by = parties.address OR c.assignee = parties.address)`,
      [siteKey, before],
    );
    total.parties = parties.rowCount ?? 0;
    return total;
  }

  createFile(file: FileRecord, quotaBytes?: number): Promise<boolean> {
    return this.files.createFile(file, quotaBytes);
  }

  getFile(id: string): Promise<FileRecord | null> {
    return this.files.getFile(id);
  }

  moveUnsentFiles(ids: readonly string[], from: string, to: string, uploadedBy: Address): Promise<number> {
    return this.files.moveUnsentFiles(ids, from, to, uploadedBy);
  }

  setFileThumbnail(id: string, thumbnailBlob: string): Promise<void> {
    return this.files.setFileThumbnail(id, thumbnailBlob);
  }

  blobsInUse(blobs: readonly string[]): Promise<Set<string>> {
    return this.files.blobsInUse(blobs);
  }

  deleteUnsentFiles(before: string): Promise<string[]> {
    return this.files.deleteUnsentFiles(before);
  }

  siteFileBytes(siteKey: string): Promise<number> {
    return this.files.siteFileBytes(siteKey);
  }

  contactOf(siteKey: string, address: Address): Promise<ContactRecord | null> {
    return this.contacts.contactOf(siteKey, address);
  }

  contactById(siteKey: string, id: string): Promise<ContactRecord | null> {
    return this.contacts.contactById(siteKey, id);
  }

  linkContact(link: NewContactLink): Promise<string> {
    return this.contacts.linkContact(link);
  }

  mergeContacts(merge: NewContactMerge): Promise<ContactMergeRecord | null> {
    return this.contacts.mergeContacts(merge);
  }

  unmergeContacts(siteKey: string, mergeId: string, at: string): Promise<ContactMergeRecord | null> {
    return this.contacts.unmergeContacts(siteKey, mergeId, at);
  }

  eraseContact(siteKey: string, id: string): Promise<boolean> {
    return this.contacts.eraseContact(siteKey, id);
  }

  sweepContacts(siteKey: string): Promise<number> {
    return this.contacts.sweepContacts(siteKey);
  }

  async contactConversations(siteKey: string, addresses: readonly Address[], limit: number): Promise<ConversationRecord[]> {
    const rows = await this.rows<ConversationWithParticipants>(
      `SELECT ${CONVERSATION} FROM conversations c WHERE c.site_key = $1
         AND (c.opened_by = ANY($2::text[]) OR c.id IN (SELECT conversation_id FROM participants WHERE address = ANY($2::text[])))
       ORDER BY c.created_at DESC, c.id DESC LIMIT $3`,
      [siteKey, [...addresses], limit],
    );
    return rows.map(toConversation);
  }

  createAgentSession(session: AgentSessionRecord): Promise<void> {
    return this.console.createAgentSession(session);
  }

  agentSession(idHash: string, now: number): Promise<AgentSessionRecord | null> {
    return this.console.agentSession(idHash, now);
  }

  deleteAgentSession(idHash: string): Promise<boolean> {
    return this.console.deleteAgentSession(idHash);
  }

  deleteExpiredAgentSessions(now: number): Promise<number> {
    return this.console.deleteExpiredAgentSessions(now);
  }

  markCustomerMessage(conversationId: string, at: string): Promise<void> {
    return this.console.markCustomerMessage(conversationId, at);
  }

  markAgentResponse(conversationId: string, at: string): Promise<string | null> {
    return this.console.markAgentResponse(conversationId, at);
  }

  reportConversations(siteKey: string, from: string, to: string): Promise<ReportConversation[]> {
    return this.console.reportConversations(siteKey, from, to);
  }
}
