/**
 * The presence of customers who write to a team's URI (docs/customers.md, "SIP"), followed as
 * agents' is: a SUBSCRIBE through the proxy (RFC 3856), each NOTIFY reported to the core. Where the
 * proxy does not allow it (a refusal such as 403 or 489, or no NOTIFY) the customer simply has no
 * known presence: it is not asked again before the bridge reconnects. A customer is followed from
 * their first message until they have written nothing for an hour (at most MAX_FOLLOWED at once,
 * the longest silent let go first), and followed again after every reconnection meanwhile.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Clock } from '../../util/clock.js';
import { FollowedCustomers } from '../kit/followed-customers.js';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import type { PresenceSubscriptions } from './presence-subscription.js';

export { CUSTOMER_IDLE_MS, MAX_FOLLOWED } from '../kit/followed-customers.js';

export interface SipCustomerPresenceOptions {
  /** The customers' own subscriptions (not the agents'). */
  subscriptions: Pick<PresenceSubscriptions, 'subscribe' | 'end' | 'dropAll' | 'endAll'>;
  sink: Pick<InboundSink, 'presence'>;
  logger: Logger;
  /** Whether the network follows this address already (an agent): then it is left alone here. */
  followedElsewhere(address: Address): boolean;
  clock?: Clock;
}

export class SipCustomerPresence {
  private readonly list: WatchList;
  private readonly customers: FollowedCustomers;

  constructor(private readonly options: SipCustomerPresenceOptions) {
    this.list = new WatchList({ sink: options.sink, follow: (customers) => customers.forEach((customer) => this.subscribe(customer)) });
    this.customers = new FollowedCustomers({
      list: this.list,
      followedElsewhere: (address) => options.followedElsewhere(address),
      stopFollowing: (customer) => options.subscriptions.end(customer),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** A customer's message to a team was taken: their presence is followed (from now, if they are new). */
  wrote(customer: Address): void {
    this.customers.wrote(customer);
  }

  onOnline(): void {
    this.list.reconnected();
  }

  /** The connection dropped: subscriptions are gone, and nobody's presence is known. */
  onOffline(): void {
    this.options.subscriptions.dropAll();
    this.list.dropped();
  }

  async stop(): Promise<void> {
    this.list.stopped();
    this.customers.clear();
    await this.options.subscriptions.endAll();
  }

  private subscribe(customer: Address): void {
    this.options.subscriptions.subscribe(customer, {
      onPresence: (presence) => this.list.report(customer, presence),
      onEnded: (notified) => {
        if (notified) this.list.report(customer, { status: 'offline' });
        else this.options.logger.debug({ customer }, "sip customer's presence not followed: the proxy refused the SUBSCRIBE or sent no NOTIFY");
      },
    });
  }
}
