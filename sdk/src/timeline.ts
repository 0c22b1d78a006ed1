/**
 * What the client knows of its conversations: each conversation, its messages by seq, and the
 * cursor up to which it has seen everything (kept across reloads). Messages come out once each and
 * in seq order per conversation: one that arrives past a gap is held until the gap is filled from
 * history, so an app never sees seq 5 before seq 4.
 */
import { type Conversation, type Message, type MessageStatus, type MessageStatusEvent, isKeptNotice, statusMovesForward } from '@switchboard/protocol';
import type { PersistedState } from './storage.js';

const MAX_CACHED_PER_CONVERSATION = 1000;
/** Statuses kept for messages not known here yet (a status that overtook its send's ack), at most. */
const MAX_EARLY_STATUSES = 500;
const HISTORY_PAGE = 100;

export interface TimelineDeps {
  persisted: PersistedState;
  /** A page of a conversation's messages after `afterSeq`, from the bridge. */
  fetchAfter(conversationId: string, afterSeq: number, limit: number): Promise<{ messages: Message[]; hasMore: boolean }>;
  /** A message new to the client, in order. */
  deliver(message: Message): void;
}

export class Timeline {
  private readonly conversationCache = new Map<string, Conversation>();
  private readonly messageCache = new Map<string, Map<number, Message>>();
  private cursors: Record<string, number>;
  /** Messages received past a gap, waiting for the missing ones. */
  private readonly held = new Map<string, Map<number, Message>>();
  private readonly filling = new Set<string>();
  /** Event counter, and when each conversation last changed through an event. */
  private events = 0;
  private readonly touchedAt = new Map<string, number>();
  private persistScheduled = false;
  /**
   * Statuses of messages not known here yet, by message id: a status can overtake the ack of its
   * own send (the outbox or the reader's node reports it before the storing node answers).
   */
  private readonly early = new Map<string, MessageStatus>();

  constructor(private readonly deps: TimelineDeps) {
    this.cursors = deps.persisted.cursors;
  }

  /** Known conversations, most recently active first. */
  conversations(): Conversation[] {
    return [...this.conversationCache.values()].sort((a, b) => b.lastSeq - a.lastSeq || b.createdAt.localeCompare(a.createdAt));
  }

  conversation(id: string): Conversation | undefined {
    return this.conversationCache.get(id);
  }

