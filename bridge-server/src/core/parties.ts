/** Parties as the uniform API knows them: who connected, a visitor's own details, what a site may learn of a party. */
import { type Address, type PartyInfo, type ProfileUpdatePayload, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { SiteConfig } from '../config.js';
import { type PartyRecord, type Store, isSharedCustomer } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import { type Actor, actsForSite } from './actor.js';
import type { TeamDirectory } from './desk/teams.js';
import { forbidden, notFound } from './errors.js';
import { usableOnSite } from '../networks/web/site-scope.js';
import { toPartyInfo } from './wire.js';

const DAY_MS = 86_400_000;
const TEAM_SCHEME = 'team:';

/**
 * Whether a site may learn what is kept of a party: one filed under it, or a customer on their own
 * network the site has heard from (filed under the first site they wrote to).
 */
export async function siteMayKnow(store: Pick<Store, 'heardFrom'>, party: PartyRecord, siteKey: string): Promise<boolean> {
  if (party.siteKey === siteKey) return true;
  return isSharedCustomer(party) && (await store.heardFrom(siteKey, party.address));
}

/** The name a party's messages go under on other networks: their own (a visitor's, a customer's), else an agent's configured name. */
export async function senderName(store: Pick<Store, 'getParty'>, teams: Pick<TeamDirectory, 'agentNameOf'>, from: Address): Promise<string | undefined> {
  return (await store.getParty(from))?.name ?? teams.agentNameOf(from);
}

/** An address of a network other than the web's, and no team's own. */
function isOtherNetworks(address: Address): boolean {
  const network = networkOf(address);
  return network !== 'web' && `${network}:` !== TEAM_SCHEME;
}

export class Parties {
  constructor(private readonly deps: { store: Store; teams: TeamDirectory; sites: readonly SiteConfig[]; clock: Clock; logger: Logger }) {}

  /** A party that proved who it is on connecting (a vouched-for user, an agent, an integration): its details recorded. */
  async admit(party: PartyRecord): Promise<void> {
    await this.deps.store.upsertParty(party);
  }

  /** A visitor's own details (pre-chat form, current page); a verified user's name and email stay the site's. */
  async updateProfile(actor: Actor, payload: ProfileUpdatePayload): Promise<PartyInfo> {
    const { store } = this.deps;
    const party = (await store.getParty(actor.address)) ?? { address: actor.address, siteKey: actor.siteKey, role: actor.role, verified: false };
    if (party.verified && actor.role !== 'integration' && (payload.name !== undefined || payload.email !== undefined)) {
      throw forbidden(`${payload.name !== undefined ? 'name' : 'email'}: the website vouched for this user; its name and email come from the website`);
    }
    const updated = {
      ...party,
      ...(payload.name !== undefined ? { name: payload.name } : {}),
      ...(payload.email !== undefined ? { email: payload.email } : {}),
      ...(payload.pageUrl !== undefined ? { pageUrl: payload.pageUrl } : {}),
    };
    await store.upsertParty(updated);
    return toPartyInfo(updated);
  }

  /** What the bridge knows of a party: anyone may ask about themselves, agents about their site's parties. */
  async get(actor: Actor, address: Address): Promise<PartyInfo> {
    // A party not stored yet (a visitor that has done nothing) still knows itself.
    const party =
      (await this.deps.store.getParty(address)) ??
      (address === actor.address ? { address, siteKey: actor.siteKey, role: actor.role, verified: actor.role !== 'visitor' } : null);
    // A team's own party (its greetings) is public to the sites it serves, as the configuration names
    // it before its first message stores it.
    const team = address.startsWith(TEAM_SCHEME) ? this.deps.teams.forSite(address.slice(TEAM_SCHEME.length), actor.siteKey) : undefined;
    if (team && !party) return { address, role: 'integration', name: team.name ?? team.id, verified: true };
    const visible =
      party && (address === actor.address || team !== undefined || (actsForSite(actor) && (await siteMayKnow(this.deps.store, party, actor.siteKey))));
    if (visible) return toPartyInfo(party);
    // An agent of a team serving the site is public to it by name only: a visitor's chat names who answers.
    if (this.isSitesAgent(address, actor.siteKey)) {
      const name = party?.name ?? this.deps.teams.agentNameOf(address);
      return { address, role: 'agent', verified: true, ...(name !== undefined ? { name } : {}) };
    }
    // A user of another network the bridge keeps no details of (a gateway conversation's users): the
    // site's desk knows them as far as they take part in its conversations, by address.
    if (!party && actsForSite(actor) && isOtherNetworks(address) && (await this.deps.store.takingPartOnSite(actor.siteKey, [address])).has(address))
      return { address, role: 'visitor', verified: false };
    throw notFound(`address: no party "${address}" known to this site`);
  }

  /** Whether `address` is an agent of a team serving the site, by an address usable there. */
  private isSitesAgent(address: Address, siteKey: string): boolean {
    const { teams } = this.deps;
    return usableOnSite(address, siteKey) && teams.teamsOf(address).some((team) => teams.forSite(team.id, siteKey) !== undefined);
  }

  /**
   * Forgets anonymous visitors that never took part in a conversation once their token could have
   * expired (each site's `tokenTtlDays` after their last update); returns how many.
   */
  async expireIdleVisitors(now = this.deps.clock.now()): Promise<number> {
    let expired = 0;
    for (const site of this.deps.sites) {
      expired += await this.deps.store.expireIdleVisitors(site.key, new Date(now.getTime() - site.tokenTtlDays * DAY_MS).toISOString());
    }
    if (expired > 0) this.deps.logger.info({ expired }, 'idle anonymous visitors forgotten');
    return expired;
  }
}
