/** What a visitor waiting in a team's queue is told (`queue:position`): its place, and when it is taken. */
import type { ClientHub, HubRoom } from '../hub.js';
import type { ConversationRecord, Store } from '../../store/store.js';

/** Queued conversations whose visitors are told their position (beyond: told on their turn). */
export const POSITIONS_TOLD = 500;

const roomsOf = (conversation: ConversationRecord): HubRoom[] => conversation.participants.map((address) => ({ kind: 'address', address }));

export class QueuePositions {
  constructor(
    private readonly store: Pick<Store, 'queuedConversations'>,
    private readonly hub: ClientHub,
  ) {}

  /** Tells each waiting visitor of a team its place in the queue. */
  async tell(team: string): Promise<void> {
    const queued = await this.store.queuedConversations(team, POSITIONS_TOLD);
    queued.forEach((conversation, index) => {
      this.hub.emit(roomsOf(conversation), 'queue:position', { conversationId: conversation.id, team, position: index + 1, waiting: queued.length });
    });
  }

  /** Tells the visitor that an agent took its conversation out of the queue. */
  taken(conversation: ConversationRecord): void {
    if (conversation.team === undefined) return;
    this.hub.emit(roomsOf(conversation), 'queue:position', { conversationId: conversation.id, team: conversation.team, position: 0, waiting: 0 });
  }
}
