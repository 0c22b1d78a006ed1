/**
 * What the agents' inbox needs of the store (docs/protocol.md, "Addition: the agent inbox"): read
 * cursors of any agent (participant or not), private notes, the inbox views and their counts, and
 * search. Both engines implement it (store/sqlite/sqlite-inbox.ts, store/postgres/postgres-inbox.ts).
 */
import type { Address, InboxCounts, InboxLastMessage, InboxSearchResult, InboxView, Note } from '@switchboard/protocol';

/** Most notes `notes` returns for one conversation. */
export const MAX_NOTES = 500;

export interface NewNote {
  conversationId: string;
  from: Address;
  text: string;
  /** The author's idempotency key: the same (author, clientId) stores one note. */
  clientId?: string;
}

export type AddNoteResult = { kind: 'stored' | 'duplicate'; note: Note };

/** Who reads an inbox: their cursor counts, their addresses' messages are never unread to them. */
export interface InboxReader {
  /** The address whose read cursor counts (the connection's). */
  address: Address;
  /** Every address of the agent on the site (`mine`: assigned to one of them). */
  addresses: readonly Address[];
}

export interface InboxQuery {
  siteKey: string;
  reader: InboxReader;
  /** A view, or exactly these conversations (of the site) whatever their state. */
  view: InboxView | { ids: readonly string[] };
  /** Only this team's conversations. */
  team?: string;
  sort: 'waiting' | 'updated';
  limit: number;
}

/** One conversation of an inbox view, as the store computes it for the reader (`C`: the store's conversation record). */
export interface InboxRow<C = unknown> {
  conversation: C;
  customerName?: string;
  lastMessage?: InboxLastMessage;
  waitingSince?: string;
  unread: number;
}

export interface InboxCountQuery {
  siteKey: string;
  /** The caller's addresses (`mine`). */
  assignees: readonly Address[];
  team?: string;
  /** ISO time: `closed` counts conversations closed (last changed) since. */
  closedSince: string;
}

/** `C`: the store's conversation record (store.ts), a parameter so this module does not import the store's. */
export interface InboxStore<C> {
  /** Moves `reader`'s read cursor of a conversation up to `seq` (never back). */
  setReadCursor(conversationId: string, reader: Address, seq: number): Promise<void>;
  /** Stores a note after the conversation's current lastSeq; a repeated (author, clientId) returns the stored one. */
  addNote(note: NewNote): Promise<AddNoteResult>;
  /** A conversation's latest notes, at most `limit`, oldest first. */
  notes(conversationId: string, limit: number): Promise<Note[]>;
  inbox(query: InboxQuery): Promise<InboxRow<C>[]>;
  /** Each reader's `unread` of one conversation (as `inbox` counts it), by reader address, in one query. */
  unreadCounts(conversationId: string, readers: readonly InboxReader[]): Promise<Map<Address, number>>;
  inboxCounts(query: InboxCountQuery): Promise<InboxCounts>;
  /** Messages, notes and customers of a site whose text (name, email, address) contains the query's words. */
  searchInbox(siteKey: string, query: string, limit: number): Promise<InboxSearchResult[]>;
}
