/**
 * Messages for agents who are off IRC (lowercased nick -> in order): IRC keeps nothing for absent
 * users, so they wait here until the agent's presence (MONITOR/ISON) says it is back, at most
 * `holdMinutes`, at most HELD_PER_AGENT of them (docs/networks/irc.md). What waits is kept in the
 * store too (`HeldKeeping`), before the outbox hears the message was taken: a bridge killed or
 * stopped meanwhile, or the node that takes the network over, has them wait again from the store.
 */
import type { Address, Message } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { LATE_AFTER_MS, NetworkError, type InboundSink, type NetworkConversation, type OutboundMessage } from '../network.js';

/** Most messages held for one absent agent; past it, new ones fail. */
export const HELD_PER_AGENT = 500;

/** Where the held messages are kept between runs: one value, and the stored messages it names. */
export interface HeldKeeping {
  load(): Promise<string | null>;
  /** Durable once resolved; null: nothing waits. */
  save(value: string | null): Promise<void>;
  message(id: string): Promise<Message | null>;
  conversation(id: string): Promise<NetworkConversation | null>;
}

export interface HeldMessagesOptions {
  holdMinutes: number;
  sink: Pick<InboundSink, 'receipt'>;
  nickOf(address: string): string | null;
  /** Writes a held message to its agent; false when the agent left again (the rest waits). */
  deliver(outbound: OutboundMessage): Promise<boolean>;
  /** Whether lines refused to this agent (lowercased nick) are still being sorted out: no flush until then. */
  settling(nick: string): boolean;
  /** The conversation as it is now (null: erased), read before a held message goes out. */
  conversationNow?(id: string): Promise<NetworkConversation | null>;
  keeping?: HeldKeeping;
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
}

interface Queue {
  items: OutboundMessage[];
  /** When its first message was held: the wait ends `holdMinutes` after, across restarts. */
  since: number;
  timer: NodeJS.Timeout;
  flushing: boolean;
}

/** A held message as the store keeps it: the stored message and conversation it is, by id. */
interface KeptItem {
  id: string;
  to: Address;
  conversationId: string;
  fromName?: string;
  via?: readonly string[];
}

type Kept = Record<string, { since: number; items: KeptItem[] }>;

