/**
 * The durable outbox worker: sends messages queued for networks that do not deliver from the
 * store (XMPP, IRC, SIP), in queue order for each recipient: one item of a recipient in flight at a
 * time, several recipients of a network at once (outbox-lanes.ts). While a network is offline its
 * items wait; a retryable failure is retried with backoff, and only that recipient's later messages
 * wait behind it (one unreachable agent holds up no one else); a permanent failure fails the
 * message. Every outcome is reported as a status. A network may have a recipient's messages wait
 * after the first of a burst and go as one (`burstMs`: email).
 */
import { type ErrorBody, type Message, type MessageStatus, isRetraction, saysNothing } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { LATE_AFTER_MS, type Network, type NetworkConversation, NetworkError } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import { type ConversationRecord, type Fence, FencedError, type OutboxItem, type QueuedOutboxItem, type StatusChange, type Store } from '../store/store.js';
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from '../util/backoff.js';
import type { Clock, Timer } from '../util/clock.js';
import { lruCache } from '../util/lru.js';
import type { TeamDirectory } from './desk/teams.js';
import { DEFAULT_OUTBOX_CONCURRENCY, OutboxLanes } from './outbox-lanes.js';
import { toNetworkConversation } from './wire.js';
import { senderName } from './parties.js';

/** The end of a correction's text on a network that shows it as a new message (`Network.corrects`). */
export const EDITED_MARK = ' (edited)';

/** Ids of messages a retraction emptied that the worker remembers: copies it holds are of recent messages. */
const TAKEN_BACK_KEPT = 1000;

export interface OutboxDeps {
  store: Store;
  registry: NetworkRegistry;
  /** Names agents whose party record has none (agents on XMPP, SIP, IRC). */
  teams: Pick<TeamDirectory, 'agentNameOf'>;
  logger: Logger;
  metrics: Metrics;
  /** Retries wait on this clock. */
  clock: Clock;
  /**
   * Reports an outcome to the sender; `error` explains a wait or a failure; `changed` is the
   * message when the store moved its status (undefined: nothing was written).
   */
  onOutcome(item: OutboxItem, status: MessageStatus, error?: ErrorBody, changed?: StatusChange | null): Promise<void>;
  backoff?: BackoffOptions;
  /** Recipients of one network sent to at once (each recipient's items one at a time, in order). */
  concurrency?: number;
  /** After this many failed attempts a message is failed for good. */
  maxAttempts?: number;
  /** The gateway hop marker a message carries, when it has one. */
  viaOf?(item: OutboxItem): readonly string[] | undefined;
  /** Whether an item is still to be sent when its time comes (a reply held back for a visitor who may have read it); default yes. */
  stillWanted?(item: OutboxItem, conversation: ConversationRecord): Promise<boolean>;
  /** The conversation as the recipient's network is to see it (opened by the address a visitor continues at); default as stored. */
  seenBy?(item: OutboxItem, conversation: ConversationRecord): Promise<NetworkConversation>;
  /** Which networks' queues this node sends (a cluster's network leases); every one, unfenced, by default (a single node). */
  leases?: OutboxLeases;
  /**
   * How often the queues of the networks held are read even without a kick (a cluster: items
   * another node queued, whose kick did not arrive); never by default (a single node kicks itself).
   */
  pollMs?: number;
}

/** The networks whose outbox this node may send, and the fence its writes to their items carry. */
export interface OutboxLeases {
  /** Whether this node sends `network`'s queue now. */
  holds(network: string): boolean;
  /** The fence of the writes that end an item's turn, while `holds` (undefined: nothing to fence). */
  fence(network: string): Fence | undefined;
  /** A fenced write was refused: the node does not hold `network` any more. */
  fenced(network: string): void;
  /** The networks held now (polled with `pollMs`). */
  held(): string[];
}

/** A single node sends every network's queue, and nothing needs fencing. */
const ALWAYS_HELD: OutboxLeases = { holds: () => true, fence: () => undefined, fenced: () => undefined, held: () => [] };

const BATCH = 50;
/** Messages one burst takes at most (`Network.burstMs`): one mail of an agent's lines. */
const MAX_BURST = 20;
const NONE_FINISHED: ReadonlySet<number> = new Set();

