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
import { RecentSenders } from '../kit/recent-senders.js';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import type { PresenceSubscriptions } from './presence-subscription.js';

/** How long a silent customer's presence is still followed. */
export const CUSTOMER_IDLE_MS = 60 * 60_000;
/** How many customers' presence is followed at once. */
export const MAX_FOLLOWED = 1_000;

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
  private readonly recent: RecentSenders;

  constructor(private readonly options: SipCustomerPresenceOptions) {
    this.list = new WatchList({ sink: options.sink, follow: (customers) => customers.forEach((customer) => this.subscribe(customer)) });
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
    if (this.recent.wrote(customer)) this.list.watch([customer]);
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
    this.recent.clear();
    await this.options.subscriptions.endAll();
  }

  private letGo(customer: Address): void {
    this.options.subscriptions.end(customer);
    // Their presence is no longer known, unless the network follows them otherwise (as an agent now).
    const shown = this.list.statusOf(customer);
    if (shown !== undefined && shown !== 'offline' && !this.options.followedElsewhere(customer)) this.list.report(customer, { status: 'offline' });
    this.list.unwatch(customer);
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
