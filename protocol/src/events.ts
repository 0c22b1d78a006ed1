/**
 * The v1 event maps, used as socket.io's `Server<ClientToServerEvents, ServerToClientEvents>` and
 * `Socket<ServerToClientEvents, ClientToServerEvents>` (docs/protocol.md).
 */
import type { AckCallback } from './errors.js';
import type {
  CannedReply,
  Contact,
  Continuation,
  ContinuationOffer,
  Conversation,
  DirectoryTeam,
  InboxCounts,
  InboxItem,
  InboxSearchResult,
  Message,
  MessageStatusEvent,
  Note,
  PartyInfo,
  Presence,
  QueuePosition,
  ReportResult,
  Session,
  TeamAvailability,
  TypingEvent,
} from './objects.js';
import type {
  AgentCommandPayload,
  CannedListPayload,
  ContactGetPayload,
  ContactMergePayload,
  ContactUnmergePayload,
  ContinuationInvitePayload,
  ContinuationStartPayload,
  ContinuationStopPayload,
  ContinuationVerifyPayload,
  ConversationClaimPayload,
  ConversationClosePayload,
  ConversationListPayload,
  ConversationOpenPayload,
  ConversationRatePayload,
  ConversationTransferPayload,
  DeskDirectoryPayload,
  HistoryGetPayload,
  InboxCountsPayload,
  InboxListPayload,
  InboxSearchPayload,
  FileLinkPayload,
  MessageSendPayload,
  NoteAddPayload,
  NoteListPayload,
  PartyGetPayload,
  PresenceSetPayload,
  PresenceSubscribePayload,
  ReportGetPayload,
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
  /** Addition: the visitor of a conversation asks to continue it at an address of theirs on another network. */
  'continuation:start': (payload: ContinuationStartPayload, ack: AckCallback<{ continuation: Continuation }>) => void;
  /** Addition: the visitor types the code sent to that address. */
  'continuation:verify': (payload: ContinuationVerifyPayload, ack: AckCallback<{ continuation: Continuation }>) => void;
  /** Addition: the visitor (or an agent of the conversation) stops it. */
  'continuation:stop': (payload: ContinuationStopPayload, ack: AckCallback<{ continuation: Continuation }>) => void;
  /** Addition: an agent of the conversation invites its visitor to continue on a network. */
  'continuation:invite': (payload: ContinuationInvitePayload, ack: AckCallback<{ offer: ContinuationOffer }>) => void;
  /** Addition (agents, integrations): a contact, by address or id. */
  'contact:get': (payload: ContactGetPayload, ack: AckCallback<{ contact: Contact }>) => void;
  /** Addition (agents, integrations): merge two contacts of the site; `mergeId` undoes it. */
  'contact:merge': (payload: ContactMergePayload, ack: AckCallback<{ contact: Contact; mergeId: string }>) => void;
  /** Addition (agents, integrations): undo a merge; both contacts as they are again. */
  'contact:unmerge': (payload: ContactUnmergePayload, ack: AckCallback<{ contacts: Contact[] }>) => void;
  /** Addition: a short-lived signed link to a file of a conversation the caller may read (for `<img src>`, a download). */
  'file:link': (payload: FileLinkPayload, ack: AckCallback<{ url: string; expiresAt: string }>) => void;
  /** Addition (agent inbox, agents and integrations): a view of the site's conversations. */
  'inbox:list': (payload: InboxListPayload, ack: AckCallback<{ items: InboxItem[] }>) => void;
  /** Addition (agent inbox): how many conversations each view lists. */
  'inbox:counts': (payload: InboxCountsPayload, ack: AckCallback<{ counts: InboxCounts }>) => void;
  /** Addition (agent inbox): messages, notes and customers of the site matching a text. */
  'inbox:search': (payload: InboxSearchPayload, ack: AckCallback<{ results: InboxSearchResult[] }>) => void;
  /** Addition (agent inbox, agents): take a conversation of one's team (as `/claim ID`). */
  'conversation:claim': (payload: ConversationClaimPayload, ack: AckCallback<{ conversation: Conversation }>) => void;
  /** Addition (agent inbox, agents): hand a conversation to an agent or a team's queue (as `/transfer`). */
  'conversation:transfer': (payload: ConversationTransferPayload, ack: AckCallback<{ conversation: Conversation }>) => void;
  /** Addition (agent inbox): the site's teams, their members and their presence. */
  'desk:directory': (payload: DeskDirectoryPayload, ack: AckCallback<{ teams: DirectoryTeam[] }>) => void;
  /** Addition (agent inbox): canned replies of the caller's teams (or of one team). */
  'canned:list': (payload: CannedListPayload, ack: AckCallback<{ canned: CannedReply[] }>) => void;
  /** Addition (agent inbox, agents): a private note on a conversation (never leaves the bridge). */
  'note:add': (payload: NoteAddPayload, ack: AckCallback<{ note: Note }>) => void;
  /** Addition (agent inbox): a conversation's notes, oldest first (at most 500). */
  'note:list': (payload: NoteListPayload, ack: AckCallback<{ notes: Note[] }>) => void;
  /** Addition (agents, integrations): a report of the site's conversations (docs/support-desk.md, "Reports"). */
  'report:get': (payload: ReportGetPayload, ack: AckCallback<ReportResult>) => void;
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
  /** Addition: a continuation of the conversation changed (to its visitor, and to the conversation's agents). */
  continuation: (continuation: Continuation) => void;
  /** Addition: an agent invites the visitor to continue on a network. */
  'continuation:offer': (offer: ContinuationOffer) => void;
  /** Addition (agent inbox): a conversation of the site changed, as the receiving agent's inbox lists it. */
  'inbox:item': (item: InboxItem) => void;
  /** Addition (agent inbox): a private note was written (to the site's agents only). */
  note: (note: Note) => void;
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
  'continuation:start',
  'continuation:verify',
  'continuation:stop',
  'continuation:invite',
  'contact:get',
  'contact:merge',
  'contact:unmerge',
  'file:link',
  'inbox:list',
  'inbox:counts',
  'inbox:search',
  'conversation:claim',
  'conversation:transfer',
  'desk:directory',
  'canned:list',
  'note:add',
  'note:list',
  'report:get',
];

/** The socket.io namespace of this contract version. */
export const NAMESPACE = '/v1';
