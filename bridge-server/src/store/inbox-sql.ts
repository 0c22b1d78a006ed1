/**
 * The inbox's SQL, the same for both engines but for how parameters and lists are written
 * (SQLite `@p1` and JSON arrays, Postgres `$1` and arrays), and the rows it answers.
 */
import { type Address, type InboxCounts, type InboxLastMessage, LIMITS, type Note } from '@switchboard/protocol';
import type { InboxCountQuery, InboxQuery, InboxReader, InboxRow } from './inbox-store.js';
import type { ConversationRecord } from './store.js';
import type { ConversationRow } from './rows.js';

/**
 * A message of `table` (a name or alias) with some text or files: neither a retraction nor a
 * message one took back (both stores' `takeBack`). Only these are a network's to send in a
 * catch-up, count as unread, and are an inbox item's last message.
 */
export const saysSomething = (table: string): string => `(${table}.text <> '' OR ${table}.attachments IS NOT NULL)`;

/**
 * A message that counts as one to read: it says something, corrects none (a correction stands in
 * its original's place, which counted already) and is not the desk's own (`team:`: a greeting, an
 * offline or queue message, which no agent has to read).
 */
const unreadable = (table: string): string => `${saysSomething(table)} AND ${table}.corrects IS NULL AND ${table}.sender NOT LIKE 'team:%'`;

/** How an engine writes parameter `n` and "is in the list parameter `n`". */
export interface Dialect {
  param(n: number): string;
  inList(n: number): string;
  /** The value of a list parameter. */
  list(values: readonly string[]): unknown;
  /** A table of parameter `n` (`tuples` as JSON text), the tuple's items as `columns`. */
  tuples(n: number, columns: readonly string[]): string;
  /** `column` in a condition the planner is not to look it up by (an index on it would read more rows than another). */
  unindexed(column: string): string;
}

/** The value of a `tuples` parameter. */
export const tuples = (rows: readonly (readonly string[])[]): string => JSON.stringify(rows);

export interface InboxSqlRow extends ConversationRow {
  waiting_since: string | null;
  customer_name: string | null;
  last_seq_n: number | string | null;
  last_from: string | null;
  last_text: string | null;
  last_sent_at: string | null;
  last_attachments: string | null;
  unread: number | string;
}

export interface NoteRow {
  id: string;
  conversation_id: string;
  after_seq: number | string;
  author: string;
  client_id: string | null;
  text: string;
  created_at: string;
}

export function toNote(row: NoteRow): Note {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    afterSeq: Number(row.after_seq),
    from: row.author as Address,
    text: row.text,
    createdAt: row.created_at,
  };
}

/**
 * When the customer started waiting: their oldest message after the desk's last answer. An answer
 * is a message of anyone but the opener, except the team's own automatic ones (`team:<id>`: a
 * greeting, an offline or queue message answer nobody). Kept on the conversation's row
 * (`awaiting_answer_since`), set by each message as it is appended (`awaitingAfterMessage`), so a
 * view reads one column per conversation however long its customers wrote unanswered; worked out
 * from the messages (`AWAITING_FROM_MESSAGES`) only where messages go (an erasure). Shown for open
 * conversations only.
 */
const WAITING_SINCE = "CASE WHEN c.state = 'open' THEN c.awaiting_answer_since END";

/**
 * The row's `awaiting_answer_since` once a message of `sender` sent at `sentAt` (SQL expressions)
 * is appended: the opener starts the wait (or it goes on), an answer ends it, the team's own
 * messages change nothing. For an UPDATE of `conversations`.
 */
export const awaitingAfterMessage = (sender: string, sentAt: string): string =>
  `CASE WHEN ${sender} = opened_by THEN coalesce(awaiting_answer_since, ${sentAt}) WHEN ${sender} LIKE 'team:%' THEN awaiting_answer_since ELSE NULL END`;

/**
 * `awaiting_answer_since` worked out from the conversation's messages, for an UPDATE of
 * `conversations`. Both lookups walk the (conversation_id, seq) index from where the answer is (the
 * newest answer back from the end, the customer's first message on from it) and stop at the first
 * row they want: they read the messages since the last answer. A message that says nothing (one
 * taken back, a retraction) neither answers nor waits.
 */
