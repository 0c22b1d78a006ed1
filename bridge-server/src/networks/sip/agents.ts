/**
 * Agents' presence over SIMPLE, on the network kit's watch list: a SUBSCRIBE to each agent's
 * `presence` event package (RFC 3856) from the bridge's account; every NOTIFY's PIDF (RFC 3863)
 * becomes the agent's presence. A subscription the server ends is made again after a pause; a
 * reconnection makes them all again (a restarted proxy has forgotten them).
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { UserAgent } from 'sip.js';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import { PresenceSubscriptions } from './presence-subscription.js';

const RESUBSCRIBE_MS = 5_000;

export class SipAgentPresence {
  private readonly list: WatchList;
  private readonly subscriptions: PresenceSubscriptions;

  constructor(ua: UserAgent, sink: InboundSink, expires: number, logger: Logger) {
    this.list = new WatchList({ sink, follow: (agents) => agents.forEach((agent) => this.subscribe(agent)) });
    this.subscriptions = new PresenceSubscriptions({ ua, expires, logger });
  }

  watch(agents: Address[]): void {
    this.list.watch(agents);
  }

  /** Whether this address is followed as an agent (or a gateway user). */
  follows(address: Address): boolean {
    return this.list.has(address);
  }

  onOnline(): void {
    this.list.reconnected();
  }

  /** The connection dropped: subscriptions are gone, and nobody's presence is known. */
  onOffline(): void {
    this.subscriptions.dropAll();
    this.list.dropped();
  }

  async stop(): Promise<void> {
    this.list.stopped();
    await this.subscriptions.endAll();
  }

  private subscribe(agent: Address): void {
    this.subscriptions.subscribe(agent, {
      onPresence: (presence) => this.list.report(agent, presence),
      onEnded: () => {
        this.list.report(agent, { status: 'offline' });
        if (!this.list.online) return;
        setTimeout(() => {
          if (this.list.online && !this.subscriptions.has(agent)) this.subscribe(agent);
        }, RESUBSCRIBE_MS).unref();
      },
    });
  }
}