/** One network's queue as the worker knows it between passes. */
interface NetworkQueue {
  lanes: OutboxLanes;
  /** The last id a pass handed out or passed over: the next pass reads after it, unless `rescan`. */
  cursor: number;
  /** Items before the cursor may wait unsent (a retry's recipient, the network went down): the next pass reads from the start. */
  rescan: boolean;
  /** Recipients whose earliest item waits for a retry: their later items wait behind it (until a pass from the start). */
  held: Set<string>;
  /** Ids whose sends finished while a page was being read: the page may still show them. */
  finishedDuringRead: Set<number> | undefined;
}

export class OutboxWorker {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { timer: Timer; at: number }>();
  private readonly queues = new Map<string, NetworkQueue>();
  private stopped = false;
  /** Messages whose senders were told they wait (bounded: cleared once sent or failed). */
  private readonly reportedWaiting = new Set<string>();
  private readonly leases: OutboxLeases;
  private poll: Timer | undefined;
  private kickedElsewhere: ((network: string) => void) | undefined;

  constructor(private readonly deps: OutboxDeps) {
    this.leases = deps.leases ?? ALWAYS_HELD;
    // The depth is counted when /metrics is read, not after every pass; for every network, also
    // those another node sends (a standby's figures are the cluster's queue).
    deps.metrics.outboxDepthSource.read = () => {
      const networks = new Set([...deps.registry.all().map((network) => network.scheme), ...this.queues.keys()]);
      return Promise.all([...networks].map(async (network) => [network, await deps.store.outboxDepth(network)]));
    };
  }

  /** Passes that failed in a row, per network (the store failing): their backoff. */
  private readonly failedPasses = new Map<string, number>();
  /** Messages a retraction emptied lately, whose copies held from before (an offer, a burst) go nowhere. */
  private readonly takenBackIds = lruCache<string, true>(TAKEN_BACK_KEPT);

  /** Messages a retraction emptied (`AppendResult.takenBack`): sent nowhere from now on, from any copy this worker holds. */
  takenBack(messageIds: readonly string[]): void {
    for (const id of messageIds) this.takenBackIds.set(id, true);
  }

  /** Looks at a network's queue now (coalesces with a pass already running). */
  kick(network: string): void {
    if (this.stopped) return;
    if (!this.leases.holds(network)) {
      // Another node sends it: only told, when something listens (a cluster's bus), to kick it there.
      this.kickedElsewhere?.(network);
      return;
    }
    if (this.running.has(network)) {
      this.again.add(network);
      return;
    }
    const pass = this.drain(network, this.queueOf(network))
      .then(() => void this.failedPasses.delete(network))
      .catch((error: unknown) => {
        // The store failed (a failover): looked at again after a backoff, not only on the next kick.
        const failures = (this.failedPasses.get(network) ?? 0) + 1;
        this.failedPasses.set(network, failures);
        this.deps.logger.error({ err: error, network, failures }, 'outbox pass failed');
        this.wakeAt(network, this.now() + backoffDelay(failures, this.deps.backoff ?? DEFAULT_BACKOFF));
      })
      .finally(() => {
        this.running.delete(network);
        if (this.again.delete(network)) this.kick(network);
      });
    this.running.set(network, pass);
  }

  /**
   * Items this node has just stored for `network`, in queue order. A single node hands them to the
   * lanes at once when they are the very next items of the queue (the first one's `previous` is
   * the cursor, each next one's the one before, no pass is reading, nothing earlier waits to be
   * read again): the same order and the same checks as a pass, without reading back what was just
   * written. Anything else is a kick: a pass reads the queue.
   */
  offer(networkId: string, items: readonly QueuedOutboxItem[]): void {
    const queue = this.queues.get(networkId);
    if (
      items.length === 0 ||
      this.stopped ||
      // A single node only (its queue is written by no one else): a held lease carries a fence.
      !this.leases.holds(networkId) ||
      this.leases.fence(networkId) !== undefined ||
      !queue ||
      queue.rescan ||
      this.running.has(networkId) ||
      queue.lanes.backlog >= BATCH ||
      this.deps.registry.get(networkId)?.status().state !== 'online' ||
      !items.every((item, index) => item.network === networkId && item.previous === (index === 0 ? queue.cursor : items[index - 1]!.id))
    ) {
      this.kick(networkId);
      return;
    }
    this.handOut(networkId, queue, items, NONE_FINISHED);
  }

