import type { Address } from './address.js';
import type { ErrorBody } from './errors.js';

export const MESSAGE_STATUSES = ['accepted', 'sent', 'delivered', 'read', 'failed'] as const;
/** The sender's view of a message: accepted (stored), sent (handed to the recipient's network), delivered, read, failed. */
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const STATUS_RANK: Record<MessageStatus, number> = { accepted: 0, sent: 1, delivered: 2, read: 3, failed: -1 };

/**
 * Whether a message's status may move from `current` to `next` (docs/protocol.md, "Message
 * status": statuses only move forward): accepted < sent < delivered < read; failed only before
 * delivery; after a failure, a later success (a retry, another recipient) still counts.
 */
export function statusMovesForward(current: MessageStatus, next: MessageStatus): boolean {
  if (next === 'failed') return current === 'accepted' || current === 'sent';
  return current !== 'failed' ? STATUS_RANK[next] > STATUS_RANK[current] : next !== 'accepted';
}

/** A status report that moves nothing: `accepted` with an error, the message kept for another try (docs/protocol.md, "Message status"). */
export function isKeptNotice(report: { status: MessageStatus; error?: unknown }): boolean {
  return report.status === 'accepted' && report.error !== undefined;
}

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
  /**
   * Addition: the sender's address on another network this came through (a visitor writing from
   * the IM client they continue on, or answering by mail); the message is theirs all the same.
   */
  sentFrom?: Address;
  /** Addition: files sent with the message (uploaded first with `POST /v1/files`), in the order given. */
  attachments?: Attachment[];
  /**
   * Addition: the id of an earlier message of the same sender in this conversation that this one
   * corrects (XMPP's Last Message Correction, XEP-0308): its text stands in that message's place.
   * With no text and no files, it takes that message back (XMPP's Message Retraction, XEP-0424).
   */
  corrects?: string;
}

/** Addition: whether a message takes back the one it corrects (`Message.corrects` with no text and no files). */
export function isRetraction(message: Pick<Message, 'corrects' | 'text' | 'attachments'>): boolean {
  return message.corrects !== undefined && message.text === '' && !message.attachments?.length;
}

/**
 * Addition: the words of an action, a text that starts `/me ` and says something (as IRC's CTCP
 * ACTION and XMPP's XEP-0245 lines are stored: `/me checks the stock`); undefined for any other text.
 */
export function actionOf(text: string): string | undefined {
  return /^\/me (?=\S)/.test(text) ? text.slice(4) : undefined;
}

/** Addition: an action as one line of text that names who did it (`* Alice checks the stock`); undefined for any other text. */
export function actionLine(name: string, text: string): string | undefined {
  const words = actionOf(text);
  return words === undefined ? undefined : `* ${name} ${words}`;
}

/** Characters that show nothing and are no white space to `trim()`: zero-width spaces and joiners, word joiner, BOM. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;

/** Addition: whether a text shows nothing: empty, or only white space and invisible characters (refused as a message's text). */
export function isBlankText(text: string): boolean {
  return text.replace(INVISIBLE, '').trim().length === 0;
}

/**
 * Addition: whether a message says nothing, no text and no files: a retraction, or a message one
 * took back (the bridge empties it). No other message is empty.
 */
export function saysNothing(message: Pick<Message, 'text' | 'attachments'>): boolean {
  return message.text === '' && !message.attachments?.length;
}

/**
 * Addition: a file of a message (docs/protocol.md, "Files"). Its bytes are read through a signed
 * link (`file:link`) or `GET /v1/files/:id` with the party's session.
 */
export interface Attachment {
  /** The bridge's id for the file (`f_...`). */
  id: string;
  /** The file's name as given at upload, cleaned (no path, no control characters), at most `LIMITS.maxFileNameLength` code points. */
  name: string;
  /** The media type the bridge found in the content (never the name's or the uploader's word). */
  type: string;
  /** Bytes. */
  size: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  /** Pixels, for images the bridge could read. */
  width?: number;
  height?: number;
}

