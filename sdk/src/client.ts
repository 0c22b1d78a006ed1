/**
 * The headless Switchboard client, composed of one part per concern: the connection (socket,
 * state, session, the request path), the timeline (conversations, messages in seq order, cursors),
 * the outbox (sends that survive reloads) and the presence watch. On every (re)connect it lists
 * conversations, `sync`s from its cursors and flushes the outbox, so no message is missed or shown
 * twice. No DOM rendering: the widget and any app render its state.
 */
import type {
  ReportResult,
  Address,
  Attachment,
  CannedReply,
  Contact,
  Continuation,
  ContinuationOffer,
  Conversation,
  DirectoryTeam,
  ErrorBody,
  InboxCounts,
  InboxItem,
  InboxSearchResult,
  InboxView,
  Message,
  MessageStatus,
  MessageStatusEvent,
  Note,
  PartyInfo,
  Presence,
  PresenceStatus,
  QueuePosition,
  Session,
  TeamAvailability,
  TypingEvent,
  TypingState,
} from '@switchboard/protocol';
import { type ClientToServerEvents, LIMITS } from '@switchboard/protocol';
import { Connection, type ConnectionState, type Payload, type Success } from './connection.js';
import { Emitter } from './emitter.js';
import { FileUnreadableError, SwitchboardError } from './errors.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { PresenceWatch } from './presence-watch.js';
import { type KeyValueStorage, PersistedState, defaultStorage, memoryStorage } from './storage.js';
import { Timeline } from './timeline.js';
import { type UploadOptions, upload } from './upload.js';

export type { ConnectionState, UploadOptions };

export interface SendOptions {
  /** Files uploaded with `uploadFile()` (or their ids) for this message, at most `LIMITS.maxMessageAttachments`; `text` may then be `''`. */
  attachments?: (Attachment | string)[];
}

export interface Identity {
  userId: string;
  name?: string;
  email?: string;
  role?: 'visitor' | 'agent';
  /** Hex HMAC-SHA256(site identity secret, `${role ?? 'visitor'}:${userId}`), computed by your backend. */
  hash: string;
}

export interface ClientOptions {
  /** The bridge's base URL, e.g. `https://chat.example.com` (the `/v1` namespace is added). */
  url: string;
  siteKey?: string;
  /** Resume a visitor; by default the token kept in storage is used. */
  token?: string;
  identity?: Identity;
  /**
   * Agents signed in on the bridge's own console page (`POST /agent/api/login`): the handshake
   * carries the `sb_agent` cookie, and the bridge checks the page's origin (docs/protocol.md).
   */
  agentSession?: boolean;
  /**
   * With `agentSession`: the signed-in agent's user id (`POST /agent/api/login` answers it). Their
   * cursors and outbox are kept under it, apart from another agent's who signs in on this browser.
   */
  agentUserId?: string;
  /** Server-side integrations only: never ship an API key to a browser. */
  apiKey?: string;
  /** Where token, cursors and outbox persist; default localStorage when present, else memory. `null` keeps nothing. */
  storage?: KeyValueStorage | null;
  /** Connect at once (default true). */
  autoConnect?: boolean;
  /** How long to wait for the bridge to acknowledge a request (default 10 s). */
  ackTimeoutMs?: number;
  /** socket.io transports, default `['websocket', 'polling']` (WebSocket first, long-polling fallback). */
  transports?: ('websocket' | 'polling')[];
}

export interface ClientEvents {
  /** Connection state changed; `reason` says why when offline. */
  state: (state: ConnectionState, reason?: string) => void;
  session: (session: Session) => void;
  /** A message new to this client, once per message, in seq order per conversation. */
  message: (message: Message) => void;
  'message:status': (status: MessageStatusEvent) => void;
  typing: (event: TypingEvent) => void;
  presence: (presence: Presence) => void;
  'team:availability': (availability: TeamAvailability) => void;
  /** A conversation of the visitor's waiting in its team's queue moved (`position` 1: next), or an agent took it (`position` 0). */
  'queue:position': (position: QueuePosition) => void;
  conversation: (conversation: Conversation) => void;
  /** A continuation of a conversation (the visitor's, or one an agent takes part in) changed. */
  continuation: (continuation: Continuation) => void;
  /** An agent invites the visitor to continue a conversation on a network. */
  'continuation:offer': (offer: ContinuationOffer) => void;
  /** Agents: a conversation of the site changed, as this agent's inbox lists it (`inbox:item`). */
  inboxItem: (item: InboxItem) => void;
  /** Agents: a private note was written on a conversation of the site (`note`). */
  note: (note: Note) => void;
  /** The outbox changed (a send queued, acknowledged, failed, retried or discarded). */
  outbox: (entries: readonly OutboxEntry[]) => void;
  /** A connection-level error (handshake refused, ...). */
  error: (error: SwitchboardError) => void;
}

