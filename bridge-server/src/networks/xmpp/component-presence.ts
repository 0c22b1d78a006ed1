/**
 * Presence in component mode. Inbound: a stanza to another network's user goes to the gateway
 * (gateway-presence.ts); a subscription or probe to a hosted party's JID is answered for it; an
 * agent's own presence, to the main domain, is followed (agents.ts). Outbound: a hosted party's
 * presence is directed presence from its JID (RFC 6121 section 4.6, no subscription needed), and
 * what each XMPP user was last shown is remembered: a first message shows the party online first,
 * and a probe (section 4.3.2) gets that presence, not one the party no longer has.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { type Element, xml } from '@xmpp/component';
import type { Logger } from 'pino';
import type { HostedParties, InboundSink, TeamSubscriptions } from '../network.js';
import { JidMap, addressOfJid, isNobodyHosted, jidOfAddress, userPart } from './addresses.js';
import { AgentPresence } from './agents.js';
import type { ComponentLinks } from './component-links.js';
import { TeamPresence } from './component-team-presence.js';
import { GatewayPresence, PresenceMemory, presenceStanza } from './gateway-presence.js';

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
  /** What each hosted party last showed each XMPP user (pairs shown offline, or never, are not kept). */
  private readonly shown = new PresenceMemory();

  constructor(private readonly parts: ComponentPresenceParts) {
    const trySend = (stanza: Element) => parts.links.trySend(stanza);
    // From the main domain, or a gateway contact's JID on its own domain's connection.
    this.agents = new AgentPresence(parts.sink, trySend, parts.mainDomain);
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
    // A gateway domain's requests sent while it was down were lost.
    if (!isMain) this.agents.reaskFrom(domain);
  }

  /** The main connection dropped: no agent's or customer's presence is known, and no hosted party is shown any more. */
  mainOffline(): void {
    this.shown.clear();
    this.agents.onOffline();
    this.teams.offline();
  }

  /**
   * Starts following these XMPP users' presence: agents, from the main domain; a gateway user, from
   * the JID of `seenBy`, the contact of another network they talk with, named by its nick.
   */
  watch(addresses: Address[], seenBy?: { address: Address; name?: string }): void {
    const asker = seenBy && { jid: this.parts.map.jidOf(seenBy.address), nick: seenBy.name ?? userPart(seenBy.address) };
    this.agents.watch(addresses, this.parts.links.main.status.state === 'online', asker);
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
      // A gateway user's answer to a contact's request, or their presence it brings.
      if (type === undefined || type === 'unavailable' || type === 'subscribed' || type === 'unsubscribed') this.agents.handle(stanza);
      this.gateway.handle(stanza, party, toBare).catch((error: unknown) => logger.warn({ err: error, from, to }, 'xmpp gateway presence not handled'));
      return;
    }
    const onGateway = map.gatewayAt(JidMap.domainOf(to)) !== undefined;
    if (onGateway && toBare.includes('@')) this.gateway.handleVacant(stanza, toBare);
    // An agent adding a hosted party (or a gateway) to its roster: accept; a JID of no one: deny
    // (RFC 6121 section 3.2.2), or the roster would keep a contact nobody answers for.
    else if (type === 'subscribe') {
      const nobody = this.isNobody(party, toBare);
      links.trySend(xml('presence', { type: nobody ? 'unsubscribed' : 'subscribed', from: to, to: from }));
      // RFC 6121 section 3.1.5: the contact's current presence follows the approval. Clients that show
      // presence only for their roster (Profanity, mcabber) show the party once it is added.
      if (!nobody && party !== null) links.trySend(this.probed(party, toBare, from));
      // An agent adding the bridge's domain back, after denying its request: asked again.
      if (toBare.toLowerCase() === this.parts.mainDomain.toLowerCase()) this.agents.subscribedBy(from);
    } else if (type === 'probe') links.trySend(this.probed(party, toBare, from));
    // Agents are followed from the main domain only.
    else if (!onGateway) this.agents.handle(stanza);
  }

  /** Shows `from`'s presence to `to`, an XMPP user it talks with. */
  async share({ from, to, status, text }: { from: Address; to: Address; status: PresenceStatus; text?: string }): Promise<void> {
    const { map, hosted, links } = this.parts;
    if (!hosted.isHosted(from)) {
      // Another network's user: remembered for probes, and shown again after a reconnection.
      this.gateway.share({ from, to, status, ...(text ? { text } : {}) });
      return;
    }
    // Remembered first: an introduction asked while this goes out does not show the party available after it.
    this.shown.remember({ from, to, status, ...(text ? { text } : {}) });
    await links.send(presenceStanza(map.jidOf(from), jidOfAddress(to), status, text));
  }

  /** Before a hosted party's first words to `to`: it is there (it just wrote), so it is shown online first. */
  async introduce(from: Address, to: Address): Promise<void> {
    if (!this.parts.hosted.isHosted(from) || this.shown.get(from, to)) return;
    this.shown.remember({ from, to, status: 'available' });
    await this.parts.links.send(xml('presence', { from: this.parts.map.jidOf(from), to: jidOfAddress(to) }));
  }

  /** Whether a JID of the component (not its domain) stands for no one. */
  private isNobody(party: Address | null, toBare: string): boolean {
    return toBare.includes('@') && (party === null || isNobodyHosted(party, this.parts.hosted));
  }

  /**
   * RFC 6121 section 4.3.2, a probe from `from` to `toBare` (a domain, a hosted party's JID, or one
   * that stands for no one): the domain is there; a party answers with what `from` was last shown
   * of it, else unavailable; a JID of no one with `unsubscribed` (its "account does not exist").
   */
  private probed(party: Address | null, toBare: string, from: string): Element {
    if (!toBare.includes('@')) return xml('presence', { from: toBare, to: from });
    if (party === null || this.isNobody(party, toBare)) return xml('presence', { type: 'unsubscribed', from: toBare, to: from });
    const known = this.shown.get(party, addressOfJid(from));
    return presenceStanza(toBare, from, known?.status ?? 'offline', known?.text);
  }
}