export const AWAITING_FROM_MESSAGES = `(SELECT m.sent_at FROM messages m
  WHERE m.conversation_id = conversations.id AND m.sender = conversations.opened_by AND ${saysSomething('m')}
    AND m.seq > coalesce((SELECT d.seq FROM messages d
      WHERE d.conversation_id = conversations.id AND d.sender <> conversations.opened_by AND d.sender NOT LIKE 'team:%' AND ${saysSomething('d')}
      ORDER BY d.seq DESC LIMIT 1), 0)
  ORDER BY m.seq LIMIT 1)`;

const ORDER = {
  // Longest waiting first; those not waiting after them, most recently changed first.
  waiting: (t: string) => `(${t}.waiting_since IS NULL), ${t}.waiting_since, ${t}.updated_at DESC, ${t}.id DESC`,
  updated: (t: string) => `${t}.updated_at DESC, ${t}.id DESC`,
};

/**
 * The inbox query and its parameters; `extraSelect` adds engine columns (Postgres: the participants).
 * Unread messages are counted up to LIMITS.maxUnreadCount (here and in `unreadCountsSql`): the count
 * walks the messages after the reader's cursor, so an item costs the same whatever was left unread.
 */
export function inboxSql(d: Dialect, query: InboxQuery, extraSelect = ''): { sql: string; params: unknown[] } {
  const params: unknown[] = [query.siteKey, query.reader.address, d.list(query.reader.addresses), query.limit];
  const { view } = query;
  // Chosen conversations are read by id; a view's by the site's open or closed ones.
  const where = [`${typeof view === 'object' ? d.unindexed('c.site_key') : 'c.site_key'} = ${d.param(1)}`];
  if (typeof view === 'object') {
    params.push(d.list(view.ids));
    where.push(`c.id ${d.inList(params.length)}`);
  } else if (view === 'mine') where.push(`c.state = 'open' AND c.assignee ${d.inList(3)}`);
  else if (view === 'unassigned') where.push("c.state = 'open' AND c.team IS NOT NULL AND c.assignee IS NULL");
  else if (view === 'open') where.push("c.state = 'open'");
  else where.push("c.state = 'closed'");
  if (query.team !== undefined) {
    params.push(query.team);
    where.push(`c.team = ${d.param(params.length)}`);
  }
  const sql = `WITH picked AS (
      SELECT w.* FROM (SELECT c.id, c.updated_at, ${WAITING_SINCE} AS waiting_since FROM conversations c WHERE ${where.join(' AND ')}) w
      ORDER BY ${ORDER[query.sort]('w')} LIMIT ${d.param(4)}
    )
    SELECT c.*, picked.waiting_since, p.name AS customer_name, lm.seq AS last_seq_n, lm.sender AS last_from, lm.text AS last_text,
      lm.sent_at AS last_sent_at, lm.attachments AS last_attachments,
      (SELECT count(*) FROM (SELECT 1 FROM messages u WHERE u.conversation_id = c.id AND NOT (u.sender ${d.inList(3)}) AND ${unreadable('u')}
        AND u.seq > coalesce((SELECT r.seq FROM read_cursors r WHERE r.conversation_id = c.id AND r.reader = ${d.param(2)}), 0)
        LIMIT ${LIMITS.maxUnreadCount}) capped) AS unread
      ${extraSelect}
    FROM picked JOIN conversations c ON c.id = picked.id
    LEFT JOIN parties p ON p.address = c.opened_by
    LEFT JOIN messages lm ON lm.conversation_id = c.id
      AND lm.seq = (SELECT m.seq FROM messages m WHERE m.conversation_id = c.id AND ${saysSomething('m')} ORDER BY m.seq DESC LIMIT 1)
    ORDER BY ${ORDER[query.sort]('picked')}`;
  return { sql, params };
}

/**
 * Each reader's unread count of one conversation: what `inboxSql` counts for one reader, for many
 * at once (the item pushed to every agent of a site costs one query, not one per agent).
 */
export function unreadCountsSql(d: Dialect, conversationId: string, readers: readonly InboxReader[]): { sql: string; params: unknown[] } {
  const own = readers.flatMap((reader) => reader.addresses.map((address) => [reader.address, address]));
  const params: unknown[] = [conversationId, tuples(readers.map((reader) => [reader.address])), tuples(own)];
  const sql = `SELECT rd.reader, (SELECT count(*) FROM (SELECT 1 FROM messages u WHERE u.conversation_id = ${d.param(1)}
      AND u.seq > coalesce((SELECT r.seq FROM read_cursors r WHERE r.conversation_id = ${d.param(1)} AND r.reader = rd.reader), 0)
      AND ${unreadable('u')}
      AND NOT EXISTS (SELECT 1 FROM ${d.tuples(3, ['reader', 'address'])} o WHERE o.reader = rd.reader AND o.address = u.sender)
      LIMIT ${LIMITS.maxUnreadCount}) capped) AS unread
    FROM ${d.tuples(2, ['reader'])} rd`;
  return { sql, params };
}