  /**
   * Listens to kicks for networks this node does not hold (items queued here for a network another
   * node runs): a cluster's bus passes them on to that node, whose `kick` then sends them at once.
   */
  onKickElsewhere(listener: (network: string) => void): void {
    this.kickedElsewhere = listener;
  }

  /** Kicks every network that has queued items (at start-up). */
  async resume(): Promise<void> {
    for (const network of await this.deps.store.outboxNetworks()) this.kick(network);
    if (this.deps.pollMs !== undefined) this.pollHeld(this.deps.pollMs);
  }

  /** This node now holds `network` (a lease acquired): its whole queue is read at once, what others queued meanwhile included. */
  acquired(network: string): void {
    this.queueOf(network).rescan = true;
    this.kick(network);
  }

  /** This node no longer holds `network`: items not yet started are let go (sends in flight end, and their writes are fenced). */
  released(network: string): void {
    const queue = this.queues.get(network);
    if (!queue) return;
    queue.rescan = true;
    queue.lanes.dropQueued();
  }

  /** The safety net of a cluster: held networks' queues read every `everyMs`, for items queued on other nodes. */
  private pollHeld(everyMs: number): void {
    this.poll = this.deps.clock.setTimer(() => {
      for (const network of this.leases.held()) this.kick(network);
      if (!this.stopped) this.pollHeld(everyMs);
    }, everyMs);
  }

  /**
   * Stops taking items; resolves once the passes and the sends in flight are over, or after
   * `waitMs` whatever they do (a network that takes a message and never answers, a frozen server
   * holding an acknowledgement back): a send still waiting then stays queued in the store, not
   * marked sent, and goes again at the next start.
   */
  async stop(waitMs = Infinity): Promise<void> {
    this.stopped = true;
    this.poll?.cancel();
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
    const over = (async () => {
      await Promise.all(this.running.values());
      await Promise.all([...this.queues.values()].map(({ lanes }) => lanes.settled()));
    })();
    if (waitMs === Infinity) return over;
    // The wall clock, not the injected one: this bounds a shutdown, it plans nothing.
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'waited'>((resolve) => (timer = setTimeout(() => resolve('waited'), waitMs)));
    const outcome = await Promise.race([over.then(() => 'over' as const), waited]);
    clearTimeout(timer);
    if (outcome === 'waited') {
      const inFlight = [...this.queues.values()].reduce((sum, { lanes }) => sum + lanes.inFlight(), 0);
      this.deps.logger.warn({ inFlight, waitedMs: waitMs }, 'outbox stopped with sends still waiting for their network: they stay queued for the next start');
    }
  }

  private queueOf(networkId: string): NetworkQueue {
    let queue = this.queues.get(networkId);
    if (queue) return queue;
    const lanes: OutboxLanes = new OutboxLanes({
      concurrency: this.deps.concurrency ?? DEFAULT_OUTBOX_CONCURRENCY,
      canSend: () => !this.stopped && this.leases.holds(networkId) && this.deps.registry.get(networkId)?.status().state === 'online',
      send: async (item, sent, followers) => {
        // The token this send is made under: the item's turn ends only while it is still current.
        const fence = this.leases.fence(networkId);
        try {
          return await this.send(this.deps.registry.get(networkId)!, item, fence, sent, followers);
        } catch (error) {
          if (error instanceof FencedError) {
            // Another node holds the network now and sends the item (again, if this send reached it:
            // at-least-once towards the network; see `send`).
            this.deps.logger.info({ network: networkId, message: item.message.id }, 'outbox item left to the node that holds the network now');
            this.leases.fenced(networkId);
            queue!.rescan = true;
            return 'retry';
          }
          // The store failed (the network's own failures are outcomes): a pass soon reads it all again.
          this.deps.logger.error({ err: error, network: networkId, message: item.message.id }, 'outbox send failed');
          queue!.rescan = true;
          this.wakeAt(networkId, this.now() + backoffDelay(1, this.deps.backoff ?? DEFAULT_BACKOFF));
          return 'retry';
        }
      },
      finished: (item, outcome) => {
        queue!.finishedDuringRead?.add(item.id);
        if (outcome === 'retry') queue!.held.add(item.recipient);
      },
      dropped: () => (queue!.rescan = true),
      follows: (head, next, count) => {
        const network = this.deps.registry.get(networkId);
        return (
          count < MAX_BURST - 1 &&
          next.message.conversationId === head.message.conversationId &&
          next.message.from === head.message.from &&
          (network?.burstMs?.(head.recipient, head.message) ?? 0) > 0 &&
          (network?.burstMs?.(next.recipient, next.message) ?? 0) > 0
        );
      },
    });
    queue = { lanes, cursor: 0, rescan: true, held: new Set(), finishedDuringRead: undefined };
    this.queues.set(networkId, queue);
    return queue;
  }

