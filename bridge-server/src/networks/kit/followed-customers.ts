/**
 * The customers whose presence a network follows (docs/customers.md): from their first message to
 * a team taken until they have written nothing for an hour, at most MAX_FOLLOWED at once (the
 * longest silent let go first). A customer the network follows otherwise (an agent) is left to
 * that. The network's own list asks its server; this part only says who is on it.
 */
import type { Address } from '@switchboard/protocol';
import type { Clock } from '../../util/clock.js';
import { RecentSenders } from './recent-senders.js';
import type { WatchList } from './watch-list.js';

/** How long a silent customer's presence is still followed. */
export const CUSTOMER_IDLE_MS = 60 * 60_000;
/** How many customers' presence is followed at once. */
export const MAX_FOLLOWED = 1_000;

export interface FollowedCustomersOptions {
  /** The network's watch list of customers (not of agents). */
  list: WatchList;
  /** Whether the network follows this address already (an agent): then it is left alone here. */
  followedElsewhere: (address: Address) => boolean;
  /** Stops asking the server about a customer let go (once the list no longer has them). */
  stopFollowing: (address: Address) => void;
  clock?: Clock;
}

export class FollowedCustomers {
  private readonly recent: RecentSenders;

  constructor(private readonly options: FollowedCustomersOptions) {
    this.recent = new RecentSenders({
      idleMs: CUSTOMER_IDLE_MS,
      max: MAX_FOLLOWED,
      onLetGo: (customer) => this.letGo(customer),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** A customer's message to a team was taken: their presence is followed (from now, if they are new). */
  wrote(customer: Address): void {
    if (this.options.followedElsewhere(customer)) return;
    if (this.recent.wrote(customer)) this.options.list.watch([customer]);
  }

  /** Forgets everyone without telling (the network stops). */
  clear(): void {
    this.recent.clear();
  }

  private letGo(customer: Address): void {
    const { list, followedElsewhere, stopFollowing } = this.options;
    // Their presence is no longer known, unless the network follows them otherwise (as an agent now).
    const shown = list.statusOf(customer);
    if (shown !== undefined && shown !== 'offline' && !followedElsewhere(customer)) list.report(customer, { status: 'offline' });
    list.unwatch(customer);
    stopFollowing(customer);
  }
}
