/**
 * Agents' presence over SIMPLE, on the network kit's watch list: a SUBSCRIBE to each agent's
 * `presence` event package (RFC 3856) from the bridge's account; every NOTIFY's PIDF (RFC 3863)
 * becomes the agent's presence. A subscription the server ends is made again after a pause; a
 * reconnection makes them all again (a restarted proxy has forgotten them).
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { Subscriber, SubscriptionState, UserAgent } from 'sip.js';
import { WatchList } from '../kit/watch-list.js';
import type { InboundSink } from '../network.js';
import { presenceOfPidf } from './bodies.js';

const RESUBSCRIBE_MS = 5_000;

export class SipAgentPresence {
  private readonly list: WatchList;
  private readonly subscribers = new Map<Address, Subscriber>();

  constructor(
    private readonly ua: UserAgent,
    sink: InboundSink,
    private readonly expires: number,
    private readonly logger: Logger,
  ) {
    this.list = new WatchList({ sink, follow: (agents) => agents.forEach((agent) => this.subscribe(agent)) });
  }

  watch(agents: Address[]): void {
    this.list.watch(agents);
  }

  onOnline(): void {
    this.list.reconnected();
  }

  /** The connection dropped: subscriptions are gone, and nobody's presence is known. */
  onOffline(): void {
    for (const subscriber of this.subscribers.values()) void subscriber.dispose().catch(() => undefined);
    this.subscribers.clear();
    this.list.dropped();
  }

  async stop(): Promise<void> {
    this.list.stopped();
    // unsubscribe() first: dispose() alone may wait on a dialog the server already ended.
    await Promise.all([...this.subscribers.values()].map((subscriber) => subscriber.unsubscribe().catch(() => undefined)));
    this.subscribers.clear();
  }

  private subscribe(agent: Address): void {
    const target = UserAgent.makeURI(agent);
    if (!target) return;
    const previous = this.subscribers.get(agent);
    if (previous) void previous.dispose().catch(() => undefined);
    const subscriber = new Subscriber(this.ua, target, 'presence', { expires: this.expires, extraHeaders: ['Accept: application/pidf+xml'] });
    this.subscribers.set(agent, subscriber);
    subscriber.delegate = {
      onNotify: (notification) => {
        // SIP.js calls this from its transport: nothing thrown here may escape.
        try {
          void notification.accept().catch(() => undefined);
          const body = notification.request.body;
          if (body) this.list.report(agent, presenceOfPidf(body));
        } catch (error) {
          this.logger.info({ err: error, agent }, 'sip presence notification not understood');
        }
      },
    };
    subscriber.stateChange.addListener((state) => {
      if (state !== SubscriptionState.Terminated || this.subscribers.get(agent) !== subscriber) return;
      this.subscribers.delete(agent);
      this.list.report(agent, { status: 'offline' });
      if (!this.list.online) return;
      setTimeout(() => {
        if (this.list.online && !this.subscribers.has(agent)) this.subscribe(agent);
      }, RESUBSCRIBE_MS).unref();
    });
    subscriber.subscribe().catch((error: unknown) => this.logger.warn({ err: error, agent }, 'sip presence subscription failed'));
  }
}