export class HeldMessages {
  private readonly held = new Map<string, Queue>();
  /** Saves in order, each writing what waits when it runs (several changes, one write). */
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(private readonly options: HeldMessagesOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** What waits is written to the store; resolves once it is (rejects when the store failed). */
  saved(): Promise<void> {
    return this.saving;
  }

  private changed(): void {
    const { keeping } = this.options;
    if (!keeping) return;
    this.dirty = true;
    this.saving = this.saving
      .catch(() => undefined)
      .then(() => {
        if (!this.dirty) return;
        this.dirty = false;
        return keeping.save(this.held.size > 0 ? JSON.stringify(this.snapshot()) : null);
      });
  }

  private snapshot(): Kept {
    const kept: Kept = {};
    for (const [key, queue] of this.held)
      kept[key] = {
        since: queue.since,
        items: queue.items.map(({ message, to, conversation, fromName, via }) => ({
          id: message.id,
          to,
          conversationId: conversation.id,
          ...(fromName !== undefined ? { fromName } : {}),
          ...(via !== undefined ? { via } : {}),
        })),
      };
    return kept;
  }

  /**
   * At start: what waited when the bridge last ran (or on the node that ran the network) waits
   * again, until the rest of its `holdMinutes`.
   */
  async restore(): Promise<void> {
    const { keeping, logger } = this.options;
    const value = await keeping?.load();
    if (!keeping || !value) return;
    let kept: Kept;
    try {
      kept = JSON.parse(value) as Kept;
    } catch (error) {
      logger?.warn({ err: error }, 'irc: held messages kept in the store could not be read');
      return;
    }
    for (const [key, { since, items }] of Object.entries(kept)) {
      for (const item of items) {
        const [message, conversation] = await Promise.all([keeping.message(item.id), keeping.conversation(item.conversationId)]);
        if (!message || !conversation) continue; // erased meanwhile: nothing to send
        const outbound: OutboundMessage = {
          message,
          to: item.to,
          conversation,
          ...(item.fromName !== undefined ? { fromName: item.fromName } : {}),
          ...(item.via !== undefined ? { via: item.via } : {}),
        };
        this.hold(outbound, false, since);
      }
      const queue = this.held.get(key);
      if (queue && queue.since + this.options.holdMinutes * 60_000 <= this.now()) this.expire(key);
    }
    this.changed();
  }

  /** The network stops: what waits stays in the store for the next start (without a store, it fails). */
  release(why: string): void {
    if (!this.options.keeping) return this.expireAll(why);
    for (const queue of this.held.values()) clearTimeout(queue.timer);
    this.held.clear();
    this.dirty = false;
  }

  /** Whether messages wait for this agent (new ones go behind them). */
  has(nick: string): boolean {
    return this.held.has(nick.toLowerCase());
  }

  /**
   * Keeps a message for an absent agent (`first`: a message the server refused, so it goes before
   * the others); false when the agent's queue is full (the caller fails the message, once).
   */
  hold(outbound: OutboundMessage, first: boolean, since = this.now()): boolean {
    const key = this.options.nickOf(outbound.to)!.toLowerCase();
    let queue = this.held.get(key);
    if (!queue) {
      const timer = setTimeout(() => this.expire(key), Math.max(0, since + this.options.holdMinutes * 60_000 - this.now()));
      timer.unref();
      queue = { items: [], since, timer, flushing: false };
      this.held.set(key, queue);
    }
    // Once in the queue: a message cut by the agent's leaving may also be among the refused lines.
    const queued = queue.items.findIndex((item) => item.message.id === outbound.message.id && item.to === outbound.to);
    if (queued >= 0 && !first) return true;
    if (queued < 0 && queue.items.length >= HELD_PER_AGENT) return false;
    if (queued >= 0) queue.items.splice(queued, 1);
    if (first) queue.items.unshift(outbound);
    else queue.items.push(outbound);
    this.changed();
    return true;
  }

  /** Why a message could not be held. */
  queueFull(outbound: OutboundMessage): string {
    return `IRC: ${this.options.nickOf(outbound.to)} is off IRC and ${HELD_PER_AGENT} messages already wait for it`;
  }

  /** The agent is back: what waited for it goes out, in order, once. */
  async flush(nick: string): Promise<void> {
    const key = nick.toLowerCase();
    const queue = this.held.get(key);
    if (!queue || queue.flushing || this.options.settling(key)) return;
    queue.flushing = true;
    try {
      while (queue.items.length > 0) {
        const next = queue.items[0]!;
        try {
          if (!(await this.movedAway(next)) && !(await this.options.deliver(this.dated(next)))) return; // gone again: the rest waits for the next return
        } catch (error) {
          if (error instanceof NetworkError && error.retryable) return; // the bot dropped: the next presence change retries
          this.fail(next, `IRC: ${(error as Error).message}`);
        }
        queue.items.shift();
        this.changed();
      }
      clearTimeout(queue.timer);
      this.held.delete(key);
      this.changed();
    } finally {
      queue.flushing = false;
    }
  }

  /** A held message that goes out late says when it was said (`[09:12] ...`), as any late message does. */
  private dated(outbound: OutboundMessage): OutboundMessage {
    if (outbound.delayedSince !== undefined || this.now() - Date.parse(outbound.message.sentAt) < LATE_AFTER_MS) return outbound;
    return { ...outbound, delayedSince: outbound.message.sentAt };
  }

  /**
   * Whether the conversation of a message held for the agent it was assigned to has gone to
   * someone else (a transfer, the queue) or been erased meanwhile: the agent is no longer the one
   * to read it, and whoever has it now got it at their handover. Not sent, and not failed.
   */
  private async movedAway(outbound: OutboundMessage): Promise<boolean> {
    if (!this.options.conversationNow || outbound.conversation.assignee !== outbound.to) return false;
    const now = await this.options.conversationNow(outbound.conversation.id);
    return now === null || now.assignee !== outbound.to;
  }

  /** The agent did not come back in time (or the bridge stops): what waited for it fails, with the reason. */
  expire(key: string, why = `it did not come back within ${this.options.holdMinutes} minutes`): void {
    const queue = this.held.get(key);
    if (!queue) return;
    clearTimeout(queue.timer);
    this.held.delete(key);
    this.changed();
    for (const outbound of queue.items) this.fail(outbound, `IRC: ${key} was off IRC and ${why}`);
  }

  expireAll(why: string): void {
    for (const key of [...this.held.keys()]) this.expire(key, why);
  }

  /** Fails a message already reported sent (a receipt, as the server would bounce it). */
  fail(outbound: OutboundMessage, error: string): void {
    this.options.sink.receipt({ messageId: outbound.message.id, status: 'failed', code: 'unavailable', error });
  }
}
