/**
 * Moves appended messages into the inbox's search index in batches. FTS5 writes a new index
 * segment for every transaction that touches it (https://www.sqlite.org/fts5.html#the_automerge_option),
 * so indexing inside each message's own commit cost more than the rest of the append. Here one
 * transaction indexes many: the messages after the last one indexed (`search_progress`), in id
 * order, which is the order they were appended (util/ids.ts; `idsAfter` keeps it across restarts).
 * A search indexes what is pending first, so it never misses a message.
 */
import type Database from 'better-sqlite3';

/** Messages indexed per transaction, at most: a batch holds the event loop a few milliseconds. */
export const SEARCH_BATCH = 256;

/** The messages after the last one indexed, `@limit` of them at most. */
const NEXT = '(SELECT id, conversation_id, text FROM messages WHERE id > (SELECT last_message FROM search_progress) ORDER BY id LIMIT @limit)';

export class SearchIndexer {
  private readonly batchEnd: Database.Statement<{ limit: number }, { last: string | null; n: number }>;
  private readonly index: Database.Statement<{ limit: number }>;
  private readonly advance: Database.Statement<[string]>;
  private readonly anyPending: Database.Statement<[], { one: number }>;

  constructor(db: Database.Database) {
    this.batchEnd = db.prepare(`SELECT max(id) AS last, count(*) AS n FROM ${NEXT}`);
    // One statement for the whole batch: FTS5 flushes what it holds at every statement's savepoint.
    this.index = db.prepare(`INSERT OR IGNORE INTO search_docs (kind, ref, site_key, conversation_id, body)
      SELECT 'message', m.id, c.site_key, m.conversation_id, m.text FROM ${NEXT} m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.text <> ''`);
    this.advance = db.prepare('UPDATE search_progress SET last_message = ?');
    this.anyPending = db.prepare('SELECT 1 AS one FROM messages WHERE id > (SELECT last_message FROM search_progress) LIMIT 1');
  }

  /** Whether messages wait to be indexed. */
  pending(): boolean {
    return this.anyPending.get() !== undefined;
  }

  /** Inside a transaction: indexes up to `limit` pending messages (an attachment alone has no text); answers how many it took. */
  indexBatch(limit = SEARCH_BATCH): number {
    const { last, n } = this.batchEnd.get({ limit })!;
    if (last === null) return 0;
    this.index.run({ limit });
    this.advance.run(last);
    return n;
  }

  /** Inside a transaction: indexes every pending message. */
  indexAll(): void {
    while (this.indexBatch() === SEARCH_BATCH);
  }
}
