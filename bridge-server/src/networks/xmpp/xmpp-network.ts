/**
 * The XMPP network in component mode (XEP-0114): the bridge owns a domain, and every website
 * visitor is a JID of its own under it, so an agent's ordinary client (Gajim, Conversations, Dino)
 * sees each visitor as a separate contact. Messages are RFC 6120/6121 `chat` messages carrying:
 * XEP-0359 origin-id (the bridge's message id), XEP-0184 receipt requests, XEP-0333 markable,
 * XEP-0085 chat states and XEP-0172 nick. Agents' presence (RFC 6121 subscriptions from the
 * component domain) feeds team availability. Text only ever reaches XML through the library's
 * escaping (`xml()` builds elements, never strings).
 */
import type { Address, PresenceStatus, TypingState } from '@switchboard/protocol';
import { type Component, type Element, component, xml } from '@xmpp/component';
import { z } from 'zod';
import { Reconnector } from '../../util/backoff.js';
import type { Network, NetworkCapabilities, NetworkContext, NetworkStatus, OutboundMessage, SendResult } from '../network.js';
import { NetworkError } from '../network.js';
import { addressOfJid, jidOfAddress, partyOfPuppet, puppetJid } from './addresses.js';

export const xmppNetworkConfigSchema = z.strictObject({
  type: z.literal('xmpp'),
  mode: z.literal('component').default('component'),
  /** Where the XMPP server accepts components, e.g. `xmpp://127.0.0.1:5347`. */
  service: z.string().regex(/^xmpps?:\/\/[^/]+$/, 'must be xmpp://host:port (the server\'s component port)'),
  /** The component's domain, as configured on the server (`Component "web.example.org"`). */
  domain: z.string().min(1).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'),
  /** The component secret shared with the server. */
  password: z.string().min(1),
  /** Seconds to wait for the server before a connection attempt counts as failed. */
  connectTimeoutSeconds: z.number().positive().default(10),
});

export type XmppNetworkConfig = z.infer<typeof xmppNetworkConfigSchema>;

const NS = {
  chatStates: 'http://jabber.org/protocol/chatstates',
  receipts: 'urn:xmpp:receipts',
  markers: 'urn:xmpp:chat-markers:0',
  sid: 'urn:xmpp:sid:0',
  nick: 'http://jabber.org/protocol/nick',
  hints: 'urn:xmpp:hints',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  discoInfo: 'http://jabber.org/protocol/disco#info',
} as const;

const CAPABILITIES: NetworkCapabilities = { typing: true, presence: true, receipts: true, maxTextBytes: null, markup: 'plain' };

/** RFC 6121 section 4.7.2.1 `show` -> the uniform presence. */
function presenceOf(stanza: Element): PresenceStatus {
  if (stanza.attrs.type === 'unavailable') return 'offline';
  switch (stanza.getChildText('show')) {
    case 'away':
    case 'xa':
      return 'away';
    case 'dnd':
      return 'busy';
    default:
      return 'available';
  }
}

/**
 * Characters XML 1.0 cannot carry at all (section 2.2: C0 controls but tab, LF and CR; U+FFFE,
 * U+FFFF): a stanza holding one is a stream error that would close the component's connection.
 * They become U+FFFD, so the rest of the text still arrives. The XML library escapes the others.
 */
export function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

const RANK: Record<PresenceStatus, number> = { available: 3, busy: 2, away: 1, offline: 0 };