export class SwitchboardClient extends Emitter<ClientEvents> {
  private readonly connection: Connection;
  private readonly persisted: PersistedState;
  private readonly timeline: Timeline;
  private readonly outbox: Outbox;
  private readonly watch: PresenceWatch;
  /** The latest state of each conversation's continuation, from events and acks. */
  private readonly continuations = new Map<string, Continuation>();
  /** Where each of the visitor's queued conversations stands in its team's queue, while it waits. */
  private readonly queuePositions = new Map<string, QueuePosition>();
  private explicitToken: string | undefined;
  /** A signed-in visitor's view of what this device kept as the site's anonymous visitor (its token). */
  private readonly anonymous: PersistedState | undefined;

  constructor(private readonly options: ClientOptions) {
    super();
    if (!options.url) throw new TypeError('createClient: `url` is required');
    if (!options.siteKey && !options.apiKey) throw new TypeError('createClient: give `siteKey` (websites) or `apiKey` (server-side integrations)');
    const storage = options.storage === undefined ? (defaultStorage() ?? memoryStorage()) : (options.storage ?? memoryStorage());
    const who = options.apiKey
      ? `key:${options.apiKey.slice(0, 6)}`
      : options.agentSession
        ? `${options.siteKey}:agent:${options.agentUserId ?? 'session'}`
        : `${options.siteKey}:${options.identity?.role ?? 'visitor'}:${options.identity?.userId ?? 'anon'}`;
    this.persisted = new PersistedState(storage, `switchboard:${who}:`);
    if (options.identity && options.identity.role !== 'agent' && options.siteKey)
      this.anonymous = new PersistedState(storage, `switchboard:${options.siteKey}:visitor:anon:`);
    this.explicitToken = options.token;

    this.connection = new Connection(
      { url: options.url, ackTimeoutMs: options.ackTimeoutMs ?? 10_000, transports: options.transports ?? ['websocket', 'polling'] },
      {
        auth: () => this.authPayload(),
        accepted: (session) => this.keepToken(session),
        refused: (error) => this.tokenRefused(error),
      },
    );
    this.timeline = new Timeline({
      persisted: this.persisted,
      fetchAfter: (conversationId, afterSeq, limit) => this.request('history:get', { conversationId, afterSeq, limit }),
      deliver: (message) => this.emit('message', message),
    });
    this.outbox = new Outbox({
      persisted: this.persisted,
      send: async ({ conversationId, clientId, text, attachments }) =>
        (await this.request('message:send', { conversationId, clientId, text, ...(attachments ? { attachments } : {}) })).message,
      isOnline: () => this.connection.online,
      stored: (message) => this.timeline.accept(message),
      changed: (entries) => this.emit('outbox', entries),
    });
    this.watch = new PresenceWatch((target) => this.request('presence:subscribe', target), {
      presence: (presence) => this.emit('presence', presence),
      team: (availability) => this.emit('team:availability', availability),
    });
    this.wire();
    if (options.autoConnect !== false) this.connect();
  }

  // --- state ----------------------------------------------------------------------------------

