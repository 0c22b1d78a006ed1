/**
 * The Postgres engine's inbox (store/inbox-store.ts). Search reads messages, notes and parties with
 * `ILIKE` (every word somewhere in the text): no index to keep, nothing left behind by an erasure.
 */
import type { PoolClient, QueryResultRow } from 'pg';
import type { Address, InboxCounts, InboxSearchResult, Note } from '@switchboard/protocol';
import { newId } from '../../util/ids.js';
import type { AddNoteResult, InboxCountQuery, InboxQuery, InboxReader, InboxRow, InboxStore, NewNote } from '../inbox-store.js';
import {
  type CountsRow,
  type Dialect,
  type InboxSqlRow,
  type NoteRow,
  containsPattern,
  countsSql,
  inboxSql,
  searchWords,
  snippetOf,
  toCounts,
  toInboxRow,
  toUnreadCounts,
  unreadCountsSql,
  toNote,
} from '../inbox-sql.js';
import { sharedCustomerHeardSql, toConversation } from '../rows.js';
import type { ConversationRecord } from '../store.js';

type Queryable = Pick<PoolClient, 'query'>;

const POSTGRES: Dialect = {
  param: (n) => `$${n}`,
  inList: (n) => `= ANY($${n}::text[])`,
  list: (values) => [...values],
  tuples: (n, columns) =>
    `(SELECT ${columns.map((column, i) => `t.value ->> ${i} AS ${column}`).join(', ')} FROM jsonb_array_elements($${n}::jsonb) AS t(value))`,
  // Postgres plans from its statistics.
  unindexed: (column) => column,
};

const PARTICIPANTS = `coalesce((SELECT array_agg(pa.address ORDER BY pa.position) FROM participants pa WHERE pa.conversation_id = c.id), '{}') AS participants`;

interface SearchRow {
  kind: 'message' | 'note' | 'customer';
  conversation_id: string | null;
  seq: number | string | null;
  author: string | null;
  body: string;
  at: string | null;
}

/** Hits of each kind read before they are merged (newest first) and cut to the limit. */
const SEARCH_SQL = `SELECT * FROM (
    (SELECT 'message' AS kind, m.conversation_id, m.seq, m.sender AS author, m.text AS body, m.sent_at AS at
      FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.site_key = $1 AND m.text ILIKE ALL($2::text[]) ORDER BY m.sent_at DESC LIMIT $3)
    UNION ALL
    (SELECT 'note', n.conversation_id, NULL, n.author, n.text, n.created_at
      FROM notes n JOIN conversations c ON c.id = n.conversation_id
      WHERE c.site_key = $1 AND n.text ILIKE ALL($2::text[]) ORDER BY n.created_at DESC LIMIT $3)
    UNION ALL
    (SELECT 'customer', (SELECT c.id FROM conversations c WHERE c.site_key = $1 AND c.opened_by = p.address ORDER BY c.created_at DESC, c.id DESC LIMIT 1),
        NULL, NULL, concat_ws(' ', p.name, p.email, p.address), NULL
      FROM parties p WHERE p.role = 'visitor' AND concat_ws(' ', p.name, p.email, p.address) ILIKE ALL($2::text[])
        -- The site's own, and customers on their own network filed under another site who wrote to this one too.
        AND (p.site_key = $1 OR ${sharedCustomerHeardSql('$1', 'p.address')}) LIMIT $3)
  ) hits ORDER BY kind = 'customer' DESC, at DESC LIMIT $3`;

export class PostgresInbox implements InboxStore<ConversationRecord> {
  constructor(
    private readonly db: () => Queryable,
    private readonly transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  ) {}

  private async rows<R extends QueryResultRow>(sql: string, params: unknown[], on: Queryable = this.db()): Promise<R[]> {
    return (await on.query<R>(sql, params)).rows;
  }

  /** Inside the store's transaction: deletes these conversations' notes and read cursors. */
  async deleteOfConversations(client: Queryable, ids: readonly string[]): Promise<void> {
    await client.query('DELETE FROM notes WHERE conversation_id = ANY($1::text[])', [[...ids]]);
    await client.query('DELETE FROM read_cursors WHERE conversation_id = ANY($1::text[])', [[...ids]]);
  }

