/**
 * A closed conversation opened again by a new message from its visitor (from the widget, or their
 * answer by mail): its agent gets it back, and everyone is told.
 */
import type { ConversationRecord, Store } from '../store/store.js';
import type { Announcer } from './announcer.js';
import type { Router } from './desk/router.js';

export interface ReopenDeps {
  store: Pick<Store, 'setConversationState'>;
  announcer: Pick<Announcer, 'announced'>;
  router: Pick<Router, 'offerQueued'>;
}

export async function reopen(deps: ReopenDeps, conversation: ConversationRecord): Promise<ConversationRecord> {
  const reopened = await deps.store.setConversationState(conversation.id, 'open');
  // Webhooks hear of the reopening before the message that reopened it (stored after this resolves).
  await deps.announcer.announced(reopened);
  // Closed while it waited in its team's queue: open again, it waits there again, and is offered
  // as soon as an agent can take it (oldest first), as any queued conversation is.
  if (reopened.assignee === undefined && reopened.team !== undefined) deps.router.offerQueued(reopened.team);
  return reopened;
}
