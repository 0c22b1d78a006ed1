/**
 * The ClientHub over socket.io rooms: `a:<address>` holds every connection of a party,
 * `agents:<site>` a site's agents and integrations, `p:<address>` presence watchers, `t:<team>@<site>`
 * a site's watchers of a team's availability. Rooms are named by the bridge's addresses, which
 * carry the site of web identities (networks/web/site-scope.ts), so no room spans two sites' parties;
 * payloads leave in the form the site's clients know.
 *
 * On several nodes (cluster/fabric.ts) the rooms span the nodes through the adapter, and what the
 * hub counts does too: each node publishes its connection counts on the bus, and the hub adds up
 * every node alive. `onConnectivity` stays about this node's own connections (each node reports
 * the presence of the parties connected to it; core/presence.ts merges the nodes' reports).
 */
import { randomUUID } from 'node:crypto';
import type { Address, ClientToServerEvents, Message, ServerToClientEvents } from '@switchboard/protocol';
import { lruCache } from '../util/lru.js';
import type { DefaultEventsMap, Namespace, Server, Socket } from 'socket.io';
import { type ClusterBus, LocalBus } from '../cluster/bus.js';
import type { Actor } from '../core/actor.js';
import type { ClientHub, HubRoom } from '../core/hub.js';
import { isDeskIdentity } from '../networks/web/identities.js';
import { toClientForm } from '../networks/web/site-scope.js';

export function roomName(room: HubRoom): string {
  switch (room.kind) {
    case 'address':
      return `a:${room.address}`;
    case 'agents':
      return `agents:${room.siteKey}`;
    case 'presence':
      return `p:${room.address}`;
    case 'team':
      return `t:${room.team}@${room.siteKey}`;
  }
}

/** What a connection carries once its handshake is authenticated. */
export interface SocketData {
  actor: Actor;
  /** The session token, until the `session` event has carried it (not kept for the connection's life). */
  token?: string;
  /** The console session (`c` of the token) the connection lives by: it is closed when that session ends. */
  consoleSession?: string;
}

export type V1Server = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type V1Namespace = Namespace<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type V1Socket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

/** What one node tells the others about its connections: an address's count there (0: none left). */
interface ConnectionCount {
  address: Address;
  siteKey: string;
  count: number;
}

/** A message for a party's connections on the other nodes; `id` names it in their receipt. */
interface RemoteDelivery {
  id: string;
  address: Address;
  message: unknown;
}

/** A delivery to other nodes not yet received there, and its publications again. */
interface Unreceived {
  delivery: RemoteDelivery;
  /** When it was last published. */
  sentAt: number;
  /** Times it was published again so far. */
  resent: number;
}

/** How long a delivery waits for its receipt before it is published again, then twice as long each round, RESENDS rounds at most. */
const RESEND_AFTER_MS = 4000;
const RESENDS = 4;

/**
 * Deliveries to other nodes waiting for their first receipt. Bounded: an acknowledgement that
 * never comes (the connection closed) is forgotten after a while, without a timer per message.
 */
const PENDING_REMOTE = 50_000;
const PENDING_REMOTE_TTL_MS = 10 * 60_000;
/**
 * How long, after another node was last unheard (it left, or Redis went away), a message that
 * reached no connection is kept for that node's connections: once it is heard again and says who
 * is connected there, their readers get it without reconnecting.
 */
const UNREACHED_TTL_MS = 5 * 60_000;

export class SocketHub implements ClientHub {
  /** This node's connections. */
  private readonly connections = new Map<Address, { count: number; siteKey: string }>();
  /** The other nodes' connections, per node (gone with the node). */
  private readonly remote = new Map<string, Map<Address, { count: number; siteKey: string }>>();
  private readonly listeners = new Set<(address: Address, connected: boolean) => void>();
  private readonly awaitingReceipt = lruCache<string, () => void>(PENDING_REMOTE, { ttl: PENDING_REMOTE_TTL_MS });
  /**
   * The same deliveries as they went, until received: published again at the other nodes'
   * heartbeats (`resendUnreceived`) when the bus lost them or their receipt (Redis went away), so a
   * reader who stayed connected there gets what was stored meanwhile without reconnecting.
   */
  private readonly unreceived = lruCache<string, Unreceived>(PENDING_REMOTE, { ttl: PENDING_REMOTE_TTL_MS });
  /** Deliveries that reached no connection while another node was unheard, with what their receipt does (UNREACHED_TTL_MS). */
  private readonly unreached = lruCache<string, { delivery: RemoteDelivery; onReceived: () => void }>(PENDING_REMOTE, { ttl: UNREACHED_TTL_MS });
  /** When another node was last unheard (left, or Redis away): deliveries that reach no one are kept until a while after. */
  private nodeLeftAt = Number.NEGATIVE_INFINITY;
  /** Deliveries from other nodes handed to this node's connections (received: acknowledged): one published again is not handed twice. */
  private readonly handedHere = lruCache<string, { received: boolean }>(PENDING_REMOTE, { ttl: PENDING_REMOTE_TTL_MS });
  /**
   * Each site's agents and integrations seen connected, on any node: the site's inbox readers are
   * asked for at every change of a conversation, and a site can have thousands of visitors
   * connected. Pruned as their connections go.
   */
  private readonly desk = new Map<string, Set<Address>>();

