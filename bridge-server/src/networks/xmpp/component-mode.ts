/**
 * Component mode (XEP-0114): the bridge owns a domain, and every website visitor is a JID of its
 * own under it, so an agent's ordinary client (Gajim, Conversations, Dino) sees each visitor as a
 * separate contact with presence. Messages are RFC 6121 `chat` messages carrying XEP-0359
 * origin-id (the bridge's message id), XEP-0184 receipt requests, XEP-0333 markable, XEP-0085
 * chat states and XEP-0172 nick. Text reaches XML only through the library's escaping.
 *
 * Gateway domains (XEP-0100): each configured network's users are JIDs of a domain of their own,
 * served by a component connection of its own; the domains answer service discovery and
 * jabber:iq:gateway, and a subscription to one of their JIDs follows that user's presence through
 * the gateway.
 */
import type { Address } from '@switchboard/protocol';
import { type Component, type Element, component, xml } from '@xmpp/component';
import type { Network, NetworkCapabilities, NetworkContext, NetworkStatus, OutboundMessage, SendResult } from '../network.js';
import { type GatewayDomain, JidMap, addressOfJid, jidOfAddress, normalizeXmppAddress } from './addresses.js';
import { AgentPresence } from './agents.js';
import { discoInfo, discoItems, gatewayAnswer, gatewayPrompt } from './gateway-discovery.js';
import { PresenceMemory, presenceStanza } from './gateway-presence.js';
import { XmppSession } from './session.js';
import { NS, chatStateOf, errorReply, hopsElement, hopsOf, reportConfirmations, xmlSafe } from './stanzas.js';
import type { XmppComponentConfig } from './config.js';
import { LRUCache } from 'lru-cache';
import { commandOrHelp } from '../kit/inbound.js';

const CAPABILITIES: NetworkCapabilities = { typing: true, presence: true, receipts: true, maxTextBytes: null, markup: 'plain' };
/** Bridge message id -> the agent's own stanza id, for XEP-0333 markers (the most recent ones). */
const STANZA_IDS_KEPT = 10_000;

interface Connection {
  domain: string;
  session: XmppSession;
}

/** Makes one component connection (the library's; tests pass a stand-in). */
export type ComponentFactory = (options: { service: string; domain: string; password: string }) => Component;

/** A refused message's error (RFC 6120 section 8.3): the condition, and why, in words. */
function refusal(condition: 'not-allowed' | 'item-not-found', why: string) {
  return xml('error', { type: 'cancel' }, xml(condition, { xmlns: NS.stanzas }), xml('text', { xmlns: NS.stanzas }, `${why}; your message was not delivered.`));
}

