/**
 * Node-to-node messages between the bridge nodes of a cluster, and who is alive. A single node has
 * the local bus: nothing leaves it, it is alone. Several nodes use the remote bus over a transport
 * (the socket.io adapter's `serverSideEmit`, cluster/fabric.ts), with heartbeats of its own: a node
 * unheard for MISSED_HEARTBEATS heartbeats has left, and one that stops says so.
 *
 * What each part replicates is its own (connection counts, presence): it keeps the other nodes'
 * state per node, drops a node's when it leaves, and publishes all of its own on `onSync`: when a
 * node is first heard (it knows nothing of ours yet) and when a node asks for it (it missed some of
 * our messages, or heard us anew). A sequence number per sender tells a receiver it missed some.
 */
import type { Clock, Timer } from '../util/clock.js';

export type BusHandler<T> = (payload: T, fromNode: string) => void;

export interface ClusterBus {
  readonly nodeId: string;
  /** Whether other nodes may be there (false: a single node, `publish` reaches no one). */
  readonly spansNodes: boolean;
  /** Sends to every other node (or only to node `to`), in order (best effort: a node that missed some asks for a sync). */
  publish<T>(type: string, payload: T, to?: string): void;
  /** Handles what other nodes publish under `type`; returns the unsubscribe. */
  on<T>(type: string, handler: BusHandler<T>): () => void;
  /** The nodes alive now, this one included. */
  nodes(): string[];
  /** Called when a node stopped or was unheard too long: its state is gone with it. */
  onNodeLeft(handler: (nodeId: string) => void): () => void;
  /** Called when the other nodes need all of this node's state: publish it (replacing what they hold of ours). */
  onSync(handler: () => void): () => void;
  start(): void;
  /** Tells the others this node is leaving (before its transport closes). */
  stop(): void;
}

/** One node alone: nothing to send, nobody to hear. */
export class LocalBus implements ClusterBus {
  readonly spansNodes = false;
  constructor(readonly nodeId = 'local') {}
  publish<T>(_type: string, _payload: T, _to?: string): void {}
  on<T>(_type: string, _handler: BusHandler<T>): () => void {
    return () => undefined;
  }
  nodes(): string[] {
    return [this.nodeId];
  }
  onNodeLeft(_handler: (nodeId: string) => void): () => void {
    return () => undefined;
  }
  onSync(_handler: () => void): () => void {
    return () => undefined;
  }
  start(): void {}
  stop(): void {}
}

/** What travels between nodes. `to`: meant for that node only (the others only note the sender is alive). */
export interface BusEnvelope {
  from: string;
  seq: number;
  type: string;
  payload: unknown;
  to?: string;
  /** When the sender sent it (its clock, epoch ms): the delay through Redis is measured from it. */
  sentAt?: number;
}

/** Carries envelopes to every other node (never back to the sender). */
export interface BusTransport {
  send(envelope: BusEnvelope): void;
  onReceive(handler: (envelope: BusEnvelope) => void): void;
}

export const HEARTBEAT_MS = 2000;
export const MISSED_HEARTBEATS = 3;

const HEARTBEAT = 'bus:heartbeat';
const SYNC_WANTED = 'bus:sync';
const LEAVING = 'bus:leaving';

export class RemoteBus implements ClusterBus {
  readonly spansNodes = true;
  private readonly handlers = new Map<string, Set<BusHandler<unknown>>>();
  private readonly leftHandlers = new Set<(nodeId: string) => void>();
  private readonly syncHandlers = new Set<() => void>();
  /** Other nodes alive: when each was last heard, and the last sequence number of theirs. */
  private readonly peers = new Map<string, { heardAt: number; seq: number }>();
  private seq = 0;
  private timer: Timer | undefined;
  private syncTimer: Timer | undefined;
  private stopped = false;

  constructor(
    readonly nodeId: string,
    private readonly transport: BusTransport,
    private readonly clock: Clock,
    private readonly heartbeatMs = HEARTBEAT_MS,
    /** Told, for each message from another node, how long it took (ms, as the two clocks tell). */
    private readonly delayed?: (ms: number) => void,
  ) {
    transport.onReceive((envelope) => this.receive(envelope));
  }

  start(): void {
    this.stopped = false;
    this.beat();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.syncTimer?.cancel();
    this.send(LEAVING, null);
    // Forgotten quietly: this node is stopping, the others did not leave. Telling its own presence
    // and hub they did would show their parties offline to the networks it still runs.
    this.peers.clear();
  }

  publish<T>(type: string, payload: T, to?: string): void {
    if (!this.stopped) this.send(type, payload, to);
  }

  on<T>(type: string, handler: BusHandler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as BusHandler<unknown>);
    return () => set.delete(handler as BusHandler<unknown>);
  }

  nodes(): string[] {
    return [this.nodeId, ...this.peers.keys()];
  }

  onNodeLeft(handler: (nodeId: string) => void): () => void {
    this.leftHandlers.add(handler);
    return () => this.leftHandlers.delete(handler);
  }

  onSync(handler: () => void): () => void {
    this.syncHandlers.add(handler);
    return () => this.syncHandlers.delete(handler);
  }

  private send(type: string, payload: unknown, to?: string): void {
    this.transport.send({ from: this.nodeId, seq: ++this.seq, type, payload, sentAt: this.clock.now().getTime(), ...(to !== undefined ? { to } : {}) });
  }

  /** Publishes a heartbeat and lets go of the nodes unheard for too long. */
  private beat(): void {
    if (this.stopped) return;
    this.send(HEARTBEAT, null);
    const now = this.clock.now().getTime();
    for (const [node, peer] of [...this.peers]) if (now - peer.heardAt > MISSED_HEARTBEATS * this.heartbeatMs) this.left(node);
    this.timer = this.clock.setTimer(() => this.beat(), this.heartbeatMs);
  }

  private receive(envelope: BusEnvelope): void {
    if (this.stopped || envelope.from === this.nodeId) return;
    const { from } = envelope;
    if (envelope.type === LEAVING) {
      if (this.peers.has(from)) this.left(from);
      return;
    }
    const peer = this.peers.get(from);
    const now = this.clock.now().getTime();
    if (typeof envelope.sentAt === 'number') this.delayed?.(Math.max(0, now - envelope.sentAt));
    this.peers.set(from, { heardAt: now, seq: envelope.seq });
    if (!peer) {
      // A node new to us: it needs our state, and we need all of its own, not only what follows.
      this.syncSoon();
      this.send(SYNC_WANTED, null, from);
    } else if (envelope.seq !== peer.seq + 1) {
      this.send(SYNC_WANTED, null, from); // we missed some of its messages (Redis was away)
    }
    if (envelope.to !== undefined && envelope.to !== this.nodeId) return;
    if (envelope.type === SYNC_WANTED) return this.syncSoon();
    for (const handler of this.handlers.get(envelope.type) ?? []) handler(envelope.payload, from);
  }

  /** Publishes this node's state once for every request of the same moment (several nodes may ask at once). */
  private syncSoon(): void {
    if (this.syncTimer) return;
    this.syncTimer = this.clock.setTimer(() => {
      this.syncTimer = undefined;
      if (this.stopped) return;
      for (const handler of this.syncHandlers) handler();
    }, 0);
  }

  private left(node: string): void {
    this.peers.delete(node);
    for (const handler of this.leftHandlers) handler(node);
  }
}