  /**
   * The party this device kept state for (the last session's `self`), known before any session:
   * what a page kept of that party's chat may be shown while the bridge is out of reach.
   */
  get keptSelf(): Address | undefined {
    return this.persisted.self as Address | undefined;
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Why the client is offline, when it is. */
  get stateReason(): string | undefined {
    return this.connection.reason;
  }

  get session(): Session | null {
    return this.connection.session;
  }

  /** Known conversations, most recently active first. */
  get conversations(): Conversation[] {
    return this.timeline.conversations();
  }

  /** Messages of a conversation this client has seen, in seq order. */
  messages(conversationId: string): Message[] {
    return this.timeline.messages(conversationId);
  }

  /** The latest known continuation of a conversation on another network, if any. */
  continuation(conversationId: string): Continuation | undefined {
    return this.continuations.get(conversationId);
  }

  /** Where a conversation waiting in its team's queue stands, as last told; undefined once an agent has it (or if never queued). */
  queuePosition(conversationId: string): QueuePosition | undefined {
    return this.queuePositions.get(conversationId);
  }

  /**
   * Sends not yet acknowledged (pending) or refused (failed), oldest first; not one the bridge
   * already stored, as a catch-up after a lost ack shows (its resend's ack is on its way).
   */
  pending(conversationId?: string): OutboxEntry[] {
    const entries = this.outbox.list(conversationId);
    if (entries.length === 0) return entries;
    const self = this.session?.self ?? this.persisted.self;
    const stored = new Set<string>();
    for (const id of new Set(entries.map((entry) => entry.conversationId)))
      for (const message of this.timeline.messages(id)) if (message.from === self && message.clientId !== undefined) stored.add(message.clientId);
    return stored.size === 0 ? entries : entries.filter((entry) => !stored.has(entry.clientId));
  }

  /** Resolves with the session once online; rejects if the bridge refused the connection. */
  ready(): Promise<Session> {
    return this.connection.ready();
  }

  connect(): void {
    this.connection.connect();
  }

  /** Closes the connection; the outbox and cursors stay for the next connect(). */
  disconnect(): void {
    this.connection.disconnect();
  }

  /** Forgets this visitor on this device: token, cursors and outbox. */
  forget(): void {
    this.persisted.clear();
    this.explicitToken = undefined;
    // The next visitor on this device watches what it chooses, not the presence the last one watched.
    this.watch.clear();
    this.resetLocalState('forgotten by the app');
  }

  /** Drops cursors, caches and the outbox; sends still waiting are rejected, not left hanging. */
  private resetLocalState(why: string): void {
    this.timeline.reset();
    this.continuations.clear();
    this.queuePositions.clear();
    this.outbox.reset(why);
  }

  // --- credentials ----------------------------------------------------------------------------

  private authPayload(): Record<string, unknown> {
    const { siteKey, identity, apiKey, agentSession } = this.options;
    if (apiKey) return { apiKey };
    if (agentSession) return { siteKey, agentSession: true };
    if (identity) {
      // A visitor signing in where it was anonymous: the token it held beside the identity links its
      // conversations from before into the user's (docs/protocol.md, "Connecting").
      const anonymous = this.explicitToken ?? this.anonymous?.token;
      return anonymous ? { siteKey, identity, token: anonymous } : { siteKey, identity };
    }
    const token = this.explicitToken ?? this.persisted.token;
    return token ? { siteKey, token } : { siteKey };
  }

  private keepToken(session: Session): void {
    this.keptFor(session.self);
    // Signed in with it: the anonymous visitor is the user's now, and the device does not resume it
    // as a stranger after the user signs out.
    if (this.anonymous?.token && !session.self.startsWith('web:v_')) {
      // What the visitor wrote and the bridge never acknowledged (offline, or an ack lost) goes on
      // as the user's, who is a party to those conversations now; one the bridge stored already
      // is found under its clientId, not stored twice (docs/protocol.md, "Connecting").
      const unsent = this.anonymous.outbox;
      this.anonymous.clear();
      this.outbox.adopt(unsent);
    }
    if (this.options.identity || this.options.apiKey || this.options.agentSession || !session.token) return;
    this.persisted.token = session.token;
    if (this.explicitToken) this.explicitToken = session.token;
  }

  /**
   * What is stored belongs to the party it was kept for: a connection as another (an agent signed
   * in after another on this browser, sharing a storage key) drops it before anything of it is
   * sent, as that party's or in their name.
   */
  private keptFor(self: Address): void {
    const owner = this.persisted.self;
    if (owner !== undefined && owner !== self) {
      this.persisted.clear();
      this.resetLocalState(`what this device kept belongs to ${owner}, not to ${self}: dropped`);
    }
    this.persisted.self = self;
  }

  /** A stored visitor token that expired or belongs elsewhere: start as a new visitor. */
  private tokenRefused(error: ErrorBody): boolean {
    if (error.code !== 'unauthorized' || !error.message.startsWith('token:') || this.explicitToken || !this.persisted.token) return false;
    this.persisted.clear();
    this.resetLocalState(`the stored visitor token was refused (${error.message}); starting as a new visitor`);
    return true;
  }

  // --- events ---------------------------------------------------------------------------------

  private wire(): void {
    const { connection } = this;
    const socket = connection.socket;
    connection.on('state', (state, reason) => this.emit('state', state, reason));
    connection.on('error', (error) => this.emit('error', error));
    connection.on('session', (session) => {
      // Places told before are stale (an agent may have taken the conversation meanwhile): the
      // bridge tells each waiting conversation's place again right after `session`.
      this.queuePositions.clear();
      this.emit('session', session);
      this.background(this.afterConnect());
    });
    socket.on('message', (message, received) => {
      this.timeline.accept(message);
      if (typeof received === 'function') received();
    });
    socket.on('message:status', (status) => {
      if (this.timeline.status(status)) this.emit('message:status', status);
    });
    socket.on('typing', (event) => this.emit('typing', event));
    socket.on('presence', (presence) => this.emit('presence', presence));
    socket.on('team:availability', (availability) => this.emit('team:availability', availability));
    socket.on('continuation', (continuation) => this.continuationChanged(continuation));
    socket.on('queue:position', (position) => {
      // A place told late (taken on connection, sent after the taking) for a conversation known to be with an agent: stale.
      const known = this.timeline.conversations().find((c) => c.id === position.conversationId);
      if (position.position > 0 && (known?.assignee !== undefined || known?.state === 'closed')) return;
      if (position.position > 0) this.queuePositions.set(position.conversationId, position);
      else this.queuePositions.delete(position.conversationId);
      this.emit('queue:position', position);
    });
    socket.on('continuation:offer', (offer) => this.emit('continuation:offer', offer));
    socket.on('inbox:item', (item) => this.emit('inboxItem', item));
    socket.on('note', (note) => this.emit('note', note));
    socket.on('conversation', (conversation) => {
      // Out of the queue (assigned, closed): its place is no longer told.
      if (conversation.assignee !== undefined || conversation.state === 'closed') this.queuePositions.delete(conversation.id);
      const self = this.session?.self;
      const wasIn = self !== undefined && this.timeline.conversation(conversation.id)?.participants.includes(self) === true;
      const isNew = this.timeline.changed(conversation);
      this.emit('conversation', conversation);
      // Newly part of a conversation (assigned, a queued one claimed, or opened elsewhere): catch up on what was said.
      if ((isNew || !wasIn) && self && conversation.participants.includes(self) && this.timeline.behind(conversation)) {
        this.background(this.syncConversations([conversation.id]));
      }
    });
  }

  /** Work the app did not ask for: failures resurface on the next reconnect, never as unhandled rejections. */
  private background(work: Promise<unknown>): void {
    work.catch(() => undefined);
  }

  private async afterConnect(): Promise<void> {
    try {
      const askedAt = this.timeline.mark();
      const list = await this.request('conversation:list', {});
      this.timeline.rememberListed(list.conversations, askedAt);
      const self = this.session?.self;
      const mine = list.conversations.filter((c) => self && c.participants.includes(self)).map((c) => c.id);
      // With the statuses its own messages show: what changed while it was away reached no connection.
      const statuses = self ? this.timeline.unsettled(self, LIMITS.maxSyncStatuses) : {};
      await this.syncConversations([...new Set([...mine, ...this.timeline.followed()])], statuses);
      await this.watch.renew();
    } catch (error) {
      if (error instanceof SwitchboardError && this.connection.online) this.emit('error', error);
    }
    this.background(this.outbox.resume());
  }

  /** Catches up conversations, as many a call as the bridge takes; cursors it says this party cannot see are dropped. */
  private async syncConversations(ids: string[], statuses: Record<string, MessageStatus> = {}): Promise<void> {
    for (let start = 0; start < ids.length; start += LIMITS.maxSyncConversations) {
      const cursors: Record<string, number> = {};
      for (const id of ids.slice(start, start + LIMITS.maxSyncConversations)) cursors[id] = this.timeline.cursor(id);
      // The statuses go with the first call.
      const asked = start === 0 && Object.keys(statuses).length > 0 ? { statuses } : {};
      const { skipped } = await this.request('sync', { cursors, ...asked });
      if (skipped) this.timeline.unfollow(skipped);
    }
  }

  // --- requests -------------------------------------------------------------------------------

  /** Sends one event and resolves with its successful ack, or rejects with the bridge's error. */
  request<E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>): Promise<Success<E>> {
    return this.connection.request(event, payload);
  }

