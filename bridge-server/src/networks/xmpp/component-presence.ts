/**
 * Presence in component mode. Inbound: a stanza to another network's user goes to the gateway
 * (gateway-presence.ts); a subscription or probe to a hosted party's JID is answered for it; an
 * agent's own presence, to the main domain, is followed (agents.ts). Outbound: a hosted party's
 * presence is directed presence from its JID (RFC 6121 section 4.6, no subscription needed), and
 * the pairs it was shown to are remembered, so that a first message shows the party online first.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import type { HostedParties, InboundSink, TeamSubscriptions } from '../network.js';
import { JidMap, jidOfAddress } from './addresses.js';
import { AgentPresence } from './agents.js';
import type { ComponentLinks } from './component-links.js';
import { TeamPresence } from './component-team-presence.js';
import { GatewayPresence, presenceStanza } from './gateway-presence.js';

export interface ComponentPresenceParts {
  map: JidMap;
  hosted: HostedParties;
  sink: InboundSink;
  logger: Logger;
  links: ComponentLinks;
  mainDomain: string;
  /** The site of customers' conversations with a team that serves several (docs/customers.md). */
  customerSite?: string;
  /** Where customers' subscriptions to teams' JIDs are kept across restarts. */
  teamSubscriptions?: TeamSubscriptions | undefined;
}

export class ComponentPresence {
  private readonly agents: AgentPresence;
  private readonly gateway: GatewayPresence;
  /** The teams' JIDs, to customers. */
  readonly teams: TeamPresence;
  /** Hosted party -> XMPP user pairs whose directed presence is out. */
  private readonly introduced = new Set<string>();

  constructor(private readonly parts: ComponentPresenceParts) {
    const trySend = (stanza: Element) => parts.links.trySend(stanza);
    this.agents = new AgentPresence(parts.sink, (stanza) => parts.links.main.trySend(stanza), parts.mainDomain);
    this.gateway = new GatewayPresence(parts.map, parts.sink, parts.logger, trySend);
    this.teams = new TeamPresence({
      customerSite: parts.customerSite,
      send: trySend,
      sink: parts.sink,
      teamById: (id) => parts.map.teams.byTeamId(id),
      stored: parts.teamSubscriptions,
      logger: parts.logger,
    });
  }

  /** A domain's connection is up: agents are asked again (main domain), and gateway users shown again. */
  online(domain: string, isMain: boolean): void {
    if (isMain) {
      this.agents.onOnline();
      void this.teams.online();
    }
    this.gateway.reshow(domain);
  }

  /** The main connection dropped: no agent's or customer's presence is known, and no hosted party is shown any more. */
  mainOffline(): void {
    this.introduced.clear();
    this.agents.onOffline();
    this.teams.offline();
  }

  /** Starts following these agents' presence. */
  watch(addresses: Address[]): void {
    this.agents.watch(addresses, this.parts.links.main.status.state === 'online');
  }

  handle(stanza: Element): void {
    const { map, hosted, links, logger } = this.parts;
    const { from, to, type } = stanza.attrs;
    if (!from || !to) return;
    const toBare = to.split('/')[0]!;
    // A customer adding a team's JID: the team's availability (component-team-presence.ts).
    const team = map.teams.at(to);
    if (team) return this.teams.handle(stanza, team);
    const party = map.partyOf(to);
    if (party && !hosted.isHosted(party)) {
      this.gateway.handle(stanza, party, toBare).catch((error: unknown) => logger.warn({ err: error, from, to }, 'xmpp gateway presence not handled'));
      return;
    }
    const onGateway = map.gatewayAt(JidMap.domainOf(to)) !== undefined;
    if (onGateway && toBare.includes('@')) this.gateway.handleVacant(stanza, toBare);
    // An agent adding a hosted party (or a gateway) to its roster: accept.
    else if (type === 'subscribe') links.trySend(xml('presence', { type: 'subscribed', from: to, to: from }));
    else if (type === 'probe') links.trySend(xml('presence', { from: to, to: from }));
    // Agents are followed from the main domain only.
    else if (!onGateway) this.agents.handle(stanza);
  }

  /** Shows `from`'s presence to `to`, an XMPP user it talks with. */
  async share({ from, to, status, text }: { from: Address; to: Address; status: PresenceStatus; text?: string }): Promise<void> {
    const { map, hosted, links } = this.parts;
    if (hosted.isHosted(from)) await links.send(presenceStanza(map.jidOf(from), jidOfAddress(to), status, text));
    // Another network's user: remembered for probes, and shown again after a reconnection.
    else this.gateway.share({ from, to, status, ...(text ? { text } : {}) });
    if (status === 'offline') this.introduced.delete(`${from} ${to}`);
    else this.introduced.add(`${from} ${to}`);
  }

  /** Before a hosted party's first words to `to`: it is there (it just wrote), so it is shown online first. */
  async introduce(from: Address, to: Address): Promise<void> {
    const pair = `${from} ${to}`;
    if (!this.parts.hosted.isHosted(from) || this.introduced.has(pair)) return;
    await this.parts.links.send(xml('presence', { from: this.parts.map.jidOf(from), to: jidOfAddress(to) }));
    this.introduced.add(pair);
  }
}