/** Every state a conversation can be in. */
export const CONVERSATION_STATES = ['open', 'closed'] as const;
export type ConversationState = (typeof CONVERSATION_STATES)[number];

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
  /** Addition (visitors): the networks this site lets a visitor continue on (`xmpp`, `sip`, `mailto`), when any. */
  continueOn?: string[];
  /** Addition (visitors): true when an agent's reply reaches a visitor who gave an email address and left, by mail (an email network with `visitorFallback`). */
  repliesByEmail?: boolean;
  /** Addition (agents): the networks an agent may invite the site's visitors to continue on (`continuation:invite`), when any. */
  inviteTo?: string[];
  /** Addition (agents): the networks the site's outreach lets an agent start conversations on (`conversation:open` with `to` and `team`), when any. */
  outreachTo?: string[];
  /** Addition: the longest `text` this bridge takes (code points), when configured below `LIMITS.maxTextLength`. */
  maxTextLength?: number;
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

/**
 * Addition: how an address was proven to be a contact's (docs/customers.md, "Contacts"): `session`
 * the widget session itself, `identity` the site's signed identity (every device of a signed-in
 * user), `code` a code sent to the address and typed in the widget, `reply` a reply from the
 * address, `network` the network authenticated the sender (an XMPP server, an IRC services
 * account), `wrote` a sender the network does not vouch for (SIP without authentication, email),
 * `merge` an agent merged two contacts.
 */
export const PROOFS = ['session', 'identity', 'code', 'reply', 'network', 'wrote', 'merge'] as const;
export type Proof = (typeof PROOFS)[number];

/** Addition: where a "continue on my IM" stands (docs/protocol.md, "Continuing on another network"). */
export const CONTINUATION_STATES = ['pending', 'active', 'stopped'] as const;
export type ContinuationState = (typeof CONTINUATION_STATES)[number];

/** Addition: why a continuation stopped. */
export const CONTINUATION_STOP_REASONS = ['visitor', 'remote', 'agent', 'expired', 'attempts', 'replaced', 'closed', 'blocked'] as const;
export type ContinuationStopReason = (typeof CONTINUATION_STOP_REASONS)[number];

/**
 * Addition: a visitor's conversation continued at an address of theirs on another network: once
 * `active`, agents' replies reach that address too and what it sends lands in the conversation as
 * the visitor's.
 */
export interface Continuation {
  conversationId: string;
  /** The visitor's address there (`xmpp:dana@example.org`, `sip:dana@example.com`, `mailto:dana@example.com`). */
  address: Address;
  state: ContinuationState;
  /** How the address is being (or was) proven: a code typed in the widget, or a reply from the address. */
  proof: Extract<Proof, 'code' | 'reply'>;
  /** pending: when the code (or the wait for a reply) expires, ISO-8601 UTC. */
  expiresAt?: string;
  /** pending with `code`: wrong codes that may still be typed before it stops. */
  attemptsLeft?: number;
  /** active: when the address was proven, ISO-8601 UTC. */
  provenAt?: string;
  /** stopped: why. */
  reason?: ContinuationStopReason;
}

/** Addition: an agent invites the visitor to continue on a network (shown by the widget). */
export interface ContinuationOffer {
  conversationId: string;
  /** The network's scheme (`xmpp`, `sip`, `mailto`). */
  network: string;
  /** The agent who invited. */
  from: Address;
}

/** Addition: one address of a contact and how it was proven. */
export interface ContactAddress {
  address: Address;
  proof: Proof;
  /** ISO-8601 UTC. */
  provenAt: string;
}

/** Addition: one conversation of a contact, from any of their addresses. */
export interface ContactConversation {
  id: string;
  /** The contact's address that opened it (its network tells where it happened). */
  address: Address;
  team?: string;
  state: ConversationState;
  createdAt: string;
  lastSeq: number;
  subject?: string;
}

/** Addition: a merge an agent made, which `contact:unmerge` undoes. */
export interface ContactMerge {
  id: string;
  /** The addresses the merge brought into this contact. */
  addresses: Address[];
  /** Who merged, and when (ISO-8601 UTC). */
  by: Address;
  at: string;
}

/** Addition: one customer across networks (agents and integrations of the site only). */
export interface Contact {
  id: string;
  name?: string;
  addresses: ContactAddress[];
  /** Newest first, at most `LIMITS.maxContactConversations`. */
  conversations: ContactConversation[];
  merges: ContactMerge[];
}

