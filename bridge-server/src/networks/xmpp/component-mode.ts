/**
 * Component mode (XEP-0114): the bridge owns a domain, and every party it hosts (a website visitor)
 * is a JID of its own under it, so an agent's ordinary client (Gajim, Conversations, Dino) sees each
 * visitor as a separate contact with presence.
 *
 * Gateway domains (XEP-0100): each configured network's users are JIDs of a domain of their own,
 * served by a component connection of its own; the domains answer service discovery and
 * jabber:iq:gateway, and a subscription to one of their JIDs follows that user's presence through
 * the gateway.
 *
 * The network is made of parts, each with one job and its own state:
 * - ComponentLinks: the connections, one per domain, and their one status;
 * - answerQueries: service discovery and address translation (iq);
 * - ComponentInbound: message stanzas that come in (commands, confirmations, chat states, messages);
 * - ComponentOutbound: messages, typing and notices that go out;
 * - ComponentPresence: presence both ways (agents, hosted parties, the gateway's users);
 * - ComponentReceipts: the ids that receipts and markers name, both ways;
 * - InboundFiles: the files XMPP users link to, fetched from the upload services the server has.
 */
import { component } from '@xmpp/component';
import type {
  CustomerDoorFeature,
  DeskFeature,
  GatewayFeature,
  NetworkContext,
  NetworkCore,
  PresenceFeature,
  ReceiptsFeature,
  TypingFeature,
} from '../network.js';
import { JidMap, jidOfAddress, normalizeXmppAddress } from './addresses.js';
import { type ComponentFactory, ComponentLinks } from './component-links.js';
import { ComponentInbound } from './component-inbound.js';
import { ComponentOutbound } from './component-outbound.js';
import { ComponentPresence } from './component-presence.js';
import { answerQueries } from './component-queries.js';
import { ComponentReceipts } from './component-receipts.js';
import { TeamJids } from './component-teams.js';
import type { XmppComponentConfig } from './config.js';
import type { CapabilitiesOf } from './gateway-discovery.js';
import { InboundFiles } from './inbound-files.js';
import { type DiscoveryTarget, TrustedLinks, discoverUploadPrefixes } from './upload-services.js';

export type { ComponentFactory } from './component-links.js';

/**
 * Where the component looks for upload services: the server it is a component of, named by its
 * domain's parent (`web.example.org` -> `example.org`), asked from the component's own domain.
 */
function uploadTarget(config: XmppComponentConfig): DiscoveryTarget {
  const domain = config.domain.toLowerCase();
  return {
    server: domain.includes('.') ? domain.slice(domain.indexOf('.') + 1) : domain,
    from: domain,
    own: [domain, ...(config.gateways ?? []).map((gateway) => gateway.domain)],
  };
}

type ComponentNetwork = NetworkCore & TypingFeature & ReceiptsFeature & PresenceFeature & DeskFeature & GatewayFeature & CustomerDoorFeature;

export function createComponentNetwork(context: NetworkContext<XmppComponentConfig>, createEntity: ComponentFactory = component): ComponentNetwork {
  const { config, sink, logger, hosted } = context;
  // What other networks support is asked when needed: they all exist by then (the bridge creates them first).
  const capabilitiesOf: CapabilitiesOf = (scheme) => context.capabilitiesOf(scheme);
  const teams = new TeamJids(config.domain, context.teams ?? [], config.customers?.teamAddresses);
  const map = new JidMap(config.domain, config.gateways ?? [], hosted, teams, context.canonicalAddress);
  const trusted = new TrustedLinks(config.files?.fetchFrom ?? [], logger);
  const links: ComponentLinks = new ComponentLinks(config, createEntity, sink, logger, {
    online: (domain, isMain) => {
      if (isMain) trusted.refresh(() => discoverUploadPrefixes((iq) => links.main.request(iq), uploadTarget(config), logger));
      presence.online(domain, isMain);
    },
    mainOffline: () => presence.mainOffline(),
    stanza: (stanza) => {
      if (stanza.is('message')) inbound.handle(stanza);
      else if (stanza.is('presence')) presence.handle(stanza);
    },
    prepare: (entity) => answerQueries(entity, map, capabilitiesOf, context.canonicalAddress),
  });
  const receipts = new ComponentReceipts(map);
  const customerSite = config.customers?.site;
  const presence = new ComponentPresence({
    map,
    hosted,
    sink,
    logger,
    links,
    mainDomain: config.domain,
    teamSubscriptions: context.teamSubscriptions,
    ...(customerSite ? { customerSite } : {}),
  });
  const inbound = new ComponentInbound({
    map,
    hosted,
    sink,
    logger,
    links,
    receipts,
    ...(config.customers?.site ? { customerSite: config.customers.site } : {}),
    files: new InboundFiles({ trusted, files: context.files, logger }),
    ...(context.records ? { records: context.records } : {}),
  });
  const outbound = new ComponentOutbound({
    map,
    links,
    presence,
    capabilitiesOf,
    mainDomain: config.domain,
    files: context.files,
    isAgent: (address) => sink.isAgent(address),
  });

  return {
    scheme: 'xmpp',
    deliversFromStore: false,
    retracts: true,
    corrects: true,
    status: () => links.status(),
    start: () => links.start(),
    stop: () => links.stop(),
    send: (message) => outbound.send(message),
    setTyping: (input) => outbound.setTyping(input),
    notice: (input) => outbound.notice(input),
    async markRead({ conversation, reader, message }) {
      // XEP-0333: the visitor displayed the agent's message (named by the agent's own stanza id).
      const displayed = receipts.displayed(map.senderJid(reader, message.from, conversation), message);
      if (displayed) await links.send(displayed);
    },
    async reportStatus({ message, status }) {
      for (const confirmation of receipts.confirmations(message.id, status)) await links.send(confirmation);
    },
    sharePresence: (input) => presence.share(input),
    showTeamAvailability: (availability) => presence.teams.changed(availability),
    subscribePresence(addresses, seenBy) {
      presence.watch(addresses, seenBy);
      return Promise.resolve();
    },
    normalizeAddress: normalizeXmppAddress,
    // A customer answers any team with a JID of the main domain.
    customerDoor: (id) => (teams.byTeamId(id) ? { id, ...(customerSite ? { site: customerSite } : {}) } : null),
    // Every JID of the component's domains is one of the bridge's (a visitor, another network's user).
    ownsAddress: (address) => map.owns(jidOfAddress(address)),
  };
}