  /** Tells each sender once (per process) that its message waits for a network that is down. */
  private async reportWaiting(network: string, why: string): Promise<void> {
    for (let after = 0; ;) {
      const items = await this.deps.store.pendingOutbox(network, BATCH, after);
      for (const item of items) {
        if (item.attempts > 0 || this.reportedWaiting.has(item.message.id)) continue;
        this.reportedWaiting.add(item.message.id);
        await this.deps.onOutcome(item, 'accepted', { code: 'unavailable', message: `${why}; the message is kept and will be sent when it is back` });
      }
      if (items.length < BATCH) return;
      after = items.at(-1)!.id;
    }
  }

  /** Looks at a network's whole queue again at `at` (the earliest of the times asked for). */
  private wakeAt(network: string, at: number): void {
    if (this.stopped) return;
    const pending = this.timers.get(network);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.deps.clock.setTimer(
      () => {
        this.timers.delete(network);
        this.queueOf(network).rescan = true;
        this.kick(network);
      },
      Math.max(0, at - this.now()),
    );
    this.timers.set(network, { timer, at });
  }

  /**
   * Hands a network's due items to its lanes in queue order: from the start when items before the
   * cursor may wait, else only the items queued since the last pass. Reading waits while the lanes
   * hold a page's worth not yet started (memory stays bounded however long the queue).
   */
  private async drain(networkId: string, queue: NetworkQueue): Promise<void> {
    const { store, registry } = this.deps;
    if (queue.rescan) {
      queue.rescan = false;
      queue.cursor = 0;
      queue.held.clear();
    }
    for (;;) {
      if (this.stopped) return;
      if (!this.leases.holds(networkId)) {
        queue.rescan = true;
        return; // the next holder reads it all
      }
      // Sends that finish before the page is handed out are noted: the page may show them still.
      const finished = new Set<number>();
      queue.finishedDuringRead = finished;
      let items: OutboxItem[];
      let network: Network | undefined;
      try {
        items = await store.pendingOutbox(networkId, BATCH, queue.cursor);
        network = registry.get(networkId);
        if (network?.status().state === 'online') this.handOut(networkId, queue, items, finished);
      } finally {
        queue.finishedDuringRead = undefined;
      }
      if (items.length === 0) return;
      if (!network || network.status().state !== 'online') {
        queue.rescan = true;
        await this.reportWaiting(networkId, whyWaiting(networkId, network));
        return; // the network's `online` status kicks us again
      }
      if (items.length < BATCH) return;
      await queue.lanes.room(BATCH);
    }
  }

  /** Gives a page's due items to the lanes, in queue order; a recipient waiting for a retry keeps its later items back. */
  private handOut(networkId: string, queue: NetworkQueue, items: readonly OutboxItem[], finished: ReadonlySet<number>): void {
    const now = this.now();
    const network = this.deps.registry.get(networkId);
    /** Recipients whose burst is handed out now: its later messages follow it into the lanes. */
    const bursting = new Set<string>();
    const due: OutboxItem[] = [];
    for (const item of items) {
      queue.cursor = item.id;
      // Already in hand, or sent while the page was read: never sent twice.
      if (queue.lanes.has(item.id) || finished.has(item.id) || queue.held.has(item.recipient)) continue;
      // A burst's first message waits until the burst is over; a message written while the
      // recipient's last burst is still on its way starts the next one.
      const burstDue = this.burstDue(network, item);
      if (item.nextAttemptAt > now || (burstDue > now && !bursting.has(item.recipient))) {
        queue.held.add(item.recipient);
        this.wakeAt(networkId, Math.max(item.nextAttemptAt, burstDue));
        continue;
      }
      if (burstDue > 0) bursting.add(item.recipient);
      due.push(item);
    }
    queue.lanes.addAll(due);
  }

