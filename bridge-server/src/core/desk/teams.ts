import { type Address, parseAddress } from '@switchboard/protocol';
import type { AgentConfig, TeamConfig } from '../../config.js';
import { isSiteScoped, usableOnSite, withSite, withoutSite } from '../../networks/web/site-scope.js';

/**
 * Teams from the config, looked up by id and by member address. A web agent named in a team
 * (`web:a_alice`) is that site's alice on each site the team serves (`web:a_alice@shop`, see
 * networks/web/site-scope.ts): an agent of another site with the same user id is not a member.
 */
export class TeamDirectory {
  private readonly byId = new Map<string, TeamConfig>();
  private readonly byMember = new Map<Address, TeamConfig[]>();
  private readonly agentNames = new Map<Address, string>();
  private readonly siteKeys: readonly string[];

  constructor(teams: readonly TeamConfig[], siteKeys: readonly string[]) {
    this.siteKeys = siteKeys;
    for (const configured of teams) {
      const team = this.scoped(configured);
      this.byId.set(team.id, team);
      for (const agent of team.agents) for (const address of agent.addresses) if (agent.name !== undefined) this.agentNames.set(address, agent.name);
      for (const member of team.members) {
        const list = this.byMember.get(member) ?? [];
        list.push(team);
        this.byMember.set(member, list);
      }
    }
  }

  /** The team with each web member address written once per site it serves. */
  private scoped(team: TeamConfig): TeamConfig {
    const sites = this.sitesOf(team);
    const agents: AgentConfig[] = team.agents.map((agent) => ({
      ...agent,
      addresses: agent.addresses.flatMap((address) => (isSiteScoped(address) ? sites.map((site) => withSite(address, site)) : [address])),
    }));
    return { ...team, agents, members: agents.flatMap((agent) => agent.addresses) };
  }

  get(id: string): TeamConfig | undefined {
    return this.byId.get(id);
  }

  /** The team, when it exists and serves the site. */
  forSite(id: string, siteKey: string): TeamConfig | undefined {
    const team = this.byId.get(id);
    return team && (team.sites === undefined || team.sites.includes(siteKey)) ? team : undefined;
  }

  /** The sites a team serves (every configured site when its config names none). */
  sitesOf(team: TeamConfig): readonly string[] {
    return team.sites ?? this.siteKeys;
  }

  teamsOf(address: Address): readonly TeamConfig[] {
    return this.byMember.get(address) ?? [];
  }

  /** The name the configuration gives the agent of this address (an XMPP, SIP or IRC agent has no other). */
  agentNameOf(address: Address): string | undefined {
    return this.agentNames.get(address);
  }

  all(): TeamConfig[] {
    return [...this.byId.values()];
  }
}

/** An agent's addresses that can take a conversation of `siteKey` (its other sites' web addresses cannot). */
export function addressesOnSite(agent: AgentConfig, siteKey: string): Address[] {
  return agent.addresses.filter((address) => usableOnSite(address, siteKey));
}

/**
 * How the desk's lines name an agent who got a conversation (`/transfer`'s answer, the IRC support
 * channel after a `!claim`, the line to the agent it left): `Bob (xmpp:bob@example.org)`, or the
 * address alone for an agent configured by its address only.
 */
export function agentLabel(teams: Pick<TeamDirectory, 'teamsOf'>, address: Address): string {
  const agent = teams
    .teamsOf(address)
    .flatMap((team) => team.agents)
    .find((each) => each.addresses.includes(address));
  const name = agent?.name ?? agent?.id;
  // A web agent as its site writes it (`web:a_wendy`), not as the bridge keeps it (`web:a_wendy@shop`).
  const shown = withoutSite(address);
  return name === undefined || parseAddress(name) !== null ? shown : `${name} (${shown})`;
}
