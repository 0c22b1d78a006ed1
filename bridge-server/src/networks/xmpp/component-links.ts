/**
 * The component's connections to the server (XEP-0114): one per domain, the main one first, then
 * one per gateway domain, each an XmppSession of its own. Together they report one status, and a
 * stanza leaves by the connection of the domain it is from (the server takes from a component only
 * its own domain).
 */
import type { Component, Element } from '@xmpp/component';
import type { Logger } from 'pino';
import type { InboundSink, NetworkStatus } from '../network.js';
import { JidMap } from './addresses.js';
import type { XmppComponentConfig } from './config.js';
import { XmppSession } from './session.js';

/** Makes one component connection (the library's; tests pass a stand-in). */
export type ComponentFactory = (options: { service: string; domain: string; password: string }) => Component;

export interface LinkEvents {
  /** A domain's connection is up, at start or after a reconnection. */
  online(domain: string, isMain: boolean): void;
  /** The main domain's connection dropped. */
  mainOffline(): void;
  /** Any stanza that came to one of the domains. */
  stanza(stanza: Element): void;
  /** Registers a connection's iq handlers, once, before it connects. */
  prepare(entity: Component): void;
}

/** The resource every party of the component speaks from (docs/networks/xmpp.md, "Component mode"). */
export const PARTY_RESOURCE = 'switchboard';

/**
 * A party's messages and availability come from one full JID, `<party>/switchboard`, as a client's
 * do (RFC 6121 sections 4.6 and 5.1): clients that answer the full JID a message came from get one.
 * Profanity 0.13 writes its XEP-0184 receipt to the sender's full JID and, for a bare one, with no
 * `to` at all, so the receipt went to the agent's own account. Subscription stanzas stay from the
 * bare JID (RFC 6121 section 3), and the domains' own JIDs (commands, notices) are left as they are.
 */
function fromResource(stanza: Element): Element {
  const { from, type } = stanza.attrs;
  if (typeof from !== 'string' || !from.includes('@') || from.includes('/')) return stanza;
  const availability = stanza.is('presence') && (type === undefined || type === 'unavailable');
  if (stanza.is('message') || availability) stanza.attrs.from = `${from}/${PARTY_RESOURCE}`;
  return stanza;
}

interface Connection {
  domain: string;
  session: XmppSession;
}

export class ComponentLinks {
  private readonly connections: Connection[];

  constructor(
    private readonly config: XmppComponentConfig,
    createEntity: ComponentFactory,
    sink: InboundSink,
    logger: Logger,
    events: LinkEvents,
  ) {
    const domains = [config.domain, ...(config.gateways ?? []).map((gateway) => gateway.domain)].map((domain) => domain.toLowerCase());
    this.connections = domains.map((domain, index) => {
      const isMain = index === 0;
      const entity = createEntity({ service: config.service, domain, password: config.password });
      const session = new XmppSession(entity, {
        service: config.service,
        domain,
        connectTimeoutSeconds: config.connectTimeoutSeconds,
        sink,
        logger: isMain ? logger : logger.child({ domain }),
        onOnline: () => {
          logger.info({ domain }, 'xmpp component online');
          events.online(domain, isMain);
        },
        onOffline: () => {
          if (isMain) events.mainOffline();
        },
        onStanza: (stanza) => events.stanza(stanza),
        onStatus: () => sink.status('xmpp', this.status()),
      });
      events.prepare(entity);
      return { domain, session };
    });
  }

  /** The main domain's connection (agents' presence is followed from it). */
  get main(): XmppSession {
    return this.connections[0]!.session;
  }

  /**
   * One status for all connections: online only when every domain is; otherwise the first domain
   * that is down (offline before connecting), named when there are several.
   */
  status(): NetworkStatus {
    const { connections } = this;
    const down = connections.find((c) => c.session.status.state === 'offline') ?? connections.find((c) => c.session.status.state === 'connecting');
    if (!down) return { state: 'online' };
    const { state, reason } = down.session.status;
    if (connections.length === 1) return down.session.status;
    return { state, reason: `${down.domain}: ${reason ?? (state === 'connecting' ? 'connecting' : 'offline')}` };
  }

  async start(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.session.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.session.stop()));
  }

  /** Sends now, or fails with a retryable error so the outbox keeps the message. */
  send(stanza: Element): Promise<void> {
    return this.sessionFor(stanza.attrs.from).send(fromResource(stanza));
  }

  /** Sends if that domain is online; for what matters only now (presence, chat states, answers). */
  trySend(stanza: Element): void {
    this.sessionFor(stanza.attrs.from).trySend(fromResource(stanza));
  }

  private sessionFor(from: string | undefined): XmppSession {
    const domain = JidMap.domainOf(from ?? this.config.domain);
    return this.connections.find((c) => c.domain === domain)?.session ?? this.main;
  }
}