export function createComponentNetwork(
  { config, sink, logger, capabilitiesOf }: NetworkContext<XmppComponentConfig>,
  createEntity: ComponentFactory = component,
): Network {
  const gateways: readonly GatewayDomain[] = config.gateways ?? [];
  const map = new JidMap(config.domain, gateways);
  const nicknamed = new Set<string>();
  const stanzaIds = new LRUCache<string, string>({ max: STANZA_IDS_KEPT });
  /**
   * Gateway messages from XMPP users to another network's users: what they asked for (XEP-0184
   * receipt, XEP-0333 markable), answered only once the other network confirms (nothing faked).
   */
  const gatewayStanzas = new LRUCache<string, { id: string; party: Address; to: string; receipt: boolean; markable: boolean }>({ max: STANZA_IDS_KEPT });
  /** Visitor -> agent pairs whose directed presence is out (a first message brings it otherwise). */
  const introduced = new Set<string>();
  /** What other networks' users last showed XMPP users (probes, reconnections). */
  const shared = new PresenceMemory();

  /** One component connection per domain: the main one first, then one per gateway domain. */
  const connections: Connection[] = [config.domain, ...gateways.map((gateway) => gateway.domain)].map((domain, index) =>
    connect(domain.toLowerCase(), index === 0),
  );
  const main = connections[0]!.session;
  const agents = new AgentPresence(sink, (stanza) => main.trySend(stanza), config.domain);

  function connect(domain: string, isMain: boolean): Connection {
    const entity = createEntity({ service: config.service, domain, password: config.password });
    const session: XmppSession = new XmppSession(entity, {
      service: config.service,
      domain,
      connectTimeoutSeconds: config.connectTimeoutSeconds,
      sink,
      logger: isMain ? logger : logger.child({ domain }),
      onOnline: () => {
        logger.info({ domain }, 'xmpp component online');
        if (isMain) agents.onOnline();
        reshow(domain);
      },
      onOffline: () => {
        if (!isMain) return;
        introduced.clear();
        agents.onOffline();
      },
      onStanza: (stanza) => {
        if (stanza.is('message')) onMessage(stanza).catch((error: unknown) => refuse(stanza, error));
        else if (stanza.is('presence')) onPresence(stanza);
      },
      onStatus: () => sink.status('xmpp', status()),
    });
    answerQueries(entity);
    return { domain, session };
  }

  /**
   * One status for all connections: online only when every domain is; otherwise the first domain
   * that is down (offline before connecting), named when there are several.
   */
  function status(): NetworkStatus {
    const down = connections.find((c) => c.session.status.state === 'offline') ?? connections.find((c) => c.session.status.state === 'connecting');
    if (!down) return { state: 'online' };
    const { state, reason } = down.session.status;
    if (connections.length === 1) return down.session.status;
    return { state, reason: `${down.domain}: ${reason ?? (state === 'connecting' ? 'connecting' : 'offline')}` };
  }

  /** The connection of the domain a stanza is sent from (the server takes a component's own domain only). */
  const sessionFor = (from: string | undefined) => connections.find((c) => c.domain === JidMap.domainOf(from ?? config.domain))?.session ?? main;
  const send = (stanza: Element) => sessionFor(stanza.attrs.from).send(stanza);
  const trySend = (stanza: Element) => sessionFor(stanza.attrs.from).trySend(stanza);

  /** After a (re)connection, shows again what other networks' users of this domain last showed. */
  function reshow(domain: string): void {
    for (const presence of shared.all()) {
      const from = map.jidOf(presence.from);
      if (JidMap.domainOf(from) === domain) trySend(presenceStanza(from, jidOfAddress(presence.to), presence.status, presence.text));
    }
  }

  /**
   * XEP-0030 for every domain and its JIDs (so that clients send receipts and chat states, and find
   * the gateways), and XEP-0100 section 6.3 for the domains. A handler's error element becomes the
   * iq error (the library's callee answers a thrown error with internal-server-error).
   */
  function answerQueries(entity: Component): void {
    const gatewayOf = (stanza: Element) => map.gatewayAt(JidMap.domainOf(stanza.attrs.to ?? ''));
    // What other networks support is known once they exist (the bridge creates them all first).
    const capabilities = (scheme: string) => capabilitiesOf?.(scheme);
    entity.iqCallee.get(NS.discoInfo, 'query', ({ stanza, element }) => discoInfo(map, stanza.attrs.to ?? config.domain, element.attrs.node, capabilities));
    entity.iqCallee.get(NS.discoItems, 'query', ({ stanza, element }) => discoItems(map, stanza.attrs.to ?? config.domain, element.attrs.node));
    entity.iqCallee.get(NS.gateway, 'query', ({ stanza }) => gatewayPrompt(gatewayOf(stanza)));
    entity.iqCallee.set(NS.gateway, 'query', ({ stanza, element }) => gatewayAnswer(element, gatewayOf(stanza), map));
  }

  /** A message the bridge cannot take: the sender gets an XMPP error saying why, never silence. */
  function refuse(stanza: Element, error: unknown): void {
    logger.info({ err: error, from: stanza.attrs.from }, 'xmpp message refused');
    const { from, to, id } = stanza.attrs;
    if (from && to) trySend(errorReply(stanza, error, { from: to, to: from, ...(id ? { id } : {}) }));
  }

  function onPresence(stanza: Element): void {
    const { from, to, type } = stanza.attrs;
    if (!from || !to) return;
    const toBare = to.split('/')[0]!;
    const party = map.partyOf(to);
    if (party && !party.startsWith('web:')) {
      gatewayPresence(stanza, party, toBare).catch((error: unknown) => logger.warn({ err: error, from, to }, 'xmpp gateway presence not handled'));
      return;
    }
    const onGateway = map.gatewayAt(JidMap.domainOf(to)) !== undefined;
    if (onGateway && toBare.includes('@')) {
      // A JID of a gateway domain that stands for nobody (not written the way the bridge writes them).
      if (type === 'subscribe')
        trySend(xml('presence', { type: 'unsubscribed', from: toBare, to: from }, xml('status', {}, 'This is not an address of this gateway.')));
      else if (type === 'probe') trySend(xml('presence', { type: 'unavailable', from: toBare, to: from }));
      return;
    }
    if (type === 'subscribe') {
      // An agent adding a visitor (or a gateway) to its roster: accept.
      trySend(xml('presence', { type: 'subscribed', from: to, to: from }));
      return;
    }
    if (type === 'probe') {
      trySend(xml('presence', { from: to, to: from }));
      return;
    }
    // Agents are followed from the main domain only.
    if (!onGateway) agents.handle(stanza);
  }

  /**
   * XEP-0100 section 4 with RFC 6121 section 3: an XMPP user subscribing to another network's user
   * asks the gateway to follow that user's presence (the core's policy decides), and unsubscribing
   * stops it. A probe (section 4.3) gets the presence last shown to that user, else unavailable.
   */
  async function gatewayPresence(stanza: Element, party: Address, toBare: string): Promise<void> {
    const from = stanza.attrs.from!;
    const watcher = addressOfJid(from);
    const user = jidOfAddress(watcher);
    const follow = (on: boolean) =>
      Promise.resolve()
        .then(() => sink.follow({ watcher, target: party, follow: on }))
        .catch((error: unknown) => {
          logger.warn({ err: error, watcher, target: party }, 'xmpp gateway follow failed');
          return { ok: false as const, reason: 'The bridge could not follow this contact now; try again later.' };
        });
    switch (stanza.attrs.type) {
      case 'subscribe': {
        const outcome = await follow(true);
        if (!outcome.ok) {
          logger.info({ watcher, target: party, reason: outcome.reason }, 'xmpp gateway subscription refused');
          trySend(xml('presence', { type: 'unsubscribed', from: toBare, to: user }, xml('status', {}, xmlSafe(outcome.reason))));
          return;
        }
        trySend(xml('presence', { type: 'subscribed', from: toBare, to: user }));
        // RFC 6121 section 3.1.5: the contact's current presence follows the approval.
        const known = shared.get(party, watcher);
        if (known) trySend(presenceStanza(toBare, user, known.status, known.text));
        return;
      }
      case 'unsubscribe':
        await follow(false);
        trySend(xml('presence', { type: 'unsubscribed', from: toBare, to: user }));
        return;
      case 'unsubscribed':
        await follow(false);
        return;
      case 'probe': {
        const known = shared.get(party, watcher);
        trySend(known ? presenceStanza(toBare, from, known.status, known.text) : xml('presence', { type: 'unavailable', from: toBare, to: from }));
        return;
      }
      // Directed presence from the XMPP user, or `subscribed` (the gateway never asks): nothing to do.
    }
  }

  async function onMessage(stanza: Element): Promise<void> {
    const { from, to, id } = stanza.attrs;
    if (!from || !to) return;
    const toBare = to.split('/')[0]!;
    if (!toBare.includes('@')) {
      // A domain's own JID is the bridge's address: agent commands (`/list`, ...). Bounces, group
      // chat and headlines are never commands (answering them could loop).
      if (['error', 'groupchat', 'headline'].includes(stanza.attrs.type ?? 'normal')) return;
      const text = stanza.getChildText('body');
      if (text) {
        const answer = await sink.command({ from: addressOfJid(from), text: commandOrHelp(text) });
        trySend(xml('message', { type: 'chat', from: toBare, to: from }, xml('body', {}, xmlSafe(answer))));
      }
      return;
    }
    const party = map.partyOf(to);
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
    const via = hopsOf(stanza);
    const stored = await sink.message({
      network: 'xmpp',
      from: sender,
      to: party,
      text: body,
      ...(originId ? { remoteId: `${sender}/${originId}` } : {}),
      ...(via.length > 0 ? { via } : {}),
    });
    if (!stored) {
      trySend(
        xml(
          'message',
          { type: 'error', from: to, to: from, ...(id ? { id } : {}) },
          // Web parties' ids start with their role (`v_`, `u_`, `a_`, `i_`): any other JID here stands for nobody.
          /^web:[a-z]_/i.test(party)
            ? refusal('not-allowed', 'This visitor is not in a conversation with you')
            : party.startsWith('web:')
              ? refusal('item-not-found', 'No one has this address')
              : refusal('not-allowed', 'No conversation joins you and this user'),
        ),
      );
      return;
    }
    if (originId) {
      stanzaIds.set(stored.id, originId);
    }
    const receipt = Boolean(stanza.getChild('request', NS.receipts) && id);
    if (party.startsWith('web:')) {
      // XEP-0184: the bridge stored it for the visitor; acknowledge on the visitor's behalf.
      if (receipt) trySend(xml('message', { from: to, to: from, id: `r-${id}` }, xml('received', { xmlns: NS.receipts, id })));
      return;
    }
    const markable = stanza.getChild('markable', NS.markers) !== undefined;
    if ((receipt || markable) && originId) {
      gatewayStanzas.set(stored.id, { id: id ?? originId, party, to: from, receipt, markable });
    }
  }

  return {
    scheme: 'xmpp',
    capabilities: CAPABILITIES,
    deliversFromStore: false,
    status,
    async start() {
      await Promise.all(connections.map((c) => c.session.start()));
    },
    async stop() {
      await Promise.all(connections.map((c) => c.session.stop()));
    },
    async send({ message, to, fromName, via }: OutboundMessage): Promise<SendResult> {
      const from = map.jidOf(message.from);
      const toJid = jidOfAddress(to);
      const pair = `${message.from} ${to}`;
      if (message.from.startsWith('web:') && !introduced.has(pair)) {
        // The visitor is there (it just wrote): show it online to the agent before its first words.
        await send(xml('presence', { from, to: toJid }));
        introduced.add(pair);
      }
      const introduce = fromName !== undefined && !nicknamed.has(pair);
      await send(
        xml(
          'message',
          { type: 'chat', from, to: toJid, id: message.id },
          xml('body', {}, xmlSafe(message.text)),
          xml('origin-id', { xmlns: NS.sid, id: message.id }),
          xml('request', { xmlns: NS.receipts }),
          xml('markable', { xmlns: NS.markers }),
          // XEP-0085 section 5.1: an `active` says chat states are supported; not for a network without typing.
          capabilitiesOf?.(message.from.slice(0, message.from.indexOf(':')))?.typing === false ? null : xml('active', { xmlns: NS.chatStates }),
          introduce ? xml('nick', { xmlns: NS.nick }, xmlSafe(fromName)) : null,
          hopsElement(via),
        ),
      );
      if (introduce) nicknamed.add(pair);
      return { remoteId: message.id, status: 'sent' };
    },
    async setTyping({ from, to, state }) {
      await send(
        xml(
          'message',
          { type: 'chat', from: map.jidOf(from), to: jidOfAddress(to) },
          xml(state, { xmlns: NS.chatStates }),
          xml('no-store', { xmlns: NS.hints }),
        ),
      );
    },
    async markRead({ reader, message }) {
      // XEP-0333: the visitor displayed the agent's message (named by the agent's own stanza id).
      const stanzaId = stanzaIds.get(message.id);
      if (stanzaId)
        await send(xml('message', { from: map.jidOf(reader), to: jidOfAddress(message.from) }, xml('displayed', { xmlns: NS.markers, id: stanzaId })));
    },
    async sharePresence({ from, to, status: shown, text }) {
      // RFC 6121 section 4.6: directed presence from the party's JID, no subscription needed.
      const stanza = presenceStanza(map.jidOf(from), jidOfAddress(to), shown, text);
      if (from.startsWith('web:')) await send(stanza);
      else {
        // Another network's user: remembered for probes, and shown again after a reconnection.
        shared.remember({ from, to, status: shown, ...(text ? { text } : {}) });
        trySend(stanza);
      }
      if (shown === 'offline') introduced.delete(`${from} ${to}`);
      else introduced.add(`${from} ${to}`);
    },
    async subscribePresence(addresses: Address[]) {
      agents.watch(addresses, main.status.state === 'online');
    },
    async reportStatus({ message, status: reached }) {
      const asked = gatewayStanzas.get(message.id);
      if (!asked) return;
      const from = map.jidOf(asked.party);
      if (reached === 'delivered' && asked.receipt) {
        asked.receipt = false; // once
        await send(xml('message', { from, to: asked.to, id: `r-${asked.id}` }, xml('received', { xmlns: NS.receipts, id: asked.id })));
      }
      if (reached === 'read') {
        gatewayStanzas.delete(message.id);
        // XEP-0333 names the message by the sender's own id (its origin-id when it gave one).
        if (asked.markable)
          await send(xml('message', { from, to: asked.to }, xml('displayed', { xmlns: NS.markers, id: stanzaIds.get(message.id) ?? asked.id })));
      }
    },
    normalizeAddress: normalizeXmppAddress,
    ownsAddress(address) {
      // Every JID of the component's domains is one of the bridge's (a visitor, another network's user).
      return map.owns(address.slice('xmpp:'.length));
    },
    async notice({ to, text, about }) {
      // In the visitor's own chat when it is about a conversation; else from the bridge's JID.
      const from = about ? map.jidOf(about.visitor) : config.domain;
      await send(xml('message', { type: 'chat', from, to: jidOfAddress(to) }, xml('body', {}, xmlSafe(text)), xml('no-store', { xmlns: NS.hints })));
    },
  };
}
