/**
 * The one persistence interface of the bridge. SQLite (store/sqlite) is the embedded default;
 * Postgres (store/postgres) lets several processes share one database. Both answer alike
 * (test/store-contract.ts runs the same cases against each). Every method is async so that a
 * networked engine fits behind it unchanged.
 */
import type { BlobStore } from '../core/files/blob-store.js';
import { sharedBySites } from '../networks/web/site-scope.js';
import type { TextCharset } from '../util/text-charset.js';
import type { ConsoleStore } from './console-store.js';
import type { ContactStore } from './contact-store.js';
import type { InboxStore } from './inbox-store.js';
import type {
  Address,
  Attachment,
  Continuation,
  ContinuationState,
  ContinuationStopReason,
  Conversation,
  ConversationState,
  Message,
  MessageStatus,
  Note,
  Role,
} from '@switchboard/protocol';

/** A conversation as stored: the wire object plus what only the bridge needs. */
export interface ConversationRecord extends Conversation {
  siteKey: string;
  openedBy: Address;
  updatedAt: string;
  /** The visitor's comment with its rating, if any (kept for the site, not sent to other parties). */
  ratingComment?: string;
}

/**
 * Whether a party is a customer on their own network (XMPP, SIP, IRC, email), kept once for every
 * site they write to and filed under the first: not a web identity, an agent, a team or an
 * integration. Another site learns it once it has heard from them (`Store.heardFrom`).
 */
export function isSharedCustomer(party: { address: string; role: string }): boolean {
  return party.role === 'visitor' && sharedBySites(party.address);
}

export interface PartyRecord {
  address: Address;
  siteKey: string | null;
  role: Role;
  name?: string;
  email?: string;
  verified: boolean;
  pageUrl?: string;
}

/**
 * A message whose status moved forward: what its sender is told (`message:status`), without the
 * rest of the message (its text is not read back for a receipt).
 */
export type StatusChange = Pick<Message, 'id' | 'conversationId' | 'from' | 'status'>;

export interface NewConversation {
  siteKey: string;
  openedBy: Address;
  participants: Address[];
  team?: string;
  assignee?: Address;
}

/** How long a handover may run: a joining mark older than this is one whose node died or gave up, and is claimed to be finished elsewhere (`claimStaleJoinings`). */
export const JOINING_TTL_MS = 30_000;

/**
 * With an assignment: the assignee joins on an outbox network and is caught up by its handover
 * (desk/handover.ts). The store marks it joining in the assignment's transaction (not when it
 * already has the conversation); until its catch-up (`queueEarlierMessages` with `joining`) removes
 * the mark, messages stored on any node are not queued for it with the message: the catch-up queues
 * them, in order, after what was said before. The store alone decides, as it stores each message.
 * A mark outlives the node that made it, so a handover cut short by a crash is finished by another
 * node or the next start (`claimStaleJoinings`). With `queueEarlierMessages`: only while the
 * party's mark is there, which it removes: of two catch-ups, one queues.
 */
export interface Joining {
  joining?: boolean;
}

/**
 * With an assignment: `joining` (above), and the offer it starts (desk/offers.ts), stored in the
 * same transaction (replacing the conversation's earlier one): a process that dies right after the
 * assignment leaves the offer's deadline in the store, for the next start to keep. An assignment
 * without an offer removes the conversation's earlier one (a claim, a transfer, an agent taking it
 * by answering): an offer never outlives the hands it was made to.
 */
export interface Assigning extends Joining {
  offer?: OfferRecord | undefined;
  /**
   * `assignIfQueued` only while the conversation is still this team's: routed from a team's queue
   * as it was read, one moved to another team meanwhile is that team's to route.
   */
  team?: string | undefined;
  /**
   * The round-robin turn the assignment takes (`takeOfferTurn`), in the same transaction: a crash
   * loses no turn. Only while the conversation is still the team's (not one moved to another team meanwhile).
   */
  turn?: { team: string; agentId: string } | undefined;
}

/**
 * A party marked joining a conversation (`Joining`); `since`: its stamp (ms), which names this
 * claim of it. A mark is stamped with an even number, a claim with an odd one, so a claim never
 * names a mark made anew in the same millisecond.
 */