/** The rows of `unreadCountsSql`, by reader. */
export const toUnreadCounts = (rows: readonly { reader: string; unread: number | string }[]): Map<Address, number> =>
  new Map(rows.map((row) => [row.reader as Address, Number(row.unread)]));

/** An inbox row as the store answers it, given the conversation record the engine made of it. */
export function toInboxRow(row: InboxSqlRow, conversation: ConversationRecord): InboxRow<ConversationRecord> {
  const result: InboxRow<ConversationRecord> = { conversation, unread: Number(row.unread) };
  if (row.customer_name !== null) result.customerName = row.customer_name;
  if (row.waiting_since !== null) result.waitingSince = row.waiting_since;
  if (row.last_seq_n !== null && row.last_from !== null && row.last_text !== null && row.last_sent_at !== null) {
    const last: InboxLastMessage = { seq: Number(row.last_seq_n), from: row.last_from as Address, text: row.last_text, sentAt: row.last_sent_at };
    const files = row.last_attachments ? (JSON.parse(row.last_attachments) as unknown[]).length : 0;
    if (files > 0) last.attachments = files;
    result.lastMessage = last;
  }
  return result;
}

export interface CountsRow {
  mine: number | string | null;
  unassigned: number | string | null;
  open: number | string | null;
  closed: number | string | null;
}

export function countsSql(d: Dialect, query: InboxCountQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [query.siteKey, d.list(query.assignees), query.closedSince];
  let team = '';
  if (query.team !== undefined) {
    params.push(query.team);
    team = ` AND team = ${d.param(4)}`;
  }
  // The open conversations are counted from the site's open ones, the closed from those changed
  // since (a conversation changes when it closes, so `updated_at` is never before `closed_at`):
  // neither reads the site's older closed conversations.
  const sql = `SELECT o.mine, o.unassigned, o.open,
      (SELECT count(*) FROM conversations WHERE site_key = ${d.param(1)}${team} AND state = 'closed'
        AND updated_at >= ${d.param(3)} AND coalesce(closed_at, updated_at) >= ${d.param(3)}) AS closed
    FROM (SELECT
      sum(CASE WHEN assignee ${d.inList(2)} THEN 1 ELSE 0 END) AS mine,
      sum(CASE WHEN team IS NOT NULL AND assignee IS NULL THEN 1 ELSE 0 END) AS unassigned,
      count(*) AS open
    FROM conversations WHERE site_key = ${d.param(1)} AND state = 'open'${team}) o`;
  return { sql, params };
}

export function toCounts(row: CountsRow | undefined): InboxCounts {
  return { mine: Number(row?.mine ?? 0), unassigned: Number(row?.unassigned ?? 0), open: Number(row?.open ?? 0), closed: Number(row?.closed ?? 0) };
}

/**
 * The words of a search as typed (at most 10), without `"` (each engine quotes them itself); a word
 * without a letter or a digit finds nothing and is left out.
 */
export function searchWords(query: string): string[] {
  return (
    query
      .split(/\s+/)
      // Quotes would end an FTS5 string; control characters (NUL) no engine takes in a query.
      .map((word) => word.replaceAll('"', '').replace(/\p{Cc}/gu, ''))
      .filter((word) => /[\p{L}\p{N}]/u.test(word))
      .slice(0, 10)
  );
}

/** A word as an `ILIKE` pattern matching it anywhere, its `%`, `_` and `\` taken literally. */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, '\\$&')}%`;
}

const SNIPPET_AROUND = 40;

/** A piece of `text` around the first of `words` found (case-insensitive), on one line. */
export function snippetOf(text: string, words: readonly string[]): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const lower = flat.toLowerCase();
  const at = Math.max(0, Math.min(...words.map((word) => lower.indexOf(word.toLowerCase())).filter((i) => i >= 0), flat.length));
  const start = Math.max(0, at - SNIPPET_AROUND);
  const end = Math.min(flat.length, at + SNIPPET_AROUND * 2);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}
