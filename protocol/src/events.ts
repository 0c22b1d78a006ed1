/**
 * The v1 event maps, used as socket.io's `Server<ClientToServerEvents, ServerToClientEvents>` and
 * `Socket<ServerToClientEvents, ClientToServerEvents>` (docs/protocol.md).
 */
import type { AckCallback } from './errors.js';
import type { Conversation, Message, MessageStatusEvent, PartyInfo, Presence, QueuePosition, Session, TeamAvailability, TypingEvent } from './objects.js';
import type {
  AgentCommandPayload,
  ConversationClosePayload,
  ConversationListPayload,
  ConversationOpenPayload,
  ConversationRatePayload,
  HistoryGetPayload,
  MessageSendPayload,
  PartyGetPayload,
  PresenceSetPayload,
  PresenceSubscribePayload,
  ProfileUpdatePayload,
  ReadPayload,
  SyncPayload,
  TypingPayload,
} from './schemas.js';

export interface ClientToServerEvents {
  'conversation:open': (payload: ConversationOpenPayload, ack: AckCallback<{ conversation: Conversation }>) => void;
  'conversation:list': (payload: ConversationListPayload, ack: AckCallback<{ conversations: Conversation[] }>) => void;
  'conversation:close': (payload: ConversationClosePayload, ack: AckCallback<{ conversation: Conversation }>) => void;
  'message:send': (payload: MessageSendPayload, ack: AckCallback<{ message: Message }>) => void;
  'history:get': (payload: HistoryGetPayload, ack: AckCallback<{ messages: Message[]; hasMore: boolean }>) => void;
  /** `skipped` (addition): conversations of the cursors the caller cannot see (unknown or not theirs). */
  sync: (payload: SyncPayload, ack: AckCallback<{ skipped?: string[] }>) => void;
  typing: (payload: TypingPayload, ack: AckCallback) => void;
  read: (payload: ReadPayload, ack: AckCallback) => void;
  'presence:subscribe': (
    payload: PresenceSubscribePayload,
    /** `online` (addition): the team's members online, with `team`. */
    ack: AckCallback<{ presences: Presence[]; available?: boolean; online?: number }>,
  ) => void;
  /** Addition: set one's own presence (any web party: an agent going away, a visitor's hidden tab). */
  'presence:set': (payload: PresenceSetPayload, ack: AckCallback) => void;
  /** Addition: update one's own name, email or current page (a visitor's pre-chat form). */
  'profile:update': (payload: ProfileUpdatePayload, ack: AckCallback<{ party: PartyInfo }>) => void;
  /** Addition: a party's details; agents and integrations for their site, anyone for themselves. */
  'party:get': (payload: PartyGetPayload, ack: AckCallback<{ party: PartyInfo }>) => void;
  /** Addition: the visitor who opened a conversation rates it, 1 to 5 (again: the new rating wins). */
  'conversation:rate': (payload: ConversationRatePayload, ack: AckCallback<{ conversation: Conversation }>) => void;
  /** Addition: an agent runs a desk command (the same as on XMPP, IRC and SIP); the answer is text. */
  'agent:command': (payload: AgentCommandPayload, ack: AckCallback<{ answer: string }>) => void;
}

export interface ServerToClientEvents {
  session: (session: Session) => void;
  /** The receiving client acknowledges, which the bridge reports to the sender as `delivered`. */
  message: (message: Message, received?: () => void) => void;
  'message:status': (status: MessageStatusEvent) => void;
  typing: (event: TypingEvent) => void;
  presence: (presence: Presence) => void;
  'team:availability': (availability: TeamAvailability) => void;
  conversation: (conversation: Conversation) => void;
  /** Addition: the visitor's place in its team's queue, each time it changes (0: an agent took it). */
  'queue:position': (position: QueuePosition) => void;
}

export type ClientEventName = keyof ClientToServerEvents;
export type ServerEventName = keyof ServerToClientEvents;

export const CLIENT_EVENTS: readonly ClientEventName[] = [
  'conversation:open',
  'conversation:list',
  'conversation:close',
  'message:send',
  'history:get',
  'sync',
  'typing',
  'read',
  'presence:subscribe',
  'presence:set',
  'profile:update',
  'party:get',
  'conversation:rate',
  'agent:command',
];

/** The socket.io namespace of this contract version. */
export const NAMESPACE = '/v1';