export interface JoiningMark {
  conversationId: string;
  party: Address;
  since: number;
  /** Its handover's context line went out already (`markIntroduced`): finishing it sends no other. */
  introduced: boolean;
}

/** A recipient on a network that delivers through the outbox; `notBefore` (epoch ms) holds its item back until then. */
export interface OutboxTarget {
  recipient: Address;
  network: string;
  notBefore?: number;
}

export interface NewMessage {
  conversationId: string;
  from: Address;
  clientId?: string;
  text: string;
  status: MessageStatus;
  /** Recipients queued in the same transaction whoever takes part (a reply mailed to a visitor who left). */
  outbox: OutboxTarget[];
  /**
   * The conversation's recipients on outbox networks, from its participants as the store has them
   * when it stores the message (the conversation held against assignments and transfers meanwhile,
   * on any node): a party the caller's copy of the conversation lacks, added since, is one of
   * them. Queued in the same transaction, except parties joining it (`Joining`), whose catch-up
   * queues the message. A duplicate queues nothing.
   */
  outboxFor?(participants: readonly Address[]): OutboxTarget[];
  /** The message's status as those same participants make it (`sent` when every one reads from the store); `status` otherwise. */
  statusFor?(participants: readonly Address[]): MessageStatus;
  /** For inbound messages: the network's stable id, recorded to drop retransmissions. */
  remote?: { network: string; id: string };
  /** The sender's address on another network the message came through (`Message.sentFrom`). */
  sentFrom?: Address;
  /**
   * A gateway message's hop marker as it came (the bridges it went through before this one), kept
   * with the message so that whichever node sends its outbox items, even after a restart, carries
   * it on (docs/gateway.md, loops).
   */
  via?: readonly string[];
  /** Webhook deliveries about the new message, queued in the same transaction (not for a duplicate). */
  webhooks?: (message: Message) => readonly NewWebhookDelivery[];
  /**
   * Files the message carries, in this order: each must be a file of this conversation uploaded by
   * `from` and not yet sent (`FileRecord.messageId` unset); the same transaction binds each to the
   * new message and keeps their `Attachment`s on it. A file that does not qualify fails the whole
   * append with `FileClaimError` and stores nothing. Not checked for a duplicate (its files are
   * already the first message's).
   */
  attachments?: readonly string[];
  /**
   * The id of an earlier message this one corrects (`Message.corrects`): kept only when that
   * message is in the same conversation and from the same sender, else dropped (an ordinary message).
   * A retraction (`isRetraction`) takes the original back in the same write: the original and the
   * corrections before it lose their text, their files and their search entries, and stay in the
   * history as empty places; a catch-up queues none of them.
   */
  corrects?: string;
}

/** A file as the store keeps it: the contract's `Attachment`, where it belongs, and the blob holding its bytes. */
export interface FileRecord extends Attachment {
  siteKey: string;
  /** The conversation it was uploaded to (or received in): its parties and the site's agents may read it. */
  conversationId: string;
  uploadedBy: Address;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** The message it was sent with; unset until then. */
  messageId?: string;
  /** The blob store's key of the content (its SHA-256: equal contents share one blob). */
  blob: string;
  /** The blob store's key of the image's preview, when one was made. */
  thumbnailBlob?: string;
  /** A text file's charset, found over all its bytes (util/text-charset.ts); unset for other files, and for text kept before it was recorded (UTF-8). */
  charset?: TextCharset;
}

/** `appendMessage` refused a file of `attachments` (unknown, of another conversation or sender, or sent already). */
export class FileClaimError extends Error {
  constructor(
    readonly fileId: string,
    reason: string,
  ) {
    super(`attachments: file "${fileId}" ${reason}`);
    this.name = 'FileClaimError';
  }
}

