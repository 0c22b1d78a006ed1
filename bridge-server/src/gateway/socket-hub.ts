/**
 * The ClientHub over socket.io rooms: `a:<address>` holds every connection of a party,
 * `agents:<site>` a site's agents and integrations, `p:<address>` presence watchers, `t:<team>@<site>`
 * a site's watchers of a team's availability. Rooms are named by the bridge's addresses, which
 * carry the site of web identities (networks/web/site-scope.ts), so no room spans two sites' parties;
 * payloads leave in the form the site's clients know.
 */
import type { Address, ClientToServerEvents, Message, ServerToClientEvents } from '@switchboard/protocol';
import type { DefaultEventsMap, Namespace, Server, Socket } from 'socket.io';
import type { Actor } from '../core/actor.js';
import type { ClientHub, HubRoom } from '../core/hub.js';
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
  token: string;
}

export type V1Server = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type V1Namespace = Namespace<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
export type V1Socket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

export class SocketHub implements ClientHub {
  private readonly connections = new Map<Address, { count: number; siteKey: string }>();
  private readonly listeners = new Set<(address: Address, connected: boolean) => void>();

  constructor(private readonly nsp: V1Namespace) {}

  emit<E extends keyof ServerToClientEvents>(
    rooms: HubRoom[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
    options: { exceptConnection?: string } = {},
  ): void {
    const names = rooms.map(roomName);
    // socket.io encodes a broadcast before it looks at its rooms: a party coming online tells its
    // presence room, which nobody watches most of the time.
    if (!names.some((name) => this.nsp.adapter.rooms.has(name))) return;
    let target = this.nsp.to(names);
    if (options.exceptConnection) target = target.except(options.exceptConnection);
    (target.emit as (event: string, payload: unknown) => boolean)(event, toClientForm(payload));
  }

  deliverMessage(address: Address, message: Message, onReceived: () => void): void {
    // Each connection acknowledges on its own: the first acknowledgement counts, so one stale tab
    // does not hold back `delivered` (a broadcast ack would wait for every connection).
    const ids = this.nsp.adapter.rooms.get(roomName({ kind: 'address', address }));
    if (!ids) return;
    let received = false;
    const wire = toClientForm(message);
    for (const id of ids) {
      const socket = this.nsp.sockets.get(id);
      if (!socket) continue;
      // No ack timeout: a timer per message would outlive the connection; an ack that never comes
      // is dropped with the socket.
      socket.emit('message', wire, () => {
        if (received) return;
        received = true;
        onReceived();
      });
    }
  }

  isConnected(address: Address): boolean {
    return this.connectionCount(address) > 0;
  }

  connectionCount(address: Address): number {
    return this.connections.get(address)?.count ?? 0;
  }

  siteOf(address: Address): string | undefined {
    return this.connections.get(address)?.siteKey;
  }

  onConnectivity(listener: (address: Address, connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A connection of `address` opened. */
  attach(address: Address, siteKey: string): void {
    const count = this.connectionCount(address) + 1;
    this.connections.set(address, { count, siteKey });
    if (count === 1) for (const listener of this.listeners) listener(address, true);
  }

  /** A connection of `address` closed. */
  detach(address: Address): void {
    const entry = this.connections.get(address);
    const count = (entry?.count ?? 1) - 1;
    if (entry && count > 0) {
      entry.count = count;
      return;
    }
    this.connections.delete(address);
    for (const listener of this.listeners) listener(address, false);
  }
}
