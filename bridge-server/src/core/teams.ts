import type { Address } from '@switchboard/protocol';
import type { TeamConfig } from '../config.js';

/** Teams from the config, looked up by id and by member address. */
export class TeamDirectory {
  private readonly byId = new Map<string, TeamConfig>();
  private readonly byMember = new Map<Address, TeamConfig[]>();

  constructor(teams: readonly TeamConfig[]) {
    for (const team of teams) {
      this.byId.set(team.id, team);
      for (const member of team.members as Address[]) {
        const list = this.byMember.get(member) ?? [];
        list.push(team);
        this.byMember.set(member, list);
      }
    }
  }

  get(id: string): TeamConfig | undefined {
    return this.byId.get(id);
  }

  /** The team, when it exists and serves the site. */
  forSite(id: string, siteKey: string): TeamConfig | undefined {
    const team = this.byId.get(id);
    return team && (team.sites === undefined || team.sites.includes(siteKey)) ? team : undefined;
  }

  teamsOf(address: Address): readonly TeamConfig[] {
    return this.byMember.get(address) ?? [];
  }

  all(): TeamConfig[] {
    return [...this.byId.values()];
  }
}