export function createXmppNetwork({ config, sink, logger }: NetworkContext<XmppNetworkConfig>): Network {
  let status: NetworkStatus = { state: 'offline', reason: 'not started' };
  let stopped = false;
  /** Agents whose presence the bridge follows, and their resources' presence. */
  const watched = new Set<Address>();
  /** Agents who accepted the bridge's subscription (their presence comes to the component domain). */
  const subscribedTo = new Set<Address>();
  const resources = new Map<Address, Map<string, { status: PresenceStatus; text?: string }>>();
  /** Puppets that already told an agent their nickname (XEP-0172 rides on the first message). */
  const nicknamed = new Set<string>();
  /** Bridge message id -> the agent's own stanza id, for XEP-0333 markers (most recent only). */
  const stanzaIds = new Map<string, string>();
  /** Visitor -> agent pairs whose directed presence is out (a first message brings it otherwise). */
  const introduced = new Set<string>();
  const STANZA_IDS_KEPT = 10_000;

  const xmpp: Component = component({ service: config.service, domain: config.domain, password: config.password });
  xmpp.reconnect.stop(); // the bridge's shared Reconnector drives reconnection, with backoff

  const setStatus = (next: NetworkStatus) => {
    status = next;
    sink.status('xmpp', next);
  };

  const reconnector = new Reconnector(
    () => connectOnce(),
    (error, attempt, delayMs) => {
      logger.warn({ err: error, attempt, retryInMs: delayMs }, 'xmpp connection failed');
      setStatus({ state: 'offline', reason: (error as Error).message });
    },
  );

  async function connectOnce(): Promise<void> {
    setStatus({ state: 'connecting' });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no answer from ${config.service} within ${config.connectTimeoutSeconds} s`)), config.connectTimeoutSeconds * 1000);
      const onOnline = () => done();
      const onError = (error: Error) => done(error);
      function done(error?: Error) {
        clearTimeout(timer);
        xmpp.off('online', onOnline);
        xmpp.off('error', onError);
        if (error) {
          xmpp.stop().catch(() => undefined);
          reject(error);
        } else resolve();
      }
      xmpp.once('online', onOnline);
      xmpp.once('error', onError);
      xmpp
        .connect(config.service)
        .then(() => xmpp.open({ domain: config.domain }))
        .catch(onError);
    });
  }

  xmpp.on('online', () => {
    logger.info({ domain: config.domain }, 'xmpp component online');
    setStatus({ state: 'online' });
    for (const agent of watched) void subscribe(agent);
  });
  xmpp.on('disconnect', () => {
    if (stopped) return;
    introduced.clear();
    for (const agent of watched) updateAgent(agent, null);
    setStatus({ state: 'offline', reason: 'connection to the XMPP server lost' });
    reconnector.schedule();
  });
  xmpp.on('error', (error: Error) => logger.debug({ err: error }, 'xmpp error'));
  xmpp.on('stanza', (stanza: Element) => {
    try {
      if (stanza.is('message')) void onMessage(stanza);
      else if (stanza.is('presence')) onPresence(stanza);
    } catch (error) {
      logger.warn({ err: error }, 'xmpp stanza not handled');
    }
  });

  // XEP-0030: say what the visitors' JIDs support, so clients send receipts and chat states.
  xmpp.iqCallee.get(NS.discoInfo, 'query', () =>
    xml(
      'query',
      { xmlns: NS.discoInfo },
      xml('identity', { category: 'gateway', type: 'web', name: 'Switchboard' }),
      ...[NS.discoInfo, NS.chatStates, NS.receipts, NS.markers, NS.sid, NS.nick].map((feature) => xml('feature', { var: feature })),
    ),
  );

  /**
   * RFC 6121 section 3.1: ask once; a server answers a request for an existing subscription by
   * itself. Probe (section 4.3) only agents known to have accepted: a probe from an entity not yet
   * subscribed is answered `unsubscribed` on the agent's behalf, which cancels the pending request.
   */
  async function subscribe(agent: Address): Promise<void> {
    const to = jidOfAddress(agent);
    const type = subscribedTo.has(agent) ? 'probe' : 'subscribe';
    await xmpp.send(xml('presence', { type, from: config.domain, to })).catch(() => undefined);
  }

  /** Aggregates an agent's resources into one presence (the most available wins). */
  function updateAgent(agent: Address, change: { resource: string; status: PresenceStatus; text?: string } | null): void {
    let map = resources.get(agent);
    if (!map) resources.set(agent, (map = new Map()));
    if (change === null) map.clear();
    else if (change.status === 'offline') map.delete(change.resource);
    else map.set(change.resource, change.text === undefined ? { status: change.status } : { status: change.status, text: change.text });
    const best = [...map.values()].sort((a, b) => RANK[b.status] - RANK[a.status])[0];
    sink.presence(best ? { address: agent, ...best } : { address: agent, status: 'offline' });
  }

  function onPresence(stanza: Element): void {
    const from = stanza.attrs.from;
    const to = stanza.attrs.to;
    if (!from || !to) return;
    const type = stanza.attrs.type;
    const agent = addressOfJid(from);
    if (type === 'subscribe') {
      // An agent adding a visitor (or the bridge) to its roster: accept, and ask back.
      void xmpp.send(xml('presence', { type: 'subscribed', from: to, to: from })).catch(() => undefined);
      return;
    }
    if (type === 'subscribed') {
      subscribedTo.add(agent);
      return;
    }
    if (type === 'unsubscribed') {
      subscribedTo.delete(agent);
      return;
    }
    if (type === 'unsubscribe' || type === 'error') return;
    if (type === 'probe') {
      void xmpp.send(xml('presence', { from: to, to: from })).catch(() => undefined);
      return;
    }
    if (!watched.has(agent)) return;
    const resource = from.includes('/') ? from.slice(from.indexOf('/') + 1) : '';
    const text = stanza.getChildText('status') ?? undefined;
    updateAgent(agent, { resource, status: presenceOf(stanza), ...(text ? { text } : {}) });
  }

  async function onMessage(stanza: Element): Promise<void> {
    const { from, to, type, id } = stanza.attrs;
    if (!from || !to) return;
    const sender = addressOfJid(from);
    const party = partyOfPuppet(to, config.domain);
    if (type === 'error') {
      const error = stanza.getChild('error');
      const condition = error?.children.find((child): child is Element => typeof child !== 'string' && child.attrs.xmlns === NS.stanzas)?.name ?? 'undefined-condition';
      const text = error?.getChildText('text', NS.stanzas);
      if (id) sink.receipt({ messageId: id, status: 'failed', error: `${condition}${text ? `: ${text}` : ''}` });
      return;
    }
    if (!party) return;
    const received = stanza.getChild('received', NS.receipts);
    if (received?.attrs.id) sink.receipt({ messageId: received.attrs.id, status: 'delivered' });
    const displayed = stanza.getChild('displayed', NS.markers);
    if (displayed?.attrs.id) sink.receipt({ messageId: displayed.attrs.id, status: 'read' });

    const body = stanza.getChildText('body');
    const chatState = stanza.children.find((child): child is Element => typeof child !== 'string' && child.attrs.xmlns === NS.chatStates);
    if (body === null || body === '') {
      if (chatState) sink.typing({ from: sender, to: party, state: chatState.name === 'composing' ? 'composing' : 'paused' });
      return;
    }
    // XEP-0359: the sender's origin-id survives retransmission; else the stanza id, per sender.
    const originId = stanza.getChild('origin-id', NS.sid)?.attrs.id ?? id;
    const stored = await sink.message({
      network: 'xmpp',
      from: sender,
      to: party,
      text: body,
      ...(originId ? { remoteId: `${sender}/${originId}` } : {}),
    });
    if (stored && id) {
      stanzaIds.set(stored.id, originId ?? id);
      if (stanzaIds.size > STANZA_IDS_KEPT) stanzaIds.delete(stanzaIds.keys().next().value!);
    }
    if (!stored) {
      await xmpp
        .send(
          xml(
            'message',
            { type: 'error', from: to, to: from, ...(id ? { id } : {}) },
            xml('error', { type: 'cancel' }, xml('not-allowed', { xmlns: NS.stanzas }), xml('text', { xmlns: NS.stanzas }, 'This visitor is not in a conversation with you; your message was not delivered.')),
          ),
        )
        .catch(() => undefined);
      return;
    }
    // XEP-0184: the bridge stored it for the visitor; acknowledge on the visitor's behalf.
    if (stanza.getChild('request', NS.receipts) && id) {
      await xmpp.send(xml('message', { from: to, to: from, id: `r-${id}` }, xml('received', { xmlns: NS.receipts, id }))).catch(() => undefined);
    }
  }

  async function sendStanza(element: Element): Promise<void> {
    if (status.state !== 'online') throw new NetworkError(`xmpp is ${status.state}`, true);
    try {
      await xmpp.send(element);
    } catch (error) {
      throw new NetworkError((error as Error).message, true);
    }
  }

  return {
    scheme: 'xmpp',
    capabilities: CAPABILITIES,
    deliversFromStore: false,
    status: () => status,
    async start() {
      stopped = false;
      try {
        await connectOnce();
      } catch (error) {
        logger.warn({ err: error }, 'xmpp: first connection failed; retrying in the background');
        setStatus({ state: 'offline', reason: (error as Error).message });
        reconnector.schedule();
      }
    },
    async stop() {
      stopped = true;
      reconnector.stop();
      await xmpp.stop().catch(() => undefined);
      status = { state: 'offline', reason: 'stopped' };
    },
    async send({ message, to, fromName }: OutboundMessage): Promise<SendResult> {
      const from = puppetJid(message.from, config.domain);
      const toJid = jidOfAddress(to);
      if (message.from.startsWith('web:') && !introduced.has(`${message.from} ${to}`)) {
        // The visitor is there (it just wrote): show it online to the agent before its first words.
        await sendStanza(xml('presence', { from, to: toJid }));
        introduced.add(`${message.from} ${to}`);
      }
      const introduce = fromName !== undefined && !nicknamed.has(`${from} ${toJid}`);
      await sendStanza(
        xml(
          'message',
          { type: 'chat', from, to: toJid, id: message.id },
          xml('body', {}, xmlSafe(message.text)),
          xml('origin-id', { xmlns: NS.sid, id: message.id }),
          xml('request', { xmlns: NS.receipts }),
          xml('markable', { xmlns: NS.markers }),
          xml('active', { xmlns: NS.chatStates }),
          introduce ? xml('nick', { xmlns: NS.nick }, xmlSafe(fromName)) : null,
        ),
      );
      if (introduce) nicknamed.add(`${from} ${toJid}`);
      return { remoteId: message.id, status: 'sent' };
    },
    async setTyping({ from, to, state }: { from: Address; to: Address; state: TypingState }) {
      await sendStanza(
        xml(
          'message',
          { type: 'chat', from: puppetJid(from, config.domain), to: jidOfAddress(to) },
          xml(state, { xmlns: NS.chatStates }),
          xml('no-store', { xmlns: NS.hints }),
        ),
      );
    },
    async sharePresence({ from, to, status: shown, text }) {
      // RFC 6121 section 4.6: directed presence from the visitor's JID, no subscription needed.
      const show = shown === 'away' ? 'away' : shown === 'busy' ? 'dnd' : null;
      const attrs = { from: puppetJid(from, config.domain), to: jidOfAddress(to), ...(shown === 'offline' ? { type: 'unavailable' } : {}) };
      await sendStanza(xml('presence', attrs, show ? xml('show', {}, show) : null, text ? xml('status', {}, xmlSafe(text)) : null));
      if (shown === 'offline') introduced.delete(`${from} ${to}`);
      else introduced.add(`${from} ${to}`);
    },
    async markRead({ reader, message }) {
      // XEP-0333: the visitor displayed the agent's message (named by the agent's own stanza id).
      const stanzaId = stanzaIds.get(message.id);
      if (!stanzaId) return;
      await sendStanza(xml('message', { from: puppetJid(reader, config.domain), to: jidOfAddress(message.from) }, xml('displayed', { xmlns: NS.markers, id: stanzaId })));
    },
    async subscribePresence(addresses: Address[]) {
      for (const address of addresses) {
        if (!address.startsWith('xmpp:') || watched.has(address)) continue;
        watched.add(address);
        if (status.state === 'online') await subscribe(address);
      }
    },
  };
}