  constructor(
    private readonly nsp: V1Namespace,
    private readonly bus: ClusterBus = new LocalBus(),
    /** The time (ms) deliveries are kept and published again by (tests move it). */
    private readonly now: () => number = Date.now,
  ) {
    bus.on<ConnectionCount>('hub:count', (entry, node) => this.setRemote(node, entry));
    bus.on<ConnectionCount[]>('hub:counts', (entries, node) => {
      this.remote.delete(node);
      for (const entry of entries) this.setRemote(node, entry);
      this.handUnreached(node);
    });
    bus.onSync(() => {
      bus.publish<ConnectionCount[]>(
        'hub:counts',
        [...this.connections].map(([address, { count, siteKey }]) => ({ address, siteKey, count })),
      );
    });
    // A delivery or its receipt lost on the way (Redis went away with it): published again, a few
    // times, later each time; the node that has it hands it once and says its receipt again.
    bus.on('bus:heartbeat', () => this.resendUnreceived());
    bus.onNodeLeft((node) => {
      this.remote.delete(node);
      this.nodeLeftAt = this.now();
    });
    bus.on<RemoteDelivery>('hub:deliver', ({ id, address, message }, node) => {
      // Published again after an outage: handed once; its receipt said again if it was lost.
      const handed = this.handedHere.get(id);
      if (handed) {
        if (handed.received) bus.publish('hub:received', id, node);
        return;
      }
      const entry = { received: false };
      this.handedHere.set(id, entry);
      this.deliverHere(address, message, () => {
        entry.received = true;
        bus.publish('hub:received', id, node);
      });
    });
    bus.on<string>('hub:received', (id) => {
      this.unreceived.delete(id);
      const onReceived = this.awaitingReceipt.get(id);
      if (!onReceived) return;
      this.awaitingReceipt.delete(id);
      onReceived();
    });
  }

