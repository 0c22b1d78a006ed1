// The outbox worker against a network whose sends settle when the test says, in any order: each
// recipient's items one at a time and in order, recipients at once up to the limit, a retry
// holding up only its recipient, nothing sent twice, and stop() waiting for the sends in flight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Message } from '@switchboard/protocol';
import { pino } from 'pino';
import { type OutboxLeases, OutboxWorker } from '../../src/core/outbox.js';
import { createMetrics } from '../../src/metrics.js';
import { type Network, NetworkError, type NetworkStatus, type OutboundMessage, type SendResult } from '../../src/networks/network.js';
import type { NetworkRegistry } from '../../src/networks/registry.js';
import { type ConversationRecord, type Fence, FencedError, type OutboxItem, type QueuedOutboxItem, type Store } from '../../src/store/store.js';
import { ManualClock } from '../manual-clock.js';

const START = new Date('2030-01-07T10:00:00Z');

/** A send the test settles by hand. */
interface PendingSend {
  text: string;
  to: Address;
  resolve(): void;
  reject(error: Error): void;
}

class HandNetwork {
  readonly scheme = 'hand';
  readonly deliversFromStore = false;
  /** Takes retractions (`Network.retracts`). */
  retracts = false;
  /** Takes corrections as such (`Network.corrects`). */
  corrects = false;
  state: NetworkStatus = { state: 'online' };
  readonly pending: PendingSend[] = [];
  /** Texts in the order their sends started. */
  readonly started: string[] = [];
  /** The texts each send took along (`also`: a burst), by the text it started with. */
  readonly alsoOf = new Map<string, string[]>();
  private readonly waiters: (() => void)[] = [];

  status(): NetworkStatus {
    return this.state;
  }

