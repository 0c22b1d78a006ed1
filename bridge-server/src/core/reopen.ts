/**
 * A closed conversation opened again by a new message from its visitor (from the widget, or their
 * answer by mail): its agent gets it back, and everyone is told.
 */
import type { ConversationRecord, Store } from '../store/store.js';
import type { Announcer } from './announcer.js';

export interface ReopenDeps {
  store: Pick<Store, 'setConversationState'>;
  announcer: Pick<Announcer, 'announce'>;
}

export async function reopen(deps: ReopenDeps, conversation: ConversationRecord): Promise<ConversationRecord> {
  const reopened = await deps.store.setConversationState(conversation.id, 'open');
  deps.announcer.announce(reopened);
  return reopened;
}
