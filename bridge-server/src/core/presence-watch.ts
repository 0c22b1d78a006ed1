/**
 * Presence as the uniform API's clients watch and set it: which parties a client may watch (a
 * visitor: the parties of its conversations and its site's teams), and the rooms that bring it
 * their changes.
 */
import type { Address, Presence, PresenceSetPayload, PresenceSubscribePayload } from '@switchboard/protocol';
import type { HostedParties } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import { usableOnSite } from '../networks/web/site-scope.js';
import type { Store } from '../store/store.js';
import { type Actor, actsForSite } from './actor.js';
import type { TeamDirectory } from './desk/teams.js';
import { badRequest, forbidden, notFound } from './errors.js';
import type { HubRoom } from './hub.js';
import type { PresenceService } from './presence.js';
import type { SiteAccess } from './site-access.js';

export class PresenceWatch {
  constructor(
    private readonly deps: {
      store: Store;
      registry: NetworkRegistry;
      teams: TeamDirectory;
      presence: PresenceService;
      access: SiteAccess;
      hosted: Pick<HostedParties, 'isHosted'>;
      /** The site a customer's messages to a team's address are filed under (docs/customers.md), if any. */
      customersSite?(customer: Address, team: string): string | undefined;
    },
  ) {}

  /** Current presences, plus the rooms the caller's connection should join for later changes. */
  async subscribe(actor: Actor, payload: PresenceSubscribePayload): Promise<{ presences: Presence[]; available?: boolean; online?: number; rooms: HubRoom[] }> {
    const { presence, teams } = this.deps;
    const addresses = (payload.addresses ?? []) as Address[];
    const rooms: HubRoom[] = [];
    if (!actsForSite(actor) && addresses.length > 0) {
      const visible = await this.visibleTo(actor);
      const hidden = addresses.find((address) => !visible.has(address));
      if (hidden) throw forbidden(`addresses: a visitor may watch only the parties of its conversations and its site's teams, not "${hidden}"`);
    }
    // Another site's anonymous visitor is nobody to this site: shown offline, and not watched; and
    // so is a user of another network the site has nothing to do with (the bridge may follow their
    // presence for another site: a gateway's users, another site's customers).
    const own = await this.sitesParties(actor.siteKey, addresses);
    const presences = addresses.map((address) => (own.has(address) ? presence.get(address) : { address, status: 'offline' as const }));
    for (const address of addresses) if (own.has(address)) rooms.push({ kind: 'presence', address });
    if (payload.team === undefined) return { presences, rooms };
    if (!teams.forSite(payload.team, actor.siteKey)) throw notFound(`team: no team "${payload.team}" serves this site`);
    const { available, online } = presence.teamAvailabilityForWatcher(payload.team, actor.siteKey);
    rooms.push({ kind: 'team', team: payload.team, siteKey: actor.siteKey });
    return { presences, available, online, rooms };
  }

  /**
   * Those of `addresses` the site may see: its own web parties; of other networks, its teams'
   * members, those in its conversations and its teams' subscribers (two store queries for all of
   * them, whatever their number).
   */
  private async sitesParties(siteKey: string, addresses: readonly Address[]): Promise<Set<Address>> {
    const { access, hosted, teams, store } = this.deps;
    const unique = [...new Set(addresses)];
    const parties = await Promise.all(unique.map((address) => access.isSitesParty(siteKey, address)));
    const seen = new Set<Address>();
    const ofOtherNetworks: Address[] = [];
    unique.forEach((address, i) => {
      if (!parties[i]) return;
      if (hosted.isHosted(address) || teams.teamsOf(address).some((team) => teams.forSite(team.id, siteKey) !== undefined)) seen.add(address);
      else ofOtherNetworks.push(address);
    });
    if (ofOtherNetworks.length === 0) return seen;
    const [takingPart, subscribed] = await Promise.all([store.takingPartOnSite(siteKey, ofOtherNetworks), store.teamsSubscribedBy(ofOtherNetworks)]);
    for (const address of ofOtherNetworks) {
      // A customer subscribed to a team's address shares their presence with the team, on the site
      // the team's customers on that network are filed under (a team serving several sites takes them for one).
      const subscriber = (subscribed.get(address) ?? []).some((team) => this.deps.customersSite?.(address, team) === siteKey);
      if (takingPart.has(address) || subscriber) seen.add(address);
    }
    return seen;
  }

  private async visibleTo(actor: Actor): Promise<Set<Address>> {
    const visible = new Set<Address>();
    for (const team of this.deps.teams.all()) {
      if (team.sites === undefined || team.sites.includes(actor.siteKey))
        for (const member of team.members) if (usableOnSite(member, actor.siteKey)) visible.add(member);
    }
    const conversations = await this.deps.store.listConversations({ siteKey: actor.siteKey, participant: actor.address, limit: 500 });
    for (const conversation of conversations) for (const address of conversation.participants) visible.add(address);
    return visible;
  }

  set(actor: Actor, payload: PresenceSetPayload): void {
    const network = this.deps.registry.forAddress(actor.address);
    if (!network?.setOwnPresence) throw badRequest("status: this party's network does not take presence from the API");
    network.setOwnPresence(actor.address, payload.status, payload.text);
  }
}
