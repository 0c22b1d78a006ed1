/**
 * How the core reaches clients connected through the uniform API, without knowing socket.io.
 * The gateway implements it with socket.io rooms: one room per address, per site's agents, per
 * presence subscription and per team.
 */
import type { Address, ServerToClientEvents } from '@switchboard/protocol';

export type HubRoom =
  | { kind: 'address'; address: Address }
  | { kind: 'agents'; siteKey: string }
  | { kind: 'presence'; address: Address }
  | { kind: 'team'; team: string; siteKey: string };

export interface ClientHub {
  emit<E extends keyof ServerToClientEvents>(
    rooms: HubRoom[],
    event: E,
    payload: Parameters<ServerToClientEvents[E]>[0],
    /**
     * `local`: to this node's connections only. For state every node derives alike (presence, a
     * team's availability): each node tells its own clients, so none hears it twice.
     */
    options?: { exceptConnection?: string; local?: boolean },
  ): void;
  /** Emits a message to an address's connections; `onReceived` runs once when the first of them acknowledges it. */
  deliverMessage(address: Address, message: Parameters<ServerToClientEvents['message']>[0], onReceived: () => void): void;
  /** Whether the address has at least one live connection (on any node). */
  isConnected(address: Address): boolean;
  /** The site an address is connected to now, if it has a live connection. */
  siteOf(address: Address): string | undefined;
  /** The site's agents and integrations with a live connection now (on any node). */
  deskOn(siteKey: string): Address[];
  /** How many live connections the address has. */
  connectionCount(address: Address): number;
  /**
   * Called when an address gets its first connection (`true`) or loses its last (`false`) on this
   * node (the others' connections count in `isConnected`, not here).
   */
  onConnectivity(listener: (address: Address, connected: boolean) => void): () => void;
}