  /** Inside the store's transaction: deletes what an erased party wrote or read on a site (notes, read cursors). */
  async deleteOfParty(client: Queryable, siteKey: string, address: Address): Promise<void> {
    const inSite = 'conversation_id IN (SELECT id FROM conversations WHERE site_key = $2)';
    await client.query(`DELETE FROM notes WHERE author = $1 AND ${inSite}`, [address, siteKey]);
    await client.query(`DELETE FROM read_cursors WHERE reader = $1 AND ${inSite}`, [address, siteKey]);
  }

  /** Inside the store's read: the notes of these conversations, by conversation. */
  async notesOf(client: Queryable, ids: readonly string[]): Promise<Map<string, Note[]>> {
    const byConversation = new Map<string, Note[]>(ids.map((id) => [id, []]));
    const rows = await this.rows<NoteRow>('SELECT * FROM notes WHERE conversation_id = ANY($1::text[]) ORDER BY created_at, id', [[...ids]], client);
    for (const row of rows) byConversation.get(row.conversation_id)?.push(toNote(row));
    return byConversation;
  }

  async setReadCursor(conversationId: string, reader: Address, seq: number): Promise<void> {
    await this.db().query(
      `INSERT INTO read_cursors (conversation_id, reader, seq) VALUES ($1, $2, $3)
       ON CONFLICT (conversation_id, reader) DO UPDATE SET seq = greatest(read_cursors.seq, excluded.seq)`,
      [conversationId, reader, seq],
    );
  }

  async addNote(input: NewNote): Promise<AddNoteResult> {
    return this.transaction(async (client): Promise<AddNoteResult> => {
      const inserted = await this.rows<NoteRow>(
        `INSERT INTO notes (id, conversation_id, after_seq, author, client_id, text, created_at)
         SELECT $1, c.id, c.last_seq, $3, $4, $5, $6 FROM conversations c WHERE c.id = $2
         ON CONFLICT (author, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING *`,
        [newId('n'), input.conversationId, input.from, input.clientId ?? null, input.text, new Date().toISOString()],
        client,
      );
      if (inserted[0]) return { kind: 'stored', note: toNote(inserted[0]) };
      if (input.clientId !== undefined) {
        const existing = (await this.rows<NoteRow>('SELECT * FROM notes WHERE author = $1 AND client_id = $2', [input.from, input.clientId], client))[0];
        if (existing) return { kind: 'duplicate', note: toNote(existing) };
      }
      throw new Error(`conversation ${input.conversationId} does not exist`);
    });
  }

  async notes(conversationId: string, limit: number): Promise<Note[]> {
    // The latest `limit`, oldest first.
    const latest = 'SELECT * FROM notes WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2';
    return (await this.rows<NoteRow>(`SELECT * FROM (${latest}) latest ORDER BY created_at, id`, [conversationId, limit])).map(toNote);
  }

  async inbox(query: InboxQuery): Promise<InboxRow<ConversationRecord>[]> {
    const { sql, params } = inboxSql(POSTGRES, query, `, ${PARTICIPANTS}`);
    const rows = await this.rows<InboxSqlRow & { participants: string[] }>(sql, params);
    return rows.map((row) => toInboxRow(row, toConversation(row, row.participants)));
  }

  async unreadCounts(conversationId: string, readers: readonly InboxReader[]): Promise<Map<Address, number>> {
    const { sql, params } = unreadCountsSql(POSTGRES, conversationId, readers);
    return toUnreadCounts(await this.rows<{ reader: string; unread: string }>(sql, params));
  }

  async inboxCounts(query: InboxCountQuery): Promise<InboxCounts> {
    const { sql, params } = countsSql(POSTGRES, query);
    return toCounts((await this.rows<CountsRow>(sql, params))[0]);
  }

  async searchInbox(siteKey: string, query: string, limit: number): Promise<InboxSearchResult[]> {
    const words = searchWords(query);
    if (words.length === 0) return [];
    const rows = await this.rows<SearchRow>(SEARCH_SQL, [siteKey, words.map(containsPattern), limit]);
    return rows.flatMap((row): InboxSearchResult[] => {
      if (row.conversation_id === null) return [];
      const snippet = snippetOf(row.body, words);
      if (row.kind === 'customer') return [{ conversationId: row.conversation_id, kind: 'customer', snippet }];
      const hit: InboxSearchResult = { conversationId: row.conversation_id, kind: row.kind, from: row.author as Address, snippet, sentAt: row.at! };
      if (row.kind === 'message') hit.seq = Number(row.seq);
      return [hit];
    });
  }
}