  /** When a burst that starts with `item` may go (0: no burst), by the clock its message was written on. */
  private burstDue(network: Network | undefined, item: OutboxItem): number {
    const burstMs = network?.burstMs?.(item.recipient, item.message) ?? 0;
    return burstMs > 0 ? Date.parse(item.message.sentAt) + burstMs : 0;
  }

  /**
   * Sends one item: `done` when it left the queue (sent, failed, or its conversation gone), `retry`
   * when it waits. In a cluster the writes that end its turn carry `fence` and are refused
   * (FencedError) once another node holds the network: the item stays for that node. If this send
   * reached the network before the refusal, the new holder sends it again: at-least-once towards
   * the network. The conversation still gets no double: a message is stored once (its sender's
   * clientId, a network's remote id are unique in the store), and a retransmission is recognised
   * by them.
   */
  private async send(network: Network, item: OutboxItem, fence: Fence | undefined, sent: () => void, followers: OutboxItem[] = []): Promise<'done' | 'retry'> {
    const { store, metrics } = this.deps;
    const conversation = await store.getConversation(item.message.conversationId);
    if (!conversation) {
      // Gone, and the burst with it (one conversation).
      await Promise.all([item, ...followers].map((gone) => store.completeOutbox(gone, undefined, fence)));
      this.claimed(network.scheme);
      return 'done';
    }
    let burst = await this.stillWantedOf(network, followers, conversation, fence);
    const skipped = async (): Promise<'done'> => {
      await store.completeOutbox(item, undefined, fence);
      this.claimed(network.scheme);
      // The rest of the burst goes on its own turn.
      if (burst.length > 0) this.wakeAt(network.scheme, this.now());
      return 'done';
    };
    if (this.goesNowhere(network, item.message) || (this.deps.stillWanted && !(await this.deps.stillWanted(item, conversation)))) return skipped();
    try {
      const fromName = await senderName(store, this.deps.teams, item.message.from);
      const via = this.deps.viaOf?.(item);
      const late = this.now() - Date.parse(item.message.sentAt) >= LATE_AFTER_MS;
      // Taken back while the sender's name was read: nothing of it goes.
      if (this.takenBackIds.has(item.message.id)) return await skipped();
      burst = await this.withoutTakenBack(burst, fence);
      const result = await network.send({
        message: this.asSent(network, item.message),
        to: item.recipient,
        conversation: this.deps.seenBy ? await this.deps.seenBy(item, conversation) : toNetworkConversation(conversation),
        ...(fromName ? { fromName } : {}),
        ...(via ? { via } : {}),
        ...(late ? { delayedSince: item.message.sentAt } : {}),
        ...(burst.length > 0 ? { also: burst.map((follower) => this.asSent(network, follower.message)) } : {}),
      });
      // The recipient's next item may go now, unless this node's hold on the network is fenced (a
      // cluster): a lease lost meanwhile shows only when the outcome is refused, and the next item
      // is then the new holder's to send.
      if (!fence) sent();
      const status = result.status ?? 'sent';
      // One send for the burst: its outcomes are written together (one commit where the store groups them).
      const changes = await Promise.all([item, ...burst].map((each) => store.completeOutbox(each, status, fence)));
      for (const [index, each] of [item, ...burst].entries()) {
        this.claimed(network.scheme);
        this.reportedWaiting.delete(each.message.id);
        metrics.messages.inc({ network: network.scheme, direction: 'out' });
        await this.deps.onOutcome(each, status, undefined, changes[index]);
      }
      return 'done';
    } catch (error) {
      if (error instanceof FencedError) throw error;
      const outcome = await this.sendFailed(network.scheme, item, error, fence);
      // Failed for good: the rest of the burst is tried on its own turn (a retry holds it back anyway).
      if (outcome === 'done' && burst.length > 0) this.wakeAt(network.scheme, this.now());
      return outcome;
    }
  }