  emit<E extends keyof ServerToClientEvents>(
    rooms: HubRoom[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
    options: { exceptConnection?: string; local?: boolean } = {},
  ): void {
    const names = rooms.map(roomName);
    // socket.io encodes a broadcast before it looks at its rooms: a party coming online tells its
    // presence room, which nobody watches most of the time. Only this node's rooms are known here.
    const localOnly = options.local === true || !this.bus.spansNodes;
    if (localOnly && !names.some((name) => this.nsp.adapter.rooms.has(name))) return;
    let target = (options.local ? this.nsp.local : this.nsp).to(names);
    if (options.exceptConnection) target = target.except(options.exceptConnection);
    (target.emit as (event: string, payload: unknown) => boolean)(event, toClientForm(payload));
  }

  deliverMessage(address: Address, message: Message, onReceived: () => void): void {
    const wire = toClientForm(message);
    let received = false;
    const once = () => {
      if (received) return;
      received = true;
      onReceived();
    };
    const handed = this.deliverHere(address, wire, once);
    if (![...this.remote.values()].some((counts) => counts.has(address))) {
      // Connected nowhere that this node knows of, while a node is unheard: maybe there.
      if (!handed && this.now() - this.nodeLeftAt < UNREACHED_TTL_MS) {
        const id = randomUUID();
        this.unreached.set(id, { delivery: { id, address, message: wire }, onReceived: once });
      }
      return;
    }
    // The party's connections on other nodes: each node sends to its own (so no connection gets
    // it twice) and answers with its first acknowledgement; the first of all counts. A node's
    // counts come before its party's presence (in order, from that node), so a party routed to
    // is known here by then.
    const id = randomUUID();
    this.awaitingReceipt.set(id, once);
    const delivery: RemoteDelivery = { id, address, message: wire };
    this.unreceived.set(id, { delivery, sentAt: this.now(), resent: 0 });
    this.bus.publish<RemoteDelivery>('hub:deliver', delivery);
  }

  /**
   * Sends a message to each of this node's connections of `address`. Each connection acknowledges
   * on its own: the first acknowledgement counts, so one stale tab does not hold back `delivered`
   * (a broadcast ack would wait for every connection).
   */
  private deliverHere(address: Address, wire: unknown, onReceived: () => void): boolean {
    const ids = this.nsp.adapter.rooms.get(roomName({ kind: 'address', address }));
    if (!ids || ids.size === 0) return false;
    let received = false;
    for (const id of ids) {
      const socket = this.nsp.sockets.get(id);
      if (!socket) continue;
      // No ack timeout: a timer per message would outlive the connection; an ack that never comes
      // is dropped with the socket.
      (socket.emit as (event: string, payload: unknown, ack: () => void) => boolean)('message', wire, () => {
        if (received) return;
        received = true;
        onReceived();
      });
    }
    return true;
  }

  /**
   * Deliveries still unreceived RESEND_AFTER_MS after they were last published (twice as long each
   * time), published again to every node: checked at each heartbeat heard, so only while others are.
   */
  private resendUnreceived(): void {
    const now = this.now();
    for (const entry of [...this.unreceived.values()].reverse()) {
      if (entry.resent >= RESENDS || now - entry.sentAt < RESEND_AFTER_MS * 2 ** entry.resent) continue;
      entry.resent += 1;
      entry.sentAt = now;
      this.bus.publish<RemoteDelivery>('hub:deliver', entry.delivery);
    }
  }

  /** A node said who is connected there: what reached no one meanwhile goes to its readers. */
  private handUnreached(node: string): void {
    const counts = this.remote.get(node);
    if (!counts) return;
    for (const [id, { delivery, onReceived }] of [...this.unreached.entries()].reverse()) {
      if (!counts.has(delivery.address)) continue;
      this.unreached.delete(id);
      this.awaitingReceipt.set(id, onReceived);
      this.unreceived.set(id, { delivery, sentAt: this.now(), resent: 0 });
      this.bus.publish<RemoteDelivery>('hub:deliver', delivery, node);
    }
  }

  isConnected(address: Address): boolean {
    return this.connectionCount(address) > 0;
  }

  connectionCount(address: Address): number {
    let count = this.connections.get(address)?.count ?? 0;
    for (const node of this.remote.values()) count += node.get(address)?.count ?? 0;
    return count;
  }

  siteOf(address: Address): string | undefined {
    const here = this.connections.get(address)?.siteKey;
    if (here !== undefined) return here;
    for (const node of this.remote.values()) {
      const there = node.get(address)?.siteKey;
      if (there !== undefined) return there;
    }
    return undefined;
  }

  deskOn(siteKey: string): Address[] {
    const desk = this.desk.get(siteKey);
    if (!desk) return [];
    // A node that left takes its connections with it without a count of 0 for each.
    for (const address of desk) if (!this.isConnected(address)) desk.delete(address);
    if (desk.size === 0) this.desk.delete(siteKey);
    return [...desk];
  }

  /** Called when an address gets its first connection on this node (`true`) or loses its last one here (`false`). */
  onConnectivity(listener: (address: Address, connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A connection of `address` opened. */
  attach(address: Address, siteKey: string): void {
    const count = (this.connections.get(address)?.count ?? 0) + 1;
    this.connections.set(address, { count, siteKey });
    this.joinDesk(address, siteKey);
    this.bus.publish<ConnectionCount>('hub:count', { address, siteKey, count });
    if (count === 1) for (const listener of this.listeners) listener(address, true);
  }

  /** A connection of `address` closed. */
  detach(address: Address): void {
    const entry = this.connections.get(address);
    const count = (entry?.count ?? 1) - 1;
    if (entry) this.bus.publish<ConnectionCount>('hub:count', { address, siteKey: entry.siteKey, count: Math.max(0, count) });
    if (entry && count > 0) {
      entry.count = count;
      return;
    }
    this.connections.delete(address);
    if (entry) this.leaveDesk(address, entry.siteKey);
    for (const listener of this.listeners) listener(address, false);
  }

  private setRemote(node: string, { address, siteKey, count }: ConnectionCount): void {
    let counts = this.remote.get(node);
    if (!counts) this.remote.set(node, (counts = new Map<Address, { count: number; siteKey: string }>()));
    if (count > 0) {
      counts.set(address, { count, siteKey });
      this.joinDesk(address, siteKey);
    } else {
      counts.delete(address);
      this.leaveDesk(address, siteKey);
    }
  }

  private joinDesk(address: Address, siteKey: string): void {
    if (!isDeskIdentity(address)) return;
    const desk = this.desk.get(siteKey);
    if (desk) desk.add(address);
    else this.desk.set(siteKey, new Set([address]));
  }

  /** Once the address has no connection left on any node. */
  private leaveDesk(address: Address, siteKey: string): void {
    const desk = this.desk.get(siteKey);
    if (!desk?.has(address) || this.isConnected(address)) return;
    desk.delete(address);
    if (desk.size === 0) this.desk.delete(siteKey);
  }
}
