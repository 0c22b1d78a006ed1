import type { Conversation } from '@switchboard/protocol';
import type { ConversationRecord } from '../store/store.js';

/** The contract's Conversation object, without what only the bridge keeps. */
export function toWireConversation(record: ConversationRecord): Conversation {
  const conversation: Conversation = {
    id: record.id,
    participants: record.participants,
    state: record.state,
    createdAt: record.createdAt,
    lastSeq: record.lastSeq,
  };
  if (record.team !== undefined) conversation.team = record.team;
  if (record.assignee !== undefined) conversation.assignee = record.assignee;
  return conversation;
}
