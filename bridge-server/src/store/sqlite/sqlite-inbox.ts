/**
 * The SQLite engine's inbox (store/inbox-store.ts): read cursors, notes, views, counts, and search
 * over the FTS5 index the triggers of migration 16 keep.
 */
import type Database from 'better-sqlite3';
import type { Address, InboxCounts, InboxSearchResult, Note } from '@switchboard/protocol';
import { newId } from '../../util/ids.js';
import {
  type AddNoteResult,
  type InboxCountQuery,
  type InboxQuery,
  type InboxReader,
  type InboxRow,
  type InboxStore,
  MAX_NOTES,
  type NewNote,
} from '../inbox-store.js';
import {
  type CountsRow,
  type Dialect,
  type InboxSqlRow,
  type NoteRow,
  countsSql,
  inboxSql,
  searchWords,
  toCounts,
  toInboxRow,
  toNote,
  toUnreadCounts,
  unreadCountsSql,
} from '../inbox-sql.js';
import { type ConversationRow, sharedCustomerHeardSql } from '../rows.js';
import type { ConversationRecord } from '../store.js';

/** Runs `run` in the store's next group commit. */
type Write = <T>(run: () => T) => Promise<T>;

/** better-sqlite3 binds named parameters, not numbered ones: `@p1` is the first. */
const named = (params: readonly unknown[]) => Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));

const SQLITE: Dialect = {
  param: (n) => `@p${n}`,
  inList: (n) => `IN (SELECT value FROM json_each(@p${n}))`,
  list: (values) => JSON.stringify(values),
  tuples: (n, columns) => `(SELECT ${columns.map((column, i) => `json_extract(value, '$[${i}]') AS ${column}`).join(', ')} FROM json_each(@p${n}))`,
  // https://www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_
  unindexed: (column) => `+${column}`,
};

interface SearchRow {
  kind: 'message' | 'note' | 'customer';
  ref: string;
  conversation_id: string | null;
  snippet: string;
}