  /** Of a burst's followers, those not taken back since they were read; the others leave the queue unsent. */
  private withoutTakenBack(followers: readonly OutboxItem[], fence: Fence | undefined): Promise<OutboxItem[]> {
    return this.followersKept(followers, fence, (follower) => !this.takenBackIds.has(follower.message.id));
  }

  /** The followers of a burst still to be sent; the others leave the queue unsent. */
  private stillWantedOf(network: Network, followers: readonly OutboxItem[], conversation: ConversationRecord, fence: Fence | undefined): Promise<OutboxItem[]> {
    return this.followersKept(
      followers,
      fence,
      async (follower) => !this.goesNowhere(network, follower.message) && (!this.deps.stillWanted || (await this.deps.stillWanted(follower, conversation))),
    );
  }

  /** The followers `goes` keeps, in order; each of the others leaves the queue unsent. */
  private async followersKept(
    followers: readonly OutboxItem[],
    fence: Fence | undefined,
    goes: (follower: OutboxItem) => boolean | Promise<boolean>,
  ): Promise<OutboxItem[]> {
    const kept: OutboxItem[] = [];
    for (const follower of followers) {
      if (await goes(follower)) kept.push(follower);
      else await this.deps.store.completeOutbox(follower, undefined, fence);
    }
    return kept;
  }

  /** A correction, to a network that cannot replace the message it corrects (`Network.corrects`): its text, marked. */
  private asSent(network: Network, message: Message): Message {
    if (message.corrects === undefined || network.corrects || message.text === '') return message;
    return { ...message, text: `${message.text}${EDITED_MARK}` };
  }

  /**
   * A message taken back goes nowhere: one a retraction emptied (the worker may hold a copy from
   * before it), and the retraction itself, but where it can take a message back (`Network.retracts`).
   */
  private goesNowhere(network: Network, message: Message): boolean {
    if (this.takenBackIds.has(message.id)) return true;
    return saysNothing(message) && !(isRetraction(message) && network.retracts);
  }

  private claimed(network: string): void {
    this.deps.metrics.outboxClaims.inc({ network });
  }

  /** A send failed: the message fails for good (not retryable, or too many attempts), or waits for its next attempt. */
  private async sendFailed(networkId: string, item: OutboxItem, error: unknown, fence: Fence | undefined): Promise<'done' | 'retry'> {
    const { store, logger } = this.deps;
    const retryable = error instanceof NetworkError ? error.retryable : true;
    const reason = error instanceof Error ? error.message : String(error);
    const attempts = item.attempts + 1;
    // The lease went while it was being sent (the network refused as standby): the item is the new
    // holder's, untouched, and no attempt is counted against it.
    if (!this.leases.holds(networkId)) return 'retry';
    // A send the stop stopped waiting for, failed by the network's own stop: it goes again at the
    // next start, untouched; the shutdown counts no attempt against it and fails nothing for good.
    if (this.stopped) return 'retry';
    if (!retryable || attempts >= (this.deps.maxAttempts ?? 20)) {
      const changed = await store.completeOutbox(item, 'failed', fence);
      this.claimed(networkId);
      this.reportedWaiting.delete(item.message.id);
      logger.warn({ message: item.message.id, network: networkId, reason, attempts }, 'outbound message failed');
      const code = (error instanceof NetworkError ? error.code : undefined) ?? (retryable ? 'unavailable' : 'bad_request');
      await this.deps.onOutcome(item, 'failed', { code, message: `${networkId}: ${reason}` }, changed);
      return 'done';
    }
    const next = this.now() + backoffDelay(attempts, this.deps.backoff ?? DEFAULT_BACKOFF);
    await store.retryOutbox(item, next, reason, fence);
    logger.info({ message: item.message.id, network: networkId, reason, attempts }, 'outbound message will be retried');
    await this.deps.onOutcome(item, 'accepted', { code: 'unavailable', message: `${networkId}: ${reason}; the message is kept and will be retried` });
    this.wakeAt(networkId, next);
    return 'retry';
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

/** Why a network's queue waits, as its senders are told. */
/** What senders are told their message waits for: the network's state, not its reason (which can name an internal address; the status and the log keep it). */
function whyWaiting(networkId: string, network: Network | undefined): string {
  if (!network) return `no ${networkId} network is configured`;
  return `${networkId} is ${network.status().state}`;
}
