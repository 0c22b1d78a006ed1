/**
 * Component mode (XEP-0114): the bridge owns a domain, and every website visitor is a JID of its
 * own under it, so an agent's ordinary client (Gajim, Conversations, Dino) sees each visitor as a
 * separate contact with presence. Messages are RFC 6121 `chat` messages carrying XEP-0359
 * origin-id (the bridge's message id), XEP-0184 receipt requests, XEP-0333 markable, XEP-0085
 * chat states and XEP-0172 nick. Text reaches XML only through the library's escaping.
 */
import type { Address } from '@switchboard/protocol';
import { type Element, component, xml } from '@xmpp/component';
import type { Network, NetworkCapabilities, NetworkContext, OutboundMessage, SendResult } from '../network.js';
import { addressOfJid, jidOfAddress, partyOfPuppet, puppetJid } from './addresses.js';
import { AgentPresence } from './agents.js';
import { XmppSession } from './session.js';
import { NS, chatStateOf, errorReply, reportConfirmations, showOf, xmlSafe } from './stanzas.js';
import type { XmppComponentConfig } from './xmpp-network.js';

const CAPABILITIES: NetworkCapabilities = { typing: true, presence: true, receipts: true, maxTextBytes: null, markup: 'plain' };
/** Bridge message id -> the agent's own stanza id, for XEP-0333 markers (the most recent ones). */
const STANZA_IDS_KEPT = 10_000;