/** Addition (agent inbox): the customer of an inbox item, the conversation's opener (`participants[0]`). */
export interface InboxCustomer {
  address: Address;
  name?: string;
  /** The network of the address's scheme: `web`, `xmpp`, `irc`, `sip`, `mailto`. */
  network: string;
}

/** Addition (agent inbox): the last message of an inbox item (never a note). */
export interface InboxLastMessage {
  seq: number;
  from: Address;
  text: string;
  sentAt: string;
  /** How many files it carries, when any. */
  attachments?: number;
}

/**
 * Addition (agent inbox): a team conversation offered to its assignee, who has until `expiresAt`
 * (ISO-8601 UTC) to answer or claim it before it moves on to the next agent (the team's
 * `offerTimeoutSeconds`; docs/support-desk.md, "Routing").
 */
export interface InboxOffer {
  agent: Address;
  expiresAt: string;
}

/** Addition (agent inbox): a conversation as the agents' inbox lists it, computed for the agent who reads it. */
export interface InboxItem extends Conversation {
  customer: InboxCustomer;
  lastMessage?: InboxLastMessage;
  /** ISO time of the customer's oldest message the desk has not answered yet (absent: the desk had the last word, or closed). */
  waitingSince?: string;
  /** Messages from others than the reader (notes excluded) above the reader's read cursor. */
  unread: number;
  /** ISO time of the conversation's last change or message. */
  updatedAt: string;
  /** The offer running for the conversation's assignee, while it waits for their answer. */
  offer?: InboxOffer;
}

export type InboxView = 'mine' | 'unassigned' | 'open' | 'closed';

/** Addition (agent inbox): how many conversations each view lists (`closed`: closed in the last 7 days). */
export interface InboxCounts {
  mine: number;
  unassigned: number;
  open: number;
  closed: number;
}

/** Addition (agent inbox): a private note of the desk on a conversation; never leaves the bridge. */
export interface Note {
  id: string;
  conversationId: string;
  /** The conversation's lastSeq when the note was written: it is shown after that message. */
  afterSeq: number;
  from: Address;
  text: string;
  createdAt: string;
}

/** Addition (agent inbox): one hit of `inbox:search`. */
export interface InboxSearchResult {
  conversationId: string;
  kind: 'message' | 'note' | 'customer';
  /** For a message. */
  seq?: number;
  /** For a message or a note: its author. */
  from?: Address;
  /** A short piece of the text around the match. */
  snippet: string;
  /** For a message or a note: when it was written. */
  sentAt?: string;
  /** The customer of the hit's conversation, as its `InboxItem` names them (absent when it is gone meanwhile). */
  customer?: InboxItem['customer'];
}

/** Addition (agent inbox): a member of a team in `desk:directory`. */
export interface DirectoryMember {
  id: string;
  name?: string;
  addresses: Address[];
  /** The best presence of the member's addresses. */
  status: PresenceStatus;
}

/** Addition (agent inbox): a team of the site in `desk:directory`. */
export interface DirectoryTeam {
  id: string;
  name: string;
  /** Whether the team takes conversations now (an agent available, within its hours). */
  available: boolean;
  /** How many of its members are online. */
  online: number;
  members: DirectoryMember[];
}

/** Addition (agent inbox): a canned reply of a team. */
export interface CannedReply {
  team: string;
  name: string;
  text: string;
}

/** Addition: count, average and median of a set of durations, in seconds (0 when count is 0). */
export interface ReportDurations {
  count: number;
  averageSeconds: number;
  medianSeconds: number;
}

/** Addition: one group of a report (`report:get`): a team, an agent or a customer network. */
export interface ReportRowFigures {
  /** The team id, the agent's id, or the network (`web`, `xmpp`, ...); `(none)` for no team or no assignee. */
  key: string;
  /** Conversations created in the period. */
  conversations: number;
  /** From the first customer message to the first agent message (not the team's greeting, not a note). */
  firstResponse: ReportDurations;
  /** From the conversation's creation to its close (closed conversations only). */
  resolution: ReportDurations;
  /** Ratings 1 to 5: how many, their average, and the share of 4 and 5 (0 to 1). */
  csat: { count: number; average: number; satisfied: number };
}

/** Addition: a report of a site's conversations created from `from` to `to` (UTC days, both included). */
export interface ReportResult {
  from: string;
  to: string;
  by: 'team' | 'agent' | 'network';
  rows: ReportRowFigures[];
}
