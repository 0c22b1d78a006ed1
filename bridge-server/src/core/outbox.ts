/**
 * The durable outbox worker: sends messages queued for networks that do not deliver from the
 * store (XMPP, IRC, SIP), one at a time per network, in queue order for each recipient. While a
 * network is offline its items wait; a retryable failure is retried with backoff, and only that
 * recipient's later messages wait behind it (one unreachable agent holds up no one else); a
 * permanent failure fails the message. Every outcome is reported as a status.
 */
import type { ErrorBody, Message, MessageStatus } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { type Network, type NetworkConversation, NetworkError } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, OutboxItem, Store } from '../store/store.js';
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from '../util/backoff.js';
import type { Clock, Timer } from '../util/clock.js';
import type { TeamDirectory } from './desk/teams.js';
import { toNetworkConversation } from './wire.js';

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
  onOutcome(item: OutboxItem, status: MessageStatus, error?: ErrorBody, changed?: Message | null): Promise<void>;
  backoff?: BackoffOptions;
  /** After this many failed attempts a message is failed for good. */
  maxAttempts?: number;
  /** The gateway hop marker a message carries, when it has one. */
  viaOf?(message: Message): readonly string[] | undefined;
  /** Whether an item is still to be sent when its time comes (a reply held back for a visitor who may have read it); default yes. */
  stillWanted?(item: OutboxItem, conversation: ConversationRecord): Promise<boolean>;
  /** The conversation as the recipient's network is to see it (opened by the address a visitor continues at); default as stored. */
  seenBy?(item: OutboxItem, conversation: ConversationRecord): Promise<NetworkConversation>;
}

const BATCH = 50;

export class OutboxWorker {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, { timer: Timer; at: number }>();
  private stopped = false;
  /** Messages whose senders were told they wait (bounded: cleared once sent or failed). */
  private readonly reportedWaiting = new Set<string>();

  constructor(private readonly deps: OutboxDeps) {}

  /** Looks at a network's queue now (coalesces with a pass already running). */
  kick(network: string): void {
    if (this.stopped) return;
    if (this.running.has(network)) {
      this.again.add(network);
      return;
    }
    const pass = this.drain(network)
      .then(async (left) => this.deps.metrics.outboxDepth.set({ network }, left ?? (await this.deps.store.outboxDepth(network))))
      .catch((error: unknown) => this.deps.logger.error({ err: error, network }, 'outbox pass failed'))
      .finally(() => {
        this.running.delete(network);
        if (this.again.delete(network)) this.kick(network);
      });
    this.running.set(network, pass);
  }

  /** Kicks every network that has queued items (at start-up). */
  async resume(): Promise<void> {
    for (const network of await this.deps.store.outboxNetworks()) this.kick(network);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
    await Promise.all(this.running.values());
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

  /** Looks at a network's queue again at `at` (the earliest of the times asked for). */
  private wakeAt(network: string, at: number): void {
    const pending = this.timers.get(network);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.deps.clock.setTimer(
      () => {
        this.timers.delete(network);
        this.kick(network);
      },
      Math.max(0, at - this.now()),
    );
    this.timers.set(network, { timer, at });
  }

  /**
   * Sends what is due in a network's queue. Resolves with how many items it left there when it read
   * the queue to its end (the outbox depth, with no count query), else undefined.
   */
  private async drain(networkId: string): Promise<number | undefined> {
    const { store, registry } = this.deps;
    /** Recipients whose earliest item waits for a retry: their later items wait behind it. */
    const waiting = new Set<string>();
    let left = 0;
    let after = 0;
    for (;;) {
      if (this.stopped) return undefined;
      const items = await store.pendingOutbox(networkId, BATCH, after);
      if (items.length === 0) return left;
      const network = registry.get(networkId);
      if (!network || network.status().state !== 'online') {
        await this.reportWaiting(networkId, whyWaiting(networkId, network));
        return undefined; // the network's `online` status kicks us again
      }
      for (const item of items) {
        if (this.stopped) return undefined;
        after = item.id;
        if (waiting.has(item.recipient)) {
          left += 1;
          continue;
        }
        if (item.nextAttemptAt > this.now()) {
          waiting.add(item.recipient);
          this.wakeAt(networkId, item.nextAttemptAt);
          left += 1;
          continue;
        }
        if ((await this.send(network, item)) === 'done') continue;
        waiting.add(item.recipient);
        left += 1;
        // The network itself went down: the rest waits for its `online` (no attempts spent on it).
        if (network.status().state !== 'online') return undefined;
      }
      if (items.length < BATCH) return left;
    }
  }

  /** Sends one item: `done` when it left the queue (sent, failed, or its conversation gone), `retry` when it waits. */
  private async send(network: Network, item: OutboxItem): Promise<'done' | 'retry'> {
    const { store, metrics } = this.deps;
    const conversation = await store.getConversation(item.message.conversationId);
    if (!conversation || (this.deps.stillWanted && !(await this.deps.stillWanted(item, conversation)))) {
      await store.completeOutbox(item.id);
      return 'done';
    }
    try {
      const sender = await store.getParty(item.message.from);
      const fromName = sender?.name ?? this.deps.teams.agentNameOf(item.message.from);
      const via = this.deps.viaOf?.(item.message);
      const result = await network.send({
        message: item.message,
        to: item.recipient,
        conversation: this.deps.seenBy ? await this.deps.seenBy(item, conversation) : toNetworkConversation(conversation),
        ...(fromName ? { fromName } : {}),
        ...(via ? { via } : {}),
      });
      const status = result.status ?? 'sent';
      const changed = await store.completeOutbox(item.id, status);
      this.reportedWaiting.delete(item.message.id);
      metrics.messages.inc({ network: network.scheme, direction: 'out' });
      await this.deps.onOutcome(item, status, undefined, changed);
      return 'done';
    } catch (error) {
      return this.sendFailed(network.scheme, item, error);
    }
  }

  /** A send failed: the message fails for good (not retryable, or too many attempts), or waits for its next attempt. */
  private async sendFailed(networkId: string, item: OutboxItem, error: unknown): Promise<'done' | 'retry'> {
    const { store, logger } = this.deps;
    const retryable = error instanceof NetworkError ? error.retryable : true;
    const reason = error instanceof Error ? error.message : String(error);
    const attempts = item.attempts + 1;
    if (!retryable || attempts >= (this.deps.maxAttempts ?? 20)) {
      const changed = await store.completeOutbox(item.id, 'failed');
      this.reportedWaiting.delete(item.message.id);
      logger.warn({ message: item.message.id, network: networkId, reason, attempts }, 'outbound message failed');
      const code = (error instanceof NetworkError ? error.code : undefined) ?? (retryable ? 'unavailable' : 'bad_request');
      await this.deps.onOutcome(item, 'failed', { code, message: `${networkId}: ${reason}` }, changed);
      return 'done';
    }
    const next = this.now() + backoffDelay(attempts, this.deps.backoff ?? DEFAULT_BACKOFF);
    await store.retryOutbox(item.id, next, reason);
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
function whyWaiting(networkId: string, network: Network | undefined): string {
  if (!network) return `no ${networkId} network is configured`;
  const status = network.status();
  return `${networkId} is ${status.state}${status.reason ? ` (${status.reason})` : ''}`;
}
