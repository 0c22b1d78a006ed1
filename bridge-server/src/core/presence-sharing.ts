/**
 * Presence that crosses networks: a hosted party's (a website visitor's) to the parties it talks
 * with on other networks (its puppet's presence); a customer's, from their own network, to the
 * agents of their team conversations, whatever network the agents are on (an agent on the
 * customer's network sees them through the bridge too); and in gateway mode a user's to the other
 * side of its gateway conversations and follows (XMPP presence <-> SIMPLE PUBLISH). An agent's own
 * presence is its team's business. Also asks networks to follow their team members' presence.
 */
import { type Address, type Presence, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { HostedParties } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, Store } from '../store/store.js';
import { lruCache } from '../util/lru.js';
import type { TeamDirectory } from './desk/teams.js';
import type { GatewayService } from './interop/gateway-service.js';

export interface PresenceSharingDeps {
  store: Store;
  registry: NetworkRegistry;
  teams: TeamDirectory;
  hosted: HostedParties;
  /** Gateway mode, when configured. */
  interop: GatewayService | undefined;
  logger: Logger;
  /** A party's presence now. */
  presenceOf: (address: Address) => Presence;
}

/** Pairs remembered with what the peer was last shown (the least recently shown forgotten first). */
const SHOWN_KEPT = 10_000;

const shownAs = (presence: Presence): string => `${presence.status}\n${presence.text ?? ''}`;

export class PresenceSharing {
  /** `<party> <peer>` -> what the peer was last shown of the party (shownAs). */
  private readonly shown = lruCache<string, string>(SHOWN_KEPT);

  constructor(private readonly deps: PresenceSharingDeps) {}

  /** A party's presence changed: shown to its peers (in the background). */
  changed(presence: Presence): void {
    if (this.deps.teams.teamsOf(presence.address).length > 0 && !this.deps.hosted.isHosted(presence.address)) return;
    this.share(presence).catch((error: unknown) => this.deps.logger.debug({ err: error }, 'presence not shared'));
  }

  private async share(presence: Presence): Promise<void> {
    const { interop: gateway } = this.deps;
    const { address } = presence;
    const hosted = this.deps.hosted.isHosted(address);
    const ownNetwork = networkOf(address);
    // A customer sees their team's availability on the team's address, not an agent's own presence.
    const isCustomer = (party: Address) => !this.deps.hosted.isHosted(party) && this.deps.teams.teamsOf(party).length === 0;
    const agent = this.deps.teams.teamsOf(address).length > 0;
    // A visitor leaving is shown to whoever saw them, their closed conversations' peers too: a
    // conversation closed before they left the page would leave them shown online there for good.
    const leaving = hosted && presence.status === 'offline';
    const conversations = await this.deps.store.listConversations({ participant: address, ...(leaving ? {} : { state: 'open' as const }), limit: 50 });
    const peers = new Set<Address>();
    for (const conversation of conversations) {
      // A customer's agents see them through the bridge even on the customer's own network;
      // elsewhere a network shows its own users' presence itself.
      const customersOwn = !hosted && conversation.team !== undefined;
      if (!hosted && !customersOwn && !(gateway?.isGatewayConversation(conversation) ?? false)) continue;
      for (const peer of conversation.participants) {
        if (peer === address || (!customersOwn && networkOf(peer) === ownNetwork)) continue;
        if (!(agent && conversation.team !== undefined && isCustomer(peer))) peers.add(peer);
      }
    }
    if (!hosted && gateway) for (const follower of await gateway.followPeers(address)) if (networkOf(follower) !== ownNetwork) peers.add(follower);
    await this.show(presence, peers);
  }

  /**
   * A team conversation was opened or changed hands: a customer's (or a website visitor's) agents
   * are shown the customer's presence now, not only at its next change, where their network shows
   * it pair by pair (XMPP's directed presence, RFC 6121 section 4.6): an agent given the
   * conversation by a transfer sees the visitor away, not available until they change it. Each
   * agent once for each presence; a visitor's to agents on other networks only (the web's own
   * agents read it from the bridge). An unknown presence (offline) is what they are shown anyway.
   */
  conversationChanged(conversation: ConversationRecord): void {
    const customer = conversation.openedBy;
    const { hosted, teams } = this.deps;
    if (conversation.team === undefined || conversation.state !== 'open' || teams.teamsOf(customer).length > 0) return;
    const visitor = hosted.isHosted(customer);
    const presence = this.deps.presenceOf(customer);
    if (presence.status === 'offline') return;
    const agents = conversation.participants.filter(
      (peer) => peer !== customer && !(visitor && networkOf(peer) === networkOf(customer)) && this.shown.get(`${customer} ${peer}`) !== shownAs(presence),
    );
    this.show(presence, agents).catch((error: unknown) => this.deps.logger.debug({ err: error }, 'presence not shared'));
  }

  private async show(presence: Presence, peers: Iterable<Address>): Promise<void> {
    for (const peer of peers) {
      const network = this.deps.registry.forAddress(peer);
      if (!network?.sharePresence || network.status().state !== 'online') continue;
      this.shown.set(`${presence.address} ${peer}`, shownAs(presence));
      await network.sharePresence({
        from: presence.address,
        to: peer,
        status: presence.status,
        ...(presence.text !== undefined ? { text: presence.text } : {}),
      });
    }
  }

  /** Asks each network to follow the presence of the team members it carries (agents on XMPP, ...). */
  async followTeams(): Promise<void> {
    for (const network of this.deps.registry.all()) {
      if (!network.subscribePresence) continue;
      const members = this.deps.teams
        .all()
        .flatMap((team) => team.members)
        .filter((member) => this.deps.registry.forAddress(member) === network);
      if (members.length > 0) await network.subscribePresence([...new Set(members)]);
    }
    await this.deps.interop?.resume();
  }
}