  async openConversation(target: { team: string } | { to: Address }): Promise<Conversation> {
    const { conversation } = await this.request('conversation:open', target);
    return this.opened(conversation);
  }

  /** An opened conversation is followed; what it already holds is fetched. */
  private opened(conversation: Conversation): Conversation {
    if (this.timeline.remember(conversation) && this.timeline.behind(conversation)) this.background(this.syncConversations([conversation.id]));
    return conversation;
  }

  /**
   * Outreach (agents only): the team's conversation with a customer on the customer's network
   * (`xmpp:`, `sip:`, `irc:`), opened as the customer's, assigned to the caller, with `text` as its
   * first message; the team's open conversation with that customer when there is one.
   */
  /** Outreach; with `text`, a `clientId` lets a retry after a lost answer open nothing and send nothing twice. */
  async reachOut(target: { to: Address; team: string; text?: string; clientId?: string }): Promise<Conversation> {
    const { conversation } = await this.request('conversation:open', target);
    return this.opened(conversation);
  }

  async listConversations(filter: { state?: 'open' | 'closed'; limit?: number } = {}): Promise<Conversation[]> {
    const askedAt = this.timeline.mark();
    const { conversations } = await this.request('conversation:list', filter);
    this.timeline.rememberListed(conversations, askedAt);
    return conversations.map((conversation) => this.timeline.conversation(conversation.id) ?? conversation);
  }

