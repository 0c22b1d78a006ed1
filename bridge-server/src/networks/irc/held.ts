/**
 * Messages for agents who are off IRC (lowercased nick -> in order): IRC keeps nothing for absent
 * users, so they wait here until the agent's presence (MONITOR/ISON) says it is back, at most
 * `holdMinutes`, at most HELD_PER_AGENT of them (docs/networks/irc.md).
 */
import { NetworkError, type InboundSink, type OutboundMessage } from '../network.js';

/** Most messages held for one absent agent; past it, new ones fail. */
export const HELD_PER_AGENT = 500;

export interface HeldMessagesOptions {
  holdMinutes: number;
  sink: Pick<InboundSink, 'receipt'>;
  nickOf(address: string): string | null;
  /** Writes a held message to its agent; false when the agent left again (the rest waits). */
  deliver(outbound: OutboundMessage): Promise<boolean>;
  /** Whether lines refused to this agent (lowercased nick) are still being sorted out: no flush until then. */
  settling(nick: string): boolean;
}

interface Queue {
  items: OutboundMessage[];
  timer: NodeJS.Timeout;
  flushing: boolean;
}

export class HeldMessages {
  private readonly held = new Map<string, Queue>();

  constructor(private readonly options: HeldMessagesOptions) {}

  /** Whether messages wait for this agent (new ones go behind them). */
  has(nick: string): boolean {
    return this.held.has(nick.toLowerCase());
  }

  /**
   * Keeps a message for an absent agent (`first`: a message the server refused, so it goes before
   * the others); false when the agent's queue is full (the caller fails the message, once).
   */
  hold(outbound: OutboundMessage, first: boolean): boolean {
    const key = this.options.nickOf(outbound.to)!.toLowerCase();
    let queue = this.held.get(key);
    if (!queue) {
      const timer = setTimeout(() => this.expire(key), this.options.holdMinutes * 60_000);
      timer.unref();
      queue = { items: [], timer, flushing: false };
      this.held.set(key, queue);
    }
    // Once in the queue: a message cut by the agent's leaving may also be among the refused lines.
    const queued = queue.items.findIndex((item) => item.message.id === outbound.message.id && item.to === outbound.to);
    if (queued >= 0 && !first) return true;
    if (queued < 0 && queue.items.length >= HELD_PER_AGENT) return false;
    if (queued >= 0) queue.items.splice(queued, 1);
    if (first) queue.items.unshift(outbound);
    else queue.items.push(outbound);
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
          if (!(await this.options.deliver(next))) return; // gone again: the rest waits for the next return
        } catch (error) {
          if (error instanceof NetworkError && error.retryable) return; // the bot dropped: the next presence change retries
          this.fail(next, `IRC: ${(error as Error).message}`);
        }
        queue.items.shift();
      }
      clearTimeout(queue.timer);
      this.held.delete(key);
    } finally {
      queue.flushing = false;
    }
  }

  /** The agent did not come back in time (or the bridge stops): what waited for it fails, with the reason. */
  expire(key: string, why = `it did not come back within ${this.options.holdMinutes} minutes`): void {
    const queue = this.held.get(key);
    if (!queue) return;
    clearTimeout(queue.timer);
    this.held.delete(key);
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
