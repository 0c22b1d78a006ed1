import type { Conversation, PartyInfo } from '@switchboard/protocol';
import type { NetworkConversation } from '../networks/network.js';
import type { ConversationRecord, PartyRecord } from '../store/store.js';

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
  if (record.rating !== undefined) conversation.rating = record.rating;
  if (record.subject !== undefined) conversation.subject = record.subject;
  return conversation;
}

/** What a network is told of a conversation: the contract's object and who opened it (a team conversation's customer). */
export function toNetworkConversation(record: ConversationRecord): NetworkConversation {
  return { ...toWireConversation(record), openedBy: record.openedBy };
}

/** The contract's PartyInfo object. */
export function toPartyInfo(party: PartyRecord): PartyInfo {
  const info: PartyInfo = { address: party.address, role: party.role, verified: party.verified };
  if (party.name !== undefined) info.name = party.name;
  if (party.email !== undefined) info.email = party.email;
  if (party.pageUrl !== undefined) info.pageUrl = party.pageUrl;
  return info;
}
