/**
 * The headless Switchboard client: one connection to a bridge's `/v1` namespace, the session, a
 * cache of conversations and messages, an outbox that survives reloads, and automatic `sync` on
 * every (re)connect so no message is missed or shown twice. No DOM rendering: the widget and any
 * app render its state.
 */
import type {
  Ack,
  Address,
  ClientToServerEvents,
  Conversation,
  ErrorBody,
  Message,
  MessageStatusEvent,
  PartyInfo,
  Presence,
  PresenceStatus,
  ServerToClientEvents,
  Session,
  TeamAvailability,
  TypingEvent,
  TypingState,
} from '@switchboard/protocol';
import { NAMESPACE, RETRYABLE_CODES, isErrorCode } from '@switchboard/protocol';
import { type Socket, io } from 'socket.io-client';
import { Emitter } from './emitter.js';
import { SwitchboardError } from './errors.js';
import { newClientId } from './ids.js';
import type { OutboxEntry } from './outbox.js';
import { type KeyValueStorage, PersistedState, defaultStorage, memoryStorage } from './storage.js';

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

export type ConnectionState = 'connecting' | 'online' | 'offline';

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
  conversation: (conversation: Conversation) => void;
  /** The outbox changed (a send queued, acknowledged, failed, retried or discarded). */
  outbox: (entries: readonly OutboxEntry[]) => void;
  /** A connection-level error (handshake refused, ...). */
  error: (error: SwitchboardError) => void;
}

type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type AckOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (response: infer R) => void ? R : never;
type Success<E extends keyof ClientToServerEvents> = Extract<AckOf<E>, { ok: true }>;

const MAX_CACHED_PER_CONVERSATION = 1000;
const HISTORY_PAGE = 100;

interface Waiter {
  resolve: (message: Message) => void;
  reject: (error: SwitchboardError) => void;
}

export class SwitchboardClient extends Emitter<ClientEvents> {
  private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private readonly persisted: PersistedState;
  private readonly ackTimeoutMs: number;
  private explicitToken: string | undefined;
  private currentState: ConnectionState = 'offline';
  private currentReason: string | undefined = 'not connected';
  private currentSession: Session | null = null;
  private readyWaiters: { resolve: (s: Session) => void; reject: (e: SwitchboardError) => void }[] = [];
  private fatal: SwitchboardError | null = null;

  private readonly conversationCache = new Map<string, Conversation>();
  private readonly messageCache = new Map<string, Map<number, Message>>();
  private cursors: Record<string, number>;
  private outboxEntries: OutboxEntry[];
  private readonly waiters = new Map<string, Waiter>();
  private flushing = false;
  private readonly watchedAddresses = new Set<Address>();
  private readonly watchedTeams = new Set<string>();
  private readonly filling = new Set<string>();
  /** Messages received past a gap, waiting for the missing ones. */
  private readonly held = new Map<string, Map<number, Message>>();
  /** Event counter, and when each conversation last changed through an event. */
  private events = 0;
  private readonly touchedAt = new Map<string, number>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refusals = 0;

  constructor(private readonly options: ClientOptions) {
    super();
    if (!options.url) throw new TypeError('createClient: `url` is required');
    if (!options.siteKey && !options.apiKey) throw new TypeError('createClient: give `siteKey` (websites) or `apiKey` (server-side integrations)');
    const storage = options.storage === undefined ? (defaultStorage() ?? memoryStorage()) : (options.storage ?? memoryStorage());
    const who = options.apiKey ? `key:${options.apiKey.slice(0, 6)}` : `${options.siteKey}:${options.identity?.role ?? 'visitor'}:${options.identity?.userId ?? 'anon'}`;
    this.persisted = new PersistedState(storage, `switchboard:${who}:`);
    this.explicitToken = options.token;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.cursors = this.persisted.cursors;
    this.outboxEntries = this.persisted.outbox;

    this.socket = io(options.url.replace(/\/+$/, '') + NAMESPACE, {
      autoConnect: false,
      transports: options.transports ?? ['websocket', 'polling'],
      // Evaluated on every (re)connect, so a token issued meanwhile is used.
      auth: (callback) => callback(this.authPayload()),
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
    });
    this.wire();
    if (options.autoConnect !== false) this.connect();
  }

  // --- state ----------------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Why the client is offline, when it is. */
  get stateReason(): string | undefined {
    return this.currentReason;
  }

