/**
 * Connects a host element to the SDK: subscribes to the client's events in hostConnected and
 * unsubscribes in hostDisconnected, keeps the one conversation the widget shows, and asks the host
 * to re-render on every change. All networking stays in the SDK.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  type Address,
  type Attachment,
  type ClientOptions,
  type ConnectionState,
  type Continuation,
  type ContinuationOffer,
  type ErrorBody,
  type Conversation,
  type Message,
  type MessageStatusEvent,
  type OutboxEntry,
  type Session,
  type SwitchboardClient,
  type SwitchboardError,
  type TeamAvailability,
  type TypingEvent,
  createClient,
  saysNothing,
} from '@switchboard/sdk';
import { type KeptCopy, forgetKeptCopies, readKeptCopy, writeKeptCopy } from './kept-copy.js';
import { readSiteRecord, siteRecordKey, writeSiteRecord } from './site-records.js';

export interface ChatHost extends ReactiveControllerHost, HTMLElement {
  /** Whether the panel is open and the page visible (new messages are read at once). */
  readonly reading: boolean;
  /** A message from someone else arrived (for sound, title and live announcements). */
  onIncoming(message: Message): void;
  onSession(session: Session): void;
  onError(error: SwitchboardError): void;
  /** The shown conversation's continuation on another network changed (from this page or not). */
  onContinuation(continuation: Continuation): void;
  /** The shown conversation's place in its team's queue changed (0: an agent took it). */
  onQueuePosition(position: number): void;
}

/**
 * The conversation a visitor had before signing in on this page (`identify()` mid-chat): its
 * messages as they were shown stay while the signed-in session connects, until the conversation
 * shows again as the user's (the bridge makes the user a party to it). Should it not (a bridge that
 * could not), they stay above the user's own conversation: nothing said looks lost.
 */
export interface CarriedConversation {
  readonly conversationId: string;
  /** The visitor's address before signing in: their own messages in it. */
  readonly self: Address;
  readonly messages: readonly Message[];
}

/** Conversations whose read position the widget keeps on the device. */
const READ_KEPT = 20;

/** An anonymous visitor's addresses (docs/protocol.md, "Addresses"). */
const ANONYMOUS_PREFIX = 'web:v_';
/** How long a typing indicator stays without a new `composing`. */
const TYPING_TIMEOUT_MS = 6000;
const HISTORY_PAGE = 50;

/**
 * Whether another's message is one more for the visitor to read (an unread count, a sound, an
 * announcement, `switchboard-message`): not a retraction or a message taken back (it says nothing),
 * not a correction (it stands in its original's place), and not one the visitor read already on
 * another device (a signed-in visitor's history, caught up on a new one: its status says `read`).
 */
function isToRead(message: Message): boolean {
  return !saysNothing(message) && message.corrects === undefined && message.status !== 'read';
}

export class ChatController implements ReactiveController {
  client: SwitchboardClient | null = null;
  state: ConnectionState = 'offline';
  stateReason: string | undefined;
  session: Session | null = null;
  conversation: Conversation | null = null;
  availability: TeamAvailability | null = null;
  /** The bridge has no such team (`not_found` to watching it): the chat does not say it is online. */
  teamUnknown = false;
  othersTyping = false;
  unread = 0;
  /** Why the bridge refused this page for good (socket.io does not retry), until it connects again. */
  refusal: SwitchboardError | null = null;
  /** The shown conversation was closed already when this page found it (a returning visitor's). */
  restoredClosed = false;
  /** An agent's latest invitation to continue on a network, until taken up or dismissed. */
  offer: ContinuationOffer | null = null;
  /** Shown before the conversation once the visitor signed in mid-chat, until a conversation of theirs from before is found. */
  carried: CarriedConversation | null = null;
  /**
   * The conversation as this tab kept it (kept-copy.ts), shown after a reload until the bridge
   * answers: the visitor sees what was said, and what they write waits in it, while the bridge is
   * out of reach.
   */
  private kept: KeptCopy | null = null;
  /** The messages and conversation last kept (written again only when they change). */
  private keptFrom: { messages: readonly Message[]; conversation: Conversation } | undefined;
  /** Messages shown from the kept copy: the bridge's history replaces them (their statuses moved on), or they go. */
  private readonly fromKept = new Set<string>();
  /** The bridge said nothing comes before the earliest message shown (so no "earlier" to load). */
  private reachedStart = false;
  /** An earlier page being loaded, while it is. */
  private loadingEarlier: Promise<void> | undefined;
  /** Messages of the shown conversation, by id. */
  private readonly byId = new ShownMessages();
  /** Why a stored message of the visitor's failed, as this page was told (`message:status`), by id. */
  private readonly failures = new Map<string, ErrorBody>();
  /** The visitor's failed messages sent again from this page, by id: each is offered once. */
  private readonly resent = new Set<string>();
  /** The names of those who write to the visitor (the site's agents, its teams), once asked; null: none. */
  private readonly names = new Map<Address, string | null>();
  /** Names being asked of the bridge. */
  private readonly asking = new Map<Address, Promise<void>>();
  private unsubscribe: (() => void)[] = [];
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private options: ClientOptions | null = null;
  private fresh = false;
  /** The team conversation being opened, while it is. */
  private opening: Promise<Conversation> | undefined;

