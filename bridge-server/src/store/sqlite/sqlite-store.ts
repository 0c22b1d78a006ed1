/**
 * The embedded default store: one SQLite file through better-sqlite3, in WAL mode.
 * better-sqlite3 is synchronous; each method is one short statement or one transaction, so the
 * event loop is held for microseconds. A committed transaction is in the WAL file before the call
 * returns, so an acked message survives `kill -9` (and power loss with `synchronous: full`).
 */
import type { AgentSessionRecord, ReportConversation } from '../console-store.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { lruCache } from '../../util/lru.js';
import {
  type Address,
  CONVERSATION_STATES,
  type ConversationState,
  type InboxCounts,
  type InboxSearchResult,
  type Message,
  type MessageStatus,
  type Note,
} from '@switchboard/protocol';
import { isRetraction } from '@switchboard/protocol';
import type { AddNoteResult, InboxCountQuery, InboxQuery, InboxReader, InboxRow, NewNote } from '../inbox-store.js';
import { idsAfter, newId } from '../../util/ids.js';
import type {
  AppendResult,
  BlockRecord,
  ConversationQuery,
  ContinuationRecord,
  ConversationRecord,
  HistoryQuery,
  Assigning,
  Joining,
  JoiningMark,
  NewConversation,
  NewMessage,
  OutboxItem,
  OutboxRef,
  QueuedOutboxItem,
  PartyRecord,
  Store,
  UsageRow,
  GatewayFollow,
  TeamSubscriber,
  ConversationMark,
  ErasureResult,
  FileRecord,
  NewWebhookDelivery,
  OfferClaim,
  OfferRecord,
  OutboxTarget,
  WebhookClaim,
  PartyData,
  WebhookDeliveryRecord,
  StatusChange,
  TakenBack,
} from '../store.js';
import { isSharedCustomer } from '../store.js';
import {
  type BlockRow,
  type ContinuationRow,
  type ConversationRow,
  type MessageRow,
  type PartyRow,
  cleanSubject,
  continuationColumns,
  statusesBefore,
  toBlock,
  toContinuation,
  toConversation,
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
import { Checkpointer } from './checkpointer.js';
import { SearchIndexer } from './search-indexer.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteConsole } from './sqlite-console.js';
import { SqliteContacts } from './sqlite-contacts.js';
import { SqliteFiles } from './sqlite-files.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { OpenPairs } from './open-pairs.js';
import { attachmentsColumn } from '../file-rows.js';
import { AWAITING_FROM_MESSAGES, awaitingAfterMessage, saysSomething } from '../inbox-sql.js';
import type { ContactMergeRecord, ContactRecord, NewContactLink, NewContactMerge } from '../contact-store.js';

export interface SqliteStoreOptions {
  path: string;
  synchronous?: 'normal' | 'full';
  /** How often the WAL is folded back into the database, off the event loop (default 1 s). */
  checkpointIntervalMs?: number;
  /** WAL frames (pages) a checkpoint may leave before the store holds its commits for the rest (default 16,384: 64 MiB). */
  walFoldFrames?: number;
  /** How often appended messages are looked at for the search index (default 100 ms; search-indexer.ts). */
  searchIndexEveryMs?: number;
}

/** A row of `offers` (its declined agents as a JSON array). */
interface OfferRow {
  conversation_id: string;
  agent_id: string;
  deadline: number;
  declined: string;
  seq: number | null;
}

const toOffer = (row: OfferRow): OfferRecord => ({
  conversationId: row.conversation_id,
  agentId: row.agent_id,
  deadline: row.deadline,
  declined: JSON.parse(row.declined) as string[],
  ...(row.seq !== null ? { seq: row.seq } : {}),
});

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface PendingWrite {
  run: () => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** How often the WAL is folded back into the database, off the event loop (checkpointer.ts). */
const CHECKPOINT_INTERVAL_MS = 1000;
/** WAL frames past which the store holds its commits for the checkpointer's last pass. */
const WAL_FOLD_FRAMES = 16_384;
/**
 * A WAL file that starts over is cut back to this many times the fold's size. Under writes that
 * never pause, each fold leaves the file a little past the fold's size: cut back to exactly that
 * size, it was shortened and grown again at every fold, and the commit that started it over paid
 * for the truncation (blocks freed and discarded, to be allocated again): 12 to 37 ms on the event
 * loop about once a second on ext4, against about 1 ms when the file keeps its size. Only a WAL
 * that outgrew the fold (a hold that timed out) is cut back now.
 */
const WAL_KEPT_FOLDS = 2;
const PAGE_BYTES = 4096;
/** How long a lazy write (an outbox item's completion) waits for another write to commit with. */
const LAZY_WRITE_MS = 2;
/** Commits held for a fold resume after this long whatever the checkpointer's thread does. */
const FOLD_HOLD_MAX_MS = 2000;
/** Parties whose record is remembered, at most (the oldest answer goes first). */
const PARTIES_KEPT = 10_000;
/**
 * Conversations whose record is remembered, at most (the least recently used goes first): the ones
 * being talked in. Unbounded, the cache held every conversation touched since the start.
 */
const CONVERSATIONS_KEPT = 1_000;
/** How long a statement waits for a lock another connection holds. */
const BUSY_TIMEOUT_MS = 5000;
/** An erasure's fold of the WAL, asked again while another checkpoint or a reader holds it: 2 s at most, then again later. */
const WAL_FOLD_ATTEMPTS = 200;
const WAL_FOLD_WAIT_MS = 10;
const WAL_FOLD_LATER_MS = 30_000;
/** Conversations deleted per transaction by a retention sweep, at most. */
const SWEEP_BATCH = 200;
/**
 * And messages, about (a conversation longer than this goes alone): each costs its rows and its
 * search index entries overwritten (secure-delete), some 0.2 ms, and the transaction holds the
 * event loop and every commit waiting behind it.
 */
const SWEEP_MESSAGES = 250;

/** A message's row, as both inserts write it (`messageColumns` gives the values in this order). */
const INSERT_MESSAGE = `INTO messages (id, conversation_id, seq, sender, client_id, text, sent_at, status, sent_from, attachments, via, corrects)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A write of a batch run without savepoints threw (`cause`): the batch runs again, each write in a savepoint. */
class WriteThrew extends Error {
  constructor(override readonly cause: unknown) {
    super('a write of the batch threw');
  }
}

export class SqliteStore implements Store {
  /** Writes run in the order they were asked for (one queue, one connection): appends included. */
  readonly appendsInCallOrder = true;
  private db!: Database.Database;
  private statements!: ReturnType<SqliteStore['prepare']>;
  private contacts!: SqliteContacts;
  private console!: SqliteConsole;
  private files!: SqliteFiles;
  private inboxes!: SqliteInbox;
  /** Writes waiting for the next group commit. */
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  /** The commit of lazy writes only, if no other write comes first (flushLazily). */
  private lazyFlush: NodeJS.Timeout | undefined;
  /** Commits held while the checkpointer's last pass folds the WAL (writes wait in `pending`). */
  private holdingForFold: NodeJS.Timeout | undefined;
  /** A batch's writes in one transaction, as they come. */
  private runAll!: Database.Transaction<(batch: PendingWrite[]) => Outcome[]>;
  /** The same, each write in a savepoint of its own: after one of them threw. */
  private runEach!: Database.Transaction<(batch: PendingWrite[]) => Outcome[]>;
  /**
   * The id of the last outbox item this store queued for each network, while it knows it: what
   * `AppendResult.queued` reports as `previous` (forgotten on a rollback and by bulk inserts).
   */
  private readonly lastQueued = new Map<string, number>();
  /**
   * The last outbox id given: each item takes the next (queue order, across networks). Ids taken by
   * a write that was rolled back are not given again, nor any id while this store is open: an item
   * being sent is never mistaken for a newer one. From the largest stored when the store opens.
   */
  private lastOutboxId = 0;
  private checkpointer: Checkpointer | undefined;
  /** An erasure's fold of the WAL that found it busy, tried again then. */
  private walFoldLater: NodeJS.Timeout | undefined;
  /** Starts the checkpointer; or checkpoints on the event loop, should the checkpointer's thread fail. */
  private checkpointTimer: NodeJS.Timeout | undefined;
  private searchIndexer: SearchIndexer | undefined;
  /**
   * Conversations as last written by this process, the most recently used. The SQLite store is
   * single-process by design (one file, one bridge), so every change passes through here and the
   * cache cannot go stale; one that dropped out is read from the database again.
   */
  private readonly conversations = lruCache<string, ConversationRecord>(CONVERSATIONS_KEPT);
  /** openConversationBetween's answers, kept while no conversation changes but by a message appended. */
  private readonly openPairs = new OpenPairs();
  /** advance's UPDATE for each status a message moves to. */
  private readonly advanceStatements = new Map<MessageStatus, Database.Statement<[MessageStatus, string], StatusChangeRow>>();
  /** getParty's answers (null: no such party), kept until a write that may change parties. */
  private readonly parties = new Map<string, PartyRecord | null>();
  /** listConversations' statements, one per combination of filters (at most 8), and contactConversations'. */
  private readonly listStatements = new Map<string, Database.Statement<(string | number)[], ConversationRow>>();

  constructor(private readonly options: SqliteStoreOptions) {}

  /**
   * Group commit: writes requested during one turn of the event loop share one transaction, run
   * in the check phase right after the I/O callbacks (`setImmediate`): every message and receipt
   * read from the sockets in that turn, not only those of one task, for one commit. Should a write
   * throw, the transaction is rolled back and the writes run again, each in its own savepoint, so
   * one failing write does not undo the others (a write is a function of the database alone). Each caller's promise
   * resolves only after the commit, so "acked only once stored" holds, with one WAL append for many.
   * `conversations: 'kept'` for a write that changes no party and no conversation's state or
   * participants (a message appended tells `openPairs` itself); any other write forgets the answers
   * remembered for openConversationBetween and getParty.
   */
  private write<T>(run: () => T, conversations: 'kept' | 'changed' = 'changed', quiet = false): Promise<T> {
    return this.queueWrite(run, conversations, quiet, () => this.flushSoon());
  }

  /**
   * A write nothing waits on to go on (the bookkeeping of a send already made, a receipt), that
   * changes no conversation: it joins the next commit another write asks for, or commits on its
   * own after LAZY_WRITE_MS. One commit fewer each time, and none in the way of a message coming in.
   */
  private writeLazily<T>(run: () => T): Promise<T> {
    return this.queueWrite(run, 'kept', false, () => this.flushLazily());
  }

  private queueWrite<T>(run: () => T, conversations: 'kept' | 'changed', quiet: boolean, flush: () => void): Promise<T> {
    if (!quiet) this.searchIndexer?.busy();
    const item = conversations === 'kept' ? run : () => (this.forgetAnswers(), run());
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: item, resolve: resolve, reject });
      flush();
    });
  }

  /** The pending writes are committed in the next check phase, together. */
  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Lazy writes are committed with the next flush asked for, or after LAZY_WRITE_MS. */
  private flushLazily(): void {
    if (this.flushScheduled || this.lazyFlush) return;
    this.lazyFlush = setTimeout(() => this.flush(), LAZY_WRITE_MS);
  }

  private flush(): void {
    this.flushScheduled = false;
    clearTimeout(this.lazyFlush);
    this.lazyFlush = undefined;
    if (this.holdingForFold) return; // flushed when the fold is done
    const batch = this.pending;
    if (batch.length === 0) return; // flushed already by close()
    this.pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.runAll.immediate(batch);
    } catch (error) {
      // Rolled back whole: what the writes remembered of it (cached records, answers, outbox ids) is forgotten.
      this.forgetRunState();
      try {
        // The transaction itself failed (its start or its commit), or a lone write threw: that is
        // the outcome. One of several threw: each runs again in a savepoint of its own, so the one
        // that throws does not undo the others.
        if (!(error instanceof WriteThrew)) throw error;
        if (batch.length === 1) throw error.cause;
        outcomes = this.runEach.immediate(batch);
      } catch (failure) {
        // The commit failed (or the lone write threw): nothing of this batch is stored.
        this.forgetRunState();
        for (const item of batch) item.reject(failure);
        return;
      }
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value as never);
      else {
        item.reject(outcome.error);
      }
    });
  }

  /** After a rollback: the caches and ids the rolled-back writes filled in. */
  private forgetRunState(): void {
    this.conversations.clear();
    this.forgetAnswers();
    this.lastQueued.clear();
  }

  private forgetAnswers(): void {
    this.openPairs.forget();
    this.parties.clear();
  }

  async open(): Promise<void> {
    if (this.options.path !== ':memory:') mkdirSync(dirname(this.options.path), { recursive: true });
    this.db = new Database(this.options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('foreign_keys = ON');
    // Deleted content is zeroed where that costs no extra I/O, so fewer stale copies of erased data
    // linger in pages rewritten before an erasure (the erasure itself zeroes everything it deletes).
    this.db.pragma('secure_delete = FAST');
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Checkpoints run on a timer instead of inside whichever commit crosses the threshold, so no
    // single message pays for folding the whole WAL back (the p99 spikes).
    this.db.pragma('wal_autocheckpoint = 0');
    this.migrate();
    this.statements = this.prepare();
    this.lastOutboxId = this.db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM outbox').get()?.id ?? 0;
    this.contacts = new SqliteContacts(this.db, (run) => this.write(run));
    this.console = new SqliteConsole(this.db, (run) => this.write(run));
    this.files = new SqliteFiles(this.db, (run) => this.write(run));
    const searchIndexer = (this.searchIndexer = new SearchIndexer(this.db, (run) => this.write(run, 'kept', true), this.options.searchIndexEveryMs));
    this.inboxes = new SqliteInbox(
      this.db,
      (run) => this.write(run, 'kept'),
      (row) => this.toConversation(row),
      () => this.write(() => searchIndexer.indexAll(), 'kept'),
    );
    // Savepoints (two statements per write) only once a write of the batch threw (flush).
    this.runAll = this.db.transaction((batch: PendingWrite[]): Outcome[] =>
      batch.map((item) => {
        try {
          return { ok: true, value: item.run() };
        } catch (error) {
          throw new WriteThrew(error);
        }
      }),
    );
    // Made once: better-sqlite3 turns a nested call into a savepoint.
    const runItem = this.db.transaction((item: PendingWrite) => item.run());
    this.runEach = this.db.transaction((batch: PendingWrite[]): Outcome[] =>
      batch.map((item) => {
        try {
          return { ok: true, value: runItem(item) };
        } catch (error) {
          // Rolled back: the outbox ids it took are taken again by the writes after it, whatever
          // their network, so none of them follows the ids known so far; and what it cached of its
          // conversation is read again.
          this.lastQueued.clear();
          this.conversations.clear();
          return { ok: false, error };
        }
      }),
    );
    // The search index follows message ids in the order they are made, restarts included.
    const last = this.db.prepare<[], { id: string | null }>('SELECT max(id) AS id FROM messages').get();
    if (last?.id) idsAfter(last.id);
    // Messages a previous run appended but did not index (it was killed).
    searchIndexer.start();
    const intervalMs = this.checkpointIntervalMs;
    const foldFrames = this.options.walFoldFrames ?? WAL_FOLD_FRAMES;
    // A WAL that starts over is cut back to this size (it would keep its largest size otherwise).
    this.db.pragma(`journal_size_limit = ${WAL_KEPT_FOLDS * foldFrames * PAGE_BYTES}`);
    // An in-memory database has no WAL to fold back. The checkpointer's thread starts when the
    // first checkpoint is due, so a store open for less (a command, a test) never starts one.
    if (this.options.path !== ':memory:') {
      this.checkpointTimer = setTimeout(() => {
        this.checkpointer = new Checkpointer({
          path: this.options.path,
          intervalMs,
          foldFrames,
          onFailure: () => this.checkpointHere(),
          onHoldWanted: () => this.holdForFold(),
          onFolded: () => this.resumeAfterFold(),
        });
      }, intervalMs);
      this.checkpointTimer.unref();
    }
  }

  /**
   * The checkpointer's thread asks for a last pass over what it could not fold while commits went
   * on: commits wait (writes queue in `pending`, the event loop runs on) until it is done, or
   * FOLD_HOLD_MAX_MS at most. No transaction is open here: a flush runs whole within one callback.
   */
  private holdForFold(): void {
    if (this.holdingForFold || !this.checkpointer) return;
    this.holdingForFold = setTimeout(() => this.resumeAfterFold(), FOLD_HOLD_MAX_MS);
    this.checkpointer.held();
  }

  /** Commits go on; those that waited are flushed now. */
  private resumeAfterFold(): void {
    if (!this.holdingForFold) return;
    clearTimeout(this.holdingForFold);
    this.holdingForFold = undefined;
    if (this.pending.length > 0) this.flushSoon();
  }

  private get checkpointIntervalMs(): number {
    return this.options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
  }

  /** Checkpoints on the event loop, should the checkpointer's thread fail. */
  private checkpointHere(): void {
    this.checkpointer = undefined;
    this.resumeAfterFold();
    this.checkpointTimer = setInterval(() => {
      if (this.db.open) this.db.pragma('wal_checkpoint(PASSIVE)');
    }, this.checkpointIntervalMs);
    this.checkpointTimer.unref();
  }

  async close(): Promise<void> {
    clearTimeout(this.walFoldLater);
    this.searchIndexer?.stop();
    clearInterval(this.checkpointTimer);
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.resumeAfterFold(); // what waited for a fold is flushed below
    clearInterval(this.checkpointTimer); // started meanwhile, had the thread failed
    if (this.pending.length > 0) this.flush();
    if (this.db?.open) {
      const searchIndexer = this.searchIndexer;
      try {
        if (searchIndexer) this.db.transaction(() => searchIndexer.indexAll())();
      } catch {
        // Left pending: indexed after the next start.
      }
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.close();
    }
  }

  async ping(): Promise<boolean> {
    return this.db?.open === true && this.db.prepare('SELECT 1 AS one').get() !== undefined;
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `The database ${this.options.path} has schema version ${current}, newer than this bridge knows (${MIGRATIONS.length}); upgrade the bridge.`,
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      insertMeta: db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)'),
      upsertParty: db.prepare(`INSERT INTO parties (address, site_key, role, name, email, verified, page_url, created_at, updated_at)
        VALUES (@address, @siteKey, @role, @name, @email, @verified, @pageUrl, @now, @now)
        ON CONFLICT (address) DO UPDATE SET role = excluded.role, name = coalesce(excluded.name, parties.name),
          email = coalesce(excluded.email, parties.email), verified = max(parties.verified, excluded.verified),
          page_url = coalesce(excluded.page_url, parties.page_url), updated_at = excluded.updated_at`),
      getParty: db.prepare<[string], PartyRow>('SELECT * FROM parties WHERE address = ?'),
      expireIdleVisitors: db.prepare<[string, string]>(`DELETE FROM parties
        WHERE site_key = ? AND updated_at < ? AND role = 'visitor' AND verified = 0
          AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.address = parties.address)
          AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.opened_by = parties.address)`),
      insertConversation: db.prepare(`INSERT INTO conversations (id, site_key, team, assignee, state, opened_by, created_at, updated_at, last_seq)
        VALUES (@id, @siteKey, @team, @assignee, 'open', @openedBy, @now, @now, 0)`),
      // Its conversation's state beside it (participants_by_address): a party's open conversations come by index.
      insertParticipant: db.prepare<[string, string]>(`INSERT OR IGNORE INTO participants (conversation_id, address, position, conversation_open)
        SELECT id, ?, (SELECT count(*) FROM participants WHERE conversation_id = id), state = 'open' FROM conversations WHERE id = ?`),
      participantsOpen: db.prepare<[number, string]>('UPDATE participants SET conversation_open = ? WHERE conversation_id = ?'),
      getConversation: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
      participantsOf: db.prepare<[string], { address: string }>('SELECT address FROM participants WHERE conversation_id = ? ORDER BY position'),
      // `+site_key`: looked up by the opener's index (a few rows), never by walking the site's
      // conversations newest first (conversations_by_site_created), which made an open cost more
      // the more conversations the site has.
      openWithTeam: db.prepare<[string, string, string], ConversationRow>(`SELECT * FROM conversations
        WHERE opened_by = ? AND +site_key = ? AND team = ? AND state = 'open' ORDER BY created_at DESC LIMIT 1`),
      openWith: db.prepare<[string, string, string], ConversationRow>(`SELECT c.* FROM conversations c
        JOIN participants p ON p.conversation_id = c.id AND p.address = ?
        WHERE c.opened_by = ? AND +c.site_key = ? AND c.team IS NULL AND c.state = 'open'
          AND (SELECT count(*) FROM participants WHERE conversation_id = c.id) = 2
        ORDER BY c.created_at DESC LIMIT 1`),
      queued: db.prepare<[string, number], ConversationRow>(`SELECT * FROM conversations
        WHERE team = ? AND state = 'open' AND assignee IS NULL ORDER BY created_at, id LIMIT ?`),
      inAnyConversation: db.prepare<[string], 1>(`SELECT 1 FROM participants WHERE address = ? LIMIT 1`).pluck(),
      openBetween: db.prepare<[string, string], { id: string }>(`SELECT c.id FROM participants a
        JOIN participants b ON b.conversation_id = a.conversation_id AND b.address = ?
        JOIN conversations c ON c.id = a.conversation_id
        WHERE a.address = ? AND a.conversation_open = 1 AND c.state = 'open' ORDER BY c.updated_at DESC, c.last_seq DESC LIMIT 1`),
      setState: db.prepare(`UPDATE conversations SET state = ?, updated_at = ?, closed_at = CASE WHEN ? = 'closed' THEN ? END WHERE id = ?`),
      assign: db.prepare(`UPDATE conversations SET assignee = ?, updated_at = ? WHERE id = ?`),
      assignIfQueued: db.prepare<[string, string, string, string | null, string | null]>(
        `UPDATE conversations SET assignee = ?, updated_at = ? WHERE id = ? AND assignee IS NULL AND state = 'open' AND (? IS NULL OR team = ?)`,
      ),
      transfer: db.prepare(`UPDATE conversations SET assignee = ?, team = coalesce(?, team), updated_at = ? WHERE id = ?`),
      addUsage: db.prepare(`INSERT INTO usage (day, site_key, from_network, to_network, messages, bytes) VALUES (@day, @siteKey, @from, @to, @messages, @bytes)
        ON CONFLICT (site_key, day, from_network, to_network) DO UPDATE SET messages = messages + excluded.messages, bytes = bytes + excluded.bytes`),
      usage: db.prepare<[string, string, string], { day: string; site_key: string; from_network: string; to_network: string; messages: number; bytes: number }>(
        `SELECT * FROM usage WHERE site_key = ? AND day >= ? AND day <= ? ORDER BY day, from_network, to_network`,
      ),
      addFollow: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO gateway_follows (watcher, target, created_at) VALUES (?, ?, ?)'),
      deleteFollow: db.prepare<[string, string]>('DELETE FROM gateway_follows WHERE watcher = ? AND target = ?'),
      followsOf: db.prepare<[string, string], { watcher: string; target: string }>(
        'SELECT watcher, target FROM gateway_follows WHERE watcher = ? UNION SELECT watcher, target FROM gateway_follows WHERE target = ?',
      ),
      allFollows: db.prepare<[], { watcher: string; target: string }>('SELECT watcher, target FROM gateway_follows'),
      addTeamSubscriber: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO team_subscribers (team, subscriber, created_at) VALUES (?, ?, ?)'),
      deleteTeamSubscriber: db.prepare<[string, string]>('DELETE FROM team_subscribers WHERE team = ? AND subscriber = ?'),
      teamsSubscribedBy: db.prepare<[string], { subscriber: string; team: string }>(
        'SELECT subscriber, team FROM team_subscribers WHERE subscriber IN (SELECT value FROM json_each(?)) ORDER BY subscriber, team',
      ),
      statusesOf: db.prepare<[string, string], { id: string; conversation_id: string; status: MessageStatus }>(
        'SELECT id, conversation_id, status FROM messages WHERE id IN (SELECT value FROM json_each(?)) AND sender = ?',
      ),
      takingPartOnSite: db
        .prepare<[string, string], string>(
          `SELECT DISTINCT p.address FROM participants p JOIN conversations c ON c.id = p.conversation_id
          WHERE p.address IN (SELECT value FROM json_each(?)) AND c.site_key = ?`,
        )
        .pluck(),
      teamSubscribers: db.prepare<[string], { team: string; subscriber: string }>(
        "SELECT team, subscriber FROM team_subscribers WHERE subscriber GLOB ? || ':*' ORDER BY team, subscriber",
      ),
      rate: db.prepare(`UPDATE conversations SET rating = ?, rating_comment = ?, updated_at = ? WHERE id = ?`),
      setSubject: db.prepare<[string | null, string, string]>('UPDATE conversations SET subject = ?, updated_at = ? WHERE id = ?'),
      networkState: db.prepare<[string, string], { value: string }>('SELECT value FROM network_state WHERE network = ? AND key = ?'),
      setNetworkState: db.prepare<[string, string, string, string]>(`INSERT INTO network_state (network, key, value, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (network, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
      deleteNetworkState: db.prepare<[string, string]>('DELETE FROM network_state WHERE network = ? AND key = ?'),
      conversationThread: db.prepare<[string, string], { value: string }>('SELECT value FROM conversation_threads WHERE conversation_id = ? AND network = ?'),
      setThread: db.prepare<[string, string, string]>(`INSERT INTO conversation_threads (conversation_id, network, value) VALUES (?, ?, ?)
        ON CONFLICT (conversation_id, network) DO UPDATE SET value = excluded.value`),
      deleteThread: db.prepare<[string, string]>('DELETE FROM conversation_threads WHERE conversation_id = ? AND network = ?'),
      deleteParticipant: db.prepare('DELETE FROM participants WHERE conversation_id = ? AND address = ?'),
      markJoining: db.prepare<[string, string, number]>(`INSERT INTO joining (conversation_id, party, since) VALUES (?, ?, ?)
        ON CONFLICT DO UPDATE SET since = excluded.since, introduced = 0`),
      markIntroduced: db.prepare<[string, string]>('UPDATE joining SET introduced = 1 WHERE conversation_id = ? AND party = ?'),
      unmarkJoining: db.prepare<[string, string]>('DELETE FROM joining WHERE conversation_id = ? AND party = ?'),
      joiningIn: db.prepare<[string], Address>('SELECT party FROM joining WHERE conversation_id = ?').pluck(),
      claimJoinings: db.prepare<[number, number], { conversation_id: string; party: string; introduced: number }>(
        'UPDATE joining SET since = ? WHERE since <= ? RETURNING conversation_id, party, introduced',
      ),
      dropClaimedJoining: db.prepare<[string, string, number]>('DELETE FROM joining WHERE conversation_id = ? AND party = ? AND since = ?'),
      deleteConversationJoinings: db.prepare('DELETE FROM joining WHERE conversation_id = ?'),
      // An erasure's deletes of one party's rows on a site: its rows looked up by the party, each
      // checked against its conversation's site (not the list of every conversation of the site).
      deleteJoiningsOf: db.prepare<[string, string]>(
        'DELETE FROM joining WHERE party = ? AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = joining.conversation_id AND c.site_key = ?)',
      ),
      recordDeparture: db.prepare<[string, string]>(`INSERT INTO departures (conversation_id, party, through_seq)
        SELECT id, ?, last_seq FROM conversations WHERE id = ? ON CONFLICT DO UPDATE SET through_seq = excluded.through_seq`),
      openCount: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM conversations WHERE assignee = ? AND state = 'open'`),
      // Statements run for every message take their values in order, not by name: better-sqlite3
      // binds an object's values by looking each name up, several microseconds per message.
      // Values: sentAt, then sender, sentAt, sender (awaitingAfterMessage's order), then the id.
      nextSeq: db.prepare<[string, string, string, string, string], { last_seq: number }>(`UPDATE conversations
        SET last_seq = last_seq + 1, updated_at = ?, awaiting_answer_since = ${awaitingAfterMessage('?', '?')}
        WHERE id = ? RETURNING last_seq`),
      // The same, the seq known beforehand (the conversation as last written): one row moved, no
      // RETURNING (which costs the UPDATE a table of its own); none when the seq was not the next.
      // Values: seq, sentAt, then sender, sentAt, sender, then the id and the seq before.
      takeSeq: db.prepare<[number, string, string, string, string, string, number]>(`UPDATE conversations
        SET last_seq = ?, updated_at = ?, awaiting_answer_since = ${awaitingAfterMessage('?', '?')}
        WHERE id = ? AND last_seq = ?`),
      insertMessage: db.prepare<MessageColumns>(`INSERT ${INSERT_MESSAGE}`),
      // The same, inserting nothing when the sender's clientId (or the seq) is taken: in the common
      // case, a resend is told apart with no lookup of its own.
      insertNewMessage: db.prepare<MessageColumns>(`INSERT OR IGNORE ${INSERT_MESSAGE}`),
      // Takes back, in the same write, what insertNewMessage put in at a seq that was not the next.
      deleteNewMessage: db.prepare<[string]>('DELETE FROM messages WHERE id = ?'),
      // The sender's own message in this conversation, not taken back: a correction of one taken back
      // would put text back in its place (a retraction of it again stays one, harmless).
      correctable: db.prepare<[string, string, string, number], { one: number }>(
        "SELECT 1 AS one FROM messages WHERE id = ? AND conversation_id = ? AND sender = ? AND (text <> '' OR attachments IS NOT NULL OR ?)",
      ),
      // A retraction's original and the corrections before it (each names the original).
      retracted: db.prepare<[string, string, string, string, string], { id: string }>(
        'SELECT id FROM messages WHERE conversation_id = ? AND sender = ? AND (id = ? OR corrects = ?) AND id <> ? ORDER BY id',
      ),
      emptyMessage: db.prepare<[string]>("UPDATE messages SET text = '', attachments = NULL WHERE id = ?"),
      unindexMessage: db.prepare<[string]>("DELETE FROM search_docs WHERE kind = 'message' AND ref = ?"),
      unqueueMessage: db.prepare<[string]>('DELETE FROM outbox WHERE message_id = ?'),
      // A message's `conversation.message` deliveries: the conversation's, whose body names it (`webhookNeedleOf`).
      unqueueMessageWebhooks: db.prepare<[string, string], { id: string; hook: string }>(
        "DELETE FROM webhook_deliveries WHERE conversation_id = ? AND event = 'conversation.message' AND instr(body, ?) > 0 RETURNING id, hook",
      ),
      byClientId: db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE sender = ? AND client_id = ?'),
      byRemoteId: db.prepare<[string, string], MessageRow>(`SELECT m.* FROM inbound_ids i JOIN messages m ON m.id = i.message_id
        WHERE i.network = ? AND i.remote_id = ?`),
      insertRemoteId: db.prepare('INSERT INTO inbound_ids (network, remote_id, message_id) VALUES (?, ?, ?)'),
      // Ids are the store's (lastOutboxId), not SQLite's: no counter page written with each item.
      insertOutbox: db.prepare<[string, number, string, string, number]>(
        `INSERT OR IGNORE INTO outbox (network, id, message_id, recipient, next_attempt_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      getMessage: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
      historyAfter: db.prepare<[string, number, number], MessageRow>(`SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
      historyBefore: db.prepare<[string, number, number], MessageRow>(`SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
      readSeq: db.prepare<[string, string], { read_seq: number }>('SELECT read_seq FROM participants WHERE conversation_id = ? AND address = ?'),
      setReadSeq: db.prepare('UPDATE participants SET read_seq = ? WHERE conversation_id = ? AND address = ?'),
      newlyRead: db.prepare<[string, number, number, string, number], MessageRow>(`SELECT * FROM messages
        WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender <> ? AND status IN ('accepted', 'sent', 'delivered')
        ORDER BY seq DESC LIMIT ?`),
      markReadRange: db.prepare(`UPDATE messages SET status = 'read'
        WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender <> ? AND status IN ('accepted', 'sent', 'delivered')`),
      pendingOutbox: db.prepare<
        [string, number, number],
        MessageRow & { outbox_id: number; recipient: string; network: string; attempts: number; next_attempt_at: number }
      >(`
        SELECT o.id AS outbox_id, o.recipient, o.network, o.attempts, o.next_attempt_at, m.* FROM outbox o JOIN messages m ON m.id = o.message_id
        WHERE o.network = ? AND o.id > ? ORDER BY o.id LIMIT ?`),
      completeOutbox: db.prepare<[string, number], { message_id: string }>('DELETE FROM outbox WHERE network = ? AND id = ? RETURNING message_id'),
      // The ids follow `@after` in seq order; those a taken (message, recipient) skips are left unused.
      queueEarlier: db.prepare<[{ conversationId: string; recipient: string; network: string; after: number }], { id: number }>(`
        INSERT OR IGNORE INTO outbox (network, id, message_id, recipient, next_attempt_at)
        SELECT @network, @after + row_number() OVER (ORDER BY seq), id, @recipient, 0 FROM messages
        WHERE conversation_id = @conversationId AND sender <> @recipient AND ${saysSomething('messages')}
        AND seq > coalesce((SELECT through_seq FROM departures WHERE conversation_id = @conversationId AND party = @recipient), 0) ORDER BY seq
        RETURNING id`),
      retryOutbox: db.prepare<[number, string, string, number]>(
        'UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE network = ? AND id = ?',
      ),
      outboxDepth: db.prepare<[string], { depth: number }>('SELECT count(*) AS depth FROM outbox WHERE network = ?'),
      outboxNetworks: db.prepare<[], { network: string }>('SELECT DISTINCT network FROM outbox'),
      insertWebhook: db.prepare<[string, string, string, string, string | null, string]>(
        'INSERT OR IGNORE INTO webhook_deliveries (id, hook, event, site_key, conversation_id, body) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      pendingWebhooks: db.prepare<[string, number], WebhookRow>(
        'SELECT id, hook, event, site_key, body, attempts, next_attempt_at FROM webhook_deliveries WHERE hook = ? ORDER BY seq LIMIT ?',
      ),
      webhookBacklog: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM webhook_deliveries'),
      hookBacklog: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM webhook_deliveries WHERE hook = ?'),
      completeWebhook: db.prepare('DELETE FROM webhook_deliveries WHERE id = ?'),
      hasWebhook: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM webhook_deliveries WHERE id = ?'),
      retryWebhook: db.prepare('UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?'),
      getMark: db.prepare<[string], { state: ConversationState; assignee: string | null }>(
        'SELECT state, assignee FROM webhook_marks WHERE conversation_id = ?',
      ),
      setMark: db.prepare(`INSERT INTO webhook_marks (conversation_id, state, assignee) VALUES (?, ?, ?)
        ON CONFLICT (conversation_id) DO UPDATE SET state = excluded.state, assignee = excluded.assignee`),
      aheadOfMarks: db.prepare<[number], ConversationRow & { mark_state: ConversationState | null; mark_assignee: string | null; marked: number }>(`
        SELECT c.*, m.state AS mark_state, m.assignee AS mark_assignee, m.conversation_id IS NOT NULL AS marked
        FROM conversations c LEFT JOIN webhook_marks m ON m.conversation_id = c.id
        WHERE m.conversation_id IS NULL OR (c.assignee IS NOT NULL AND c.assignee IS NOT m.assignee) OR (c.state = 'closed' AND m.state <> 'closed')
        LIMIT ?`),
      saveOffer:
        db.prepare(`INSERT INTO offers (conversation_id, agent_id, deadline, declined, seq) VALUES (@conversationId, @agentId, @deadline, @declined, @seq)
        ON CONFLICT (conversation_id) DO UPDATE SET agent_id = excluded.agent_id, deadline = excluded.deadline, declined = excluded.declined, seq = excluded.seq`),
      deleteOffer: db.prepare('DELETE FROM offers WHERE conversation_id = ?'),
      deleteOfferAt: db.prepare<[string, number]>('DELETE FROM offers WHERE conversation_id = ? AND deadline = ?'),
      rescheduleOffer: db.prepare<[number, string, number]>('UPDATE offers SET deadline = ? WHERE conversation_id = ? AND deadline = ?'),
      offerOf: db.prepare<[string], OfferRow>('SELECT * FROM offers WHERE conversation_id = ?'),
      offerAt: db.prepare<[string, number], { seq: number | null }>('SELECT seq FROM offers WHERE conversation_id = ? AND deadline = ?'),
      // An offer stored without its seq (by an older version) ends whatever the answer's.
      endOffer: db.prepare<[string, string, number | null, number | null]>(
        'DELETE FROM offers WHERE conversation_id = ? AND agent_id = ? AND (? IS NULL OR seq IS NULL OR seq < ?)',
      ),
      wroteSince: db.prepare<[string, number, string], { one: number }>(
        'SELECT 1 AS one FROM messages WHERE conversation_id = ? AND seq > ? AND sender IN (SELECT value FROM json_each(?)) LIMIT 1',
      ),
      takeOfferTurn: db.prepare<[string, string, string]>(`INSERT INTO offer_turns (team, agent_id, turn)
        VALUES (?, ?, (SELECT coalesce(max(turn), 0) + 1 FROM offer_turns WHERE team = ?))
        ON CONFLICT (team, agent_id) DO UPDATE SET turn = excluded.turn`),
      offerTurns: db.prepare<[string], { agent_id: string; turn: number }>('SELECT agent_id, turn FROM offer_turns WHERE team = ?'),
      saveContinuation: db.prepare(`INSERT OR REPLACE INTO continuations (conversation_id, site_key, visitor, address, state, proof, code_hash,
        expires_at, attempts_left, proven_at, reason, updated_at, team) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      continuationOf: db.prepare<[string], ContinuationRow>('SELECT * FROM continuations WHERE conversation_id = ?'),
      continuationsAt: db.prepare<[string], ContinuationRow>(
        "SELECT * FROM continuations WHERE address = ? AND state IN ('pending', 'active') ORDER BY updated_at DESC, conversation_id",
      ),
      deleteContinuation: db.prepare('DELETE FROM continuations WHERE conversation_id = ?'),
      deleteContinuationsAt: db.prepare('DELETE FROM continuations WHERE address = ? AND site_key = ?'),
      allOffers: db.prepare<[], OfferRow>('SELECT * FROM offers ORDER BY deadline'),
      block: db.prepare(`INSERT INTO blocks (site_key, address, blocked_by, blocked_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      unblock: db.prepare('DELETE FROM blocks WHERE site_key = ? AND address = ?'),
      blockOf: db.prepare<[string, string], BlockRow>('SELECT * FROM blocks WHERE site_key = ? AND address = ?'),
      blocks: db.prepare<[string], BlockRow>('SELECT * FROM blocks WHERE site_key = ? ORDER BY blocked_at, address'),
      markBlockTold: db.prepare('UPDATE blocks SET told = 1 WHERE site_key = ? AND address = ? AND told = 0'),
      conversationsOpenedBy: db.prepare<[string, string], { id: string }>('SELECT id FROM conversations WHERE +site_key = ? AND opened_by = ?'),
      conversationsWith: db.prepare<[string, string], { id: string }>(`SELECT p.conversation_id AS id FROM participants p
        JOIN conversations c ON c.id = p.conversation_id WHERE p.address = ? AND c.site_key = ?`),
      allMessagesOf: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq'),
      // Every state named: the (site, state, updated_at) index reads each one's range.
      staleConversations: db.prepare<[string, string, number], { id: string; last_seq: number }>(
        `SELECT id, last_seq FROM conversations WHERE site_key = ? AND state IN (${CONVERSATION_STATES.map((state) => `'${state}'`).join(', ')})
          AND updated_at < ? LIMIT ?`,
      ),
      deleteConversationOutbox: db.prepare('DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?)'),
      deleteConversationInbound: db.prepare('DELETE FROM inbound_ids WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?)'),
      deleteConversationMessages: db.prepare('DELETE FROM messages WHERE conversation_id = ?'),
      deleteConversationParticipants: db.prepare('DELETE FROM participants WHERE conversation_id = ?'),
      deleteMark: db.prepare('DELETE FROM webhook_marks WHERE conversation_id = ?'),
      deleteConversationDepartures: db.prepare('DELETE FROM departures WHERE conversation_id = ?'),
      deleteDeparturesOf: db.prepare<[string, string]>(
        'DELETE FROM departures WHERE party = ? AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = departures.conversation_id AND c.site_key = ?)',
      ),
      deleteConversationThreads: db.prepare('DELETE FROM conversation_threads WHERE conversation_id = ?'),
      deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ?'),
      deleteWebhooksMentioning: db.prepare<[string, string]>('DELETE FROM webhook_deliveries WHERE site_key = ? AND instr(body, ?) > 0'),
      // By its column; a delivery that names no conversation, by its body.
      deleteConversationWebhooks: db.prepare<[string, string, string]>(
        'DELETE FROM webhook_deliveries WHERE conversation_id = ? OR (conversation_id IS NULL AND site_key = ? AND instr(body, ?) > 0)',
      ),
      deleteSenderOutbox: db.prepare('DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ? AND sender = ?)'),
      deleteSenderInbound: db.prepare('DELETE FROM inbound_ids WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ? AND sender = ?)'),
      deleteSenderMessages: db.prepare('DELETE FROM messages WHERE conversation_id = ? AND sender = ?'),
      awaitingFromMessages: db.prepare<[string]>(`UPDATE conversations SET awaiting_answer_since = ${AWAITING_FROM_MESSAGES} WHERE id = ?`),
      deleteRecipientOutbox: db.prepare<[string, string]>(`DELETE FROM outbox WHERE recipient = ? AND EXISTS (
        SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = outbox.message_id AND c.site_key = ?)`),
      deleteFollowsOf: db.prepare<[string, string]>('DELETE FROM gateway_follows WHERE watcher = ? OR target = ?'),
      deleteTeamSubscriptionsOf: db.prepare<[string]>('DELETE FROM team_subscribers WHERE subscriber = ?'),
      deleteParty: db.prepare<[string, string]>('DELETE FROM parties WHERE address = ? AND site_key = ?'),
      heardFrom: db.prepare<[string, string], { one: number }>(`SELECT 1 AS one WHERE ${heardFromSql('?', '?')}`),
      lastHeardSite: db.prepare<[string], { site_key: string }>(lastHeardSiteSql('?')),
      refileParty: db.prepare<[string, string]>('UPDATE parties SET site_key = ? WHERE address = ?'),
      deleteUnreferencedParties: db.prepare<[string, string]>(`DELETE FROM parties WHERE site_key = ? AND updated_at < ?
        AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.address = parties.address)
        AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.opened_by = parties.address OR c.assignee = parties.address)`),
    };
  }

  async secret(name: string): Promise<string> {
    const key = `secret:${name}`;
    this.statements.insertMeta.run(key, randomBytes(32).toString('base64url'));
    return this.statements.getMeta.get(key)!.value;
  }

  async upsertParty(party: PartyRecord): Promise<void> {
    await this.write(() => {
      this.parties.delete(party.address);
      return this.statements.upsertParty.run({
        address: party.address,
        siteKey: party.siteKey,
        role: party.role,
        name: party.name ?? null,
        email: party.email ?? null,
        verified: party.verified ? 1 : 0,
        pageUrl: party.pageUrl ?? null,
        now: new Date().toISOString(),
      });
    });
  }

  async getParty(address: Address): Promise<PartyRecord | null> {
    let party = this.parties.get(address);
    if (party === undefined) {
      const row = this.statements.getParty.get(address);
      party = row ? toParty(row) : null;
      if (this.parties.size >= PARTIES_KEPT) this.parties.delete(this.parties.keys().next().value!);
      this.parties.set(address, party);
    }
    return party && { ...party };
  }

  async expireIdleVisitors(siteKey: string, before: string): Promise<number> {
    return this.write(() => {
      this.parties.clear();
      return this.statements.expireIdleVisitors.run(siteKey, before).changes;
    });
  }

  private toConversation(row: ConversationRow): ConversationRecord {
    return toConversation(row, this.participantsOf(row.id));
  }

  private participantsOf(conversationId: string): Address[] {
    return this.statements.participantsOf.all(conversationId).map((p) => p.address as Address);
  }

  /** A conversation's participants as committed (the cache follows every commit; a miss reads the database). */
  private participantsNow(conversationId: string): readonly Address[] {
    return this.conversations.get(conversationId)?.participants ?? this.participantsOf(conversationId);
  }

  /** Reads a conversation from the database and refreshes the cache. */
  private loadConversation(id: string): ConversationRecord | null {
    const row = this.statements.getConversation.get(id);
    if (!row) {
      this.conversations.delete(id);
      return null;
    }
    const record = this.toConversation(row);
    this.conversations.set(id, record);
    return record;
  }

  private requireConversation(id: string): ConversationRecord {
    const record = this.loadConversation(id);
    if (!record) throw new Error(`conversation ${id} does not exist`);
    return record;
  }

  /** A copy, so callers never mutate the cache. */
  private static copy(record: ConversationRecord): ConversationRecord {
    return { ...record, participants: [...record.participants] };
  }

  async createConversation(input: NewConversation): Promise<ConversationRecord> {
    const id = newId('c');
    return this.write(() => {
      this.statements.insertConversation.run({
        id,
        siteKey: input.siteKey,
        team: input.team ?? null,
        assignee: input.assignee ?? null,
        openedBy: input.openedBy,
        now: new Date().toISOString(),
      });
      for (const address of input.participants) this.statements.insertParticipant.run(address, id);
      return SqliteStore.copy(this.requireConversation(id));
    });
  }

  async getConversation(id: string): Promise<ConversationRecord | null> {
    const record = this.conversations.get(id) ?? this.loadConversation(id);
    return record ? SqliteStore.copy(record) : null;
  }

  async findOpenConversation(query: { siteKey: string; openedBy: Address; team?: string; with?: Address }): Promise<ConversationRecord | null> {
    const row =
      query.team !== undefined
        ? this.statements.openWithTeam.get(query.openedBy, query.siteKey, query.team)
        : query.with !== undefined
          ? this.statements.openWith.get(query.with, query.openedBy, query.siteKey)
          : undefined;
    return row ? this.toConversation(row) : null;
  }

  async listConversations(query: ConversationQuery): Promise<ConversationRecord[]> {
    // Most parties that connect take part in no conversation at all: the participants' index says
    // so for a fraction of what the full query costs even when it finds nothing.
    if (query.participant !== undefined && this.statements.inAnyConversation.get(query.participant) === undefined) return [];
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.participant !== undefined) {
      where.push('p.address = ?');
      params.push(query.participant);
      if (query.state !== undefined) {
        where.push('p.conversation_open = ?');
        params.push(query.state === 'open' ? 1 : 0);
      }
    }
    if (query.siteKey !== undefined) {
      where.push('c.site_key = ?');
      params.push(query.siteKey);
    }
    if (query.state !== undefined) {
      where.push('c.state = ?');
      params.push(query.state);
    }
    if (query.teams !== undefined) {
      where.push(`c.team IN (${query.teams.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...query.teams);
    }
    if (query.idSuffix !== undefined) {
      // Letters and digits only: `_` and `%` would be LIKE wildcards.
      if (!/^[0-9a-z]+$/i.test(query.idSuffix)) return [];
      where.push("c.id LIKE '%' || ?");
      params.push(query.idSuffix);
    }
    // A participant's conversations are read from the participants' index first (CROSS JOIN keeps
    // that order): left to itself, SQLite walks every conversation of the site for the ORDER BY,
    // which made each connection's handshake cost grow with the site's conversations.
    const from = query.participant !== undefined ? 'participants p CROSS JOIN conversations c ON c.id = p.conversation_id' : 'conversations c';
    const filtered = (more: string[]) => `SELECT c.* FROM ${from} ${where.length + more.length ? `WHERE ${[...where, ...more].join(' AND ')}` : ''}
      ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`;
    // A site's conversations in every state: each state's most recent from the (site, state,
    // updated_at) index, merged. The site has no index of its own by updated_at: it would be one
    // more page written with every message.
    const eachState = query.siteKey !== undefined && query.state === undefined && query.participant === undefined;
    const sql = eachState
      ? `${CONVERSATION_STATES.map((state) => `SELECT * FROM (${filtered([`c.state = '${state}'`])})`).join(' UNION ALL ')}
        ORDER BY updated_at DESC, id DESC LIMIT ?`
      : filtered([]);
    const values = eachState ? [...CONVERSATION_STATES.flatMap(() => [...params, query.limit]), query.limit] : [...params, query.limit];
    let statement = this.listStatements.get(sql);
    if (!statement) this.listStatements.set(sql, (statement = this.db.prepare<(string | number)[], ConversationRow>(sql)));
    return statement.all(...values).map((row) => this.toConversation(row));
  }

  async openConversationBetween(a: Address, b: Address): Promise<ConversationRecord | null> {
    const known = this.openPairs.get(a, b, (id) => this.conversations.get(id));
    if (known) return SqliteStore.copy(known);
    const row = this.statements.openBetween.get(b, a);
    const record = row ? await this.getConversation(row.id) : null;
    if (record) this.openPairs.remember(a, b, record.id);
    return record;
  }

  async queuedConversations(team: string, limit: number): Promise<ConversationRecord[]> {
    return this.statements.queued.all(team, limit).map((row) => this.toConversation(row));
  }

  async closeConversation(id: string): Promise<{ conversation: ConversationRecord; closed: boolean }> {
    return this.write(() => {
      const current = this.requireConversation(id);
      if (current.state === 'closed') return { conversation: SqliteStore.copy(current), closed: false };
      return { conversation: this.stateChanged(id, 'closed'), closed: true };
    });
  }

  async setConversationState(id: string, state: ConversationState): Promise<ConversationRecord> {
    return this.write(() => this.stateChanged(id, state));
  }

  /** Inside a write: the conversation's state set, its participants' rows and offer following. */
  private stateChanged(id: string, state: ConversationState): ConversationRecord {
    const now = new Date().toISOString();
    this.statements.setState.run(state, now, state, now, id);
    this.statements.participantsOpen.run(state === 'open' ? 1 : 0, id);
    // Closed: whatever offer it had is over.
    if (state === 'closed') this.statements.deleteOffer.run(id);
    return SqliteStore.copy(this.requireConversation(id));
  }

  async assignConversation(id: string, assignee: Address): Promise<ConversationRecord> {
    return this.write(() => {
      this.statements.assign.run(assignee, new Date().toISOString(), id);
      this.statements.insertParticipant.run(assignee, id);
      return SqliteStore.copy(this.requireConversation(id));
    });
  }

  async assignIfQueued(id: string, assignee: Address, options: Assigning = {}): Promise<ConversationRecord | null> {
    return this.write(() => {
      const team = options.team ?? null;
      if (this.statements.assignIfQueued.run(assignee, new Date().toISOString(), id, team, team).changes === 0) return null;
      this.statements.insertParticipant.run(assignee, id);
      if (options.joining) this.markJoining(id, assignee);
      const assigned = this.requireConversation(id);
      this.replaceOffer(assigned, options.offer);
      this.takeTurnOf(assigned, options.turn);
      return SqliteStore.copy(assigned);
    });
  }

  async transferConversation(id: string, to: Address | null, team?: string, options: Assigning = {}): Promise<ConversationRecord> {
    return this.write(() => this.transferNow(id, to, team, options));
  }

  async transferOffered(id: string, claim: OfferClaim, to: Address, options: Assigning = {}): Promise<ConversationRecord | null> {
    return this.write(() => {
      const offer = this.statements.offerAt.get(id, claim.deadline);
      if (!offer || this.requireConversation(id).state !== 'open') return null;
      if (this.statements.wroteSince.get(id, offer.seq ?? claim.seq, JSON.stringify(claim.agent))) return null;
      return this.transferNow(id, to, undefined, options);
    });
  }

  /** `transferConversation`, inside the current write. */
  private transferNow(id: string, to: Address | null, team: string | undefined, options: Assigning): ConversationRecord {
    const before = this.requireConversation(id);
    // The previous assignee leaves: it no longer receives the conversation's messages, and had
    // them all so far, unless it leaves before its catch-up (then it has what it had before).
    if (before.assignee !== undefined && before.assignee !== to) {
      this.statements.deleteParticipant.run(id, before.assignee);
      if (this.statements.unmarkJoining.run(id, before.assignee).changes === 0) this.statements.recordDeparture.run(before.assignee, id);
    }
    this.statements.transfer.run(to, team ?? null, new Date().toISOString(), id);
    if (to !== null) this.statements.insertParticipant.run(to, id);
    // Not who has it already (two transfers to it raced): it has what was said.
    if (to !== null && options.joining && before.assignee !== to) this.markJoining(id, to);
    const after = this.requireConversation(id);
    this.replaceOffer(after, to === null ? undefined : options.offer);
    if (to !== null) this.takeTurnOf(after, options.turn);
    return SqliteStore.copy(after);
  }

  async addUsage(rows: readonly UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.write(() => {
      for (const row of rows) this.statements.addUsage.run(row);
    }, 'kept');
  }

  async usage(siteKey: string, fromDay: string, toDay: string): Promise<UsageRow[]> {
    return this.statements.usage.all(siteKey, fromDay, toDay).map((row) => ({
      day: row.day,
      siteKey: row.site_key,
      from: row.from_network,
      to: row.to_network,
      messages: row.messages,
      bytes: row.bytes,
    }));
  }

  async setGatewayFollow(follow: GatewayFollow, on: boolean): Promise<void> {
    await this.write(() => {
      if (on) this.statements.addFollow.run(follow.watcher, follow.target, new Date().toISOString());
      else this.statements.deleteFollow.run(follow.watcher, follow.target);
    });
  }

  async gatewayFollows(address?: Address): Promise<GatewayFollow[]> {
    const rows = address === undefined ? this.statements.allFollows.all() : this.statements.followsOf.all(address, address);
    return rows.map((row) => ({ watcher: row.watcher as Address, target: row.target as Address }));
  }

  async setTeamSubscriber(subscription: TeamSubscriber, on: boolean): Promise<void> {
    await this.write(() => {
      if (on) this.statements.addTeamSubscriber.run(subscription.team, subscription.subscriber, new Date().toISOString());
      else this.statements.deleteTeamSubscriber.run(subscription.team, subscription.subscriber);
    });
  }

  async teamsSubscribedBy(subscribers: readonly Address[]): Promise<Map<Address, string[]>> {
    if (subscribers.length === 0) return new Map();
    return teamsBySubscriber(this.statements.teamsSubscribedBy.all(JSON.stringify(subscribers)));
  }

  async takingPartOnSite(siteKey: string, addresses: readonly Address[]): Promise<Set<Address>> {
    if (addresses.length === 0) return new Set();
    return new Set(this.statements.takingPartOnSite.all(JSON.stringify(addresses), siteKey) as Address[]);
  }

  async teamSubscribers(network: string): Promise<TeamSubscriber[]> {
    return this.statements.teamSubscribers.all(network).map((row) => ({ team: row.team, subscriber: row.subscriber as Address }));
  }

  async networkState(network: string, key: string): Promise<string | null> {
    return this.statements.networkState.get(network, key)?.value ?? null;
  }

  async setNetworkState(network: string, key: string, value: string | null): Promise<void> {
    await this.write(() => {
      if (value === null) this.statements.deleteNetworkState.run(network, key);
      else this.statements.setNetworkState.run(network, key, value, new Date().toISOString());
    });
  }

  async rateConversation(id: string, rating: number, comment?: string): Promise<ConversationRecord> {
    return this.write(() => {
      this.statements.rate.run(rating, comment ?? null, new Date().toISOString(), id);
      return SqliteStore.copy(this.requireConversation(id));
    });
  }

  async setConversationSubject(id: string, subject: string): Promise<ConversationRecord> {
    const clean = cleanSubject(subject);
    return this.write(() => {
      this.statements.setSubject.run(clean, new Date().toISOString(), id);
      return SqliteStore.copy(this.requireConversation(id));
    });
  }

  async conversationThread(conversationId: string, network: string): Promise<string | null> {
    return this.statements.conversationThread.get(conversationId, network)?.value ?? null;
  }

  async setConversationThread(conversationId: string, network: string, value: string | null): Promise<void> {
    await this.write(() => {
      if (value === null) {
        this.statements.deleteThread.run(conversationId, network);
        return;
      }
      // A thread outliving its conversation would never be erased.
      if (!this.statements.getConversation.get(conversationId)) throw new Error(`conversation ${conversationId} does not exist`);
      this.statements.setThread.run(conversationId, network, value);
    });
  }

  async openCounts(assignees: readonly Address[]): Promise<Map<Address, number>> {
    return new Map(assignees.map((assignee) => [assignee, this.statements.openCount.get(assignee)?.n ?? 0]));
  }

  async addParticipant(id: string, address: Address): Promise<ConversationRecord> {
    return this.write(() => {
      this.statements.insertParticipant.run(address, id);
      return SqliteStore.copy(this.requireConversation(id));
    });
  }

  private readonly appendTransaction = (input: NewMessage, outbox: readonly OutboxTarget[], status: MessageStatus): AppendResult => {
    if (input.remote !== undefined) {
      const existing = this.statements.byRemoteId.get(input.remote.network, input.remote.id);
      if (existing) return { kind: 'duplicate', message: toMessage(existing) };
    }
    const sentAt = new Date().toISOString();
    const message: NewRow = { id: newId('m'), conversationId: input.conversationId, seq: 0, from: input.from, text: input.text, sentAt, status };
    if (input.clientId !== undefined) message.clientId = input.clientId;
    if (input.sentFrom !== undefined) message.sentFrom = input.sentFrom;
    if (input.corrects !== undefined && this.statements.correctable.get(input.corrects, input.conversationId, input.from, takesBack(input) ? 1 : 0))
      message.corrects = input.corrects;
    const atNextSeq = this.insertedAtNextSeq(input, message);
    const earlier = atNextSeq === null ? this.inserted(input, message) : atNextSeq;
    if (earlier) return { kind: 'duplicate', message: earlier };
    if (input.remote !== undefined) this.statements.insertRemoteId.run(input.remote.network, input.remote.id, message.id);
    const takenBack = isRetraction(message) ? this.takeBack(message) : undefined;
    const queued: QueuedOutboxItem[] = [];
    for (const item of outbox) {
      const nextAttemptAt = item.notBefore ?? 0;
      const id = this.lastOutboxId + 1;
      if (this.statements.insertOutbox.run(item.network, id, message.id, item.recipient, nextAttemptAt).changes === 0) continue;
      this.lastOutboxId = id;
      const previous = this.lastQueued.get(item.network);
      this.lastQueued.set(item.network, id);
      queued.push({
        id,
        ...(previous !== undefined ? { previous } : {}),
        message: { ...message },
        recipient: item.recipient,
        network: item.network,
        attempts: 0,
        nextAttemptAt,
        ...(input.via !== undefined ? { via: input.via } : {}),
      });
    }
    for (const delivery of input.webhooks?.(message) ?? []) this.insertWebhook(delivery);
    const cached = this.conversations.get(input.conversationId);
    if (cached) {
      cached.lastSeq = message.seq;
      cached.updatedAt = sentAt;
    }
    // Out of the cache, its participants are read: forgetting every pair instead would send each
    // conversation's next lookup to the database.
    this.openPairs.appended(input.conversationId, this.participantsNow(input.conversationId));
    return { kind: 'stored', message, queued, ...(takenBack ? { takenBack } : {}) };
  };

  /**
   * Inside an append: stores the message at the seq after its conversation's last, when this
   * process knows that seq (the conversation as it last wrote it: the SQLite store is its file's
   * only writer) and the message brings no files (claimed only once it is known to be no resend).
   * Answers the sender's earlier message with this clientId when it is a resend; `undefined` when
   * it stored it; `null` when the message goes the general way (`inserted`): no seq known, or the
   * one known turned out taken (that conversation is then read from the database again).
   */
  private insertedAtNextSeq(input: NewMessage, message: NewRow): Message | undefined | null {
    const cached = this.conversations.get(input.conversationId);
    if (!cached || (input.attachments !== undefined && input.attachments.length > 0)) return null;
    message.seq = cached.lastSeq + 1;
    if (this.statements.insertNewMessage.run(...messageColumns(message, input.via)).changes === 0) {
      const earlier = input.clientId !== undefined ? this.statements.byClientId.get(input.from, input.clientId) : undefined;
      if (earlier) return toMessage(earlier);
      this.conversations.delete(input.conversationId);
      return null;
    }
    // The message is in at that seq, so no other has it. A conversation that does not end just
    // before it (or is gone) takes the message out again for the general way, which reads it.
    const { sentAt, from } = message;
    if (this.statements.takeSeq.run(message.seq, sentAt, from, sentAt, from, input.conversationId, message.seq - 1).changes > 0) return undefined;
    this.statements.deleteNewMessage.run(message.id);
    this.conversations.delete(input.conversationId);
    return null;
  }

  /** Inside an append: stores the message at the seq its conversation moves on to; answers the sender's earlier message with this clientId instead, if any. */
  private inserted(input: NewMessage, message: NewRow): Message | undefined {
    if (input.clientId !== undefined) {
      const earlier = this.statements.byClientId.get(input.from, input.clientId);
      if (earlier) return toMessage(earlier);
    }
    const { sentAt, from } = message;
    const next = this.statements.nextSeq.get(sentAt, from, sentAt, from, input.conversationId);
    if (!next) throw new Error(`conversation ${input.conversationId} does not exist`);
    message.seq = next.last_seq;
    if (input.attachments !== undefined && input.attachments.length > 0)
      message.attachments = this.files.claim(message.id, input.conversationId, input.from, input.attachments);
    this.statements.insertMessage.run(...messageColumns(message, input.via));
    return undefined;
  }

  /**
   * Inside the append of a retraction: empties the message it takes back and the corrections
   * before it (text, files, search entries, outbox items), leaving their places in the history.
   */
  private takeBack(retraction: Message): TakenBack {
    const { statements } = this;
    const blobs = new Set<string>();
    const webhooks: { id: string; hook: string }[] = [];
    const original = retraction.corrects!;
    const messages = statements.retracted.all(retraction.conversationId, retraction.from, original, original, retraction.id).map((row) => row.id);
    for (const id of messages) {
      this.files.deleteOfMessage(retraction.conversationId, id, blobs);
      statements.unindexMessage.run(id);
      // Not sent yet, not sent at all; the retraction goes to every recipient all the same (one may
      // be getting the message as this runs).
      statements.unqueueMessage.run(id);
      // Nor told to webhook receivers still waiting for it: the retraction's own delivery tells them.
      webhooks.push(...statements.unqueueMessageWebhooks.all(retraction.conversationId, webhookNeedleOf(id)));
      statements.emptyMessage.run(id);
    }
    // An answer taken back answered nothing (the customer waits again); a question taken back waits for none.
    statements.awaitingFromMessages.run(retraction.conversationId);
    return { messages, blobs: blobs.size > 0 ? this.files.unused(blobs) : [], webhooks };
  }

  async appendMessage(input: NewMessage): Promise<AppendResult> {
    const result = await this.write(() => {
      if (!input.outboxFor && !input.statusFor) return this.appendTransaction(input, input.outbox, input.status);
      // The recipients as the conversation is when the append runs: writes run in the order asked,
      // so an assignment, its joining mark and the catch-up that removes it are all before or after.
      const participants = this.participantsNow(input.conversationId);
      // One indexed read of the table (a fraction of a microsecond): rows are few, handovers under way.
      const joining = this.statements.joiningIn.all(input.conversationId);
      const recipients = input.outboxFor?.(participants) ?? [];
      const outbox = [...input.outbox, ...(joining.length > 0 ? recipients.filter((item) => !joining.includes(item.recipient)) : recipients)];
      const stored = this.appendTransaction(input, outbox, input.statusFor?.(participants) ?? input.status);
      if (stored.kind === 'stored') stored.participants = [...participants];
      return stored;
    }, 'kept');
    if (result.kind === 'stored' && result.message.text !== '') this.searchIndexer?.appended();
    return result;
  }

  /** Queues a webhook delivery, inside the current write. */
  private insertWebhook(delivery: NewWebhookDelivery): void {
    this.statements.insertWebhook.run(delivery.id, delivery.hook, delivery.event, delivery.siteKey, delivery.conversationId ?? null, delivery.body);
  }

  /** Marks a party joining a conversation (store.ts, `Joining`), inside the current write; stamped even (`JoiningMark`). */
  private markJoining(conversationId: string, party: Address): void {
    const now = Date.now();
    this.statements.markJoining.run(conversationId, party, now - (now % 2));
  }

  async getMessage(id: string): Promise<Message | null> {
    const row = this.statements.getMessage.get(id);
    return row ? toMessage(row) : null;
  }

  async statusesOf(sender: Address, ids: readonly string[]): Promise<{ id: string; conversationId: string; status: MessageStatus }[]> {
    if (ids.length === 0) return [];
    return this.statements.statusesOf.all(JSON.stringify(ids), sender).map((row) => ({ id: row.id, conversationId: row.conversation_id, status: row.status }));
  }

  async messageByRemoteId(network: string, remoteId: string): Promise<Message | null> {
    const row = this.statements.byRemoteId.get(network, remoteId);
    return row ? toMessage(row) : null;
  }

  async messageByClientId(from: Address, clientId: string): Promise<Message | null> {
    const row = this.statements.byClientId.get(from, clientId);
    return row ? toMessage(row) : null;
  }

  async history(conversationId: string, query: HistoryQuery): Promise<{ messages: Message[]; hasMore: boolean }> {
    // One row more than asked tells whether there is another page in that direction.
    if (query.afterSeq !== undefined) {
      const rows = this.statements.historyAfter.all(conversationId, query.afterSeq, query.limit + 1);
      return { messages: rows.slice(0, query.limit).map(toMessage), hasMore: rows.length > query.limit };
    }
    const before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    const rows = this.statements.historyBefore.all(conversationId, before, query.limit + 1);
    return { messages: rows.slice(0, query.limit).reverse().map(toMessage), hasMore: rows.length > query.limit };
  }

  async advanceStatus(id: string, status: MessageStatus): Promise<StatusChange | null> {
    return this.writeLazily(() => this.advance(id, status));
  }

  /** Moves a status forward inside the current write; the change when there was one. */
  private advance(id: string, status: MessageStatus): StatusChange | null {
    // One statement: the UPDATE takes only a message whose status moves forward to this one.
    let statement = this.advanceStatements.get(status);
    if (!statement) {
      const from = statusesBefore(status).map((before) => `'${before}'`);
      statement = this.db.prepare<[MessageStatus, string], StatusChangeRow>(
        `UPDATE messages SET status = ? WHERE id = ? AND status IN (${from.join(', ')}) RETURNING conversation_id, sender`,
      );
      this.advanceStatements.set(status, statement);
    }
    const row = statement.get(status, id);
    return row ? { id, conversationId: row.conversation_id, from: row.sender as Address, status } : null;
  }

  async markRead(conversationId: string, reader: Address, seq: number, limit: number): Promise<Message[] | null> {
    return this.write((): Message[] | null => {
      const current = this.statements.readSeq.get(conversationId, reader);
      if (!current) return null;
      if (seq <= current.read_seq) return [];
      const rows = this.statements.newlyRead.all(conversationId, current.read_seq, seq, reader, limit);
      this.statements.markReadRange.run(conversationId, current.read_seq, seq, reader);
      this.statements.setReadSeq.run(seq, conversationId, reader);
      return rows.reverse().map((row) => toMessage({ ...row, status: 'read' }));
    }, 'kept');
  }

  async pendingOutbox(network: string, limit: number, afterId = 0): Promise<OutboxItem[]> {
    return this.statements.pendingOutbox.all(network, afterId, limit).map((row) => ({
      id: row.outbox_id,
      message: toMessage(row),
      recipient: row.recipient as Address,
      network: row.network,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      ...viaOfRow(row),
    }));
  }

  async completeOutbox({ id, network }: OutboxRef, status?: MessageStatus): Promise<StatusChange | null> {
    // The recipient's next item does not wait for it: the outbox's lane moved on when the network took the message.
    return this.writeLazily(() => {
      const messageId = this.statements.completeOutbox.get(network, id)?.message_id;
      return messageId && status ? this.advance(messageId, status) : null;
    });
  }

  async retryOutbox({ id, network }: OutboxRef, nextAttemptAt: number, error: string): Promise<void> {
    await this.write(() => this.statements.retryOutbox.run(nextAttemptAt, error, network, id), 'kept');
  }

  async queueEarlierMessages(conversationId: string, recipient: Address, network: string, options: Joining = {}): Promise<number> {
    return this.write(() => {
      // Its handover's, or the claim's of whoever finishes it: whoever removes the mark catches up, once.
      if (this.statements.unmarkJoining.run(conversationId, recipient).changes === 0 && options.joining) return 0;
      // Ids this store does not follow one by one: the network's next item is not known to follow.
      this.lastQueued.delete(network);
      const queued = this.statements.queueEarlier.all({ conversationId, recipient, network, after: this.lastOutboxId });
      // A loop, not Math.max(...ids): a long conversation's ids would be too many arguments.
      for (const { id } of queued) if (id > this.lastOutboxId) this.lastOutboxId = id;
      return queued.length;
    });
  }

  async claimStaleJoinings(olderThanMs: number): Promise<JoiningMark[]> {
    return this.write(() => {
      const now = Date.now();
      const since = now - (now % 2) + 1; // odd: a claim's (JoiningMark)
      // With 0, whatever the stamp: a wall clock set back since must not hold a mark.
      const madeBy = olderThanMs === 0 ? Number.MAX_SAFE_INTEGER : now - olderThanMs;
      return this.statements.claimJoinings
        .all(since, madeBy)
        .map((row) => ({ conversationId: row.conversation_id, party: row.party as Address, since, introduced: row.introduced === 1 }));
    }, 'kept');
  }

  async markIntroduced(conversationId: string, party: Address): Promise<void> {
    await this.write(() => this.statements.markIntroduced.run(conversationId, party), 'kept');
  }

  async dropJoining(mark: JoiningMark): Promise<void> {
    await this.write(() => this.statements.dropClaimedJoining.run(mark.conversationId, mark.party, mark.since), 'kept');
  }

  async outboxDepth(network: string): Promise<number> {
    return this.statements.outboxDepth.get(network)?.depth ?? 0;
  }

  async outboxNetworks(): Promise<string[]> {
    return this.statements.outboxNetworks.all().map((row) => row.network);
  }

  async enqueueWebhooks(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.write(() => {
      for (const delivery of deliveries) this.insertWebhook(delivery);
    });
  }

  async pendingWebhooks(hook: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    return this.statements.pendingWebhooks.all(hook, limit).map(toWebhookDelivery);
  }

  /** One process per database file: nobody else sends, so no claim is recorded (and none outlives a crash). */
  async claimWebhooks(hook: string, _claim: WebhookClaim, limit: number): Promise<{ deliveries: WebhookDeliveryRecord[] }> {
    return { deliveries: await this.pendingWebhooks(hook, limit) };
  }

  async renewWebhookClaims(): Promise<void> {}

  async releaseWebhookClaims(): Promise<void> {}

  async webhookBacklog(hook?: string): Promise<number> {
    return (hook === undefined ? this.statements.webhookBacklog.get() : this.statements.hookBacklog.get(hook))?.n ?? 0;
  }

  async hasWebhook(id: string, _holder?: string): Promise<boolean> {
    return this.statements.hasWebhook.get(id) !== undefined;
  }

  async completeWebhook(id: string): Promise<boolean> {
    return (await this.write(() => this.statements.completeWebhook.run(id))).changes > 0;
  }

  async retryWebhook(id: string, nextAttemptAt: number, error: string): Promise<boolean> {
    return (await this.write(() => this.statements.retryWebhook.run(nextAttemptAt, error, id))).changes > 0;
  }

  async swapConversationMark(
    conversationId: string,
    mark: ConversationMark,
    events?: (before: ConversationMark | null) => readonly NewWebhookDelivery[],
  ): Promise<ConversationMark | null> {
    return this.write(() => {
      const row = this.statements.getMark.get(conversationId);
      this.statements.setMark.run(conversationId, mark.state, mark.assignee ?? null);
      const before: ConversationMark | null = row ? { state: row.state, ...(row.assignee !== null ? { assignee: row.assignee as Address } : {}) } : null;
      for (const delivery of events?.(before) ?? []) this.insertWebhook(delivery);
      return before;
    });
  }

  async conversationsAheadOfMarks(limit: number): Promise<{ conversation: ConversationRecord; mark: ConversationMark | null }[]> {
    return this.statements.aheadOfMarks.all(limit).map((row) => ({
      conversation: this.toConversation(row),
      mark: row.marked ? { state: row.mark_state!, ...(row.mark_assignee !== null ? { assignee: row.mark_assignee as Address } : {}) } : null,
    }));
  }

  async saveOffer(offer: OfferRecord): Promise<void> {
    await this.write(() => this.putOffer(offer));
  }

  /** Stores an offer (the conversation's earlier one replaced), inside the current write. */
  private putOffer(offer: OfferRecord): void {
    this.statements.saveOffer.run({ ...offer, declined: JSON.stringify(offer.declined), seq: offer.seq ?? null });
  }

  async deleteOffer(conversationId: string, deadline?: number): Promise<boolean> {
    const result = await this.write(() =>
      deadline === undefined ? this.statements.deleteOffer.run(conversationId) : this.statements.deleteOfferAt.run(conversationId, deadline),
    );
    return result.changes > 0;
  }

  /**
   * An assignment's offer stored (`Assigning`), or, with none, the conversation's earlier one
   * removed; inside the current write. Its seq is the conversation's as it is assigned: what the
   * agent writes from here on answers it (not what it wrote before, since the offer was planned).
   */
  private replaceOffer(conversation: ConversationRecord, offer: OfferRecord | undefined): void {
    if (offer) this.putOffer({ ...offer, seq: conversation.lastSeq });
    else this.statements.deleteOffer.run(conversation.id);
  }

  async endOffer(conversationId: string, agentId: string, answerSeq?: number): Promise<void> {
    await this.write(() => this.statements.endOffer.run(conversationId, agentId, answerSeq ?? null, answerSeq ?? null));
  }

  async rescheduleOffer(conversationId: string, from: number, to: number): Promise<true | OfferRecord | undefined> {
    return this.write(() => {
      if (this.statements.rescheduleOffer.run(to, conversationId, from).changes > 0) return true;
      const row = this.statements.offerOf.get(conversationId);
      return row && toOffer(row);
    });
  }

  async takeOfferTurn(team: string, agentId: string): Promise<void> {
    await this.write(() => this.takeTurn({ team, agentId }), 'kept');
  }

  /** `takeOfferTurn`, inside the current write. */
  private takeTurn({ team, agentId }: { team: string; agentId: string }): void {
    this.statements.takeOfferTurn.run(team, agentId, team);
  }

  /** An assignment's turn (`Assigning`), while `conversation` is still that team's; inside the current write. */
  private takeTurnOf(conversation: ConversationRecord, turn: Assigning['turn']): void {
    if (turn && conversation.team === turn.team) this.takeTurn(turn);
  }

  async offerTurns(team: string): Promise<Map<string, number>> {
    return new Map(this.statements.offerTurns.all(team).map((row) => [row.agent_id, row.turn]));
  }

  async offers(): Promise<OfferRecord[]> {
    return this.statements.allOffers.all().map(toOffer);
  }

  async saveContinuation(continuation: ContinuationRecord): Promise<void> {
    await this.write(() => this.statements.saveContinuation.run(...continuationColumns(continuation)));
  }

  async deleteContinuation(conversationId: string): Promise<void> {
    await this.write(() => this.statements.deleteContinuation.run(conversationId));
  }

  async continuationOf(conversationId: string): Promise<ContinuationRecord | null> {
    const row = this.statements.continuationOf.get(conversationId);
    return row ? toContinuation(row) : null;
  }

  async continuationsAt(address: Address): Promise<ContinuationRecord[]> {
    return this.statements.continuationsAt.all(address).map(toContinuation);
  }

  async block(input: { siteKey: string; address: Address; by: Address }): Promise<boolean> {
    const at = new Date().toISOString();
    return this.write(() => this.statements.block.run(input.siteKey, input.address, input.by, at).changes === 1);
  }

  async unblock(siteKey: string, address: Address): Promise<boolean> {
    return this.write(() => this.statements.unblock.run(siteKey, address).changes === 1);
  }

  async blockOf(siteKey: string, address: Address): Promise<BlockRecord | null> {
    const row = this.statements.blockOf.get(siteKey, address);
    return row ? toBlock(row) : null;
  }

  async blocks(siteKey: string): Promise<BlockRecord[]> {
    return this.statements.blocks.all(siteKey).map(toBlock);
  }

  async markBlockTold(siteKey: string, address: Address): Promise<boolean> {
    return this.write(() => this.statements.markBlockTold.run(siteKey, address).changes === 1);
  }

  async partyData(siteKey: string, address: Address): Promise<PartyData> {
    const party = await this.getParty(address);
    const ids = new Set(
      [...this.statements.conversationsOpenedBy.all(siteKey, address), ...this.statements.conversationsWith.all(address, siteKey)].map((row) => row.id),
    );
    const conversations = [...ids].flatMap((id) => {
      const conversation = this.loadConversation(id);
      if (!conversation) return [];
      const messages = this.statements.allMessagesOf.all(id).map(toMessage);
      return [{ conversation: SqliteStore.copy(conversation), messages, notes: this.inboxes.notesNow(id) }];
    });
    return { party: partyOfSite(party, siteKey, this.statements.heardFrom.get(siteKey, address) !== undefined), conversations };
  }

  async heardFrom(siteKey: string, address: Address): Promise<boolean> {
    return this.statements.heardFrom.get(siteKey, address) !== undefined;
  }

  /**
   * Inside an erasure, once the site's conversations are gone: the site's party goes. A customer
   * on their own network, kept once for every site, goes only when no site has heard from them any
   * more; while one has, the party stays, filed under that site if it was filed under this one.
   * Answers how many parties were deleted.
   */
  private eraseOrRefile(address: Address, siteKey: string): number {
    const { statements } = this;
    const party = statements.getParty.get(address);
    if (!party || !isSharedCustomer(party)) return statements.deleteParty.run(address, siteKey).changes;
    const heard = statements.lastHeardSite.get(address)?.site_key;
    if (heard === undefined) return statements.deleteParty.run(address, party.site_key ?? siteKey).changes;
    if (party.site_key === siteKey) statements.refileParty.run(heard, address);
    return 0;
  }

  /** Deletes a conversation and everything in it, inside the current write. */
  private deleteConversationData(id: string, siteKey: string, blobs: Set<string>): number {
    const { statements } = this;
    this.files.deleteOfConversation(id, blobs);
    this.inboxes.deleteOfConversation(id);
    statements.deleteConversationOutbox.run(id);
    statements.deleteConversationInbound.run(id);
    const messages = statements.deleteConversationMessages.run(id).changes;
    statements.deleteConversationParticipants.run(id);
    statements.deleteMark.run(id);
    statements.deleteConversationDepartures.run(id);
    statements.deleteConversationJoinings.run(id);
    statements.deleteConversationThreads.run(id);
    statements.deleteOffer.run(id);
    statements.deleteContinuation.run(id);
    statements.deleteConversationWebhooks.run(id, siteKey, id);
    statements.deleteConversation.run(id);
    this.conversations.delete(id);
    return messages;
  }

  async eraseParty(siteKey: string, address: Address): Promise<ErasureResult> {
    const result = await this.write((): ErasureResult => {
      // Deleted cells are overwritten, so the erased text does not linger in free pages of the file.
      this.db.pragma('secure_delete = ON');
      try {
        const { statements } = this;
        const counts: ErasureResult = { conversations: 0, messages: 0, parties: 0, blobs: [] };
        const blobs = new Set<string>();
        for (const { id } of statements.conversationsOpenedBy.all(siteKey, address)) {
          counts.messages += this.deleteConversationData(id, siteKey, blobs);
          counts.conversations += 1;
        }
        for (const { id } of statements.conversationsWith.all(address, siteKey)) {
          statements.deleteSenderOutbox.run(id, address);
          statements.deleteSenderInbound.run(id, address);
          counts.messages += statements.deleteSenderMessages.run(id, address).changes;
          // Their answers gone, the customer may have been waiting since earlier.
          statements.awaitingFromMessages.run(id);
          statements.deleteParticipant.run(id, address);
          this.conversations.delete(id);
        }
        this.files.deleteUploadsOf(siteKey, address, blobs);
        this.inboxes.deleteOfParty(siteKey, address);
        counts.blobs = this.files.unused(blobs);
        statements.deleteRecipientOutbox.run(address, siteKey);
        statements.deleteDeparturesOf.run(address, siteKey);
        statements.deleteJoiningsOf.run(address, siteKey);
        statements.deleteContinuationsAt.run(address, siteKey);
        for (const needle of webhookNeedles(address)) statements.deleteWebhooksMentioning.run(siteKey, needle);
        counts.parties = this.eraseOrRefile(address, siteKey);
        this.parties.delete(address);
        // Gateway subscriptions belong to no site: they go only with a party of this site.
        if (counts.parties > 0) {
          statements.deleteFollowsOf.run(address, address);
          statements.deleteTeamSubscriptionsOf.run(address);
        }
        return counts;
      } finally {
        this.db.pragma('secure_delete = FAST');
      }
    });
    // Older copies of the pages are in the WAL until it is folded back: fold it now.
    await this.foldWalNow();
    return result;
  }

  /**
   * Folds the whole WAL back into the file and empties it. SQLite answers "busy" while the
   * checkpointer's own pass holds the checkpoint lock (tens of milliseconds), or while a reader
   * (a backup, a shell) still uses older pages: asked again without blocking the event loop (no
   * busy wait), and if it is still busy, again later. The erasure itself is committed already.
   * https://www.sqlite.org/pragma.html#pragma_wal_checkpoint
   */
  private async foldWalNow(): Promise<void> {
    for (let attempt = 1; this.db.open; attempt++) {
      this.db.pragma('busy_timeout = 0');
      let outcome: { busy: number } | undefined;
      try {
        [outcome] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      } finally {
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
      if (outcome?.busy === 0) return;
      if (attempt >= WAL_FOLD_ATTEMPTS) {
        this.walFoldLater ??= setTimeout(() => {
          this.walFoldLater = undefined;
          this.foldWalNow().catch(() => undefined);
        }, WAL_FOLD_LATER_MS).unref();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, WAL_FOLD_WAIT_MS));
    }
  }

  async sweepSite(siteKey: string, before: string): Promise<ErasureResult> {
    const total: ErasureResult = { conversations: 0, messages: 0, parties: 0, blobs: [] };
    // In batches, so a large sweep does not hold the event loop (or the write lock) for long.
    for (;;) {
      const batch = await this.write((): ErasureResult & { more: boolean } => {
        const counts: ErasureResult = { conversations: 0, messages: 0, parties: 0, blobs: [] };
        const blobs = new Set<string>();
        const stale = this.statements.staleConversations.all(siteKey, before, SWEEP_BATCH);
        for (const { id, last_seq: length } of stale) {
          if (counts.conversations > 0 && counts.messages + length > SWEEP_MESSAGES) break;
          counts.messages += this.deleteConversationData(id, siteKey, blobs);
          counts.conversations += 1;
        }
        counts.blobs = this.files.unused(blobs);
        const more = counts.conversations < stale.length || stale.length === SWEEP_BATCH;
        if (!more) {
          counts.parties = this.statements.deleteUnreferencedParties.run(siteKey, before).changes;
          this.parties.clear();
        }
        return { ...counts, more };
      });
      total.conversations += batch.conversations;
      total.messages += batch.messages;
      total.parties += batch.parties;
      total.blobs.push(...batch.blobs);
      if (!batch.more) return total;
    }
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
    // `+site_key`: by the addresses' indexes, not by the site's every conversation.
    const sql = `SELECT c.* FROM conversations c WHERE +c.site_key = ?
        AND (c.opened_by IN (SELECT value FROM json_each(?)) OR c.id IN (SELECT conversation_id FROM participants WHERE address IN (SELECT value FROM json_each(?))))
      ORDER BY c.created_at DESC, c.id DESC LIMIT ?`;
    let statement = this.listStatements.get(sql);
    if (!statement) this.listStatements.set(sql, (statement = this.db.prepare<(string | number)[], ConversationRow>(sql)));
    const list = JSON.stringify(addresses);
    return statement.all(siteKey, list, list, limit).map((row) => this.toConversation(row));
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

/** A message being appended: its status is always set. */
type NewRow = Message & { status: MessageStatus };

/** A message's columns, in the order `insertMessage` and `insertNewMessage` take them. */
type MessageColumns = [
  string,
  string,
  number,
  string,
  string | null,
  string,
  string,
  MessageStatus,
  string | null,
  string | null,
  string | null,
  string | null,
];

function messageColumns(message: NewRow, via: readonly string[] | undefined): MessageColumns {
  return [
    message.id,
    message.conversationId,
    message.seq,
    message.from,
    message.clientId ?? null,
    message.text,
    message.sentAt,
    message.status,
    message.sentFrom ?? null,
    attachmentsColumn(message.attachments),
    viaColumn(via),
    message.corrects ?? null,
  ];
}
