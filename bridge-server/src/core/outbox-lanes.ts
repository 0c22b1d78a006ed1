/**
 * One network's outbox sends in flight: each recipient's items one at a time in queue order (so
 * each conversation's messages reach each party in order), and at most `concurrency` recipients at
 * once, served in turn, so one slow recipient holds up no one else. A recipient's next item starts
 * as soon as the previous one has reached the network, while that one's outcome is still being
 * stored: the outcomes of items sent back to back share the store's commits. An item may take the
 * items queued right behind it along (`follows`: a burst sent as one).
 */
import type { OutboxItem } from '../store/store.js';

/** Recipients of one network sent to at once, unless configured (`limits.outboxConcurrency`). */
export const DEFAULT_OUTBOX_CONCURRENCY = 8;

/** `done`: the item left the queue; `retry`: it waits for another attempt, and its recipient's later items wait behind it. */
export type SendOutcome = 'done' | 'retry';

export interface OutboxLanesOptions {
  /** Recipients with an item in flight at once, at most. */
  concurrency: number;
  /** Whether a send may start now (the network is online, the worker not stopping). */
  canSend(): boolean;
  /**
   * Sends `item` with `followers` (the items `follows` let it take along), calling `sent` once the
   * network took them (the recipient's next item may start), before their outcome is stored.
   */
  send(item: OutboxItem, sent: () => void, followers: OutboxItem[]): Promise<SendOutcome>;
  /** Whether `next`, queued right behind `head` and the `count` items it already takes, goes with it. */
  follows?(head: OutboxItem, next: OutboxItem, count: number): boolean;
  /** An item's send finished (its row was updated before). */
  finished(item: OutboxItem, outcome: SendOutcome): void;
  /** Items were dropped unsent (a send could not start): they are still in the store. */
  dropped(): void;
}

export class OutboxLanes {
  /** Items not started yet, per recipient, in queue order. */
  private readonly queued = new Map<string, OutboxItem[]>();
  /** Recipients with queued items and none in flight, in the order they are served. */
  private readonly ready: string[] = [];
  /** Recipients with an item on its way to the network, and that item's id. */
  private readonly busy = new Map<string, number>();
  /** Ids queued or in flight: a pass over the store never hands them out again. */
  private readonly ids = new Set<number>();
  private readonly sending = new Set<Promise<void>>();
  private queuedCount = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly options: OutboxLanesOptions) {}

  /** Whether the item is queued or in flight here. */
  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Whether a recipient has an item queued or in flight here. */
  hasRecipient(recipient: string): boolean {
    return this.busy.has(recipient) || this.queued.has(recipient);
  }

  /** Items queued and not started. */
  get backlog(): number {
    return this.queuedCount;
  }

  /**
   * Queues items behind their recipients' earlier ones (the caller hands them out in queue order),
   * then starts what may start: a page's items are all queued first, so a burst finds its later
   * items behind it.
   */
  addAll(items: readonly OutboxItem[]): void {
    for (const item of items) this.queue(item);
    this.pump();
  }

  private queue(item: OutboxItem): void {
    this.ids.add(item.id);
    this.queuedCount += 1;
    const lane = this.queued.get(item.recipient);
    if (lane) lane.push(item);
    else {
      this.queued.set(item.recipient, [item]);
      if (!this.busy.has(item.recipient)) this.ready.push(item.recipient);
    }
  }

  /** Resolves once fewer than `limit` items are queued (sends take them), or none will be taken. */
  room(limit: number): Promise<void> {
    if (this.queuedCount < limit) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.queuedCount < limit) resolve();
        else this.roomWaiters.push(check);
      };
      this.roomWaiters.push(check);
    });
  }

  /** Sends in flight now. */
  inFlight(): number {
    return this.sending.size;
  }

  /** Resolves once no send is in flight. */
  async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.all(this.sending);
  }

  private pump(): void {
    while (this.busy.size < this.options.concurrency && this.ready.length > 0) {
      if (!this.options.canSend()) {
        this.dropAll();
        return;
      }
      const recipient = this.ready.shift()!;
      const item = this.take(recipient)!;
      const followers = this.takeFollowers(item);
      this.busy.set(recipient, item.id);
      const sending = this.options
        .send(item, () => this.sent(item), followers)
        .catch((): SendOutcome => 'retry')
        .then((outcome) => {
          // In hand until now: a pass reading the store meanwhile does not hand them out again.
          for (const follower of followers) this.ids.delete(follower.id);
          this.settle(item, outcome);
        });
      this.sending.add(sending);
      void sending.finally(() => this.sending.delete(sending));
    }
  }

  /** The network took `item`: its recipient's next item may start. */
  private sent(item: OutboxItem): void {
    if (this.busy.get(item.recipient) !== item.id) return;
    this.busy.delete(item.recipient);
    if (this.queued.has(item.recipient)) this.ready.push(item.recipient);
    this.pump();
  }

  private settle(item: OutboxItem, outcome: SendOutcome): void {
    const { recipient } = item;
    this.ids.delete(item.id);
    const wasSending = this.busy.get(recipient) === item.id;
    if (wasSending) this.busy.delete(recipient);
    // A retry: the recipient's later items wait behind it (they stay in the store).
    if (outcome === 'retry') this.drop(recipient);
    else if (wasSending && this.queued.has(recipient)) this.ready.push(recipient);
    this.options.finished(item, outcome);
    this.pump();
  }

  /** The items queued right behind `head` that go with it, out of its recipient's queue (still in hand). */
  private takeFollowers(head: OutboxItem): OutboxItem[] {
    const followers: OutboxItem[] = [];
    const lane = this.queued.get(head.recipient);
    while (this.options.follows && lane && lane.length > 0 && this.options.follows(head, lane[0]!, followers.length)) {
      followers.push(this.take(head.recipient)!);
    }
    return followers;
  }

  /** The next item of a recipient, out of its queue. */
  private take(recipient: string): OutboxItem | undefined {
    const lane = this.queued.get(recipient);
    const item = lane?.shift();
    if (lane?.length === 0) this.queued.delete(recipient);
    if (item) this.queuedCount -= 1;
    this.notifyRoom();
    return item;
  }

  private drop(recipient: string): void {
    const lane = this.queued.get(recipient);
    if (!lane) return;
    this.queued.delete(recipient);
    for (const item of lane) this.ids.delete(item.id);
    this.queuedCount -= lane.length;
    const index = this.ready.indexOf(recipient);
    if (index >= 0) this.ready.splice(index, 1);
    this.notifyRoom();
    this.options.dropped();
  }

  /** Lets go of every item not yet started (they are still in the store). */
  dropQueued(): void {
    this.dropAll();
  }

  private dropAll(): void {
    for (const recipient of [...this.queued.keys()]) this.drop(recipient);
  }

  private notifyRoom(): void {
    if (this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const check of waiters) check();
  }
}