  get session(): Session | null {
    return this.currentSession;
  }

  /** Known conversations, most recently active first. */
  get conversations(): Conversation[] {
    return [...this.conversationCache.values()].sort((a, b) => b.lastSeq - a.lastSeq || b.createdAt.localeCompare(a.createdAt));
  }

  /** Messages of a conversation this client has seen, in seq order. */
  messages(conversationId: string): Message[] {
    return [...(this.messageCache.get(conversationId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** Sends not yet acknowledged (pending) or refused (failed), oldest first. */
  pending(conversationId?: string): OutboxEntry[] {
    return this.outboxEntries.filter((entry) => conversationId === undefined || entry.conversationId === conversationId);
  }

  /** Resolves with the session once online; rejects if the bridge refused the connection. */
  ready(): Promise<Session> {
    if (this.currentState === 'online' && this.currentSession) return Promise.resolve(this.currentSession);
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  connect(): void {
    this.fatal = null;
    if (this.socket.connected || this.socket.active) return;
    this.setState('connecting');
    this.socket.connect();
  }

  /** Closes the connection; the outbox and cursors stay for the next connect(). */
  disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.socket.disconnect();
    this.setState('offline', 'closed by the app');
  }

  /** Forgets this visitor on this device: token, cursors and outbox. */
  forget(): void {
    this.persisted.clear();
    this.explicitToken = undefined;
    this.resetLocalState('forgotten by the app');
  }

  /** Drops cursors, caches and the outbox; sends still waiting are rejected, not left hanging. */
  private resetLocalState(why: string): void {
    this.cursors = {};
    this.held.clear();
    this.messageCache.clear();
    this.conversationCache.clear();
    this.outboxEntries = [];
    for (const waiter of this.waiters.values()) waiter.reject(new SwitchboardError({ code: 'unauthorized', message: why }));
    this.waiters.clear();
    this.emit('outbox', []);
  }

  private authPayload(): Record<string, unknown> {
    const { siteKey, identity, apiKey } = this.options;
    if (apiKey) return { apiKey };
    if (identity) return { siteKey, identity };
    const token = this.explicitToken ?? this.persisted.token;
    return token ? { siteKey, token } : { siteKey };
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (this.currentState === state && this.currentReason === reason) return;
    this.currentState = state;
    this.currentReason = reason;
    this.emit('state', state, reason);
  }

  // --- socket events --------------------------------------------------------------------------

  private wire(): void {
    const socket = this.socket;
    socket.on('connect_error', (error) => {
      const data = (error as Error & { data?: ErrorBody }).data;
      if (data && isErrorCode(data.code)) {
        // A stored visitor token that expired or belongs elsewhere: start as a new visitor.
        if (data.code === 'unauthorized' && data.message.startsWith('token:') && !this.explicitToken && this.persisted.token) {
          this.persisted.clear();
          this.resetLocalState(`the stored visitor token was refused (${data.message}); starting as a new visitor`);
          socket.connect();
          return;
        }
        const refused = new SwitchboardError(data);
        if (!socket.active && refused.retryable) {
          // The bridge is draining or overloaded: try again later, as for a network error.
          this.setState('connecting', refused.message);
          this.retryLater();
          return;
        }
        if (!socket.active) {
          // Refused by the bridge (not a network problem): socket.io will not retry.
          this.fatal = refused;
          for (const waiter of this.readyWaiters.splice(0)) waiter.reject(refused);
          this.setState('offline', refused.message);
          this.emit('error', refused);
          return;
        }
      }
      this.setState('connecting', error.message);
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') {
        // The bridge closed this connection (socket.io does not retry then): come back later.
        this.setState('connecting', reason);
        this.retryLater();
        return;
      }
      this.setState(socket.active ? 'connecting' : 'offline', reason);
    });
    socket.on('session', (session) => {
      this.refusals = 0;
      this.currentSession = session;
      if (!this.options.identity && !this.options.apiKey && session.token) {
        this.persisted.token = session.token;
        if (this.explicitToken) this.explicitToken = session.token;
      }
      this.setState('online');
      this.emit('session', session);
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(session);
      this.background(this.afterConnect());
    });
    socket.on('message', (message, received) => {
      this.accept(message);
      if (typeof received === 'function') received();
    });
    socket.on('message:status', (status) => {
      const cached = this.messageCache.get(status.conversationId);
      for (const message of cached?.values() ?? []) if (message.id === status.id) message.status = status.status;
      this.emit('message:status', status);
    });
    socket.on('typing', (event) => this.emit('typing', event));
    socket.on('presence', (presence) => this.emit('presence', presence));
    socket.on('team:availability', (availability) => this.emit('team:availability', availability));
    socket.on('conversation', (conversation) => {
      this.touchedAt.set(conversation.id, ++this.events);
      const known = this.conversationCache.has(conversation.id);
      this.rememberConversation(conversation);
      this.emit('conversation', conversation);
      // Newly part of a conversation (assigned, or opened elsewhere): catch up on what was said.
      const self = this.currentSession?.self;
      if (!known && self && conversation.participants.includes(self) && conversation.lastSeq > (this.cursors[conversation.id] ?? 0)) {
        this.background(this.syncConversations([conversation.id]));
      }
    });
  }

  /** Work the app did not ask for: failures resurface on the next reconnect, never as unhandled rejections. */
  private background(work: Promise<unknown>): void {
    work.catch(() => undefined);
  }

  /** Reconnects after a backoff, when socket.io itself would not. */
  private retryLater(): void {
    const wait = Math.min(30_000, 500 * 2 ** this.refusals++) * (0.5 + Math.random() / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.socket.connect();
    }, wait);
  }

  private async afterConnect(): Promise<void> {
    try {
      const askedAt = this.events + 1;
      const list = await this.request('conversation:list', {});
      this.rememberListed(list.conversations, askedAt);
      const self = this.currentSession?.self;
      const mine = list.conversations.filter((c) => self && c.participants.includes(self)).map((c) => c.id);
      await this.syncConversations([...new Set([...mine, ...Object.keys(this.cursors)])]);
      if (this.watchedAddresses.size > 0 || this.watchedTeams.size > 0) await this.resubscribe();
    } catch (error) {
      if (error instanceof SwitchboardError && this.currentState === 'online') this.emit('error', error);
    }
    this.background(this.flush());
  }

  private async syncConversations(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const cursors: Record<string, number> = {};
    for (const id of ids) cursors[id] = this.cursors[id] ?? 0;
    await this.request('sync', { cursors });
  }

  private async resubscribe(): Promise<void> {
    const addresses = [...this.watchedAddresses];
    const teams = [...this.watchedTeams];
    if (addresses.length > 0) {
      const result = await this.request('presence:subscribe', { addresses });
      for (const presence of result.presences) this.emit('presence', presence);
    }
    for (const team of teams) {
      const result = await this.request('presence:subscribe', { team });
      if (result.available !== undefined) this.emit('team:availability', { team, available: result.available, online: result.online ?? 0 });
    }
  }

  /**
   * Records a listed conversation unless an event changed it after the list was asked for (the
   * event is newer than the list's snapshot).
   */
  private rememberListed(conversations: Conversation[], askedAt: number): void {
    for (const conversation of conversations) {
      if ((this.touchedAt.get(conversation.id) ?? -1) >= askedAt) continue;
      this.rememberConversation(conversation);
    }
  }

  private rememberConversation(conversation: Conversation): void {
    const before = this.conversationCache.get(conversation.id);
    if (before && before.lastSeq > conversation.lastSeq) conversation = { ...conversation, lastSeq: before.lastSeq };
    this.conversationCache.set(conversation.id, conversation);
  }

  /**
   * Records a message and emits it when it is new, in seq order per conversation: a message past a
   * gap is held until the gap is filled from history, so the app never sees seq 5 before seq 4.
   */
  private accept(message: Message): boolean {
    const { conversationId, seq } = message;
    let cache = this.messageCache.get(conversationId);
    if (!cache) this.messageCache.set(conversationId, (cache = new Map()));
    const cursor = this.cursors[conversationId] ?? 0;
    if (seq <= cursor) {
      const known = cache.get(seq);
      if (known && message.status && known.status !== message.status) known.status = message.status;
      return false;
    }
    let held = this.held.get(conversationId);
    if (!held) this.held.set(conversationId, (held = new Map()));
    if (held.has(seq)) return false;
    held.set(seq, message);
    let next = cursor;
    const ready: Message[] = [];
    for (let m = held.get(next + 1); m; m = held.get(next + 1)) {
      next++;
      held.delete(next);
      cache.set(next, m);
      ready.push(m);
    }
    if (cache.size > MAX_CACHED_PER_CONVERSATION) for (const old of [...cache.keys()].sort((a, b) => a - b).slice(0, cache.size - MAX_CACHED_PER_CONVERSATION)) cache.delete(old);
    if (next !== cursor) {
      this.cursors[conversationId] = next;
      this.persistCursors();
      const conversation = this.conversationCache.get(conversationId);
      if (conversation && conversation.lastSeq < next) this.conversationCache.set(conversationId, { ...conversation, lastSeq: next });
    }
    for (const m of ready) this.emit('message', m);
    if (held.size > 0) this.background(this.fillGap(conversationId));
    return ready.length > 0;
  }

  private persistScheduled = false;
  private persistCursors(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    queueMicrotask(() => {
      this.persistScheduled = false;
      this.persisted.cursors = this.cursors;
    });
  }

  private async fillGap(conversationId: string): Promise<void> {
    if (this.filling.has(conversationId)) return;
    this.filling.add(conversationId);
    try {
      for (;;) {
        const after = this.cursors[conversationId] ?? 0;
        const page = await this.request('history:get', { conversationId, afterSeq: after, limit: HISTORY_PAGE });
        for (const message of page.messages) this.accept(message);
        if (!page.hasMore || (this.cursors[conversationId] ?? 0) === after) break;
      }
    } catch {
      // Filled on the next sync.
    } finally {
      this.filling.delete(conversationId);
    }
  }

  // --- requests -------------------------------------------------------------------------------

  /** Sends one event and resolves with its successful ack, or rejects with the bridge's error. */
  async request<E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>): Promise<Success<E>> {
    if (this.currentState !== 'online') {
      if (!this.socket.active && this.retryTimer === undefined) throw new SwitchboardError(this.fatal?.toJSON() ?? { code: 'unavailable', message: 'Not connected; call connect() first' });
      await withTimeout(this.ready(), this.ackTimeoutMs, () => new SwitchboardError({ code: 'unavailable', message: `Not connected to the bridge within ${this.ackTimeoutMs} ms` }));
    }
    let response: Ack;
    try {
      response = (await (this.socket.timeout(this.ackTimeoutMs).emitWithAck as (e: string, p: unknown) => Promise<Ack>)(event, payload)) as Ack;
    } catch {
      throw new SwitchboardError({ code: 'unavailable', message: `No answer from the bridge to ${event} within ${this.ackTimeoutMs} ms` });
    }
    if (!response.ok) throw new SwitchboardError(response.error);
    return response as Success<E>;
  }

  async openConversation(target: { team: string } | { to: Address }): Promise<Conversation> {
    const { conversation } = await this.request('conversation:open', target);
    const known = this.conversationCache.has(conversation.id);
    this.rememberConversation(conversation);
    if (!known && conversation.lastSeq > (this.cursors[conversation.id] ?? 0)) this.background(this.syncConversations([conversation.id]));
    return conversation;
  }

  async listConversations(filter: { state?: 'open' | 'closed'; limit?: number } = {}): Promise<Conversation[]> {
    const askedAt = this.events + 1;
    const { conversations } = await this.request('conversation:list', filter);
    this.rememberListed(conversations, askedAt);
    return conversations.map((conversation) => this.conversationCache.get(conversation.id) ?? conversation);
  }

  async closeConversation(conversationId: string): Promise<Conversation> {
    const { conversation } = await this.request('conversation:close', { conversationId });
    this.rememberConversation(conversation);
    return conversation;
  }

  async history(conversationId: string, page: { afterSeq?: number; beforeSeq?: number; limit?: number } = {}): Promise<{ messages: Message[]; hasMore: boolean }> {
    const result = await this.request('history:get', { conversationId, ...page });
    const cache = this.messageCache.get(conversationId) ?? new Map<number, Message>();
    this.messageCache.set(conversationId, cache);
    for (const message of result.messages) if (!cache.has(message.seq)) cache.set(message.seq, message);
    return { messages: result.messages, hasMore: result.hasMore };
  }

  /** Tells the other party you are (or stopped) typing. Best effort: dropped while offline. */
  typing(conversationId: string, state: TypingState): void {
    if (this.currentState !== 'online') return;
    this.socket.emit('typing', { conversationId, state }, () => undefined);
  }

  async markRead(conversationId: string, seq: number): Promise<void> {
    await this.request('read', { conversationId, seq });
  }

  /** Watches addresses' presence and teams' availability, now and after every reconnect. */
  async subscribePresence(target: { addresses?: Address[]; team?: string }): Promise<{ presences: Presence[]; available?: boolean; online?: number }> {
    for (const address of target.addresses ?? []) this.watchedAddresses.add(address);
    if (target.team !== undefined) this.watchedTeams.add(target.team);
    const { presences, available, online } = await this.request('presence:subscribe', target);
    return { presences, ...(available !== undefined ? { available } : {}), ...(online !== undefined ? { online } : {}) };
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
    this.rememberConversation(conversation);
    return conversation;
  }

  /** Runs a desk command as an agent (`/list`, `/claim ID`, `/transfer ID bob`, ...); resolves with the answer. */
  async command(text: string): Promise<string> {
    return (await this.request('agent:command', { text })).answer;
  }

  // --- sending --------------------------------------------------------------------------------

  /**
   * Queues a message and resolves once the bridge stored it (the ack, with its `seq`). While
   * offline the message waits in the outbox (kept across reloads where storage exists) and is
   * sent, in order, after reconnecting. A refused message stays in the outbox as `failed` until
   * `retry()` or `discard()`.
   */
  send(conversationId: string, text: string): Promise<Message> {
    const entry: OutboxEntry = { clientId: newClientId(), conversationId, text, createdAt: new Date().toISOString(), state: 'pending' };
    const promise = new Promise<Message>((resolve, reject) => this.waiters.set(entry.clientId, { resolve, reject }));
    this.outboxEntries.push(entry);
    this.saveOutbox();
    this.background(this.flush());
    return promise;
  }

  /** Sends a failed message again (same clientId, so it can never be stored twice). */
  retry(clientId: string): Promise<Message> {
    const entry = this.outboxEntries.find((e) => e.clientId === clientId);
    if (!entry) return Promise.reject(new SwitchboardError({ code: 'not_found', message: `no queued message with clientId ${clientId}` }));
    entry.state = 'pending';
    delete entry.error;
    const promise = new Promise<Message>((resolve, reject) => this.waiters.set(clientId, { resolve, reject }));
    this.saveOutbox();
    this.background(this.flush());
    return promise;
  }

  /** Drops a queued or failed message. */
  discard(clientId: string): void {
    this.outboxEntries = this.outboxEntries.filter((e) => e.clientId !== clientId);
    this.waiters.get(clientId)?.reject(new SwitchboardError({ code: 'bad_request', message: 'discarded by the app' }));
    this.waiters.delete(clientId);
    this.saveOutbox();
  }

  private saveOutbox(): void {
    this.persisted.outbox = this.outboxEntries;
    this.emit('outbox', [...this.outboxEntries]);
  }

  /** Sends pending entries one at a time, in order, while online. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    let attempt = 0;
    try {
      while (this.currentState === 'online') {
        const entry = this.outboxEntries.find((e) => e.state === 'pending');
        if (!entry) break;
        let response: Ack<{ message: Message }>;
        try {
          response = await (this.socket.timeout(this.ackTimeoutMs).emitWithAck as (e: string, p: unknown) => Promise<Ack<{ message: Message }>>)(
            'message:send',
            { conversationId: entry.conversationId, clientId: entry.clientId, text: entry.text },
          );
        } catch {
          // No ack (connection dropped or the bridge is slow): the same clientId is resent later.
          if (this.currentState !== 'online') break;
          await delay(Math.min(10_000, 500 * 2 ** attempt++));
          continue;
        }
        if (response.ok) {
          attempt = 0;
          this.outboxEntries = this.outboxEntries.filter((e) => e.clientId !== entry.clientId);
          this.saveOutbox();
          this.accept(response.message);
          this.waiters.get(entry.clientId)?.resolve(response.message);
          this.waiters.delete(entry.clientId);
        } else if (RETRYABLE_CODES.has(response.error.code)) {
          await delay(Math.min(10_000, 500 * 2 ** attempt++));
        } else {
          entry.state = 'failed';
          entry.error = response.error;
          this.saveOutbox();
          this.waiters.get(entry.clientId)?.reject(new SwitchboardError(response.error));
          this.waiters.delete(entry.clientId);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates a client and (unless `autoConnect: false`) connects it. */
export function createClient(options: ClientOptions): SwitchboardClient {
  return new SwitchboardClient(options);
}