export type AppendResult =
  /**
   * `queued`: the outbox items stored with the message, in queue order, when the store can say
   * (a single SQLite store); the worker then hands them out without reading them back.
   */
  | {
      kind: 'stored';
      message: Message;
      queued?: readonly QueuedOutboxItem[];
      /** The participants `outboxFor` and `statusFor` were given: the conversation as the message was stored in it. */
      participants?: readonly Address[];
      /**
       * A retraction's: the messages it emptied (the original and the corrections before it), and
       * the blobs of their files that no file refers to any more, to delete once committed.
       */
      takenBack?: TakenBack;
    }
  /** Same sender and clientId (or same remote id) as a stored message: nothing new was stored. */
  | { kind: 'duplicate'; message: Message };

/** What a retraction took back (`AppendResult`). */
export interface TakenBack {
  messages: readonly string[];
  blobs: readonly string[];
  /** Their `conversation.message` webhook deliveries that were still waiting, deleted (WebhookDispatcher.takenOut). */
  webhooks: readonly { id: string; hook: string }[];
}

export interface HistoryQuery {
  afterSeq?: number;
  beforeSeq?: number;
  limit: number;
}

export interface ConversationQuery {
  siteKey?: string;
  participant?: Address;
  state?: ConversationState;
  /** Conversations of any of these teams. */
  teams?: readonly string[];
  /** Conversations whose id ends with this (letters and digits only: a short reference). */
  idSuffix?: string;
  limit: number;
}

export interface OutboxItem {
  id: number;
  message: Message;
  recipient: Address;
  network: string;
  attempts: number;
  /** Epoch ms before which the item is not tried again. */
  nextAttemptAt: number;
  /** The hop marker the message came with through the gateway (`NewMessage.via`), if any. */
  via?: readonly string[];
}

/** Which outbox item: its id, and the network whose queue holds it (the SQLite store's key). */
export type OutboxRef = Pick<OutboxItem, 'id' | 'network'>;

/**
 * An outbox item as the store queued it: `previous` is the id of the item queued for the same
 * network just before it, when the store knows it (no other item of that network lies between).
 */
export interface QueuedOutboxItem extends OutboxItem {
  previous?: number;
}

/**
 * The lease a write may only be made under (cluster/leases.ts): the write checks, in the same
 * statement, that `holder` still holds `lease` with this token and that it has not run out on the
 * database's clock. A single node's writes carry none.
 */
export interface Fence {
  lease: string;
  holder: string;
  token: number;
}

/** A write under a `Fence` was refused: another node holds the lease now (or it ran out); nothing was written. */
export class FencedError extends Error {
  constructor(readonly fence: Fence) {
    super(`${fence.lease}: token ${fence.token} of ${fence.holder} is no longer current`);
    this.name = 'FencedError';
  }
}

/** Messages and bytes that crossed one boundary (from network -> to network) for a site, in a day (UTC). */
export interface UsageRow {
  day: string;
  siteKey: string;
  from: string;
  to: string;
  messages: number;
  bytes: number;
}

/** A gateway presence subscription: `watcher` sees `target`'s presence (and `target` the watcher's). */
export interface GatewayFollow {
  watcher: Address;
  target: Address;
}

/** A customer on their own network who subscribed to a team's address there, to see the team's availability. */
export interface TeamSubscriber {
  team: string;
  subscriber: Address;
}

/** A webhook delivery to make: kept until the receiver took it (or refused it, or it ran out of attempts). */
export interface NewWebhookDelivery {
  /** The delivery id the receiver deduplicates by (`X-Switchboard-Delivery`). */
  id: string;
  /** Which configured hook it goes to (a stable key of the hook). */
  hook: string;
  event: string;
  siteKey: string;
  /** The conversation the event is about, as its data names it (every event of the API does): deleted with it. */
  conversationId?: string;
  /** The exact JSON sent on every attempt. */
  body: string;
}

export interface WebhookDeliveryRecord extends Omit<NewWebhookDelivery, 'conversationId'> {
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms before which the delivery is not tried again. */
  nextAttemptAt: number;
}

/**
 * Who sends a hook's deliveries now (a bridge node), for how long from now: while a node's claim
 * runs, no other node sends that hook's deliveries, so each goes out once and in order. The time
 * is the database's (every node reads the same clock), as the leases' is.
 */
export interface WebhookClaim {
  holder: string;
  forMs: number;
}

