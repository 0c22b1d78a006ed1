/** The outbox's view of the network leases (core/outbox.ts `OutboxLeases`), by network scheme. */
import type { OutboxLeases } from '../core/outbox.js';
import type { Fence } from '../store/store.js';
import type { Lease } from './leases.js';

export class NetworkLeases implements OutboxLeases {
  private readonly byScheme = new Map<string, Lease>();

  /** The lease a network (by its scheme) runs under. */
  add(scheme: string, lease: Lease): void {
    this.byScheme.set(scheme, lease);
  }

  /** A network with no lease (the web, one not configured) is this node's as much as any other's. */
  holds(network: string): boolean {
    const lease = this.byScheme.get(network);
    return !lease || lease.token() !== undefined;
  }

  fence(network: string): Fence | undefined {
    return this.byScheme.get(network)?.fence();
  }

  fenced(network: string): void {
    this.byScheme.get(network)?.fenced();
  }

  held(): string[] {
    return [...this.byScheme].filter(([, lease]) => lease.token() !== undefined).map(([scheme]) => scheme);
  }
}
