/**
 * An outbox item queued on one node is sent by the node that sends for its network: the queuing
 * node tells the others (`outbox:kick` on the cluster bus) so that node looks at its queue at once
 * rather than on its next pass. Which node sends for a network is `sendsFor`'s to say: for now
 * each node whose network is configured; the networks' leases narrow it to their holder.
 */
import type { ClusterBus } from './bus.js';

export interface OutboxKicks {
  /** Items were queued for `network` on this node (which looks at them itself too). */
  queued(network: string): void;
  /** Runs `kick` when another node queued items for a network this node sends for. */
  onKick(kick: (network: string) => void): void;
}

export class BusOutboxKicks implements OutboxKicks {
  constructor(
    private readonly bus: ClusterBus,
    private readonly sendsFor: (network: string) => boolean,
  ) {}

  queued(network: string): void {
    this.bus.publish<string>('outbox:kick', network);
  }

  onKick(kick: (network: string) => void): void {
    this.bus.on<string>('outbox:kick', (network) => {
      if (this.sendsFor(network)) kick(network);
    });
  }
}