/** What webhooks last said of a conversation, so `assigned` and `closed` are sent once per change. */
export interface ConversationMark {
  state: ConversationState;
  assignee?: Address;
}

/** The claim of an expired offer, which moves its conversation on only while it holds (`transferOffered`). */
export interface OfferClaim {
  /** The offer's deadline as the claim moved it (`rescheduleOffer`'s `to`). */
  deadline: number;
  /** The conversation's last seq read before the claim: a message after it from `agent` is an answer (for an offer stored without its own `seq`). */
  seq: number;
  /** The addresses of the agent the offer was made to. */
  agent: readonly Address[];
}

/** A conversation offered to an agent who has not answered yet. */
export interface OfferRecord {
  conversationId: string;
  agentId: string;
  /** Epoch ms when the offer runs out. */
  deadline: number;
  /** Agents who let this conversation's offer run out before. */
  declined: string[];
  /**
   * The conversation's last seq when it was offered: what the agent writes after it answers the
   * offer, whenever the desk takes that up (absent: stored by an older bridge).
   */
  seq?: number;
}

/** A customer an agent blocked on a site: their messages to the site's teams are dropped (docs/customers.md, "Abuse controls"). */
export interface BlockRecord {
  siteKey: string;
  address: Address;
  /** The agent who blocked them. */
  by: Address;
  /** When (ISO time). */
  at: string;
  /** Whether the customer was told, once, that their messages are dropped. */
  told: boolean;
}

/**
 * A conversation continued at an address of its visitor on another network (docs/customers.md,
 * "Continue on my IM"): one per conversation, replaced by the next start. The code itself is
 * never kept: only its keyed hash.
 */
export interface ContinuationRecord {
  conversationId: string;
  siteKey: string;
  /** The visitor whose conversation it is (their web address). */
  visitor: Address;
  address: Address;
  state: ContinuationState;
  proof: Continuation['proof'];
  /** pending with `code`: the code's keyed hash. */
  codeHash?: string;
  /** pending: epoch ms when the code (or the wait for a reply) runs out. */
  expiresAt?: number;
  /** pending with `code`: wrong codes that may still be typed. */
  attemptsLeft?: number;
  /** active: when the address was proven (ISO time). */
  provenAt?: string;
  /** stopped: why. */
  reason?: ContinuationStopReason;
  /** When it last changed (ISO time). */
  updatedAt: string;
  /**
   * The conversation's team when it began: the address writes to that team's address (the one its
   * proof came from) for as long as it lasts, whichever team the conversation was transferred to.
   */
  team?: string;
}

/** Everything the store holds of one party (an export for the party itself). */
export interface PartyData {
  party: PartyRecord | null;
  /** Conversations the party opened or takes part in, with their messages and the desk's notes on them. */
  conversations: { conversation: ConversationRecord; messages: Message[]; notes: Note[] }[];
}

export interface ErasureResult {
  conversations: number;
  messages: number;
  parties: number;
  /**
   * Blob keys (contents and previews) of the files deleted with them that no remaining file
   * refers to: the caller deletes those blobs once the store committed.
   */
  blobs: string[];
}

export interface Store extends ContactStore, InboxStore<ConversationRecord>, ConsoleStore {
  /** Creates or upgrades the schema. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** True when the store answers queries. */
  ping(): Promise<boolean>;

  /** A secret kept across restarts, created on first use. */
  secret(name: string): Promise<string>;
  /** Files' bytes in the store's own database, for engines that can keep them (`files.storage: "database"`). */
  blobs?(): BlobStore;

  upsertParty(party: PartyRecord): Promise<void>;
  getParty(address: Address): Promise<PartyRecord | null>;
  /**
   * Deletes a site's anonymous visitors last updated before `before` (ISO time) that never took
   * part in a conversation; returns how many.
   */
  expireIdleVisitors(siteKey: string, before: string): Promise<number>;

