/**
 * The conversation each party last sent or received a message in, or was given: `/canned`,
 * `/whois` and `/history` without an id take it.
 */
import type { Address } from '@switchboard/protocol';
import { lruCache } from '../../util/lru.js';
import type { ConversationRecord } from '../../store/store.js';

/** Parties whose latest conversation is remembered. */
const LATEST_KEPT = 50_000;

export class RecentConversations {
  private readonly latest = lruCache<Address, string>(LATEST_KEPT);
  /** The agent each conversation was last seen with, to tell a new assignment from any other change. */
  private readonly assignees = lruCache<string, Address>(LATEST_KEPT);

  /** A message was stored in the conversation: it is the latest of every party in it. */
  messageIn(conversation: ConversationRecord): void {
    for (const party of conversation.participants) this.latest.set(party, conversation.id);
  }

  /**
   * A conversation changed: one given to an agent (routed, claimed, transferred) is their latest,
   * though its messages came before they joined. Any other change leaves the latest as it is.
   */
  changed(conversation: ConversationRecord): void {
    const { assignee } = conversation;
    if (assignee === undefined || conversation.state !== 'open') return void this.assignees.delete(conversation.id);
    if (this.assignees.get(conversation.id) === assignee) return;
    this.assignees.set(conversation.id, assignee);
    this.latest.set(assignee, conversation.id);
  }

  latestOf(party: Address): string | undefined {
    return this.latest.get(party);
  }
}