  async closeConversation(conversationId: string): Promise<Conversation> {
    const { conversation } = await this.request('conversation:close', { conversationId });
    this.timeline.remember(conversation);
    return conversation;
  }

  async history(
    conversationId: string,
    page: { afterSeq?: number; beforeSeq?: number; limit?: number } = {},
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const result = await this.request('history:get', { conversationId, ...page });
    this.timeline.keep(conversationId, result.messages);
    return { messages: result.messages, hasMore: result.hasMore };
  }

  /** Tells the other party you are (or stopped) typing. Best effort: dropped while offline. */
  typing(conversationId: string, state: TypingState): void {
    this.connection.notify('typing', { conversationId, state });
  }

  async markRead(conversationId: string, seq: number): Promise<void> {
    await this.request('read', { conversationId, seq });
  }

  /** Watches addresses' presence and teams' availability, now and after every reconnect. */
  subscribePresence(target: { addresses?: Address[]; team?: string }): Promise<{ presences: Presence[]; available?: boolean; online?: number }> {
    return this.watch.watch(target);
  }

  /**
   * Stops watching addresses' presence: they are not subscribed again after reconnects. The bridge
   * may still report them on the current connection.
   */
  unwatchPresence(addresses: readonly Address[]): void {
    this.watch.forget(addresses);
  }

  /** Sets this party's own presence (an agent going away, a visitor whose tab is hidden, ...). */
  async setPresence(status: PresenceStatus, text?: string): Promise<void> {
    await this.request('presence:set', text === undefined ? { status } : { status, text });
  }

  /** Tells the bridge this party's name, email or current page (e.g. from a pre-chat form). */
  async updateProfile(profile: { name?: string; email?: string; pageUrl?: string }): Promise<PartyInfo> {
    return (await this.request('profile:update', profile)).party;
  }

  /** What the bridge knows of a party (agents: the visitors of their site). */
  async getParty(address: Address): Promise<PartyInfo> {
    return (await this.request('party:get', { address })).party;
  }

  /** The visitor rates a conversation it opened, 1 to 5 (a later rating replaces it). */
  async rateConversation(conversationId: string, rating: number, comment?: string): Promise<Conversation> {
    const { conversation } = await this.request('conversation:rate', { conversationId, rating, ...(comment ? { comment } : {}) });
    this.timeline.remember(conversation);
    return conversation;
  }

