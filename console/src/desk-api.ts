/**
 * The desk events the inbox needs (docs/protocol.md, "Agent inbox"), typed, over the SDK's one
 * untyped request path. The SDK gains typed methods for the same event names
 * (`inbox`, `inboxCounts`, `claim`, ...); this adapter is the one place to switch to them.
 */
import type { Address, Conversation, SwitchboardClient } from '@switchboard/sdk';

export type InboxView = 'mine' | 'unassigned' | 'open' | 'closed';
export const INBOX_VIEWS: readonly InboxView[] = ['mine', 'unassigned', 'open', 'closed'];

/** A conversation as the inbox lists it, computed for the asking agent. */
export interface InboxItem extends Conversation {
  customer: { address: Address; name?: string; network: string };
  lastMessage?: { seq: number; from: Address; text: string; sentAt: string; attachments?: number };
  /** The oldest customer message the desk has not answered yet (ISO); absent when the desk spoke last. */
  waitingSince?: string;
  unread: number;
  updatedAt: string;
}

export type InboxCounts = Record<InboxView, number>;

/** A private note: agents only, never sent anywhere; shown after the message `afterSeq`. */
export interface Note {
  id: string;
  conversationId: string;
  afterSeq: number;
  from: Address;
  text: string;
  createdAt: string;
}

export interface DirectoryMember {
  id: string;
  name?: string;
  addresses: Address[];
  status: string;
}

export interface DirectoryTeam {
  id: string;
  name: string;
  available: boolean;
  online: number;
  members: DirectoryMember[];
}

export interface CannedReply {
  team: string;
  name: string;
  text: string;
}

export interface SearchResult {
  conversationId: string;
  kind: 'message' | 'customer' | 'note';
  seq?: number;
  from?: Address;
  snippet: string;
  sentAt?: string;
}

export type ReportBy = 'team' | 'agent' | 'network';

interface Durations {
  count: number;
  averageSeconds: number;
  medianSeconds: number;
}

export interface ReportRow {
  key: string;
  conversations: number;
  firstResponse: Durations;
  resolution: Durations;
  csat: { count: number; average: number; satisfied: number };
}

export type TransferTarget = { agent: string } | { team: string };

/** The desk calls of one agent's client. */
export class DeskApi {
  constructor(readonly client: SwitchboardClient) {}

  private async call<T>(event: string, payload: object, field: string): Promise<T> {
    return (await this.client.requestEvent(event, payload))[field] as T;
  }

  inbox(view: InboxView, options: { team?: string; limit?: number } = {}): Promise<InboxItem[]> {
    return this.call('inbox:list', { view, ...options }, 'items');
  }

  inboxCounts(team?: string): Promise<InboxCounts> {
    return this.call('inbox:counts', team ? { team } : {}, 'counts');
  }

  claim(conversationId: string): Promise<Conversation> {
    return this.call('conversation:claim', { conversationId }, 'conversation');
  }

  transfer(conversationId: string, to: TransferTarget): Promise<Conversation> {
    return this.call('conversation:transfer', { conversationId, to }, 'conversation');
  }

  directory(): Promise<DirectoryTeam[]> {
    return this.call('desk:directory', {}, 'teams');
  }

  cannedReplies(team?: string): Promise<CannedReply[]> {
    return this.call('canned:list', team ? { team } : {}, 'canned');
  }

  addNote(conversationId: string, text: string, clientId?: string): Promise<Note> {
    return this.call('note:add', { conversationId, text, ...(clientId ? { clientId } : {}) }, 'note');
  }

  notes(conversationId: string): Promise<Note[]> {
    return this.call('note:list', { conversationId }, 'notes');
  }

  search(query: string, limit?: number): Promise<SearchResult[]> {
    return this.call('inbox:search', limit ? { query, limit } : { query }, 'results');
  }

  report(from: string, to: string, by: ReportBy): Promise<ReportRow[]> {
    return this.call('report:get', { from, to, by }, 'rows');
  }

  /** An inbox item changed (computed for this agent); returns the way to stop listening. */
  onInboxItem(listener: (item: InboxItem) => void): () => void {
    return this.client.onServerEvent('inbox:item', (item) => listener(item as InboxItem));
  }

  /** A note was written in a conversation of the site. */
  onNote(listener: (note: Note) => void): () => void {
    return this.client.onServerEvent('note', (note) => listener(note as Note));
  }
}