  createConversation(input: NewConversation): Promise<ConversationRecord>;
  getConversation(id: string): Promise<ConversationRecord | null>;
  /** The most recent open conversation of `openedBy` with `team`, or with exactly these participants. */
  findOpenConversation(query: { siteKey: string; openedBy: Address; team?: string; with?: Address }): Promise<ConversationRecord | null>;
  listConversations(query: ConversationQuery): Promise<ConversationRecord[]>;
  /** The site's conversations opened by or with any of these addresses (a contact's), most recently created first. */
  contactConversations(siteKey: string, addresses: readonly Address[], limit: number): Promise<ConversationRecord[]>;
  /** The most recently active open conversation both parties take part in (inbound traffic's home). */
  openConversationBetween(a: Address, b: Address): Promise<ConversationRecord | null>;
  /** Open conversations of a team that no one is assigned to, oldest first. */
  queuedConversations(team: string, limit: number): Promise<ConversationRecord[]>;
  /** Also records when it closed (the close time of reports; cleared when it opens again). */
  setConversationState(id: string, state: ConversationState): Promise<ConversationRecord>;
  /**
   * Closes a conversation that is open, as `setConversationState` does; `closed` is false when it
   * was closed already (two closes at the same moment, on any node: one closes it), and nothing is written.
   */
  closeConversation(id: string): Promise<{ conversation: ConversationRecord; closed: boolean }>;
  assignConversation(id: string, assignee: Address): Promise<ConversationRecord>;
  /** Assigns an open conversation only if nobody has it yet; null when someone took it meanwhile (or it closed). */
  assignIfQueued(id: string, assignee: Address, options?: Assigning): Promise<ConversationRecord | null>;
  /**
   * Moves a conversation to another assignee (null: back to its team's queue), optionally to
   * another team; the previous assignee stops being a participant.
   */
  transferConversation(id: string, to: Address | null, team?: string, options?: Assigning): Promise<ConversationRecord>;
  /**
   * `transferConversation` of a conversation whose offer ran out, to the next agent: only while it
   * is open, the store still holds its offer with the claim's deadline (`rescheduleOffer`), and the
   * offered agent has written nothing in it since it was offered (`OfferRecord.seq`). Null: the
   * offer was answered, or the conversation closed, claimed or handed on, meanwhile; nothing changed.
   */
  transferOffered(id: string, claim: OfferClaim, to: Address, options?: Assigning): Promise<ConversationRecord | null>;
  /** Records the visitor's rating (the latest wins). */
  rateConversation(id: string, rating: number, comment?: string): Promise<ConversationRecord>;
  /**
   * Records a conversation's subject (the latest wins), as `cleanSubject` makes it: one line, trimmed,
   * at most `LIMITS.maxSubjectLength` code points; nothing left of it removes the subject.
   */
  setConversationSubject(id: string, subject: string): Promise<ConversationRecord>;
  /** A network's record of a conversation's thread there (its own opaque value), if any. */
  conversationThread(conversationId: string, network: string): Promise<string | null>;
  /**
   * Records (null: forgets) a conversation's thread on a network; it goes with its conversation
   * (erasure, retention). Recording one for a conversation that does not exist fails.
   */
  setConversationThread(conversationId: string, network: string, value: string | null): Promise<void>;
  /** Adds counts to the usage table (rows with the same day, site and boundary are summed). */
  addUsage(rows: readonly UsageRow[]): Promise<void>;
  /** A site's usage between two days (inclusive, `YYYY-MM-DD`), by day then boundary. */
  usage(siteKey: string, fromDay: string, toDay: string): Promise<UsageRow[]>;
  /** Records (`on`) or removes a gateway presence subscription. */
  setGatewayFollow(follow: GatewayFollow, on: boolean): Promise<void>;
  /** Gateway subscriptions `address` takes part in, on either side; every one without an address. */
  gatewayFollows(address?: Address): Promise<GatewayFollow[]>;
  /** Records (`on`) or removes a customer's subscription to a team's address (kept across restarts). */
  setTeamSubscriber(subscription: TeamSubscriber, on: boolean): Promise<void>;
  /** Every customer subscribed to a team's address on a network (`xmpp:` addresses for XMPP), by team then subscriber. */
  teamSubscribers(network: string): Promise<TeamSubscriber[]>;
  /** The teams whose address each of `subscribers` is subscribed to, in order; a subscriber to none is left out. */
  teamsSubscribedBy(subscribers: readonly Address[]): Promise<Map<Address, string[]>>;
  /** Those of `addresses` that take part in a conversation of the site (open or closed), in one query. */
  takingPartOnSite(siteKey: string, addresses: readonly Address[]): Promise<Set<Address>>;
  /** A value a network keeps across restarts (a mailbox's UIDVALIDITY and last UID), if any. */
  networkState(network: string, key: string): Promise<string | null>;
  /** Records (null: forgets) a network's value; it is durable once the promise resolves. */
  setNetworkState(network: string, key: string, value: string | null): Promise<void>;
  /** How many open conversations each of these addresses is assigned. */
  openCounts(assignees: readonly Address[]): Promise<Map<Address, number>>;
  addParticipant(id: string, address: Address): Promise<ConversationRecord>;