  send({ message, to, also }: OutboundMessage): Promise<SendResult> {
    this.started.push(message.text);
    if (also)
      this.alsoOf.set(
        message.text,
        also.map((later) => later.text),
      );
    return new Promise<SendResult>((resolve, reject) => {
      this.pending.push({
        text: message.text,
        to,
        resolve: () => resolve({ remoteId: message.id }),
        reject,
      });
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  /** The send of `text` in flight, taken out of `pending`. */
  take(text: string): PendingSend {
    const index = this.pending.findIndex((send) => send.text === text);
    assert.ok(index >= 0, `${text} is not in flight (in flight: ${this.inFlight().join(', ')})`);
    return this.pending.splice(index, 1)[0]!;
  }

  inFlight(): string[] {
    return this.pending.map((send) => send.text).sort();
  }

  /** Resolves once `count` sends are in flight. */
  async inFlightCount(count: number): Promise<void> {
    while (this.pending.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** The store's outbox, in memory: what the worker reads and writes. */
class MemoryOutbox {
  readonly items: OutboxItem[] = [];
  readonly completed: { id: number; status: string | undefined }[] = [];
  /** Failures the next conversation lookups throw (the store failing). */
  readonly lookupFailures: Error[] = [];
  /** When set, completions wait here until the test releases them (a commit still to come). */
  heldCompletions: (() => void)[] | undefined;
  /** Lookups of senders held until the test lets them go, when set. */
  heldPartyLookups: (() => void)[] | undefined;
  /** The lease token current in the "database": a fenced write with another is refused. */
  currentToken = 1;
  private nextId = 1;
  private seq = 0;

  /** Reads of the queue (passes), counted. */
  reads = 0;

  /** Queues an item; returns it as the store's append reports it (`AppendResult.queued`). */
  queue(recipient: Address, text: string, written: { from?: Address; at?: Date } = {}): QueuedOutboxItem {
    const message: Message = {
      id: `m${++this.seq}`,
      conversationId: `c-${recipient}`,
      seq: this.seq,
      from: written.from ?? 'web:a_agent@shop',
      text,
      sentAt: (written.at ?? START).toISOString(),
    };
    const item: OutboxItem = { id: this.nextId++, message, recipient, network: 'hand', attempts: 0, nextAttemptAt: 0 };
    this.items.push(item);
    return item.id > 1 ? { ...item, previous: item.id - 1 } : { ...item };
  }

  store(): Store {
    const conversation = (id: string): ConversationRecord =>
      ({
        id,
        siteKey: 'shop',
        openedBy: 'web:a_agent@shop',
        participants: ['web:a_agent@shop'],
        state: 'open',
        updatedAt: START.toISOString(),
      }) as unknown as ConversationRecord;
    const store: Partial<Store> = {
      pendingOutbox: async (network, limit, after = 0) => {
        this.reads += 1;
        return this.items
          .filter((item) => item.network === network && item.id > after)
          .slice(0, limit)
          .map((item) => ({ ...item }));
      },
      getConversation: async (id) => {
        const failure = this.lookupFailures.shift();
        if (failure) throw failure;
        return conversation(id);
      },
      getParty: async () => {
        if (this.heldPartyLookups) await new Promise<void>((resolve) => this.heldPartyLookups!.push(resolve));
        return null;
      },
      completeOutbox: async ({ id }, status, fence) => {
        if (this.heldCompletions) await new Promise<void>((resolve) => this.heldCompletions!.push(resolve));
        this.checkFence(fence);
        this.remove(id);
        this.completed.push({ id, status });
        return null;
      },
      retryOutbox: async ({ id }, nextAttemptAt, _error, fence) => {
        this.checkFence(fence);
        const item = this.items.find((candidate) => candidate.id === id)!;
        item.attempts += 1;
        item.nextAttemptAt = nextAttemptAt;
      },
      outboxDepth: async () => this.items.length,
      outboxNetworks: async () => [...new Set(this.items.map((item) => item.network))],
    };
    return store as Store;
  }

  private checkFence(fence: Fence | undefined): void {
    if (fence && fence.token !== this.currentToken) throw new FencedError(fence);
  }

  private remove(id: number): void {
    const index = this.items.findIndex((item) => item.id === id);
    if (index >= 0) this.items.splice(index, 1);
  }
}

/** A network lease the test takes and loses by hand, with the token it was granted. */
class HandLease implements OutboxLeases {
  token: number | undefined = 1;
  readonly fencedCalls: string[] = [];

  holds(): boolean {
    return this.token !== undefined;
  }

  fence(network: string): Fence | undefined {
    return this.token === undefined ? undefined : { lease: `network:${network}`, holder: 'node-a', token: this.token };
  }

  fenced(network: string): void {
    this.fencedCalls.push(network);
    this.token = undefined;
  }

  held(): string[] {
    return this.token === undefined ? [] : ['hand'];
  }
}

/** A network whose messages wait `burstMs` after a burst's first and go as one, but the desk's own (`team:`). */
class BurstNetwork extends HandNetwork {
  burstMs(_to: Address, message: Message): number {
    return message.from.startsWith('team:') ? 0 : BURST_MS;
  }
}

const BURST_MS = 20_000;

function setup(concurrency = 8, cluster?: { leases: OutboxLeases; pollMs?: number }, network: HandNetwork = new HandNetwork()) {
  const outbox = new MemoryOutbox();
  const clock = new ManualClock(START);
  const outcomes: { text: string; status: string; error?: string }[] = [];
  const registry = { get: (id: string) => (id === 'hand' ? (network as unknown as Network) : undefined) } as unknown as NetworkRegistry;
  const worker = new OutboxWorker({
    store: outbox.store(),
    registry,
    teams: { agentNameOf: () => undefined },
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    clock,
    concurrency,
    backoff: { initialMs: 1000, maxMs: 1000, jitter: 0 },
    onOutcome: async (item, status, error) => void outcomes.push({ text: item.message.text, status, ...(error ? { error: error.message } : {}) }),
    ...cluster,
  });
  return { network, outbox, clock, worker, outcomes };
}

/** A worker whose pass sent `a1`: its cursor stands after it. */
async function withA1Sent(cluster?: { leases: OutboxLeases }) {
  const parts = setup(8, cluster);
  parts.outbox.queue('hand:a', 'a1');
  parts.worker.kick('hand');
  await parts.network.inFlightCount(1);
  parts.network.take('a1').resolve();
  await settle();
  return parts;
}

/** Lets each send start in turn and succeed, then the worker settle. */
async function resolveInTurn(network: HandNetwork, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    await network.inFlightCount(1);
    network.take(text).resolve();
  }
  await settle();
}

/** Lets the worker's promise chains run to the end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('outbox worker', () => {
  it("sends several recipients at once, each recipient's items one at a time and in order, whatever order the sends settle in", async () => {
    const { network, outbox, worker } = setup();
    for (const [to, text] of [
      ['hand:a', 'a1'],
      ['hand:b', 'b1'],
      ['hand:a', 'a2'],
      ['hand:c', 'c1'],
      ['hand:b', 'b2'],
      ['hand:a', 'a3'],
    ] as const)
      outbox.queue(to, text);
    worker.kick('hand');
    await network.inFlightCount(3);
    await settle();
    assert.deepEqual(network.inFlight(), ['a1', 'b1', 'c1'], 'one item of each recipient at once');
    network.take('c1').resolve();
    network.take('b1').resolve();
    await network.inFlightCount(2);
    await settle();
    assert.deepEqual(network.inFlight(), ['a1', 'b2'], "b's next item went; a still waits for a1");
    network.take('b2').resolve();
    network.take('a1').resolve();
    await network.inFlightCount(1);
    assert.deepEqual(network.inFlight(), ['a2']);
    network.take('a2').resolve();
    await network.inFlightCount(1);
    network.take('a3').resolve();
    await settle();
    assert.deepEqual(
      network.started.filter((text) => text.startsWith('a')),
      ['a1', 'a2', 'a3'],
    );
    assert.equal(network.started.length, 6, 'each item sent once');
    assert.equal(outbox.items.length, 0);
    await worker.stop();
  });

  it("starts a recipient's next item once the network took the previous one, while that one's outcome is still being stored", async () => {
    const { network, outbox, worker, outcomes } = setup();
    const held: (() => void)[] = [];
    outbox.heldCompletions = held;
    for (const text of ['a1', 'a2', 'a3']) outbox.queue('hand:a', text);
    worker.kick('hand');
    await network.inFlightCount(1);
    network.take('a1').resolve();
    await settle();
    assert.deepEqual(network.inFlight(), ['a2']);
    assert.equal(held.length, 1, "a1's outcome is not stored yet");
    network.take('a2').reject(new NetworkError('a is away', true));
    await settle();
    assert.deepEqual(network.inFlight(), [], 'a3 waits behind the failed a2');
    outbox.heldCompletions = undefined;
    for (const release of held.splice(0)) release();
    await settle();
    assert.deepEqual(
      outcomes.map((o) => [o.text, o.status]),
      [
        ['a2', 'accepted'],
        ['a1', 'sent'],
      ],
    );
    assert.deepEqual(
      outbox.items.map((item) => [item.message.text, item.attempts]),
      [
        ['a2', 1],
        ['a3', 0],
      ],
    );
    assert.deepEqual(network.started, ['a1', 'a2']);
    await worker.stop();
  });

  it('keeps at most the configured number of recipients in flight', async () => {
    const { network, outbox, worker } = setup(2);
    for (const to of ['a', 'b', 'c', 'd']) outbox.queue(`hand:${to}`, to);
    worker.kick('hand');
    await network.inFlightCount(2);
    await settle();
    assert.deepEqual(network.inFlight(), ['a', 'b']);
    network.take('b').resolve();
    await network.inFlightCount(2);
    await settle();
    assert.deepEqual(network.inFlight(), ['a', 'c']);
    network.take('a').resolve();
    network.take('c').resolve();
    await network.inFlightCount(1);
    network.take('d').resolve();
    await worker.stop();
    assert.deepEqual(network.started, ['a', 'b', 'c', 'd']);
  });

  it('never sends an item again while it is in flight, however often the queue is kicked', async () => {
    const { network, outbox, worker } = setup();
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:b', 'b1');
    worker.kick('hand');
    await network.inFlightCount(2);
    for (let i = 0; i < 5; i++) {
      worker.kick('hand');
      await settle();
    }
    outbox.queue('hand:a', 'a2');
    worker.kick('hand');
    await settle();
    assert.deepEqual(network.inFlight(), ['a1', 'b1']);
    // Settled while a pass reads the queue: the page it reads may still hold them.
    worker.kick('hand');
    network.take('a1').resolve();
    network.take('b1').resolve();
    worker.kick('hand');
    await network.inFlightCount(1);
    network.take('a2').resolve();
    await settle();
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'b1', 'a2']);
  });

  it('holds up only the recipient of a retryable failure, and sends its items in order once it is due', async () => {
    const { network, outbox, worker, clock, outcomes } = setup();
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:a', 'a2');
    outbox.queue('hand:b', 'b1');
    outbox.queue('hand:b', 'b2');
    worker.kick('hand');
    await network.inFlightCount(2);
    network.take('a1').reject(new NetworkError('a is away', true));
    network.take('b1').resolve();
    await network.inFlightCount(1);
    await settle();
    assert.deepEqual(network.inFlight(), ['b2'], "a2 waits behind a1's retry; b goes on");
    network.take('b2').resolve();
    outbox.queue('hand:a', 'a3');
    worker.kick('hand');
    await settle();
    assert.deepEqual(network.inFlight(), [], "a's later items wait too");
    assert.ok(outcomes.some((o) => o.text === 'a1' && o.status === 'accepted' && /a is away/.test(o.error ?? '')));
    clock.set(new Date(START.getTime() + 1000));
    await resolveInTurn(network, 'a1', 'a2', 'a3');
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'b1', 'b2', 'a1', 'a2', 'a3']);
  });

  it('sends nothing of a message a retraction emptied, and the retraction only to a network that takes messages back', async () => {
    for (const retracts of [false, true]) {
      const { network, outbox, worker } = setup();
      network.retracts = retracts;
      outbox.queue('hand:a', ''); // what the retraction emptied, read back from the store
      outbox.queue('hand:a', '').message.corrects = outbox.items[0]!.message.id;
      outbox.queue('hand:a', 'after');
      worker.kick('hand');
      const sent = retracts ? ['', 'after'] : ['after'];
      await resolveInTurn(network, ...sent);
      assert.deepEqual(network.started, sent);
      assert.equal(outbox.items.length, 0, 'each item is done');
      await worker.stop();
    }
  });

  it('marks a correction edited for a network that shows it as a new message, and not for one that corrects', async () => {
    for (const corrects of [false, true]) {
      const { network, outbox, worker } = setup();
      network.corrects = corrects;
      outbox.queue('hand:a', 'We open at 8.');
      outbox.queue('hand:a', 'We open at 9.').message.corrects = outbox.items[0]!.message.id;
      worker.kick('hand');
      const sent = corrects ? ['We open at 8.', 'We open at 9.'] : ['We open at 8.', 'We open at 9. (edited)'];
      await resolveInTurn(network, ...sent);
      assert.deepEqual(network.started, sent);
      await worker.stop();
    }
  });

  it('sends no copy it holds of a message a retraction emptied since it was offered', async () => {
    const { network, outbox, worker } = setup();
    const offered = [outbox.queue('hand:a', 'a1'), outbox.queue('hand:a', 'my card is 4111'), outbox.queue('hand:a', 'a3')];
    worker.offer('hand', offered);
    await network.inFlightCount(1);
    worker.takenBack([offered[1]!.message.id]);
    network.take('a1').resolve();
    await resolveInTurn(network, 'a3');
    assert.deepEqual(network.started, ['a1', 'a3']);
    assert.equal(outbox.items.length, 0, 'each item is done');
    await worker.stop();
  });

  it('sends nothing of a message taken back while its sender was being looked up', async () => {
    const { network, outbox, worker } = setup();
    const held: (() => void)[] = [];
    outbox.heldPartyLookups = held;
    const [first] = [outbox.queue('hand:a', 'my card is 4111'), outbox.queue('hand:a', 'a2')];
    worker.kick('hand');
    while (held.length === 0) await settle();
    worker.takenBack([first.message.id]);
    outbox.heldPartyLookups = undefined;
    held.shift()!();
    await resolveInTurn(network, 'a2');
    assert.deepEqual(network.started, ['a2']);
    assert.equal(outbox.items.length, 0, 'each item is done');
    await worker.stop();
  });

  it('sends what it was offered as the next items of the queue at once, without reading them back', async () => {
    const { network, outbox, worker } = await withA1Sent();
    const reads = outbox.reads;
    worker.offer('hand', [outbox.queue('hand:a', 'a2'), outbox.queue('hand:b', 'b1')]);
    worker.offer('hand', [outbox.queue('hand:a', 'a3')]);
    await network.inFlightCount(2);
    assert.deepEqual(network.inFlight(), ['a2', 'b1']);
    network.take('a2').resolve();
    network.take('b1').resolve();
    await network.inFlightCount(1);
    network.take('a3').resolve();
    await settle();
    assert.equal(outbox.reads, reads, 'no pass read the queue');
    assert.deepEqual(network.started, ['a1', 'a2', 'b1', 'a3']);
    assert.equal(outbox.items.length, 0);
    await worker.stop();
  });

  it('reads the queue instead when an offer is not next in it (an earlier item not handed out), and still sends in order, once each', async () => {
    const { network, outbox, worker } = await withA1Sent();
    outbox.queue('hand:a', 'a2'); // stored by another path, never offered
    const a3 = outbox.queue('hand:a', 'a3');
    const reads = outbox.reads;
    worker.offer('hand', [a3]);
    await network.inFlightCount(1);
    assert.ok(outbox.reads > reads, 'a pass read the queue');
    network.take('a2').resolve();
    await network.inFlightCount(1);
    worker.offer('hand', [a3]); // offered again: already in hand
    network.take('a3').resolve();
    await settle();
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'a2', 'a3']);
  });

  it('takes an empty offer for a kick: the queue is read', { timeout: 5000 }, async () => {
    const { network, outbox, worker } = await withA1Sent();
    outbox.queue('hand:a', 'a2'); // stored by another path
    worker.offer('hand', []);
    await network.inFlightCount(1);
    network.take('a2').resolve();
    await settle();
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'a2']);
  });

  it("keeps an offered item behind its recipient's item waiting for a retry", async () => {
    const { network, outbox, worker, clock } = setup();
    outbox.queue('hand:a', 'a1');
    worker.kick('hand');
    await network.inFlightCount(1);
    network.take('a1').reject(new NetworkError('a is away', true));
    await settle();
    worker.offer('hand', [outbox.queue('hand:a', 'a2'), outbox.queue('hand:b', 'b1')]);
    await network.inFlightCount(1);
    await settle();
    assert.deepEqual(network.inFlight(), ['b1'], 'a2 waits behind a1');
    network.take('b1').resolve();
    clock.set(new Date(START.getTime() + 1000));
    await resolveInTurn(network, 'a1', 'a2');
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'b1', 'a1', 'a2']);
  });

  it('starts nothing more once the network goes down, and spends no attempt on what did not start', async () => {
    const { network, outbox, worker } = setup(1);
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:b', 'b1');
    outbox.queue('hand:c', 'c1');
    worker.kick('hand');
    await network.inFlightCount(1);
    network.state = { state: 'offline', reason: 'connection lost' };
    network.take('a1').reject(new NetworkError('connection lost', true));
    await settle();
    assert.deepEqual(network.started, ['a1']);
    assert.deepEqual(
      outbox.items.map((item) => [item.message.text, item.attempts]),
      [
        ['a1', 1],
        ['b1', 0],
        ['c1', 0],
      ],
    );
    network.state = { state: 'online' };
    worker.kick('hand');
    await network.inFlightCount(1);
    assert.deepEqual(network.inFlight(), ['b1'], 'the others go once it is back; a1 waits for its retry');
    network.take('b1').resolve();
    await network.inFlightCount(1);
    network.take('c1').resolve();
    await settle();
    await worker.stop();
  });

  it('tries an item again soon by itself when the store failed while sending it', async () => {
    const { network, outbox, worker, clock } = setup();
    outbox.lookupFailures.push(new Error('database is locked'));
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:a', 'a2');
    worker.kick('hand');
    await settle();
    assert.deepEqual(network.started, []);
    clock.set(new Date(START.getTime() + 1000)); // no other kick: the worker wakes itself after the first backoff
    await network.inFlightCount(1);
    network.take('a1').resolve();
    await network.inFlightCount(1);
    network.take('a2').resolve();
    await settle();
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'a2']);
  });

  it('stop() resolves only once the sends in flight settled, and starts no more', async () => {
    const { network, outbox, worker } = setup();
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:a', 'a2');
    outbox.queue('hand:b', 'b1');
    worker.kick('hand');
    await network.inFlightCount(2);
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false);
    network.take('a1').resolve();
    await settle();
    assert.equal(stopped, false, 'b1 is still in flight');
    network.take('b1').resolve();
    await stopping;
    assert.deepEqual(network.started, ['a1', 'b1'], 'a2 was not started after stop()');
    assert.deepEqual(
      outbox.items.map((item) => item.message.text),
      ['a2'],
    );
  });

  it('stop(waitMs) gives up on a send that does not settle, which then fails with the network: left queued as it was, no attempt counted', async () => {
    const { network, outbox, worker } = setup();
    outbox.queue('hand:a', 'a1');
    worker.kick('hand');
    await network.inFlightCount(1);
    await worker.stop(20);
    assert.deepEqual(network.inFlight(), ['a1'], 'still in flight when the stop gave up waiting');
    // The network's own stop fails what it still held.
    network.take('a1').reject(new NetworkError('the connection to the server was closed', true));
    await settle();
    assert.deepEqual(
      outbox.items.map((item) => [item.message.text, item.attempts]),
      [['a1', 0]],
    );
  });

  it('reads a long queue a page at a time and still sends every item once, in order', async () => {
    const { network, outbox, worker } = setup(3);
    for (let i = 1; i <= 130; i++) outbox.queue(`hand:r${i % 3}`, `m${i}`);
    worker.kick('hand');
    for (let sent = 0; sent < 130; sent++) {
      await network.inFlightCount(1);
      network.pending.shift()!.resolve();
    }
    await settle();
    await worker.stop();
    assert.equal(network.started.length, 130);
    assert.equal(new Set(network.started).size, 130);
    for (const r of [0, 1, 2]) {
      const texts = network.started.filter((text) => Number(text.slice(1)) % 3 === r).map((text) => Number(text.slice(1)));
      assert.deepEqual(
        texts,
        [...texts].sort((x, y) => x - y),
      );
    }
  });
});

describe('outbox worker in a cluster', () => {
  it('sends nothing of a network this node does not hold (a kick does nothing), and reads its whole queue at once when it acquires it', async () => {
    const lease = new HandLease();
    lease.token = undefined;
    const { network, outbox, worker } = setup(8, { leases: lease });
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:b', 'b1');
    const elsewhere: string[] = [];
    worker.onKickElsewhere((name) => elsewhere.push(name));
    worker.kick('hand');
    await worker.resume();
    await settle();
    assert.deepEqual(network.started, []);
    assert.deepEqual(elsewhere, ['hand', 'hand'], 'the kicks are passed on, for the node that holds it');
    lease.token = 2;
    outbox.currentToken = 2;
    worker.acquired('hand');
    await network.inFlightCount(2);
    assert.deepEqual(network.inFlight(), ['a1', 'b1']);
    network.take('a1').resolve();
    network.take('b1').resolve();
    await settle();
    assert.equal(outbox.items.length, 0);
    await worker.stop();
  });

  it('leaves an item in the store when its lease was lost during the send: the completion is refused by the fence, the next holder sends it', async () => {
    const lease = new HandLease();
    const { network, outbox, worker, outcomes } = setup(8, { leases: lease });
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:a', 'a2');
    worker.kick('hand');
    await network.inFlightCount(1);
    // Another node took the network over (its token is 2) while a1 was being sent.
    outbox.currentToken = 2;
    network.take('a1').resolve();
    await settle();
    assert.deepEqual(lease.fencedCalls, ['hand'], 'the refusal lost the lease at once');
    assert.deepEqual(
      outbox.items.map((item) => [item.message.text, item.attempts]),
      [
        ['a1', 0],
        ['a2', 0],
      ],
      'both items stay, no attempt counted',
    );
    assert.deepEqual(outcomes, [], 'nothing reported: the holder reports it');
    assert.deepEqual(network.started, ['a1'], 'a2 was not started');
    await worker.stop();

    // The new holder (token 2) sends both: a1 a second time towards the network (at-least-once).
    const next = setup(8, { leases: Object.assign(new HandLease(), { token: 2 }) });
    next.outbox.items.push(...outbox.items);
    next.outbox.currentToken = 2;
    next.worker.acquired('hand');
    await next.network.inFlightCount(1);
    next.network.take('a1').resolve();
    await next.network.inFlightCount(1);
    next.network.take('a2').resolve();
    await settle();
    assert.equal(next.outbox.items.length, 0);
    await next.worker.stop();
  });

  it("refuses a failed send's retry record once the lease is gone (no attempt counted by a stale node)", async () => {
    const lease = new HandLease();
    const { network, outbox, worker } = setup(8, { leases: lease });
    outbox.queue('hand:a', 'a1');
    worker.kick('hand');
    await network.inFlightCount(1);
    outbox.currentToken = 2;
    network.take('a1').reject(new NetworkError('hand is offline', true));
    await settle();
    assert.deepEqual(lease.fencedCalls, ['hand']);
    assert.equal(outbox.items[0]!.attempts, 0);
    await worker.stop();
  });

  it('reads the queue for what it was offered: in a cluster another node may have queued items before them', async () => {
    const { network, outbox, worker } = await withA1Sent({ leases: new HandLease() });
    const reads = outbox.reads;
    worker.offer('hand', [outbox.queue('hand:a', 'a2')]);
    await network.inFlightCount(1);
    assert.ok(outbox.reads > reads, 'a pass read the queue');
    network.take('a2').resolve();
    await settle();
    await worker.stop();
    assert.deepEqual(network.started, ['a1', 'a2']);
  });

  it('reads the queues of the networks it holds every pollMs without a kick (items another node queued)', async () => {
    const lease = new HandLease();
    const { network, outbox, worker, clock } = setup(8, { leases: lease, pollMs: 3000 });
    await worker.resume();
    outbox.queue('hand:a', 'queued elsewhere');
    await settle();
    assert.deepEqual(network.started, []);
    clock.set(new Date(START.getTime() + 3000));
    await network.inFlightCount(1);
    assert.deepEqual(network.started, ['queued elsewhere']);
    network.take('queued elsewhere').resolve();
    await settle();
    await worker.stop();
  });
});

describe('outbox worker, bursts (a network with burstMs: email)', () => {
  const at = (ms: number) => new Date(START.getTime() + ms);
  const burstSetup = () => setup(8, undefined, new BurstNetwork());

  it("holds a burst's first message until burstMs after it was written, then sends the lines written meanwhile with it, each reported sent", async () => {
    const { network, outbox, worker, clock, outcomes } = burstSetup();
    worker.offer('hand', [outbox.queue('hand:a', 'a1')]);
    await settle();
    clock.set(at(5000));
    worker.offer('hand', [outbox.queue('hand:a', 'a2', { at: at(5000) })]);
    clock.set(at(12_000));
    worker.offer('hand', [outbox.queue('hand:a', 'a3', { at: at(12_000) })]);
    await settle();
    assert.deepEqual(network.started, [], 'nothing goes while the burst may go on');
    clock.set(at(BURST_MS));
    await network.inFlightCount(1);
    assert.deepEqual(network.started, ['a1']);
    assert.deepEqual(network.alsoOf.get('a1'), ['a2', 'a3']);
    network.take('a1').resolve();
    await settle();
    assert.deepEqual(
      outcomes.map((o) => [o.text, o.status]),
      [
        ['a1', 'sent'],
        ['a2', 'sent'],
        ['a3', 'sent'],
      ],
    );
    assert.equal(outbox.items.length, 0);
    await worker.stop();
  });

  it('starts the next burst with a line written while the last one is on its way', async () => {
    const { network, outbox, worker, clock } = burstSetup();
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:a', 'a2', { at: at(1000) });
    clock.set(at(BURST_MS));
    worker.kick('hand');
    await network.inFlightCount(1);
    worker.offer('hand', [outbox.queue('hand:a', 'a3', { at: at(BURST_MS) })]);
    network.take('a1').resolve();
    await settle();
    assert.deepEqual(network.started, ['a1'], 'a3 waits for its own burst');
    clock.set(at(2 * BURST_MS));
    await network.inFlightCount(1);
    assert.deepEqual(network.started, ['a1', 'a3']);
    assert.deepEqual(network.alsoOf.get('a1'), ['a2']);
    assert.equal(network.alsoOf.get('a3'), undefined);
    network.take('a3').resolve();
    await settle();
    await worker.stop();
  });

  it("takes along only its sender's lines: the desk's own message goes at once, and another sender's starts a burst of its own", async () => {
    const { network, outbox, worker, clock } = burstSetup();
    outbox.queue('hand:a', 'greeting', { from: 'team:support' });
    worker.kick('hand');
    await network.inFlightCount(1);
    assert.deepEqual(network.started, ['greeting'], "the desk's own message does not wait");
    network.take('greeting').resolve();
    await settle();
    outbox.queue('hand:a', 'alice 1');
    outbox.queue('hand:a', 'bob 1', { from: 'web:a_bob@shop' });
    outbox.queue('hand:a', 'alice 2');
    clock.set(at(BURST_MS));
    worker.kick('hand');
    await resolveInTurn(network, 'alice 1', 'bob 1', 'alice 2');
    assert.deepEqual(network.started, ['greeting', 'alice 1', 'bob 1', 'alice 2'], 'in queue order: a burst is what follows its first line unbroken');
    assert.equal(network.alsoOf.size, 0);
    await worker.stop();
  });

  it('sends the burst again after a retryable failure, and its later lines on their own after a final one', async () => {
    const { network, outbox, worker, clock, outcomes } = burstSetup();
    outbox.queue('hand:a', 'a1');
    outbox.queue('hand:a', 'a2');
    clock.set(at(BURST_MS));
    worker.kick('hand');
    await network.inFlightCount(1);
    network.take('a1').reject(new NetworkError('the server is busy', true));
    await settle();
    clock.set(at(BURST_MS + 1000));
    await network.inFlightCount(1);
    assert.deepEqual(network.alsoOf.get('a1'), ['a2'], 'the same burst again');
    network.take('a1').reject(new NetworkError('no such mailbox', false));
    await settle();
    clock.set(clock.now());
    await network.inFlightCount(1);
    assert.deepEqual(network.inFlight(), ['a2'], 'a2 goes on its own');
    network.take('a2').resolve();
    await settle();
    assert.deepEqual(
      outcomes.filter((o) => o.status !== 'accepted').map((o) => [o.text, o.status]),
      [
        ['a1', 'failed'],
        ['a2', 'sent'],
      ],
    );
    await worker.stop();
  });
});
