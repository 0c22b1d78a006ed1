import type { Address } from './address.js';
import type { ErrorBody } from './errors.js';

export const MESSAGE_STATUSES = ['accepted', 'sent', 'delivered', 'read', 'failed'] as const;
/** The sender's view of a message: accepted (stored), sent (handed to the recipient's network), delivered, read, failed. */
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface Message {
  /** The bridge's id, unique. */
  id: string;
  /** The sender's idempotency key, when the sender gave one. */
  clientId?: string;
  conversationId: string;
  /** 1, 2, 3, ... per conversation, no gaps, in the order the bridge accepted them. */
  seq: number;
  from: Address;
  text: string;
  /** ISO-8601 UTC. */
  sentAt: string;
  status?: MessageStatus;
}

export type ConversationState = 'open' | 'closed';

export interface Conversation {
  id: string;
  participants: Address[];
  team?: string;
  assignee?: Address;
  state: ConversationState;
  /** ISO-8601 UTC. */
  createdAt: string;
  lastSeq: number;
  /** Addition: the visitor's rating, 1 to 5, once given. */
  rating?: number;
  /** Addition: set by networks whose messages have one (email); at most `LIMITS.maxSubjectLength` code points. */
  subject?: string;
}

export const PRESENCE_STATUSES = ['available', 'away', 'busy', 'offline'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export interface Presence {
  address: Address;
  status: PresenceStatus;
  text?: string;
}

export type Role = 'visitor' | 'agent' | 'integration';

/** Addition: what the bridge knows of a party (agents see it for the visitors they serve). */
export interface PartyInfo {
  address: Address;
  role: Role;
  name?: string;
  email?: string;
  /** True when the website vouched for this party (identity hash) rather than a form filled in. */
  verified: boolean;
  /** The page the visitor was on, as last reported by its widget. */
  pageUrl?: string;
}

export interface Session {
  /** Resumes this party on a later connection (`auth.token`). */
  token: string;
  self: Address;
  role: Role;
  /** Addition: the site this session belongs to. */
  siteKey?: string;
  /** Addition: display name, when known. */
  name?: string;
}

export interface MessageStatusEvent {
  conversationId: string;
  id: string;
  status: MessageStatus;
  error?: ErrorBody;
}

export type TypingState = 'composing' | 'paused';

export interface TypingEvent {
  conversationId: string;
  from: Address;
  state: TypingState;
}

export interface TeamAvailability {
  team: string;
  available: boolean;
  online: number;
}

/** Addition: a team conversation waiting for an agent, and where it stands in the team's queue. */
export interface QueuePosition {
  conversationId: string;
  team: string;
  /** 1 for the next to be taken; 0 once an agent has it. */
  position: number;
  /** Conversations waiting in the team's queue. */
  waiting: number;
}
