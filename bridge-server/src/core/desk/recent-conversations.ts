/** The conversation each party last sent or received a message in: `/canned` without an id answers it. */
import type { Address } from '@switchboard/protocol';
import { lruCache } from '../../util/lru.js';
import type { ConversationRecord } from '../../store/store.js';

/** Parties whose latest conversation is remembered. */
const LATEST_KEPT = 50_000;

export class RecentConversations {
  private readonly latest = lruCache<Address, string>(LATEST_KEPT);

  /** A message was stored in the conversation: it is the latest of every party in it. */
  messageIn(conversation: ConversationRecord): void {
    for (const party of conversation.participants) this.latest.set(party, conversation.id);
  }

  latestOf(party: Address): string | undefined {
    return this.latest.get(party);
  }
}