function prepare(db: Database.Database) {
  return {
    setCursor: db.prepare<[string, string, number]>(`INSERT INTO read_cursors (conversation_id, reader, seq) VALUES (?, ?, ?)
      ON CONFLICT (conversation_id, reader) DO UPDATE SET seq = max(seq, excluded.seq)`),
    noteByClientId: db.prepare<[string, string], NoteRow>('SELECT * FROM notes WHERE author = ? AND client_id = ?'),
    lastSeq: db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM conversations WHERE id = ?'),
    insertNote: db.prepare(`INSERT INTO notes (id, conversation_id, after_seq, author, client_id, text, created_at)
      VALUES (@id, @conversationId, @afterSeq, @from, @clientId, @text, @createdAt)`),
    // The latest `limit`, oldest first.
    notes: db.prepare<[string, number], NoteRow>(
      'SELECT * FROM (SELECT * FROM notes WHERE conversation_id = ? ORDER BY created_at DESC, id DESC LIMIT ?) ORDER BY created_at, id',
    ),
    search: db.prepare<[string, string, string, number], SearchRow>(`SELECT d.kind, d.ref, d.conversation_id,
        snippet(search_fts, 0, '', '', '…', 16) AS snippet
      FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid
      WHERE search_fts MATCH ? AND (d.site_key = ? OR (d.kind = 'customer' AND ${sharedCustomerHeardSql('?', 'd.ref')}))
      ORDER BY rank LIMIT ?`),
    message: db.prepare<[string], { seq: number; sender: string; sent_at: string }>('SELECT seq, sender, sent_at FROM messages WHERE id = ?'),
    note: db.prepare<[string], { author: string; created_at: string }>('SELECT author, created_at FROM notes WHERE id = ?'),
    deleteNotesOf: db.prepare<[string]>('DELETE FROM notes WHERE conversation_id = ?'),
    deleteCursorsOf: db.prepare<[string]>('DELETE FROM read_cursors WHERE conversation_id = ?'),
    deleteNotesBy: db.prepare<[string, string]>(
      'DELETE FROM notes WHERE author = ? AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = notes.conversation_id AND c.site_key = ?)',
    ),
    deleteCursorsBy: db.prepare<[string, string]>(
      'DELETE FROM read_cursors WHERE reader = ? AND EXISTS (SELECT 1 FROM conversations c WHERE c.id = read_cursors.conversation_id AND c.site_key = ?)',
    ),
    latestOpenedBy: db.prepare<[string, string], { id: string }>(
      'SELECT id FROM conversations WHERE +site_key = ? AND opened_by = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    ),
  };
}

export class SqliteInbox implements InboxStore<ConversationRecord> {
  private readonly statements: ReturnType<typeof prepare>;
  private readonly queries = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(
    private readonly db: Database.Database,
    private readonly write: Write,
    /** The store's conversation record of a row (with its participants). */
    private readonly toConversation: (row: ConversationRow) => ConversationRecord,
    /** Indexes the messages still pending for search (search-indexer.ts). */
    private readonly indexPending: () => Promise<void>,
  ) {
    this.statements = prepare(db);
  }

  /** A statement made once per distinct SQL text (a few per view and filter). */
  private statement<R>(sql: string): Database.Statement<unknown[], R> {
    let statement = this.queries.get(sql);
    if (!statement) this.queries.set(sql, (statement = this.db.prepare<unknown[], unknown>(sql)));
    return statement as Database.Statement<unknown[], R>;
  }

  /** Inside the store's write: deletes a conversation's notes and read cursors (their index entries go by trigger). */
  deleteOfConversation(conversationId: string): void {
    this.statements.deleteNotesOf.run(conversationId);
    this.statements.deleteCursorsOf.run(conversationId);
  }

  /** Inside the store's write: deletes what an erased party wrote or read on a site (notes, read cursors). */
  deleteOfParty(siteKey: string, address: Address): void {
    this.statements.deleteNotesBy.run(address, siteKey);
    this.statements.deleteCursorsBy.run(address, siteKey);
  }

  async setReadCursor(conversationId: string, reader: Address, seq: number): Promise<void> {
    await this.write(() => this.statements.setCursor.run(conversationId, reader, seq));
  }

  async addNote(input: NewNote): Promise<AddNoteResult> {
    return this.write((): AddNoteResult => {
      if (input.clientId !== undefined) {
        const existing = this.statements.noteByClientId.get(input.from, input.clientId);
        if (existing) return { kind: 'duplicate', note: toNote(existing) };
      }
      const conversation = this.statements.lastSeq.get(input.conversationId);
      if (!conversation) throw new Error(`conversation ${input.conversationId} does not exist`);
      const note: Note = {
        id: newId('n'),
        conversationId: input.conversationId,
        afterSeq: conversation.last_seq,
        from: input.from,
        text: input.text,
        createdAt: new Date().toISOString(),
      };
      this.statements.insertNote.run({ ...note, clientId: input.clientId ?? null });
      return { kind: 'stored', note };
    });
  }

  async notes(conversationId: string, limit: number): Promise<Note[]> {
    return this.notesNow(conversationId, limit);
  }

  /** A conversation's notes, read at once (inside another read of the store). */
  notesNow(conversationId: string, limit = MAX_NOTES): Note[] {
    return this.statements.notes.all(conversationId, limit).map(toNote);
  }

  async inbox(query: InboxQuery): Promise<InboxRow<ConversationRecord>[]> {
    const { sql, params } = inboxSql(SQLITE, query);
    return this.statement<InboxSqlRow>(sql)
      .all(named(params))
      .map((row) => toInboxRow(row, this.toConversation(row)));
  }

  async unreadCounts(conversationId: string, readers: readonly InboxReader[]): Promise<Map<Address, number>> {
    const { sql, params } = unreadCountsSql(SQLITE, conversationId, readers);
    return toUnreadCounts(this.statement<{ reader: string; unread: number }>(sql).all(named(params)));
  }

  async inboxCounts(query: InboxCountQuery): Promise<InboxCounts> {
    const { sql, params } = countsSql(SQLITE, query);
    return toCounts(this.statement<CountsRow>(sql).get(named(params)));
  }

  async searchInbox(siteKey: string, query: string, limit: number): Promise<InboxSearchResult[]> {
    const words = searchWords(query);
    if (words.length === 0) return [];
    // Messages appended since the last batch are found too.
    await this.indexPending();
    // Each word as a quoted prefix: what was typed is never read as FTS5 syntax.
    const match = words.map((word) => `"${word}"*`).join(' ');
    const results: InboxSearchResult[] = [];
    for (const row of this.statements.search.all(match, siteKey, siteKey, limit)) {
      const snippet = row.snippet.replace(/\s+/g, ' ').trim();
      if (row.kind === 'message') {
        const message = this.statements.message.get(row.ref);
        if (message && row.conversation_id)
          results.push({
            conversationId: row.conversation_id,
            kind: 'message',
            seq: message.seq,
            from: message.sender as Address,
            snippet,
            sentAt: message.sent_at,
          });
      } else if (row.kind === 'note') {
        const note = this.statements.note.get(row.ref);
        if (note && row.conversation_id)
          results.push({ conversationId: row.conversation_id, kind: 'note', from: note.author as Address, snippet, sentAt: note.created_at });
      } else {
        const latest = this.statements.latestOpenedBy.get(siteKey, row.ref);
        if (latest) results.push({ conversationId: latest.id, kind: 'customer', snippet });
      }
    }
    return results;
  }
}