  /** Stores a message with the next seq of its conversation, in one transaction. */
  appendMessage(input: NewMessage): Promise<AppendResult>;
  /**
   * True when appends take their seqs in the order `appendMessage` was called, even before the
   * earlier ones are committed (writes queued in one process): a sender's next message may then be
   * appended before the last one's commit. False or absent: only once it resolved.
   */
  readonly appendsInCallOrder?: boolean;
  getMessage(id: string): Promise<Message | null>;
  /** The statuses of those of `ids` that are `sender`'s messages, with their conversations, in one query. */
  statusesOf(sender: Address, ids: readonly string[]): Promise<{ id: string; conversationId: string; status: MessageStatus }[]>;
  /** The message a sender stored under an idempotency key, if any. */
  messageByClientId(from: Address, clientId: string): Promise<Message | null>;
  /** The message a network's remote id was stored as, if any (a customer's retransmission). */
  messageByRemoteId(network: string, remoteId: string): Promise<Message | null>;
  history(conversationId: string, query: HistoryQuery): Promise<{ messages: Message[]; hasMore: boolean }>;
  /** Moves a message's status forward (accepted < sent < delivered < read); `failed` only from before delivered. Null when unchanged. */
  advanceStatus(id: string, status: MessageStatus): Promise<StatusChange | null>;
  /** Records that `reader` has read up to `seq`; returns the others' messages that became read, null when `reader` takes no part. */
  markRead(conversationId: string, reader: Address, seq: number, limit: number): Promise<Message[] | null>;

  /** A network's outbox items in the order they were queued (the worker keeps that order). */
  pendingOutbox(network: string, limit: number, afterId?: number): Promise<OutboxItem[]>;
  /**
   * Removes an outbox item; with `status`, also moves the message's status forward in the same
   * write (as advanceStatus), returning the change when its status changed. With `fence`, only
   * while the fence holds (else `FencedError`, nothing written); engines a single node runs alone
   * on (SQLite) ignore it.
   */
  completeOutbox(item: OutboxRef, status?: MessageStatus, fence?: Fence): Promise<StatusChange | null>;
  /** Records a failed attempt and when to try again; `fence` as for completeOutbox. */
  retryOutbox(item: OutboxRef, nextAttemptAt: number, error: string, fence?: Fence): Promise<void>;
  /**
   * Queues a conversation's earlier messages (not the recipient's own) for a recipient that joined
   * it on an outbox network, in seq order; returns how many. A party coming back (transferred away,
   * then back) gets only what was said after it left: its client has the rest.
   */
  queueEarlierMessages(conversationId: string, recipient: Address, network: string, options?: Joining): Promise<number>;
  /**
   * Joining marks made (or claimed) at least `olderThanMs` ago, claimed by the caller to finish
   * their handovers: each is stamped anew, so another claim waits as long again. With 0: every
   * mark whatever its stamp, for a node that runs alone at its start.
   */
  claimStaleJoinings(olderThanMs: number): Promise<JoiningMark[]>;
  /**
   * Removes a claimed joining mark without a catch-up (its handover has nothing left to do); only
   * while it is as claimed: a mark made anew since (the party assigned again) stays.
   */
  dropJoining(mark: JoiningMark): Promise<void>;
  /**
   * The context line of a party's handover went out (desk/handover.ts): the party's joining mark
   * says so until the catch-up removes it, so a node that claims the mark does not send the line
   * again. A mark is made (or made anew, the party assigned again) without it; no mark, nothing
   * changes.
   */
  markIntroduced(conversationId: string, party: Address): Promise<void>;
  /** How many items wait in a network's outbox. */
  outboxDepth(network: string): Promise<number>;
  /** Networks with outbox items, for the worker's start-up flush. */
  outboxNetworks(): Promise<string[]>;

