/**
 * The desk's teams as URIs under the visitor domain (docs/customers.md, "SIP"): a customer on any
 * SIP account writes to `sip:support@<visitor domain>` and is answered from it, whoever of the team
 * answers. The user part is the team's id lowercased unless the configuration names another; it
 * is matched without regard to case (people type addresses), so it must not be one the bridge
 * already uses under that domain: a hosted party's id (`v_3fa9c`: a letter and `_`) or the
 * bridge's own user part.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { URI } from 'sip.js';
import { ConfigError } from '../../config-error.js';
import type { DeskTeam, HostedParties, NetworkConversation } from '../network.js';

export interface TeamUri {
  id: string;
  name: string;
  /** The sites the team serves. */
  sites: readonly string[];
  /** The user part, lowercase. */
  user: string;
  /** `sip:<user>@<visitor domain>`. */
  uri: string;
}

/** The user part of the bridge's own URI under the visitor domain, where agents send commands (`/list`, ...). */
export const BRIDGE_USER = 'switchboard';

/** A team's own address in a conversation (its greeting, its offline message), as the core writes it. */
const TEAM_PREFIX = 'team:';

/**
 * Why a user part cannot be a team's (the URI is already someone's under the visitor domain), or
 * null. `bridgeUsername` is the bridge's registered account, which may share that domain.
 */
export function reservedUserReason(user: string, bridgeUsername: string): string | null {
  const lower = user.toLowerCase();
  if (/^[a-z]_/.test(lower)) return 'must not start with a letter and "_": such user parts are the URIs of the bridge\'s own parties (v_..., a_...)';
  if (lower === BRIDGE_USER) return `must not be "${BRIDGE_USER}": that is the bridge's own URI, where agents send commands`;
  if (lower === bridgeUsername.toLowerCase()) return "must not be the bridge's own username";
  return null;
}

export interface TeamUrisOptions {
  domain: string;
  teams: readonly DeskTeam[];
  /** User parts by team id, from the configuration (`customers.teamAddresses`). */
  configured?: Readonly<Record<string, string>>;
  bridgeUsername?: string;
  logger?: Logger;
}

export class TeamUris {
  private readonly byUser = new Map<string, TeamUri>();
  private readonly byId = new Map<string, TeamUri>();

  /**
   * A configured user part that is already another team's default is a configuration error. A
   * default (the team id) the bridge cannot use gives the team no URI, with a warning: a
   * configuration written before teams had URIs keeps starting.
   */
  constructor({ domain, teams, configured = {}, bridgeUsername = BRIDGE_USER, logger }: TeamUrisOptions) {
    const host = domain.toLowerCase();
    const add = (team: DeskTeam, user: string) => {
      const entry = { id: team.id, name: team.name, sites: team.sites, user, uri: `sip:${user}@${host}` };
      this.byUser.set(user, entry);
      this.byId.set(team.id, entry);
    };
    // Configured user parts first (the schema checked them among themselves), then the defaults around them.
    for (const team of teams) {
      const user = configured[team.id]?.toLowerCase();
      if (user !== undefined) add(team, user);
    }
    for (const team of teams) {
      if (configured[team.id] !== undefined) continue;
      const user = team.id.toLowerCase();
      const holder = this.byUser.get(user);
      if (holder && configured[holder.id] !== undefined)
        throw new ConfigError(
          `sip network: customers.teamAddresses.${holder.id}: "${user}" is already the address of team "${team.id}" (its id); give one of them another`,
        );
      const reason = holder ? `is already the address of team "${holder.id}"` : reservedUserReason(user, bridgeUsername);
      if (reason) logger?.warn({ team: team.id, user }, `team has no SIP address: its id ${reason}; name one in customers.teamAddresses`);
      else add(team, user);
    }
  }

  /** The team a request URI is the address of. */
  at(uri: URI, domain: string): TeamUri | undefined {
    return uri.host.toLowerCase() === domain && uri.user ? this.byUser.get(uri.user.toLowerCase()) : undefined;
  }

  /** The team an address (`team:support`) stands for. */
  of(address: Address): TeamUri | undefined {
    return address.startsWith(TEAM_PREFIX) ? this.byId.get(address.slice(TEAM_PREFIX.length)) : undefined;
  }

  /** The team's address in conversations. */
  addressOf(team: TeamUri): Address {
    return `${TEAM_PREFIX}${team.id}`;
  }

  /**
   * The team the customer of a team conversation sees everything come from: theirs, for the
   * customer who opened it on their own network (a website visitor's conversations are not theirs).
   */
  senderFor(conversation: NetworkConversation | undefined, to: Address, hosted: HostedParties): TeamUri | undefined {
    if (!conversation?.team || conversation.openedBy !== to || hosted.isHosted(to)) return undefined;
    return this.byId.get(conversation.team);
  }
}