  /** Messages of a conversation seen so far, in seq order. */
  messages(conversationId: string): Message[] {
    return [...(this.messageCache.get(conversationId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** The last seq seen without a gap (0: nothing yet). */
  cursor(conversationId: string): number {
    return this.cursors[conversationId] ?? 0;
  }

  /** Conversations with a cursor (seen on this device before). */
  followed(): string[] {
    return Object.keys(this.cursors);
  }

  /** Stops following conversations the bridge says this party cannot see (a `sync`'s `skipped`): their cursors go. */
  unfollow(ids: readonly string[]): void {
    let dropped = false;
    for (const id of ids) if (id in this.cursors) dropped = delete this.cursors[id];
    if (dropped) this.persistCursors();
  }

  /** Whether the bridge has said more of a conversation than the client has seen. */
  behind(conversation: Conversation): boolean {
    return conversation.lastSeq > this.cursor(conversation.id);
  }

  /** A mark taken before asking for a list: events after it are newer than the list. */
  mark(): number {
    return this.events + 1;
  }

  /** A conversation changed through an event; true when it was not known before. */
  changed(conversation: Conversation): boolean {
    this.touchedAt.set(conversation.id, ++this.events);
    const known = this.conversationCache.has(conversation.id);
    this.remember(conversation);
    return !known;
  }

  /** Records listed conversations, unless an event changed one after the list was asked for (`mark`). */
  rememberListed(conversations: Conversation[], askedAt: number): void {
    for (const conversation of conversations) {
      if ((this.touchedAt.get(conversation.id) ?? -1) >= askedAt) continue;
      this.remember(conversation);
    }
  }

  /** Records a conversation; its lastSeq never goes back. Returns true when it was not known before. */
  remember(conversation: Conversation): boolean {
    const before = this.conversationCache.get(conversation.id);
    if (before && before.lastSeq > conversation.lastSeq) conversation = { ...conversation, lastSeq: before.lastSeq };
    this.conversationCache.set(conversation.id, conversation);
    return before === undefined;
  }

  /**
   * Records a message's new status. False for a report that would move a message known here back
   * (statuses only move forward; a late one, from another node of the bridge): it is not told.
   */
  status(status: MessageStatusEvent): boolean {
    if (isKeptNotice(status)) return true;
    const cached = this.messageCache.get(status.conversationId);
    for (const message of cached?.values() ?? []) {
      if (message.id !== status.id) continue;
      if (message.status !== undefined && message.status !== status.status && !statusMovesForward(message.status, status.status)) return false;
      message.status = status.status;
      return true;
    }
    // Not known yet: kept for when it comes (its ack, a sync), the oldest dropped past the bound.
    const before = this.early.get(status.id);
    if (before === undefined || statusMovesForward(before, status.status)) {
      this.early.delete(status.id);
      this.early.set(status.id, status.status);
      if (this.early.size > MAX_EARLY_STATUSES) this.early.delete(this.early.keys().next().value!);
    }
    return true;
  }

  /** A message's status as the latest report says it: one that came first (`early`), or the one known here, never moved back. */
  private settle(message: Message, known?: Message): void {
    const early = this.early.get(message.id);
    if (early !== undefined) {
      this.early.delete(message.id);
      if (message.status === undefined || statusMovesForward(message.status, early)) message.status = early;
    }
    if (known?.status !== undefined && message.status !== undefined && message.status !== known.status && !statusMovesForward(known.status, message.status))
      message.status = known.status;
  }

  /**
   * `from`'s own messages whose status may still move (not read, not failed), with the status
   * known here: the latest `limit` of them, for the bridge to tell what changed meanwhile.
   */
  unsettled(from: string, limit: number): Record<string, MessageStatus> {
    const open: Message[] = [];
    for (const cache of this.messageCache.values())
      for (const message of cache.values())
        if (message.from === from && message.status !== undefined && message.status !== 'read' && message.status !== 'failed') open.push(message);
    open.sort((a, b) => b.sentAt.localeCompare(a.sentAt));
    return Object.fromEntries(open.slice(0, limit).map((message) => [message.id, message.status!]));
  }

  /** Messages a history page returned, kept without being delivered (they may be older than the cursor). */
  keep(conversationId: string, messages: readonly Message[]): void {
    const cache = this.cacheOf(conversationId);
    for (const message of messages) if (!cache.has(message.seq)) cache.set(message.seq, message);
  }

  /** Records a message and delivers it, and any held ones it unblocks, when new. */
  accept(message: Message): boolean {
    const { conversationId, seq } = message;
    const cache = this.cacheOf(conversationId);
    const cursor = this.cursor(conversationId);
    const known = cache.get(seq);
    this.settle(message, known);
    if (seq <= cursor) {
      // Seen already: only its status may have moved on (forward only).
      if (known && message.status && known.status !== message.status) known.status = message.status;
      return false;
    }
    let held = this.held.get(conversationId);
    if (!held) this.held.set(conversationId, (held = new Map<number, Message>()));
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
    if (cache.size > MAX_CACHED_PER_CONVERSATION)
      for (const old of [...cache.keys()].sort((a, b) => a - b).slice(0, cache.size - MAX_CACHED_PER_CONVERSATION)) cache.delete(old);
    if (next !== cursor) {
      this.cursors[conversationId] = next;
      this.persistCursors();
      const conversation = this.conversationCache.get(conversationId);
      if (conversation && conversation.lastSeq < next) this.conversationCache.set(conversationId, { ...conversation, lastSeq: next });
    }
    for (const m of ready) this.deps.deliver(m);
    if (held.size > 0) this.fillGap(conversationId).catch(() => undefined);
    return ready.length > 0;
  }

  /** Forgets everything, cursors included. */
  reset(): void {
    this.cursors = {};
    this.held.clear();
    this.messageCache.clear();
    this.conversationCache.clear();
  }

  private cacheOf(conversationId: string): Map<number, Message> {
    let cache = this.messageCache.get(conversationId);
    if (!cache) this.messageCache.set(conversationId, (cache = new Map<number, Message>()));
    return cache;
  }

  private persistCursors(): void {
    if (this.persistScheduled) return;
    this.persistScheduled = true;
    queueMicrotask(() => {
      this.persistScheduled = false;
      this.deps.persisted.cursors = this.cursors;
    });
  }

  private async fillGap(conversationId: string): Promise<void> {
    if (this.filling.has(conversationId)) return;
    this.filling.add(conversationId);
    try {
      for (;;) {
        const after = this.cursor(conversationId);
        const page = await this.deps.fetchAfter(conversationId, after, HISTORY_PAGE);
        for (const message of page.messages) this.accept(message);
        if (!page.hasMore || this.cursor(conversationId) === after) break;
      }
    } catch {
      // Filled on the next sync.
    } finally {
      this.filling.delete(conversationId);
    }
  }
}