  /** Queues webhook deliveries, in order (each hook sends its own in the order queued). */
  enqueueWebhooks(deliveries: readonly NewWebhookDelivery[]): Promise<void>;
  /** A hook's waiting deliveries in the order they were queued. */
  pendingWebhooks(hook: string, limit: number): Promise<WebhookDeliveryRecord[]>;
  /**
   * Claims a hook's first waiting deliveries, in order, for `claim.holder` for `claim.forMs`:
   * none (with `busyForMs`, how long until the other claim runs out) while another holder's claim
   * of the hook still runs, so one node at a time sends a hook's deliveries. A single-node engine
   * (SQLite) records no claim and answers as `pendingWebhooks`.
   */
  claimWebhooks(hook: string, claim: WebhookClaim, limit: number): Promise<{ deliveries: WebhookDeliveryRecord[]; busyForMs?: number }>;
  /** Extends every running claim of `holder` to `forMs` from now (it is still sending). */
  renewWebhookClaims(holder: string, forMs: number): Promise<void>;
  /** Ends every claim of `holder` (it stops): another node may send those deliveries at once. */
  releaseWebhookClaims(holder: string): Promise<void>;
  /** How many webhook deliveries wait for a hook (for every hook, without one). */
  webhookBacklog(hook?: string): Promise<number>;
  /**
   * Whether a delivery still waits (an erasure or a retention sweep may have removed it); with
   * `holder`, only while that holder's claim of it still runs (a node frozen past its claim must
   * not send what another node took over). A single-node engine (SQLite) records no claim.
   */
  hasWebhook(id: string, holder?: string): Promise<boolean>;
  /** Forgets a delivery (made, refused, or out of attempts); whether it was still waiting (not taken out meanwhile). */
  completeWebhook(id: string): Promise<boolean>;
  /** Records a failed attempt and when to try again; whether the delivery still waits (not taken out meanwhile). */
  retryWebhook(id: string, nextAttemptAt: number, error: string): Promise<boolean>;
  /** Records what webhooks now say of a conversation; returns what they said before (null: nothing yet). */
  swapConversationMark(
    conversationId: string,
    mark: ConversationMark,
    /** Webhook deliveries the change makes, given what was said before: queued in the same transaction, so a crash loses neither or both. */
    events?: (before: ConversationMark | null) => readonly NewWebhookDelivery[],
  ): Promise<ConversationMark | null>;
  /**
   * Conversations whose state or assignee is not what webhooks last said of them (or that
   * webhooks have not told of at all): what a crash interrupted, to tell at start-up.
   */
  conversationsAheadOfMarks(limit: number): Promise<{ conversation: ConversationRecord; mark: ConversationMark | null }[]>;

  /** Records (or replaces) a conversation's running offer. */
  saveOffer(offer: OfferRecord): Promise<void>;
  /**
   * Ends a conversation's offer; with `deadline`, only the offer with that deadline (not one that
   * replaced it meanwhile). Whether one was removed.
   */
  deleteOffer(conversationId: string, deadline?: number): Promise<boolean>;
  /**
   * Ends a conversation's offer to `agentId` (the agent answered), whatever its deadline (a claim's
   * hold included); not an offer made since to another agent. `answerSeq`: the answer's seq; an
   * offer made when the conversation had reached it already (the answer was written before it) stays.
   */
  endOffer(conversationId: string, agentId: string, answerSeq?: number): Promise<void>;
  /**
   * Moves a conversation's offer with deadline `from` to deadline `to` (how an expiry is claimed:
   * desk/offers.ts). True when it moved; otherwise the conversation's offer as stored now
   * (undefined: none), which another node claimed, or which an answer or an assignment removed or
   * replaced.
   */
  rescheduleOffer(conversationId: string, from: number, to: number): Promise<true | OfferRecord | undefined>;
  /** Records that a team's agent was offered a conversation now: its turn comes after every earlier one. */
  takeOfferTurn(team: string, agentId: string): Promise<void>;
  /** When each of a team's agents was last offered one of its conversations, as an increasing number (absent: never). */
  offerTurns(team: string): Promise<Map<string, number>>;
  /** Every running offer (to resume them after a restart). */
  offers(): Promise<OfferRecord[]>;