  /** Runs a desk command as an agent (`/list`, `/claim ID`, `/transfer ID bob`, ...); resolves with the answer. */
  async command(text: string): Promise<string> {
    return (await this.request('agent:command', { text })).answer;
  }

  // --- continuing on another network and contacts -------------------------------------------

  /**
   * The visitor asks to continue a conversation at an address of theirs on a network the site
   * enables (`session.continueOn`): the bridge sends a code there (or waits for a reply from it).
   */
  async continueOn(conversationId: string, address: Address): Promise<Continuation> {
    return this.continuationChanged((await this.request('continuation:start', { conversationId, address })).continuation);
  }

  /** The visitor types the code sent to the address; resolves with the continuation, `active` once proven. */
  async verifyContinuation(conversationId: string, code: string): Promise<Continuation> {
    return this.continuationChanged((await this.request('continuation:verify', { conversationId, code })).continuation);
  }

  /** Stops continuing the conversation on the other network (the visitor, or an agent of the conversation). */
  async stopContinuation(conversationId: string): Promise<Continuation> {
    return this.continuationChanged((await this.request('continuation:stop', { conversationId })).continuation);
  }

  /** Agents: invites the conversation's visitor to continue on a network (`xmpp`, `sip`, `mailto`). */
  async inviteToContinue(conversationId: string, network: string): Promise<ContinuationOffer> {
    return (await this.request('continuation:invite', { conversationId, network })).offer;
  }

  /** Agents and integrations: a contact of the site, by one of its addresses or by its id. */
  async getContact(target: { address: Address } | { contactId: string }): Promise<Contact> {
    return (await this.request('contact:get', target)).contact;
  }

  /** Agents and integrations: moves every address of `contactId` into `into`; `mergeId` undoes it. */
  async mergeContacts(contactId: string, into: string): Promise<{ contact: Contact; mergeId: string }> {
    const { contact, mergeId } = await this.request('contact:merge', { contactId, into });
    return { contact, mergeId };
  }

  /** Agents and integrations: undoes a merge; resolves with both contacts as they are again. */
  async unmergeContacts(mergeId: string): Promise<Contact[]> {
    return (await this.request('contact:unmerge', { mergeId })).contacts;
  }

  /** Agents and integrations: a view of the site's inbox, computed for this agent (docs/protocol.md, "Addition: the agent inbox"). */
  async inbox(view: InboxView, options: { team?: string; limit?: number; sort?: 'waiting' | 'updated' } = {}): Promise<InboxItem[]> {
    return (await this.request('inbox:list', { view, ...options })).items;
  }

  /** Agents and integrations: how many conversations each view lists (of one team, or of the site). */
  async inboxCounts(team?: string): Promise<InboxCounts> {
    return (await this.request('inbox:counts', team === undefined ? {} : { team })).counts;
  }

  /** Agents and integrations: messages, notes and customers of the site matching every word of `query`. */
  async searchInbox(query: string, limit?: number): Promise<InboxSearchResult[]> {
    return (await this.request('inbox:search', limit === undefined ? { query } : { query, limit })).results;
  }

  /** Agents: take a conversation of one of your teams (as `/claim`). */
  async claim(conversationId: string): Promise<Conversation> {
    return (await this.request('conversation:claim', { conversationId })).conversation;
  }

  /** Agents: hand a conversation to an agent (id, address or name) or to a team's queue (as `/transfer`). */
  async transfer(conversationId: string, to: { agent: string } | { team: string }): Promise<Conversation> {
    return (await this.request('conversation:transfer', { conversationId, to })).conversation;
  }

  /** Agents and integrations: the site's teams, their members and their presence. */
  async directory(): Promise<DirectoryTeam[]> {
    return (await this.request('desk:directory', {})).teams;
  }

  /** Agents and integrations: canned replies of your teams (or of `team`). */
  async cannedReplies(team?: string): Promise<CannedReply[]> {
    return (await this.request('canned:list', team === undefined ? {} : { team })).canned;
  }

  /** Agents: a private note on a conversation, seen only by the site's agents; `clientId` makes a retry safe. */
  async addNote(conversationId: string, text: string, clientId?: string): Promise<Note> {
    return (await this.request('note:add', clientId === undefined ? { conversationId, text } : { conversationId, text, clientId })).note;
  }

