/**
 * The seam every network plugs into (docs/networks.md). A network maps the uniform model onto its
 * protocol and back: outbound through `send` (and the optional typing/presence/read calls its
 * capabilities declare), inbound through the one normalized `InboundSink`.
 */
import type {
  Address,
  Attachment,
  Conversation,
  ErrorCode,
  Message,
  MessageStatus,
  PresenceStatus,
  TeamAvailability,
  TypingState,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { ClientHub } from '../core/hub.js';
import type { RefBook } from './refs.js';
import type { StatusChange } from '../store/store.js';

/**
 * What a network can do, derived from the features it implements (`capabilitiesOf`): nothing to
 * declare, so nothing to get out of step with the code.
 */
export interface NetworkCapabilities {
  /** Typing notifications both ways. */
  typing: boolean;
  /** Presence of remote parties (and of ours, to them). */
  presence: boolean;
  /** Delivery/read receipts from the remote side. */
  receipts: boolean;
  /** A message taken back disappears on the remote side too (the web's clients, XMPP's XEP-0424). */
  retractions: boolean;
}

/** `standby`: in a cluster, another node holds the network's lease and runs it (cluster/leased-network.ts). */
export type NetworkState = 'connecting' | 'online' | 'offline' | 'standby';

/**
 * Whether what is handed to the network now gets there: it is online here, or (`standby`) the node
 * holding its lease runs it, and the call travels there (cluster/network-calls.ts, the outbox).
 */
export const runsSomewhere = (network: Pick<NetworkCore, 'status'>): boolean => {
  const { state } = network.status();
  return state === 'online' || state === 'standby';
};

export interface NetworkStatus {
  state: NetworkState;
  reason?: string;
}

/**
 * A conversation as networks see it: the contract's object and, from the core, who opened it (the
 * customer of a team conversation opened on the customer's own network, answered from the team's
 * address there).
 */
export type NetworkConversation = Conversation & { openedBy?: Address };

/** A team of the desk as networks may show it: a customer writes to its address on their network. */
export interface DeskTeam {
  id: string;
  name: string;
  /** The sites it serves. */
  sites: readonly string[];
}

/** What the core hands a network: one message for one recipient on that network. */
export interface OutboundMessage {
  message: Message;
  to: Address;
  conversation: NetworkConversation;
  /** The sender's display name, when known (for puppets' nicknames or relay prefixes). */
  fromName?: string;
  /**
   * Gateway hop marker: the ids of the bridges this message went through, this one last. Networks
   * that can carry it (an XMPP extension element, a SIP header) write it, so that another bridge
   * recognises the message if it comes back (docs/gateway.md, "Policy and loops").
   */
  via?: readonly string[];
  /**
   * Sent at once, not from the outbox (a continuation's code): in a cluster, a node that does not
   * run the network has the holder of its lease send it (cluster/leased-network.ts).
   */
  direct?: boolean;
  /**
   * The later messages of the same burst (`BurstFeature`): to the same recipient, in the same
   * conversation, from the same sender, in order. They go with `message` as one (one mail), and
   * the result is theirs too.
   */
  also?: readonly Message[];
  /**
   * The time the message was stored (`message.sentAt`), when it goes out well after it: history an
   * agent gets on joining a conversation, what waited for a network to come back. Networks that can
   * say so write it (XMPP: XEP-0203 delayed delivery), so the client shows when it was said.
   */
  delayedSince?: string;
}

/**
 * A message going out this long after it was stored is said to be late (`OutboundMessage.delayedSince`):
 * far above a send's ordinary latency, and above clock differences between cluster nodes.
 */
export const LATE_AFTER_MS = 10_000;

export interface SendResult {
  /** The network's id for the sent message, when it has one (matches later receipts). */
  remoteId?: string;
  /** The status reached: `sent` by default; a network that knows the recipient got it may say `delivered`. */
  status?: Extract<MessageStatus, 'sent' | 'delivered'>;
}

/**
 * A send that failed; `retryable` tells the outbox whether trying again can help, `code` which of
 * the contract's codes a final failure reports (`bad_request` when left out).
 */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

/**
 * A file a party of a network sent with a message, its bytes already in hand (a mail's attachment,
 * an XMPP out-of-band link the network fetched). The core checks it as an upload (size, the
 * site's types, sniffed from the content) before the message is stored.
 */
export interface InboundFile {
  /** The name the sender's side gave; the bridge cleans it. */
  name: string;
  /** The type the sender's side declared: a hint, never trusted. */
  declaredType?: string;
  content: Buffer;
}

/**
 * Files as networks reach them (context `files`): links a recipient's client can open, the bytes
 * for a network that carries files itself (mail), and the bound on what the bridge takes in.
 */
export interface NetworkFiles {
  /**
   * A signed link to the file for `recipient` (under `server.publicUrl`), valid
   * `files.linkTtlSeconds`; opening it checks again that the recipient may read the file.
   */
  link(file: Attachment, recipient: Address): string;
  /** The file's bytes; null when it is gone (erased, expired). */
  read(file: Attachment): Promise<Buffer | null>;
  /** The largest file the bridge takes in (a network fetching a link stops reading beyond it). */
  readonly maxFileBytes: number;
}

export interface InboundMessage {
  network: string;
  from: Address;
  to: Address;
  /** May be empty when `files` has some. */
  text: string;
  /**
   * Files that came with the message. One the core refuses (too large, a type the site does not
   * take) is left out and said in the stored text, never dropped silently.
   */
  files?: readonly InboundFile[];
  /** The network's stable id (XEP-0359 stanza-id, ...), used to drop retransmissions. */
  remoteId?: string;
  /**
   * The bridge's id of an earlier message of this sender that this one corrects (XMPP's XEP-0308):
   * stored as `Message.corrects` when that message is the sender's in the same conversation.
   */
  corrects?: string;
  /** A conversation the network already knows this belongs to. */
  conversationId?: string;
  /**
   * With `conversationId`: the sender was copied on a mail of the conversation's customer and
   * answers in its thread (a colleague's reply to all). Stored in that open conversation as theirs,
   * without their taking part: they get no answers (email's `keepCc` decides that), and the
   * conversation's parties in `reached` are not sent it again.
   */
  copiedReply?: boolean;
  /** Parties the network's message reached by itself (a mail's `To` and `Cc`): the bridge does not send it to them again. */
  reached?: readonly Address[];
  /** The hop marker the message carried (bridge ids, first hop first), when the protocol has one. */
  via?: readonly string[];
  /**
   * The name the sender's client gave with it (an XMPP nick, a SIP display name, an IRC nick), as
   * typed: for a customer writing to a team, the core keeps it as the customer's name, unverified.
   */
  fromName?: string;
  /**
   * The message was written to a team's address on the network (`support@<component domain>`):
   * the sender is a customer, and the core finds their open conversation with the team or opens one.
   */
  team?: InboundTeam;
  /**
   * A machine wrote it (an out-of-office answer, RFC 3834): stored like any message, but nothing
   * answers it automatically (no greeting, offline message or queue notice), so that two
   * responders never answer each other.
   */
  automatic?: boolean;
  /**
   * With `team`: the subject a conversation it opens gets (a mail's), set before the conversation
   * is routed, so that what goes to its agent names it from the first line.
   */
  subject?: string;
  /**
   * Called once the message's place among its sender's messages is taken (its write queued in
   * order, before it is committed): the network may take the sender's next message from then on.
   * Not called when the store cannot promise that order; the message's promise settles anyway.
   */
  onQueued?: () => void;
}

/** The team a customer wrote to, and the site the network's configuration names for its customers. */
export interface InboundTeam {
  id: string;
  /** Used when the team serves more than one site. */
  site?: string;
  /**
   * Other teams whose open conversation with the customer may take the message: of theirs and the
   * addressed team's, the most recently active does; a new one is opened with `id` only when none
   * is. One address for several teams (the IRC bot, where a customer picks one with `/team`) keeps
   * each customer in the conversation they are in, across a restart.
   */
  orOpenWith?: readonly string[];
}

export interface InboundPresence {
  address: Address;
  status: PresenceStatus;
  text?: string;
}

export interface InboundTyping {
  from: Address;
  to?: Address;
  conversationId?: string;
  state: TypingState;
  /** Typing to a team's address: the customer's open conversation with the team (see `InboundMessage.team`). */
  team?: InboundTeam;
}

export interface InboundReceipt {
  messageId: string;
  /** `failed`: the remote server bounced a message it had taken (a stanza error, a SIP 4xx, ...). */
  status: Extract<MessageStatus, 'delivered' | 'read' | 'failed'>;
  /** Why it failed, readable. */
  error?: string;
  /** The contract's code for the failure (default `unavailable`). */
  code?: ErrorCode;
  /**
   * Who sent the confirmation, when the network says. Taken only from a recipient of the message (a
   * party of its conversation but its sender, or the visitor's address it continues at); from anyone
   * else (who learned a message id) it changes nothing.
   */
  from?: Address;
  /**
   * For a `read` that covers every earlier message too (XEP-0333 section 6: a chat marker marks
   * everything up to the message it names): who read. Their conversation's messages from others up
   * to that one are read as well, as a web party's `read` does.
   */
  reader?: Address;
}

/** What the core says about a conversation when it is opened or changes (for announcements). */
export interface ConversationDetails {
  /** The visitor's name and page, when known. */
  visitorName?: string;
  pageUrl?: string;
  /** The members of the conversation's team (a network announces only to teams it carries). */
  teamMembers: readonly Address[];
  /** The assignee as the desk's lines name an agent (`Bob (irc:bob@libera)`, core/desk/teams.ts `agentLabel`). */
  assigneeLabel?: string;
}

/** A user of one network asks to see (or stops seeing) the presence of a user of another, through the gateway. */
export interface InboundFollow {
  watcher: Address;
  target: Address;
  follow: boolean;
}

export type FollowOutcome = { ok: true } | { ok: false; reason: string };

/**
 * A refused claim says why, and as which error of the contract a client is told it
 * (`conversation:claim`); a granted one whether the conversation was the agent's already (`already`).
 */
export type ClaimOutcome =
  { ok: true; conversation: Conversation; already?: true } | { ok: false; reason: string; code?: 'not_found' | 'bad_request' | 'forbidden' };

/** The one way into the core from any network. */
export interface InboundSink {
  /**
   * Stores and routes a message; resolves to the stored message, or null when it was refused. A
   * refusal with a reason throws an error with the contract's `code` (`forbidden`, `rate_limited`,
   * ...) and the reason as its message, for the sender; a quiet one (`isQuietRefusal`) is not told.
   */
  message(input: InboundMessage): Promise<Message | null>;
  presence(input: InboundPresence): void;
  typing(input: InboundTyping): void;
  receipt(input: InboundReceipt): void;
  /** A network's connection state changed (the core flushes its outbox when it is back online). */
  status(network: string, status: NetworkStatus): void;
  /** Whether an address is an agent of a team (a bot answers others without agents' instructions). */
  isAgent(address: Address): boolean;
  /** An agent takes a team conversation that waits for one (or is already theirs). */
  claim(input: { conversationId: string; agent: Address }): Promise<ClaimOutcome>;
  /**
   * A command an agent sent to the bridge's own address on its network (`/list`, `/claim ID`, ...);
   * resolves with the answer, which the network sends back from that address.
   */
  command(input: { from: Address; text: string }): Promise<string>;
  /**
   * Gateway presence subscription (an XMPP `subscribe` to another network's user, ...): the core
   * checks the gateway policy, follows `target`'s presence on its network and shows it to
   * `watcher` through `sharePresence`, now and on each change, until `follow: false`.
   */
  follow(input: InboundFollow): Promise<FollowOutcome>;
}

/** What every network implements: its scheme, its connection, and sending one message. */
export interface NetworkCore {
  /** The address scheme this network owns (`xmpp`, `irc`, ...). */
  readonly scheme: string;
  /**
   * True when the bridge's own store is this network's delivery queue (its clients catch up
   * through `sync`); false when messages go through the durable outbox and `send`.
   */
  readonly deliversFromStore: boolean;
  /**
   * True when `send` takes a retraction (`isRetraction`: a correction with no text and no files)
   * back on the recipient's side (XMPP's XEP-0424). To any other network the outbox sends none:
   * there is nothing there to take back with, and an empty line or mail says nothing.
   */
  readonly retracts?: boolean;
  /**
   * What an agent types before a command to the bridge where a bare `/whois` is their client's own
   * command (IRC: `/msg shopdesk `); the context line's hint shows it. Elsewhere nothing.
   */
  readonly commandPrefix?: string;
  /**
   * True when `send` carries a correction (`Message.corrects`) as one, the recipient's client
   * replacing the message it corrects (XMPP's XEP-0308). To any other network the outbox sends its
   * text as a new message ending in " (edited)".
   */
  readonly corrects?: boolean;
  status(): NetworkStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
  send(outbound: OutboundMessage): Promise<SendResult>;
}

/** Typing notifications to this network's parties (and from them, through `InboundSink.typing`). */
export interface TypingFeature {
  /** `fromName`: the name `from`'s messages go under (their party's, an agent's configured name), when known. */
  setTyping(input: { conversation: NetworkConversation; from: Address; to: Address; state: TypingState; fromName?: string }): Promise<void>;
}

/** Read markers to this network's parties for what they sent (and their receipts, through `InboundSink.receipt`). */
export interface ReceiptsFeature {
  markRead(input: { conversation: NetworkConversation; reader: Address; message: Message }): Promise<void>;
}

/** Presence both ways: any of these a network's protocol supports. */
export interface PresenceFeature {
  /**
   * Follows the presence of these parties of the network (reported through `InboundSink.presence`).
   * `seenBy`: the user of another network it is followed for (a gateway contact, with its name when
   * known); a network whose users approve each contact (XMPP) asks from that contact's address.
   */
  subscribePresence?(addresses: Address[], seenBy?: { address: Address; name?: string }): Promise<void>;
  /** Shows `from`'s presence (a visitor's) to `to`, a party of this network it talks with. */
  sharePresence?(input: { from: Address; to: Address; status: PresenceStatus; text?: string }): Promise<void>;
  /** A party of this network set its own presence through the uniform API (`presence:set`). */
  setOwnPresence?(address: Address, status: PresenceStatus, text?: string): void;
  /**
   * A team's availability changed on a site (every team starts unavailable, with no one online):
   * for a network that shows teams' addresses to customers (docs/customers.md).
   */
  showTeamAvailability?(availability: TeamAvailability & { siteKey: string }): void;
}

/** Lines from the desk to agents on this network. */
export interface DeskFeature {
  /**
   * Shows an agent a line from the bridge that is not a message of the conversation (who the
   * visitor is, a conversation closed, ...). With `about`, it appears in that conversation's chat
   * (from the visitor's identity on this network, under the visitor's name as its messages are);
   * without, from the bridge's own address.
   */
  notice(input: { to: Address; text: string; about?: { conversation: Conversation; visitor: Address; visitorName?: string } }): Promise<void>;
  /** A team conversation was opened or changed (assigned, closed): for networks that announce them. */
  conversationChanged?(conversation: Conversation, details: ConversationDetails): void;
}

/** Gateway mode: this network's users reach another network's, and the bridge keeps out of loops. */
export interface GatewayFeature {
  /**
   * Whether an address of this network is one the bridge itself presents there (a visitor's JID on
   * the component domain, a puppet nick, a URI under the visitor domain): gateway loop protection.
   */
  ownsAddress(address: Address): boolean;
  /**
   * The canonical form of an address a user typed for this network (`irc:Dave` -> `irc:dave@libera`),
   * or null when it is not one: gateway commands name their recipient this way.
   */
  normalizeAddress?(address: string): Address | null;
  /**
   * A message this network's user sent reached its recipient on another network (`delivered`), or
   * was read there: the network tells its user the way its protocol does (XEP-0184 / XEP-0333,
   * IMDN) when the user asked for it.
   */
  reportStatus?(input: { message: StatusChange; status: 'delivered' | 'read' }): Promise<void>;
  /**
   * After a start (or the network's return): `from`, a user of another network, talks with this
   * network's user `to` in a conversation still open (a gateway conversation, or a visitor's with
   * its agent `to`), last active at `lastActive` (ISO time). A network that shows such users as
   * users of its own while they talk (IRC puppets) brings that user back as before, if they would
   * still be there; true when it did so now. `conversationId`: that conversation.
   */
  restoreParty?(input: { from: Address; to: Address; fromName?: string; lastActive: string; conversationId: string }): Promise<boolean>;
}

/** A send queue of the network's own (flood control), measured for /metrics. */
/** Messages written in a burst go as one. */
export interface BurstFeature {
  /**
   * How long a burst of messages to `to` waits after its first message was written before it goes,
   * its later messages in `OutboundMessage.also`: email, where each of an agent's chat lines would
   * otherwise be a mail of its own. 0 for a message that goes at once and is in no other's burst
   * (what the desk writes itself).
   */
  burstMs(to: Address, message: Message): number;
}

export interface SendQueueFeature {
  /** Lines or messages waiting in it. */
  sendQueueDepth(): number;
}

/** Whether the network vouches for a customer's address: who checked that the sender holds it, or why no one did. */
export interface CustomerIdentity {
  vouched: boolean;
  /** In words, for agents (`/whois`): `the XMPP server authenticated the account`, `not logged in to a services account`. */
  how: string;
}

/** What a network can tell of a customer's address (docs/customers.md, "Abuse controls"): `/whois` shows it. */
export interface IdentityFeature {
  identityOf(address: Address): Promise<CustomerIdentity>;
}

/**
 * A refusal the sender was told of already (a blocked customer's messages after the one notice):
 * `InboundSink.message` throws it with `quiet: true`, and the network answers it with nothing
 * more than its protocol requires (no XMPP error, no IRC notice; a SIP request still gets its
 * final response, without the explanation).
 */
export const isQuietRefusal = (error: unknown): boolean => (error as { quiet?: unknown } | null)?.quiet === true;

/**
 * Where a customer of this network writes back to a team (docs/customers.md, "Outreach"): a
 * conversation an agent starts with them is only answered if their reply reaches the team.
 */
export interface CustomerDoorFeature {
  /**
   * The team as the network files a customer's message to it (with the site its configuration
   * names for customers), or null when no address of the network takes customers' messages for it.
   */
  customerDoor(team: string): InboundTeam | null;
}

/** A network as the bridge holds it: the core every network implements, and whichever features it does. */
/**
 * A network that reaches website visitors who left, at the address they gave the website (the
 * email network, docs/networks/email.md "Visitors who left").
 */
export interface VisitorFallbackFeature {
  /** Seconds an agent's reply waits to be read by its visitor before it is sent to them on this network. */
  readonly visitorFallbackAfterSeconds: number;
  /** The visitor's address on this network from the email address they gave; null when it is none. */
  visitorAddressOf(email: string): Address | null;
}

export type Network = NetworkCore &
  Partial<
    TypingFeature &
      ReceiptsFeature &
      DeskFeature &
      GatewayFeature &
      SendQueueFeature &
      BurstFeature &
      IdentityFeature &
      CustomerDoorFeature &
      VisitorFallbackFeature
  > &
  PresenceFeature;

/** Read once per network: what a network implements does not change (outbound XMPP asks per message). */
const derived = new WeakMap<Network, NetworkCapabilities>();

/**
 * What a network can do, read from what it implements. A network that delivers from the store
 * (its clients read their receipts there) has receipts without implementing `markRead`.
 */
export function capabilitiesOf(network: Network): NetworkCapabilities {
  let capabilities = derived.get(network);
  if (!capabilities) {
    capabilities = {
      typing: network.setTyping !== undefined,
      presence: network.subscribePresence !== undefined || network.sharePresence !== undefined || network.setOwnPresence !== undefined,
      receipts: network.deliversFromStore || network.markRead !== undefined,
      retractions: network.deliversFromStore || network.retracts === true,
    };
    derived.set(network, capabilities);
  }
  return capabilities;
}

/** What the lines to an agent call a website visitor who gave no name: the context line and relayed lines alike. */
export const NAMELESS_VISITOR = 'Visitor';

/**
 * The parties the bridge hosts itself (website visitors, web agents, integrations): they have no
 * network of their own, so another network shows them as its own users (puppets, a visitor domain).
 * Networks learn what they need of them here instead of naming the network that carries them.
 */
export interface HostedParties {
  /** Whether the bridge itself hosts this party (its store is the party's delivery queue). */
  isHosted(address: Address): boolean;
  /** Whether it is an anonymous website visitor (a party that "leaves the page", not one that goes offline). */
  isVisitor(address: Address): boolean;
  /** The hosted party's id, safe as a local part or nick (`v_7f3a`), or null for an address of another network. */
  idOf(address: Address): string | null;
  /** The hosted party an id names, or null when the id has not the form of one (ids start with their role, `v_`). */
  addressOf(id: string): Address | null;
}

export interface NetworkContext<TConfig> {
  config: TConfig;
  sink: InboundSink;
  logger: Logger;
  /**
   * What another network of the bridge supports (by scheme), for a gateway that declares, on one
   * network, only what the other side really has (typing, receipts).
   */
  capabilitiesOf(scheme: string): NetworkCapabilities | undefined;
  /**
   * An address of another network of the bridge in that network's canonical form (`irc:Dave@libera`
   * is `irc:dave@libera`), for a gateway that writes addresses users typed; as it is when that
   * network has no such form or does not take it.
   */
  canonicalAddress?: (address: Address) => Address;
  /** The bridge's conversation refs: a network that shows `#ref`s shows the core's. */
  refs: RefBook;
  /** What a network may know of the parties the bridge hosts itself. */
  hosted: HostedParties;
  /** The desk's teams, each of which a network may give an address customers write to. */
  teams?: readonly DeskTeam[];
  /** The bridge is a gateway: anyone may write commands to its own address (`/to`, `/follow`, `/help`). */
  gateway?: boolean;
  /** Customers' subscriptions to teams' addresses, kept in the bridge's store across restarts. */
  teamSubscriptions?: TeamSubscriptions;
  /** What a network keeps in the bridge's store beside the messages (a mailbox's state, mail threads). */
  records?: NetworkRecords;
  /** The longest text the bridge stores (`limits.maxTextLength`), for a network that cuts longer text rather than have it refused. */
  maxTextLength?: number;
  /** Files of messages: links for recipients, bytes, the inbound bound (docs/protocol.md, "Files"). */
  files?: NetworkFiles;
}

/**
 * The store as one network sees it: its own values across restarts, its record of a
 * conversation's thread there (which goes with the conversation), the conversations' subjects,
 * and what it stored. Everything is the network's own: the network's name is bound.
 */
export interface NetworkRecords {
  state(key: string): Promise<string | null>;
  /** Durable once the promise resolves; null forgets the value. */
  setState(key: string, value: string | null): Promise<void>;
  thread(conversationId: string): Promise<string | null>;
  setThread(conversationId: string, value: string | null): Promise<void>;
  setSubject(conversationId: string, subject: string): Promise<void>;
  conversation(id: string): Promise<NetworkConversation | null>;
  /** A stored message by its id. */
  message(id: string): Promise<Message | null>;
  /** The message stored for an inbound message with this remote id (`InboundMessage.remoteId`). */
  messageByRemoteId(remoteId: string): Promise<Message | null>;
  /** A conversation's latest messages before `beforeSeq` (at most `limit`, oldest first): what a message answers. */
  before?(conversationId: string, beforeSeq: number, limit: number): Promise<Message[]>;
}

/** A customer subscribed to a team's address on their network, to see the team's availability there. */
export interface TeamSubscription {
  team: string;
  subscriber: Address;
}

/** The store's record of customers' subscriptions to teams' addresses (docs/customers.md). */
export interface TeamSubscriptions {
  set(subscription: TeamSubscription, on: boolean): Promise<void>;
  /** The subscriptions of customers whose addresses are of this scheme (`xmpp`). */
  of(scheme: string): Promise<TeamSubscription[]>;
}

/** The context of a network whose parties the bridge hosts: it reaches them through their connections. */
export interface HostingContext<TConfig> extends NetworkContext<TConfig> {
  /** Clients connected through the uniform API. */
  hub: ClientHub;
  /**
   * The name this node keeps its own records under across restarts (a single node, or a node of
   * several with a configured `cluster.nodeId`); none: this node's next run is another node.
   */
  nodeKey?: string;
}
