/**
 * Moves appended messages into the inbox's search index in batches. FTS5 writes a new index
 * segment for every transaction that touches it (https://www.sqlite.org/fts5.html#the_automerge_option),
 * so indexing inside each message's own commit cost more than the rest of the append. Here one
 * transaction indexes many: the messages after the last one indexed (`search_progress`), in id
 * order, which is the order they were appended (util/ids.ts; `idsAfter` keeps it across restarts).
 * Batches run once the store is quiet, so a batch (a few milliseconds of the event loop) never
 * delays the messages of a busy moment; past SEARCH_BACKLOG_MAX messages waiting, they run anyway.
 * A search indexes what is pending first, so it never misses a message.
 */
import type Database from 'better-sqlite3';

/** Messages indexed per transaction, at most. */
export const SEARCH_BATCH = 256;
/** How often the indexer looks for appended messages to index. */
const LOOK_EVERY_MS = 100;
/** How long the store must have been asked for no write before a batch runs. */
const QUIET_MS = 50;
const SEARCH_BACKLOG_MAX = 4096;

/** The messages after the last one indexed, `@limit` of them at most. */
const NEXT = '(SELECT id, conversation_id, text FROM messages WHERE id > (SELECT last_message FROM search_progress) ORDER BY id LIMIT @limit)';

/** Runs `run` in the store's next group commit, without counting as the store being busy. */
type QuietWrite = <T>(run: () => T) => Promise<T>;

export class SearchIndexer {
  private readonly batchEnd: Database.Statement<{ limit: number }, { last: string | null; n: number }>;
  private readonly index: Database.Statement<{ limit: number }>;
  private readonly advance: Database.Statement<[string]>;
  private readonly anyPending: Database.Statement<[], { one: number }>;
  /** The next look at the messages to index, when one is due. */
  private timer: NodeJS.Timeout | undefined;
  /** Messages appended and not indexed yet, about (a search or a restart may have indexed some). */
  private backlog = 0;
  /** When the store was last asked for a write, on the monotonic clock. */
  private busyAt = 0;
  /** Stopped (the store closes): no batch is looked for any more, even by one that was running. */
  private stopped = false;

  constructor(
    private readonly db: Database.Database,
    private readonly write: QuietWrite,
    private readonly lookEveryMs = LOOK_EVERY_MS,
  ) {
    this.batchEnd = db.prepare(`SELECT max(id) AS last, count(*) AS n FROM ${NEXT}`);
    // One statement for the whole batch: FTS5 flushes what it holds at every statement's savepoint.
    this.index = db.prepare(`INSERT OR IGNORE INTO search_docs (kind, ref, site_key, conversation_id, body)
      SELECT 'message', m.id, c.site_key, m.conversation_id, m.text FROM ${NEXT} m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.text <> ''`);
    this.advance = db.prepare('UPDATE search_progress SET last_message = ?');
    this.anyPending = db.prepare('SELECT 1 AS one FROM messages WHERE id > (SELECT last_message FROM search_progress) LIMIT 1');
  }

  /** At start: messages a previous run appended but did not index (it was killed) are indexed soon. */
  start(): void {
    this.stopped = false;
    if (this.anyPending.get() === undefined) return;
    this.backlog = SEARCH_BACKLOG_MAX;
    this.soon();
  }

  /** The store was asked for a write: batches wait for it to be quiet. */
  busy(): void {
    this.busyAt = performance.now();
  }

  /** A message with text was appended. */
  appended(): void {
    this.backlog += 1;
    this.soon();
  }

  /** Inside a transaction: indexes every pending message (before a search, at close). */
  indexAll(): void {
    while (this.indexBatch() === SEARCH_BATCH);
    this.backlog = 0;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private soon(delayMs = this.lookEveryMs): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.db.open) return;
      const busy = performance.now() - this.busyAt < QUIET_MS;
      if (busy && this.backlog < SEARCH_BACKLOG_MAX) return this.soon();
      this.write(() => this.indexBatch()).then(
        (indexed) => {
          this.backlog = indexed === SEARCH_BATCH ? Math.max(0, this.backlog - indexed) : 0;
          if (indexed === SEARCH_BATCH) this.soon(busy ? this.lookEveryMs : 0);
        },
        // The store is failing: the messages stay pending, indexed by a later batch or search.
        () => this.soon(),
      );
    }, delayMs);
    this.timer.unref();
  }

  /** Inside a transaction: indexes up to SEARCH_BATCH pending messages (an attachment alone has no text); answers how many it took. */
  private indexBatch(): number {
    const { last, n } = this.batchEnd.get({ limit: SEARCH_BATCH })!;
    if (last === null) return 0;
    this.index.run({ limit: SEARCH_BATCH });
    this.advance.run(last);
    return n;
  }
}