  /** Records a conversation's continuation, replacing the one it had (durable once the promise resolves). */
  saveContinuation(continuation: ContinuationRecord): Promise<void>;
  /** Forgets a conversation's continuation (a start whose proof message could not be sent, with none before it). */
  deleteContinuation(conversationId: string): Promise<void>;
  /** A conversation's continuation (in any state), if it has had one. */
  continuationOf(conversationId: string): Promise<ContinuationRecord | null>;
  /** The pending and active continuations at an address, on any site, most recently changed first. */
  continuationsAt(address: Address): Promise<ContinuationRecord[]>;

  /** Blocks a customer on a site; false (and the first block kept) when they already were. */
  block(input: { siteKey: string; address: Address; by: Address }): Promise<boolean>;
  /** Lifts a block; false when there was none. */
  unblock(siteKey: string, address: Address): Promise<boolean>;
  blockOf(siteKey: string, address: Address): Promise<BlockRecord | null>;
  /** A site's blocks, oldest first. */
  blocks(siteKey: string): Promise<BlockRecord[]>;
  /** Records that a blocked customer was told; true only for the one call that recorded it (the one to tell them). */
  markBlockTold(siteKey: string, address: Address): Promise<boolean>;

  /**
   * Records an uploaded (or received) file; it is not yet sent with any message. With `quotaBytes`,
   * only when the site's files with this one stay within it, checked in the same write (uploads at
   * once cannot all pass the quota); false when it was not recorded.
   */
  createFile(file: FileRecord, quotaBytes?: number): Promise<boolean>;
  getFile(id: string): Promise<FileRecord | null>;
  /**
   * Moves files not sent yet from one conversation to another, those of `uploadedBy` only (a
   * visitor's message that opened a new conversation in place of a closed one takes them along);
   * returns how many moved.
   */
  moveUnsentFiles(ids: readonly string[], from: string, to: string, uploadedBy: Address): Promise<number>;
  /** Records the blob key of a file's preview (made after the upload, or again when it was lost). */
  setFileThumbnail(id: string, thumbnailBlob: string): Promise<void>;
  /** Of these blob keys, those some file still refers to (as content or preview). */
  blobsInUse(blobs: readonly string[]): Promise<Set<string>>;
  /**
   * Deletes files never sent with a message and created before `before` (ISO time); returns the
   * blob keys no remaining file refers to.
   */
  deleteUnsentFiles(before: string): Promise<string[]>;
  /** Total bytes of a site's files (each file counted, even when contents are shared). */
  siteFileBytes(siteKey: string): Promise<number>;

  /** Everything held of a party of a site: the party, and the site's conversations it opened or takes part in, with their messages. */
  partyData(siteKey: string, address: Address): Promise<PartyData>;

  /** Whether the site has heard from the address: a conversation of the site it opened holds a message from it (rows.ts, heardFromSql). */
  heardFrom(siteKey: string, address: Address): Promise<boolean>;
  /**
   * Erases a party of a site: the conversations it opened (with everything in them, their
   * continuations too), its messages elsewhere, its participations, its outbox items and webhook
   * deliveries about it, the site's continuations at its address, the files of everything erased
   * (and those it uploaded anywhere on the site), the notes and read cursors of the conversations
   * erased (and its own), its entries in the search index, and the party. Usage counts are aggregates and stay.
   */
  eraseParty(siteKey: string, address: Address): Promise<ErasureResult>;
  /**
   * Deletes a site's conversations whose last activity is before `before` (ISO time), with their
   * messages and files, and the site's parties nothing refers to any more.
   */
  sweepSite(siteKey: string, before: string): Promise<ErasureResult>;
}
