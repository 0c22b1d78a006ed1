/**
 * Agents' presence over SIMPLE: a SUBSCRIBE to each agent's `presence` event package (RFC 3856)
 * from the bridge's account; every NOTIFY's PIDF (RFC 3863) becomes the agent's presence. A
 * subscription the server ends is made again after a pause; a reconnection makes them all again
 * (a restarted proxy has forgotten them).
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { Subscriber, SubscriptionState, UserAgent } from 'sip.js';
import type { InboundSink } from '../network.js';
import { presenceOfPidf } from './bodies.js';

const RESUBSCRIBE_MS = 5_000;

export class SipAgentPresence {
  private readonly watched = new Set<Address>();
  private readonly subscribers = new Map<Address, Subscriber>();
  private online = false;

  constructor(
    private readonly ua: UserAgent,
    private readonly sink: InboundSink,
    private readonly expires: number,
    private readonly logger: Logger,
  ) {}

  watch(agents: Address[]): void {
    for (const agent of agents) {
      if (this.watched.has(agent)) continue;
      this.watched.add(agent);
      if (this.online) this.subscribe(agent);
    }
  }

  onOnline(): void {
    this.online = true;
    for (const agent of this.watched) this.subscribe(agent);
  }

  /** The connection dropped: subscriptions are gone, and nobody's presence is known. */
  onOffline(): void {
    this.online = false;
    for (const subscriber of this.subscribers.values()) void subscriber.dispose().catch(() => undefined);
    this.subscribers.clear();
    for (const agent of this.watched) this.sink.presence({ address: agent, status: 'offline' });
  }

  async stop(): Promise<void> {
    this.online = false;
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
          if (body) this.sink.presence({ address: agent, ...presenceOfPidf(body) });
        } catch (error) {
          this.logger.info({ err: error, agent }, 'sip presence notification not understood');
        }
      },
    };
    subscriber.stateChange.addListener((state) => {
      if (state !== SubscriptionState.Terminated || this.subscribers.get(agent) !== subscriber) return;
      this.subscribers.delete(agent);
      this.sink.presence({ address: agent, status: 'offline' });
      if (!this.online) return;
      setTimeout(() => {
        if (this.online && !this.subscribers.has(agent)) this.subscribe(agent);
      }, RESUBSCRIBE_MS).unref();
    });
    subscriber.subscribe().catch((error: unknown) => this.logger.warn({ err: error, agent }, 'sip presence subscription failed'));
  }
}