export function createComponentNetwork({ config, sink, logger }: NetworkContext<XmppComponentConfig>): Network {
  const entity = component({ service: config.service, domain: config.domain, password: config.password });
  const nicknamed = new Set<string>();
  const stanzaIds = new Map<string, string>();
  /**
   * Gateway messages from XMPP users to another network's users: what they asked for (XEP-0184
   * receipt, XEP-0333 markable), answered only once the other network confirms (nothing faked).
   */
  const gatewayStanzas = new Map<string, { id: string; from: string; to: string; receipt: boolean; markable: boolean }>();
  /** Visitor -> agent pairs whose directed presence is out (a first message brings it otherwise). */
  const introduced = new Set<string>();
  const session: XmppSession = new XmppSession(entity, {
    service: config.service,
    domain: config.domain,
    connectTimeoutSeconds: config.connectTimeoutSeconds,
    sink,
    logger,
    onOnline: () => {
      logger.info({ domain: config.domain }, 'xmpp component online');
      agents.onOnline();
    },
    onOffline: () => {
      introduced.clear();
      agents.onOffline();
    },
    onStanza: (stanza) => {
      if (stanza.is('message')) onMessage(stanza).catch((error: unknown) => refuse(stanza, error));
      else if (stanza.is('presence')) onPresence(stanza);
    },
  });
  const agents = new AgentPresence(sink, (stanza) => session.trySend(stanza), config.domain);

  // XEP-0030: say what the visitors' JIDs support, so clients send receipts and chat states.
  entity.iqCallee.get(NS.discoInfo, 'query', () =>
    xml(
      'query',
      { xmlns: NS.discoInfo },
      xml('identity', { category: 'gateway', type: 'web', name: 'Switchboard' }),
      ...[NS.discoInfo, NS.chatStates, NS.receipts, NS.markers, NS.sid, NS.nick].map((feature) => xml('feature', { var: feature })),
    ),
  );

  /** A message the bridge cannot take: the sender gets an XMPP error saying why, never silence. */
  function refuse(stanza: Element, error: unknown): void {
    logger.info({ err: error, from: stanza.attrs.from }, 'xmpp message refused');
    const { from, to, id } = stanza.attrs;
    if (from && to) session.trySend(errorReply(stanza, error, { from: to, to: from, ...(id ? { id } : {}) }));
  }

  function onPresence(stanza: Element): void {
    const { from, to, type } = stanza.attrs;
    if (!from || !to) return;
    if (type === 'subscribe') {
      // An agent adding a visitor to its roster: accept.
      session.trySend(xml('presence', { type: 'subscribed', from: to, to: from }));
      return;
    }
    if (type === 'probe') {
      session.trySend(xml('presence', { from: to, to: from }));
      return;
    }
    agents.handle(stanza);
  }

  async function onMessage(stanza: Element): Promise<void> {
    const { from, to, id } = stanza.attrs;
    if (!from || !to) return;
    if (to === config.domain) {
      // The component's own JID is the bridge's address: agent commands (`/list`, ...). Bounces,
      // group chat and headlines are never commands (answering them could loop).
      if (['error', 'groupchat', 'headline'].includes(stanza.attrs.type ?? 'normal')) return;
      const text = stanza.getChildText('body');
      if (text) {
        const answer = await sink.command({ from: addressOfJid(from), text: text.trim().startsWith('/') ? text : '/help' });
        session.trySend(xml('message', { type: 'chat', from: config.domain, to: from }, xml('body', {}, xmlSafe(answer))));
      }
      return;
    }
    const party = partyOfPuppet(to, config.domain);
    if (reportConfirmations(stanza, sink) || !party) return;
    const sender = addressOfJid(from);
    const body = stanza.getChildText('body');
    if (!body) {
      const state = chatStateOf(stanza);
      if (state) sink.typing({ from: sender, to: party, state });
      return;
    }
    // XEP-0359: the sender's origin-id survives retransmission; else the stanza id, per sender.
    const originId = stanza.getChild('origin-id', NS.sid)?.attrs.id ?? id;
    const stored = await sink.message({ network: 'xmpp', from: sender, to: party, text: body, ...(originId ? { remoteId: `${sender}/${originId}` } : {}) });
    if (!stored) {
      session.trySend(
        xml(
          'message',
          { type: 'error', from: to, to: from, ...(id ? { id } : {}) },
          xml('error', { type: 'cancel' }, xml('not-allowed', { xmlns: NS.stanzas }), xml('text', { xmlns: NS.stanzas }, 'This visitor is not in a conversation with you; your message was not delivered.')),
        ),
      );
      return;
    }
    if (originId) {
      stanzaIds.set(stored.id, originId);
      if (stanzaIds.size > STANZA_IDS_KEPT) stanzaIds.delete(stanzaIds.keys().next().value!);
    }
    const receipt = Boolean(stanza.getChild('request', NS.receipts) && id);
    if (party.startsWith('web:')) {
      // XEP-0184: the bridge stored it for the visitor; acknowledge on the visitor's behalf.
      if (receipt) session.trySend(xml('message', { from: to, to: from, id: `r-${id}` }, xml('received', { xmlns: NS.receipts, id })));
      return;
    }
    const markable = stanza.getChild('markable', NS.markers) !== undefined;
    if ((receipt || markable) && originId) {
      gatewayStanzas.set(stored.id, { id: id ?? originId, from: to, to: from, receipt, markable });
      if (gatewayStanzas.size > STANZA_IDS_KEPT) gatewayStanzas.delete(gatewayStanzas.keys().next().value!);
    }
  }

  return {
    scheme: 'xmpp',
    capabilities: CAPABILITIES,
    deliversFromStore: false,
    status: () => session.status,
    start: () => session.start(),
    stop: () => session.stop(),
    async send({ message, to, fromName }: OutboundMessage): Promise<SendResult> {
      const from = puppetJid(message.from, config.domain);
      const toJid = jidOfAddress(to);
      const pair = `${message.from} ${to}`;
      if (message.from.startsWith('web:') && !introduced.has(pair)) {
        // The visitor is there (it just wrote): show it online to the agent before its first words.
        await session.send(xml('presence', { from, to: toJid }));
        introduced.add(pair);
      }
      const introduce = fromName !== undefined && !nicknamed.has(pair);
      await session.send(
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
      if (introduce) nicknamed.add(pair);
      return { remoteId: message.id, status: 'sent' };
    },
    async setTyping({ from, to, state }) {
      await session.send(xml('message', { type: 'chat', from: puppetJid(from, config.domain), to: jidOfAddress(to) }, xml(state, { xmlns: NS.chatStates }), xml('no-store', { xmlns: NS.hints })));
    },
    async markRead({ reader, message }) {
      // XEP-0333: the visitor displayed the agent's message (named by the agent's own stanza id).
      const stanzaId = stanzaIds.get(message.id);
      if (stanzaId) await session.send(xml('message', { from: puppetJid(reader, config.domain), to: jidOfAddress(message.from) }, xml('displayed', { xmlns: NS.markers, id: stanzaId })));
    },
    async sharePresence({ from, to, status, text }) {
      // RFC 6121 section 4.6: directed presence from the visitor's JID, no subscription needed.
      const show = showOf(status);
      const attrs = { from: puppetJid(from, config.domain), to: jidOfAddress(to), ...(status === 'offline' ? { type: 'unavailable' } : {}) };
      await session.send(xml('presence', attrs, show ? xml('show', {}, show) : null, text ? xml('status', {}, xmlSafe(text)) : null));
      if (status === 'offline') introduced.delete(`${from} ${to}`);
      else introduced.add(`${from} ${to}`);
    },
    async subscribePresence(addresses: Address[]) {
      agents.watch(addresses, session.status.state === 'online');
    },
    async reportStatus({ message, status }) {
      const asked = gatewayStanzas.get(message.id);
      if (!asked) return;
      if (status === 'delivered' && asked.receipt) {
        asked.receipt = false; // once
        await session.send(xml('message', { from: asked.from, to: asked.to, id: `r-${asked.id}` }, xml('received', { xmlns: NS.receipts, id: asked.id })));
      }
      if (status === 'read') {
        gatewayStanzas.delete(message.id);
        // XEP-0333 names the message by the sender's own id (its origin-id when it gave one).
        if (asked.markable) await session.send(xml('message', { from: asked.from, to: asked.to }, xml('displayed', { xmlns: NS.markers, id: stanzaIds.get(message.id) ?? asked.id })));
      }
    },
    ownsAddress(address) {
      // Every JID of the component's domain is one of the bridge's (a visitor, another network's user).
      const jid = address.slice('xmpp:'.length).toLowerCase();
      return jid === config.domain.toLowerCase() || jid.endsWith(`@${config.domain.toLowerCase()}`);
    },
    async notice({ to, text, about }) {
      // In the visitor's own chat when it is about a conversation; else from the bridge's JID.
      const from = about ? puppetJid(about.visitor, config.domain) : config.domain;
      await session.send(xml('message', { type: 'chat', from, to: jidOfAddress(to) }, xml('body', {}, xmlSafe(text)), xml('no-store', { xmlns: NS.hints })));
    },
  };
}
