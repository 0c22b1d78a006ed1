/**
 * SUBSCRIBEs to parties' `presence` event package (RFC 3856) from the bridge's account, one per
 * party, each NOTIFY's PIDF (RFC 3863) read into the party's presence: the part agents' and
 * customers' presence share. What to do when a subscription ends is theirs.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { Subscriber, SubscriptionState, UserAgent } from 'sip.js';
import type { FollowedPresence } from '../kit/watch-list.js';
import { presenceOfPidf } from './bodies.js';

export interface PresenceSubscriptionOptions {
  ua: UserAgent;
  party: Address;
  expires: number;
  logger: Logger;
  onPresence: (presence: FollowedPresence) => void;
  /**
   * The subscription ended (the proxy refused or ended it, or the bridge unsubscribed).
   * `notified`: whether any NOTIFY came; none means the proxy refused it or never answered
   * (RFC 6665 section 4.1.2.4, Timer N).
   */
  onEnded: (notified: boolean) => void;
}

/** Subscribes to `party`'s presence; undefined when it is no URI. */
function subscribeToPresence({ ua, party, expires, logger, onPresence, onEnded }: PresenceSubscriptionOptions): Subscriber | undefined {
  const target = UserAgent.makeURI(party);
  if (!target) return undefined;
  let notified = false;
  const subscriber = new Subscriber(ua, target, 'presence', { expires, extraHeaders: ['Accept: application/pidf+xml'] });
  subscriber.delegate = {
    onNotify: (notification) => {
      notified = true;
      // SIP.js calls this from its transport: nothing thrown here may escape.
      try {
        void notification.accept().catch(() => undefined);
        const body = notification.request.body;
        if (body) onPresence(presenceOfPidf(body));
      } catch (error) {
        logger.info({ err: error, party }, 'sip presence notification not understood');
      }
    },
  };
  subscriber.stateChange.addListener((state) => {
    if (state === SubscriptionState.Terminated) onEnded(notified);
  });
  subscriber.subscribe().catch((error: unknown) => logger.warn({ err: error, party }, 'sip presence subscription failed'));
  return subscriber;
}

/** What one party's subscription tells its holder. */
export type PresenceHandlers = Pick<PresenceSubscriptionOptions, 'onPresence' | 'onEnded'>;

/** The subscriptions of one part of the network, one per party: a newer one replaces the older. */
export class PresenceSubscriptions {
  private readonly byParty = new Map<Address, Subscriber>();

  constructor(private readonly context: Pick<PresenceSubscriptionOptions, 'ua' | 'expires' | 'logger'>) {}

  has(party: Address): boolean {
    return this.byParty.has(party);
  }

  /** Subscribes to `party`'s presence; `onEnded` hears of this subscription's end only while it is the party's. */
  subscribe(party: Address, { onPresence, onEnded }: PresenceHandlers): void {
    const previous = this.byParty.get(party);
    if (previous) void previous.dispose().catch(() => undefined);
    const subscriber = subscribeToPresence({
      ...this.context,
      party,
      onPresence,
      onEnded: (notified) => {
        if (this.byParty.get(party) !== subscriber) return;
        this.byParty.delete(party);
        onEnded(notified);
      },
    });
    if (subscriber) this.byParty.set(party, subscriber);
    else this.byParty.delete(party);
  }

  /** Ends one party's subscription (an unSUBSCRIBE, not waited for). */
  end(party: Address): void {
    const subscriber = this.byParty.get(party);
    this.byParty.delete(party);
    void subscriber?.unsubscribe().catch(() => undefined);
  }

  /** The connection dropped: every subscription went with it. */
  dropAll(): void {
    for (const subscriber of this.byParty.values()) void subscriber.dispose().catch(() => undefined);
    this.byParty.clear();
  }

  /** Ends every subscription (at shutdown). */
  async endAll(): Promise<void> {
    const all = [...this.byParty.values()];
    this.byParty.clear();
    // unsubscribe() first: dispose() alone may wait on a dialog the server already ended.
    await Promise.all(all.map((subscriber) => subscriber.unsubscribe().catch(() => undefined)));
  }
}
