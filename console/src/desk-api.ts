/**
 * The desk calls the inbox makes (docs/protocol.md, "Addition: the agent inbox"), on the SDK's
 * typed methods and the protocol's objects: the console's parts take this one object.
 */
import type {
  CannedReply,
  Conversation,
  DirectoryTeam,
  InboxCounts,
  InboxItem,
  InboxSearchResult,
  InboxView,
  Note,
  ReportResult,
  ReportRowFigures,
  SwitchboardClient,
} from '@switchboard/sdk';

export type { CannedReply, DirectoryTeam, InboxCounts, InboxItem, InboxView, Note };
export type SearchResult = InboxSearchResult;
export type ReportBy = ReportResult['by'];
export type ReportRow = ReportRowFigures;
export type TransferTarget = { agent: string } | { team: string };

export const INBOX_VIEWS: readonly InboxView[] = ['mine', 'unassigned', 'open', 'closed'];

/** The desk calls of one agent's client. */
export class DeskApi {
  constructor(readonly client: SwitchboardClient) {}

  inbox(view: InboxView, options: { team?: string; limit?: number } = {}): Promise<InboxItem[]> {
    return this.client.inbox(view, options);
  }

  inboxCounts(team?: string): Promise<InboxCounts> {
    return this.client.inboxCounts(team);
  }

  claim(conversationId: string): Promise<Conversation> {
    return this.client.claim(conversationId);
  }

  transfer(conversationId: string, to: TransferTarget): Promise<Conversation> {
    return this.client.transfer(conversationId, to);
  }

  directory(): Promise<DirectoryTeam[]> {
    return this.client.directory();
  }

  cannedReplies(team?: string): Promise<CannedReply[]> {
    return this.client.cannedReplies(team);
  }

  addNote(conversationId: string, text: string, clientId?: string): Promise<Note> {
    return this.client.addNote(conversationId, text, clientId);
  }

  notes(conversationId: string): Promise<Note[]> {
    return this.client.notes(conversationId);
  }

  search(query: string, limit?: number): Promise<SearchResult[]> {
    return this.client.searchInbox(query, limit);
  }

  async report(from: string, to: string, by: ReportBy): Promise<ReportRow[]> {
    return (await this.client.report(from, to, by)).rows;
  }

  /** An inbox item changed (computed for this agent); returns the way to stop listening. */
  onInboxItem(listener: (item: InboxItem) => void): () => void {
    return this.client.on('inboxItem', listener);
  }

  /** A note was written in a conversation of the site. */
  onNote(listener: (note: Note) => void): () => void {
    return this.client.on('note', listener);
  }
}
