/**
 * The presence of customers who write to the bot (docs/customers.md, "IRC"), followed as agents'
 * is, on a watch list of the bot's presence follower after the agents' (presence-follower.ts): so
 * agents keep the server's MONITOR places first, and a customer without one is polled (ISON, WHO),
 * a few lines each round, in turn. A customer is followed from their first message taken until
 * they have written nothing for an hour (kit/followed-customers.ts), then taken off (MONITOR -).
 */
import type { Address } from '@switchboard/protocol';
import type { Clock } from '../../util/clock.js';
import { FollowedCustomers } from '../kit/followed-customers.js';
import type { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import type { IrcPresenceFollower } from './presence-follower.js';

/**
 * Polling lines the customers take each round at most: at the default 30 s, one in every 3 s of
 * the bot's lines, which it shares with the answers to those customers.
 */
export const CUSTOMER_LINES_PER_POLL = 10;

export interface IrcCustomerPresenceOptions {
  follower: Pick<IrcPresenceFollower, 'list' | 'unwatch'>;
  sink: Pick<InboundSink, 'presence'>;
  /** Whether the network follows this address already (an agent): then it is left alone here. */
  followedElsewhere: (address: Address) => boolean;
  clock?: Clock;
}

export class IrcCustomerPresence {
  private readonly customers: FollowedCustomers;
  private readonly list: WatchList;

  constructor({ follower, sink, followedElsewhere, clock }: IrcCustomerPresenceOptions) {
    const list = (this.list = follower.list({ sink, linesPerPoll: CUSTOMER_LINES_PER_POLL }));
    this.customers = new FollowedCustomers({
      list,
      followedElsewhere,
      stopFollowing: (customer) => follower.unwatch(list, customer),
      ...(clock ? { clock } : {}),
    });
  }

  /** A customer's message to a team was taken: their presence is followed (from now, if they are new). */
  wrote(customer: Address): void {
    this.customers.wrote(customer);
  }

  /** Whether this customer's presence is followed (they wrote within the hour). */
  follows(customer: Address): boolean {
    return this.list.has(customer);
  }

  /** Forgets every customer (the network stops). */
  stop(): void {
    this.customers.clear();
  }
}
