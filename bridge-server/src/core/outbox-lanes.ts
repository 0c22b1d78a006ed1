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
  /**
   * Per recipient with items here: the place of its last item queued, the last place that reached
   * the network (or left the lanes), and who waits for the ones queued so far (afterQueued).
   */
  private readonly marks = new Map<string, { queued: number; passed: number; waiters: { upTo: number; resolve: () => void }[] }>();
  /** Each item's place in the order items were queued here (one count for all: it never goes back). */
  private readonly places = new Map<number, number>();
  private placed = 0;

  constructor(private readonly options: OutboxLanesOptions) {}

  /**
   * Resolves once every item queued for `recipient` so far has reached the network (or left the
   * lanes: a retry, the network stopping); at once when none is here. What is said outside the
   * queue (a chat state) then follows the messages before it, as the recipient's client expects.
   */
  afterQueued(recipient: string): Promise<void> {
    const mark = this.marks.get(recipient);
    if (!mark || mark.passed >= mark.queued) return Promise.resolve();
    return new Promise((resolve) => mark.waiters.push({ upTo: mark.queued, resolve }));
  }

  /** Items of `recipient` up to its `place`-th have reached the network or left the lanes. */
  private passed(recipient: string, place: number | undefined): void {
    const mark = this.marks.get(recipient);
    if (!mark || place === undefined || place <= mark.passed) return;
    mark.passed = place;
    const due = mark.waiters.filter((waiter) => waiter.upTo <= place);
    mark.waiters = mark.waiters.filter((waiter) => waiter.upTo > place);
    if (mark.passed >= mark.queued) this.marks.delete(recipient);
    for (const waiter of due) waiter.resolve();
  }

  /** The last place among `items` (one recipient's, in queue order), forgotten. */
  private lastPlace(items: readonly OutboxItem[]): number | undefined {
    let last: number | undefined;
    for (const item of items) {
      last = this.places.get(item.id) ?? last;
      this.places.delete(item.id);
    }
    return last;
  }

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
    let mark = this.marks.get(item.recipient);
    if (!mark) this.marks.set(item.recipient, (mark = { queued: 0, passed: 0, waiters: [] }));
    mark.queued = ++this.placed;
    this.places.set(item.id, mark.queued);
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
        .send(item, () => this.sent(item, followers), followers)
        .catch((): SendOutcome => 'retry')
        .then((outcome) => {
          // In hand until now: a pass reading the store meanwhile does not hand them out again.
          for (const follower of followers) this.ids.delete(follower.id);
          this.passed(item.recipient, this.lastPlace([item, ...followers]));
          this.settle(item, outcome);
        });
      this.sending.add(sending);
      void sending.finally(() => this.sending.delete(sending));
    }
  }

  /** The network took `item`: its recipient's next item may start. */
  private sent(item: OutboxItem, followers: readonly OutboxItem[]): void {
    this.passed(item.recipient, this.lastPlace([item, ...followers]));
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
    // They go at another pass, after whatever waits for them now: no one waits longer.
    this.passed(recipient, this.lastPlace(lane));
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