  /** Agents and integrations: a conversation's notes, oldest first. */
  async notes(conversationId: string): Promise<Note[]> {
    return (await this.request('note:list', { conversationId })).notes;
  }

  /** Agents and integrations: first response, resolution and CSAT of the site's conversations created from `from` to `to` (UTC days). */
  async report(from: string, to: string, by: ReportResult['by']): Promise<ReportResult> {
    return this.request('report:get', { from, to, by });
  }

  /**
   * Keeps a continuation's latest state and emits it when it changed (an ack and its event say the
   * same once). One stopped as `replaced` is emitted but not kept: the one that replaced it is the
   * conversation's, whichever of the two arrived first.
   */
  private continuationChanged(continuation: Continuation): Continuation {
    const known = this.continuations.get(continuation.conversationId);
    if (known && sameContinuation(known, continuation)) return continuation;
    if (continuation.reason !== 'replaced') this.continuations.set(continuation.conversationId, continuation);
    this.emit('continuation', continuation);
    return continuation;
  }

  // --- sending --------------------------------------------------------------------------------

  /**
   * Queues a message and resolves once the bridge stored it (the ack, with its `seq`). While
   * offline the message waits in the outbox (kept across reloads where storage exists) and is
   * sent, in order, after reconnecting. A refused message stays in the outbox as `failed` until
   * `retry()` or `discard()`.
   */
  send(conversationId: string, text: string, options: SendOptions = {}): Promise<Message> {
    const ids = (options.attachments ?? []).map((file) => (typeof file === 'string' ? file : file.id));
    return this.outbox.add(conversationId, text, ids);
  }

  // --- files ----------------------------------------------------------------------------------

  /**
   * Uploads a file into a conversation (`POST /v1/files` with this party's session); resolves with
   * the `Attachment` to pass to `send()`. Rejects with a SwitchboardError carrying the bridge's
   * code and message (`too_large`, `bad_request` for a type the site refuses, `forbidden`, ...).
   */
  async uploadFile(conversationId: string, file: Blob, options: UploadOptions = {}): Promise<Attachment> {
    const bearer = this.options.apiKey ?? (await this.connection.whenOnline()).token;
    return upload({ url: this.options.url, bearer, conversationId, file, options });
  }

  /**
   * A signed link to a file of a conversation this party may read, valid for an hour: `original`
   * (default) for a download, `thumbnail` for an image's small WebP preview.
   */
  async fileLink(fileId: string, variant?: 'original' | 'thumbnail'): Promise<{ url: string; expiresAt: string }> {
    const { url, expiresAt } = await this.request('file:link', variant ? { fileId, variant } : { fileId });
    return { url, expiresAt };
  }

  /**
   * Uploads into `conversationId` again the files an earlier message carried, to send them once
   * more (a file goes with one message only): a message that failed on the recipient's network,
   * sent again. Rejects with a FileUnreadableError for a file that can no longer be read.
   */
  uploadAgain(conversationId: string, files: readonly Attachment[]): Promise<Attachment[]> {
    return Promise.all(
      files.map(async (file) => {
        const link = await this.fileLink(file.id).catch((error: unknown) => {
          throw error instanceof SwitchboardError && error.code === 'not_found' ? new FileUnreadableError(file) : error;
        });
        const response = await fetch(link.url);
        if (!response.ok) throw new FileUnreadableError(file);
        return this.uploadFile(conversationId, new File([await response.blob()], file.name, { type: file.type }));
      }),
    );
  }

  /** Sends a failed message again (same clientId, so it can never be stored twice). */
  retry(clientId: string): Promise<Message> {
    return this.outbox.retry(clientId);
  }

  /** Drops a queued or failed message. */
  discard(clientId: string): void {
    this.outbox.discard(clientId);
  }
}

function sameContinuation(a: Continuation, b: Continuation): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof Continuation)[]);
  return [...keys].every((key) => a[key] === b[key]);
}

/** Creates a client and (unless `autoConnect: false`) connects it. */
export function createClient(options: ClientOptions): SwitchboardClient {
  return new SwitchboardClient(options);
}