  constructor(
    private readonly host: ChatHost,
    private readonly team: () => string,
  ) {
    host.addController(this);
  }

  /** Messages of the shown conversation in seq order (the same list until they change: not to be modified). */
  get messages(): readonly Message[] {
    return this.byId.inOrder();
  }

  /**
   * The name of someone who writes to the visitor, as the bridge gives it (an agent's, a team's);
   * undefined until it answered, or when it knows none. The first call asks it.
   */
  nameOf(address: Address): string | undefined {
    const client = this.client;
    if (!this.names.has(address) && client) {
      this.names.set(address, null);
      const asked = client.getParty(address).then(
        (party) => {
          if (party.name === undefined || client !== this.client) return;
          this.names.set(address, party.name);
          this.host.requestUpdate();
        },
        // Asked again at a later render, unless the bridge says it shows no one there.
        (error: unknown) => {
          if ((error as { code?: string }).code !== 'not_found') this.names.delete(address);
        },
      );
      this.asking.set(address, asked);
      void asked.finally(() => this.asking.delete(address));
    }
    return this.names.get(address) ?? undefined;
  }

  /** `nameOf`, once the bridge answered (waiting `withinMs` at most): for words said once, such as an announcement. */
  async nameSoon(address: Address, withinMs: number): Promise<string | undefined> {
    const known = this.nameOf(address);
    const asking = this.asking.get(address);
    if (known !== undefined || !asking) return known;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([asking, new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
    return this.names.get(address) ?? undefined;
  }

  /** Messages before the earliest shown one exist (a long conversation shows its latest page first). */
  get hasEarlier(): boolean {
    const first = this.messages[0];
    // Not from the kept copy: the bridge's latest page replaces it first.
    return !this.kept && !this.reachedStart && first !== undefined && first.seq > 1;
  }

  /** The conversation shown is the copy this tab kept, the bridge not answered yet. */
  get showingKept(): boolean {
    return this.kept !== null;
  }

  /** Loads the page of messages before the earliest shown one (one load at a time). */
  loadEarlier(): Promise<void> {
    this.loadingEarlier ??= this.fetchEarlier().finally(() => (this.loadingEarlier = undefined));
    return this.loadingEarlier;
  }

  private async fetchEarlier(): Promise<void> {
    const client = this.client;
    const conversation = this.conversation;
    const first = this.messages[0];
    if (!client || !conversation || !first) return;
    const { messages, hasMore } = await client.history(conversation.id, { beforeSeq: first.seq, limit: HISTORY_PAGE });
    if (this.conversation?.id !== conversation.id) return;
    for (const message of messages) if (!this.byId.has(message.id)) this.byId.set(message.id, message);
    if (!hasMore) this.reachedStart = true;
    this.host.requestUpdate();
  }

  /** The shown conversation's place in its team's queue while it waits for an agent (1: next). */
  get queuePosition(): number | null {
    const conversation = this.conversation;
    if (!conversation || conversation.state !== 'open' || conversation.assignee !== undefined) return null;
    return this.client?.queuePosition(conversation.id)?.position ?? null;
  }

  /** The shown conversation's continuation on another network, as last known. */
  get continuation(): Continuation | null {
    return (this.conversation && this.client?.continuation(this.conversation.id)) || null;
  }

  /**
   * Sends not yet acknowledged, or refused, for the shown conversation; before one is known (a
   * reload while the bridge cannot be reached), for the conversation the visitor's queued sends are for.
   */
  get pending(): OutboxEntry[] {
    const conversationId = this.conversation?.id ?? this.queuedFor;
    if (!this.client || conversationId === undefined) return [];
    return this.client.pending(conversationId);
  }

  /** Whether a message can wait in the outbox for the connection: there is a conversation to put it in. */
  get canQueue(): boolean {
    return this.conversation !== null || this.queuedFor !== undefined;
  }

  /**
   * The conversation of the visitor's last send still waiting, while none is shown (the device kept
   * the send across a reload, and the bridge has not said yet which conversations are the
   * visitor's): what the visitor writes next goes after it, into the same conversation.
   */
  private get queuedFor(): string | undefined {
    if (this.conversation || !this.client) return undefined;
    // The team's conversation this device showed last: another team's widget on the site keeps its own.
    const shown = this.shownConversations()[this.team()];
    return shown !== undefined && this.client.pending(shown).some((entry) => entry.state === 'pending') ? shown : undefined;
  }

  /** The conversation each team's widget showed last on this device, by team. */
  private shownConversations(): Record<string, string> {
    return readSiteRecord<string>(this.options?.siteKey, 'shown');
  }

  private rememberShown(conversation: Conversation): void {
    const shown = this.shownConversations();
    if (conversation.team !== this.team() || shown[this.team()] === conversation.id) return;
    // Quota or privacy mode: a reload while the bridge is out of reach shows no kept send.
    writeSiteRecord(this.options?.siteKey, 'shown', { ...shown, [this.team()]: conversation.id });
  }

  /**
   * (Re)creates the client; the previous one is closed. `fresh` forgets what the new client kept
   * on this device (token, cursors, outbox) before it connects: a new visitor.
   */
  configure(options: ClientOptions | null, { fresh = false } = {}): void {
    this.carried = this.carryOver(options, fresh);
    this.detach();
    this.client?.disconnect();
    this.client = null;
    this.options = options;
    this.fresh = fresh;
    // A new visitor on this page: what this tab kept of the last one's chats goes.
    if (fresh) forgetKeptCopies(options?.siteKey);
    this.kept = null;
    this.fromKept.clear();
    this.byId.clear();
    this.names.clear();
    this.reachedStart = false;
    this.conversation = null;
    this.restoredClosed = false;
    this.session = null;
    this.refusal = null;
    this.offer = null;
    this.unread = 0;
    if (options && this.host.isConnected) this.attach();
    this.host.requestUpdate();
  }

  /**
   * What stays shown when the client is made again: the conversation shown, when the visitor signs
   * in (or switches user) on the same site; nothing for a new visitor (`fresh`) or another site.
   */
  private carryOver(options: ClientOptions | null, fresh: boolean): CarriedConversation | null {
    const previous = this.options;
    if (fresh || !options || !previous || options.url !== previous.url || options.siteKey !== previous.siteKey) return null;
    const self = this.session?.self;
    // Signed in again before the last sign-in connected: what was carried then still is.
    if (!self || !this.conversation || this.messages.length === 0) return this.carried;
    if (options.identity?.userId === previous.identity?.userId || this.conversation.team !== this.team()) return null;
    return { conversationId: this.conversation.id, self, messages: this.messages };
  }

  /**
   * What was carried from before signing in, while it is not the conversation shown: the bridge
   * makes the user a party to it, so once shown as theirs it holds those messages itself.
   */
  get carriedShown(): CarriedConversation | null {
    return this.carried && this.carried.conversationId !== this.conversation?.id ? this.carried : null;
  }

  hostConnected(): void {
    window.addEventListener('storage', this.onStorage);
    if (this.options && !this.client) this.attach();
    else if (this.client) {
      this.subscribe(this.client);
      this.client.connect();
    }
  }

  hostDisconnected(): void {
    window.removeEventListener('storage', this.onStorage);
    this.detach();
    this.client?.disconnect();
  }

  /** The site's chat in another tab read the conversation (its read positions, kept on the device): this tab's count follows. */
  private readonly onStorage = (event: StorageEvent): void => {
    if (event.key === null || event.key !== siteRecordKey(this.options?.siteKey, 'read') || this.host.reading) return;
    this.recount();
    this.host.requestUpdate();
  };

  private attach(): void {
    this.client = createClient({ ...this.options!, autoConnect: false });
    if (this.fresh) this.client.forget();
    this.fresh = false;
    if (!this.conversation) this.showKept();
    this.subscribe(this.client);
    this.client.connect();
  }

  /** The conversation as this tab kept it, for the same user: shown until the bridge answers (restore). */
  private showKept(): void {
    const copy = readKeptCopy(this.options?.siteKey, this.team());
    // Only for the party this device's token is for: another visitor on this tab sees none of it.
    if (!copy || copy.conversation.team !== this.team() || copy.userId !== this.options?.identity?.userId || copy.self !== this.client?.keptSelf) return;
    this.kept = copy;
    this.conversation = copy.conversation;
    for (const message of copy.messages) {
      this.byId.set(message.id, message);
      this.fromKept.add(message.id);
    }
  }

  /** After each render: the conversation shown, kept for this tab as it is now (when it changed). */
  hostUpdated(): void {
    const { conversation, session } = this;
    if (!conversation || !session || this.kept || conversation.team !== this.team()) return;
    const messages = this.messages;
    if (this.keptFrom?.messages === messages && this.keptFrom.conversation === conversation) return;
    this.keptFrom = { messages, conversation };
    const userId = this.options?.identity?.userId;
    writeKeptCopy(this.options?.siteKey, this.team(), {
      conversation,
      messages: messages.slice(-HISTORY_PAGE),
      self: session.self,
      ...(userId !== undefined ? { userId } : {}),
    });
  }

  private detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    clearTimeout(this.typingTimer);
  }

  private subscribe(client: SwitchboardClient): void {
    const update = () => this.host.requestUpdate();
    this.state = client.state;
    this.unsubscribe.push(
      client.on('state', (state, reason) => {
        this.state = state;
        if (state === 'connecting') this.refusal = null;
        this.stateReason = reason;
        update();
      }),
      client.on('session', (session) => {
        this.session = session;
        this.refusal = null;
        this.host.onSession(session);
        void this.restore();
        update();
      }),
      client.on('message', (message) => this.onMessage(message)),
      client.on('message:status', (status) => this.onStatus(status)),
      client.on('outbox', update),
      client.on('typing', (event) => this.onTyping(event)),
      client.on('team:availability', (availability) => {
        if (availability.team !== this.team()) return;
        this.availability = availability;
        update();
      }),
      client.on('conversation', (conversation) => {
        if (conversation.id === this.conversation?.id) {
          this.conversation = conversation;
          // Reopened: if it closes again, it closes under the visitor's eyes.
          if (conversation.state === 'open') this.restoredClosed = false;
        } else if (conversation.team === this.team() && conversation.state === 'open' && this.replaces(conversation))
          this.show(conversation).catch((error: unknown) => this.host.onError(error as SwitchboardError));
        update();
      }),
      client.on('continuation', (continuation) => {
        if (continuation.conversationId === this.conversation?.id) this.host.onContinuation(continuation);
        update();
      }),
      client.on('queue:position', (position) => {
        if (position.conversationId !== this.conversation?.id) return;
        this.host.onQueuePosition(position.position);
        update();
      }),
      client.on('continuation:offer', (offer) => {
        this.offer = offer;
        update();
      }),
      client.on('error', (error) => {
        if (client.state === 'offline') this.refusal = error;
        this.host.onError(error);
        update();
      }),
    );
  }

  /**
   * After (re)connecting: team availability, and the visitor's conversation with the team with its
   * history: the latest open one, else the latest closed one (its closed notice and rating stay
   * across reloads, and the next message goes into it, as the team's reopening rule says).
   */
  private async restore(): Promise<void> {
    const client = this.client;
    if (!client) return;
    // The bridge answers: its conversation and history take the kept copy's place. The copy stands
    // (a new conversation of the team replaces it) until they did, or failed to.
    const keptConversation = this.kept?.conversation;
    try {
      const watched = await this.watchTeam(client);
      if (watched) this.availability = { team: this.team(), available: watched.available ?? false, online: watched.online ?? 0 };
      if (keptConversation) {
        const latest = await this.latestConversation(client);
        // One the bridge's events replaced meanwhile (the visitor wrote in it, and it reopened) stands, with its history.
        if (this.conversation !== keptConversation) await this.loadHistory();
        else if (latest) {
          await this.show(latest);
          this.carried = null;
          this.restoredClosed = latest.state === 'closed';
        } else {
          this.conversation = null;
          this.byId.clear();
          this.fromKept.clear();
        }
      } else if (!this.conversation) {
        const latest = await this.latestConversation(client);
        // A conversation shown meanwhile (a message replayed as the client caught up, or one the
        // visitor just opened) gets its history; one being opened for the visitor's message (the
        // latest found, maybe) shows once opened; else the latest found is shown.
        if (this.conversation) await this.loadHistory();
        else if (latest && !this.opening) {
          await this.show(latest);
          // The signed-in visitor's own conversation: what was carried from before signing in gives way to it.
          this.carried = null;
          this.restoredClosed = latest.state === 'closed';
        }
      } else {
        await this.loadHistory();
      }
    } catch (error) {
      this.host.onError(error as SwitchboardError);
    } finally {
      if (keptConversation) this.kept = null;
    }
    this.host.requestUpdate();
  }

  /** The visitor's latest open conversation with the team, else their latest closed one. */
  private async latestConversation(client: SwitchboardClient): Promise<Conversation | undefined> {
    const latestOf = (conversations: Conversation[]) =>
      conversations.filter((c) => c.team === this.team()).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    return latestOf(await client.listConversations({ state: 'open' })) ?? latestOf(await client.listConversations({ state: 'closed' }));
  }

  /**
   * The team's availability, watched; null for a team the bridge does not have: the page hears of
   * that once, when the visitor's message finds no conversation to go in (`switchboard-error`), not
   * also at each connection before it.
   */
  private async watchTeam(client: SwitchboardClient): Promise<{ available?: boolean; online?: number } | null> {
    try {
      const watched = await client.subscribePresence({ team: this.team() });
      this.teamUnknown = false;
      return watched;
    } catch (error) {
      if ((error as { code?: string }).code !== 'not_found') throw error;
      this.teamUnknown = true;
      return null;
    }
  }

  /** A new open conversation of the team takes the place of none, of the copy this tab kept (its state may be stale), or of a closed one. */
  private replaces(conversation: Conversation): boolean {
    return (
      !this.conversation ||
      (this.kept !== null && conversation.id !== this.conversation.id) ||
      (this.conversation.state === 'closed' && conversation.createdAt >= this.conversation.createdAt)
    );
  }

  private async show(conversation: Conversation): Promise<void> {
    if (this.conversation?.id !== conversation.id) {
      this.byId.clear();
      this.fromKept.clear();
      this.reachedStart = false;
      this.restoredClosed = false;
    }
    this.conversation = conversation;
    this.rememberShown(conversation);
    this.takeInCarried();
    for (const message of this.client?.messages(conversation.id) ?? []) this.byId.set(message.id, message);
    await this.loadHistory();
  }

  /**
   * The conversation carried from before signing in, now shown as the user's: its messages as they
   * were shown stand until the bridge's copies (the same ids) replace them, so none disappears while
   * the user's history of it loads.
   */
  private takeInCarried(): void {
    const carried = this.carried;
    if (!carried || carried.conversationId !== this.conversation?.id) return;
    for (const message of carried.messages) if (!this.byId.has(message.id)) this.byId.set(message.id, message);
  }

  private async loadHistory(): Promise<void> {
    if (!this.client || !this.conversation) return;
    const { id } = this.conversation;
    const { messages, hasMore } = await this.client.history(id, { limit: HISTORY_PAGE });
    if (this.conversation?.id !== id) return;
    for (const message of messages) if (!this.byId.has(message.id) || this.fromKept.has(message.id)) this.byId.set(message.id, message);
    // What the kept copy showed and the bridge no longer has in its latest page (erased, or older) goes.
    const fetched = new Set(messages.map((message) => message.id));
    for (const id of this.fromKept) if (!fetched.has(id)) this.byId.delete(id);
    this.fromKept.clear();
    // The latest page reaches the start: nothing earlier, whatever seq it begins at (an erased message).
    if (!hasMore) this.reachedStart = true;
    this.markRead();
    this.host.requestUpdate();
  }

  private onMessage(message: Message): void {
    if (!this.conversation) {
      const known = this.client?.conversations.find((c) => c.id === message.conversationId);
      if (known?.team !== this.team()) return;
      this.conversation = known;
      this.takeInCarried();
    }
    if (message.conversationId !== this.conversation.id) return;
    const isNew = !this.byId.has(message.id);
    this.byId.set(message.id, message);
    // Who writes has read what came before: the count after a reload starts past it.
    if (isNew && this.isOwn(message.from)) this.rememberRead(message.conversationId, message.seq);
    if (isNew && !this.isOwn(message.from)) {
      this.othersTyping = false;
      if (this.host.reading) this.markRead();
      else this.recount();
      if (isToRead(message)) this.host.onIncoming(message);
    }
    this.host.requestUpdate();
  }

  private onStatus(status: MessageStatusEvent): void {
    const message = this.byId.get(status.id);
    if (!message) return;
    this.byId.set(status.id, { ...message, status: status.status });
    if (status.status === 'failed' && status.error) this.failures.set(status.id, status.error);
    this.host.requestUpdate();
  }

  /** Why the visitor's stored message failed, when this page was told. */
  failureOf(id: string): ErrorBody | undefined {
    return this.failures.get(id);
  }

  /** Whether a failed message of the visitor's can be sent again: not once it was, from this page. */
  canSendAgain(message: Message): boolean {
    return message.status === 'failed' && !saysNothing(message) && !this.resent.has(message.id);
  }

  /**
   * Sends a failed message's text and files again, as a new message (the failed one stays in the
   * history as it was; its files are uploaded again, a file going with one message only): the
   * recipient's network refused it or gave up, and may take it now.
   */
  async sendAgain(message: Message): Promise<void> {
    if (!this.canSendAgain(message) || !this.client) return;
    this.resent.add(message.id);
    this.host.requestUpdate();
    try {
      const files = message.attachments?.length ? await this.client.uploadAgain(message.conversationId, message.attachments) : [];
      await this.send(message.text, files);
    } catch (error) {
      this.resent.delete(message.id);
      this.host.requestUpdate();
      throw error;
    }
  }

  private onTyping(event: TypingEvent): void {
    if (event.conversationId !== this.conversation?.id || this.isOwn(event.from)) return;
    this.othersTyping = event.state === 'composing';
    clearTimeout(this.typingTimer);
    if (this.othersTyping) {
      this.typingTimer = setTimeout(() => {
        this.othersTyping = false;
        this.host.requestUpdate();
      }, TYPING_TIMEOUT_MS);
    }
    this.host.requestUpdate();
  }

  /**
   * Whether a message (or typing) is the visitor's own: written as themselves or, once signed in, as
   * the anonymous visitor they were before on a device (the bridge makes the user a party to those
   * conversations; no other anonymous visitor is ever a party to a visitor's conversation).
   */
  isOwn(from: Address): boolean {
    // Before a session, the kept copy's party (a visitor's: the widget's).
    if (!this.session) return this.kept !== null && (from === this.kept.self || from.startsWith(ANONYMOUS_PREFIX));
    return from === this.session.self || (this.session.role === 'visitor' && from.startsWith(ANONYMOUS_PREFIX));
  }

  /** Marks everything shown as read (when the visitor can see it); else counts what is unread. */
  markRead(): void {
    const last = this.messages.at(-1);
    if (!last || !this.client || !this.conversation || !this.host.reading) return this.recount();
    this.unread = 0;
    this.rememberRead(this.conversation.id, last.seq);
    if (this.messages.every((m) => this.isOwn(m.from))) return;
    this.client.markRead(this.conversation.id, last.seq).catch(() => undefined);
  }

  /**
   * Others' messages past what the visitor read: kept on the device, so an answer that came while
   * the visitor was on another page (or away) still shows as unread on the next one. Only the
   * latest page is loaded: the seqs between what was read and the earliest message shown count too,
   * so more unread messages than a page holds are not cut to one page.
   */
  private recount(): void {
    const conversation = this.conversation;
    if (!conversation) {
      this.unread = 0;
      return;
    }
    const shown = this.messages;
    let readUpTo = this.readPositions()[conversation.id] ?? 0;
    // The visitor wrote after reading what came before, here or on another device; and what they read elsewhere says `read`.
    for (const message of shown) if (message.seq > readUpTo && (this.isOwn(message.from) || message.status === 'read')) readUpTo = message.seq;
    const first = shown[0];
    const notLoaded = first && !this.reachedStart ? Math.max(0, first.seq - 1 - readUpTo) : 0;
    this.unread = notLoaded + shown.filter((m) => !this.isOwn(m.from) && m.seq > readUpTo && isToRead(m)).length;
  }

  private readPositions(): Record<string, number> {
    // Storage blocked or corrupt: everything counts as read on this page only.
    return readSiteRecord<number>(this.options?.siteKey, 'read');
  }

  private rememberRead(conversationId: string, seq: number): void {
    const positions = this.readPositions();
    // Never back (another tab may have read further); moved last, the most recent are those kept.
    const read = Math.max(seq, positions[conversationId] ?? 0);
    delete positions[conversationId];
    positions[conversationId] = read;
    // Quota or privacy mode: the count is right for this page.
    writeSiteRecord(this.options?.siteKey, 'read', Object.fromEntries(Object.entries(positions).slice(-READ_KEPT)));
  }

  /** Opens the team conversation when there is none yet. */
  async ensureConversation(): Promise<Conversation> {
    if (this.conversation) return this.conversation;
    // Files attached at once (a drop, then a paste) wait for the same opening: one conversation, not one each.
    this.opening ??= this.openConversation().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openConversation(): Promise<Conversation> {
    const conversation = await this.client!.openConversation({ team: this.team() });
    await this.show(conversation);
    return conversation;
  }

  /** Sends text, with files uploaded into the conversation (`text` may then be empty). */
  async send(text: string, attachments: Attachment[] = []): Promise<void> {
    const conversationId = this.queuedFor ?? (await this.ensureConversation()).id;
    const sent = await this.client!.send(conversationId, text, attachments.length > 0 ? { attachments } : {});
    // A team that starts afresh after closing puts the message in a new conversation: follow it.
    if (sent.conversationId !== this.conversation?.id) {
      const next = this.client!.conversations.find((c) => c.id === sent.conversationId);
      if (next) await this.show(next);
      this.host.requestUpdate();
    }
  }

  /** The visitor's rating of the shown conversation, 1 to 5, with their comment if any. */
  async rate(rating: number, comment?: string): Promise<void> {
    if (!this.client || !this.conversation) return;
    this.conversation = await this.client.rateConversation(this.conversation.id, rating, comment);
    this.host.requestUpdate();
  }

  /** Says the visitor's typing in the conversation; false when there is none yet to say it in. */
  typing(state: 'composing' | 'paused'): boolean {
    if (!this.conversation || !this.client) return false;
    this.client.typing(this.conversation.id, state);
    return true;
  }
}

/** The shown conversation's messages by id, listed in seq order: sorted once per change, not at each read. */
class ShownMessages {
  private readonly byId = new Map<string, Message>();
  private sorted: readonly Message[] | undefined;

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Message | undefined {
    return this.byId.get(id);
  }

  set(id: string, message: Message): void {
    this.byId.set(id, message);
    this.sorted = undefined;
  }

  delete(id: string): void {
    if (this.byId.delete(id)) this.sorted = undefined;
  }

  clear(): void {
    this.byId.clear();
    this.sorted = undefined;
  }

  inOrder(): readonly Message[] {
    return (this.sorted ??= [...this.byId.values()].sort((a, b) => a.seq - b.seq));
  }
}
