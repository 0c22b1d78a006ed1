/**
 * The addresses a network follows the presence of (its teams' agents, gateway contacts), the part
 * every adapter has: each address followed once, everything followed again after a reconnection
 * (the server forgot it), every address reported offline when the link drops (nobody's presence
 * is known then), and what the protocol says about them reported to the sink. The adapter supplies
 * how one follows addresses (a subscription each, MONITOR, ...) and reads the protocol's answers.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import type { InboundPresence, InboundSink } from '../network.js';

export interface WatchListOptions {
  sink: Pick<InboundSink, 'presence'>;
  /** Asks the server for these addresses' presence: the new ones while connected, all of them on each reconnection. */
  follow(addresses: readonly Address[]): void;
  /** Whether the network can follow this address (its scheme, its server); others are left out. */
  accepts?(address: Address): boolean;
}

/** What the protocol says of one followed address. */
export type FollowedPresence = Omit<InboundPresence, 'address'>;

export class WatchList {
  private readonly followed = new Set<Address>();
  /** The presence last reported for each address (none before the first report). */
  private readonly reported = new Map<Address, FollowedPresence>();
  private connected = false;

  constructor(private readonly options: WatchListOptions) {}

  /** Whether the link is up, as the last reconnected() or dropped() said. */
  get online(): boolean {
    return this.connected;
  }

  /** Every followed address, in the order it was added. */
  get addresses(): Address[] {
    return [...this.followed];
  }

  has(address: Address): boolean {
    return this.followed.has(address);
  }

  /**
   * Follows these addresses (each once) and returns the new ones; they are asked for at once
   * when `connected` (by default, as the last reconnected() or dropped() said).
   */
  watch(addresses: readonly Address[], connected = this.connected): Address[] {
    const added: Address[] = [];
    for (const address of addresses) {
      if (this.followed.has(address) || (this.options.accepts && !this.options.accepts(address))) continue;
      this.followed.add(address);
      added.push(address);
    }
    if (added.length > 0 && connected) this.options.follow(added);
    return added;
  }

  /** Stops following an address: it is not asked for again, and what was reported of it is forgotten. */
  unwatch(address: Address): void {
    this.followed.delete(address);
    this.reported.delete(address);
  }

  /** The link is up again: the server has forgotten what it followed for us, so everything is asked again. */
  reconnected(): void {
    this.connected = true;
    if (this.followed.size > 0) this.options.follow(this.addresses);
  }

  /** The link dropped: nobody's presence is known any more. */
  dropped(): void {
    this.connected = false;
    for (const address of this.followed) this.report(address, { status: 'offline' });
  }

  /**
   * The link was closed on purpose (the bridge stops, or a cluster node lost the network's lease,
   * whose presence reports are withdrawn then): nothing to report, and nothing reported before
   * holds once it starts again, so its first reports go out even when they say the same.
   */
  stopped(): void {
    this.connected = false;
    this.reported.clear();
  }

  /** The status last reported for an address, or undefined before the first report. */
  statusOf(address: Address): PresenceStatus | undefined {
    return this.reported.get(address)?.status;
  }

  /** The presence last reported for an address (status and text), or undefined before the first report. */
  presenceOf(address: Address): FollowedPresence | undefined {
    return this.reported.get(address);
  }

  /** Reports a followed address's presence, as the protocol said it (addresses not followed are ignored). */
  report(address: Address, presence: FollowedPresence): void {
    if (!this.followed.has(address)) return;
    this.reported.set(address, presence);
    this.options.sink.presence({ address, ...presence });
  }

  /** Reports only what differs from the last report: for protocols that repeat themselves (polling). */
  reportChange(address: Address, presence: FollowedPresence): void {
    const before = this.reported.get(address);
    if (before && before.status === presence.status && before.text === presence.text) return;
    this.report(address, presence);
  }
}
