/**
 * A customer writing on their own network to a team's address there (docs/networks.md, "The
 * inbound sink"; docs/customers.md): their open conversation with the team takes the message, or a
 * new team conversation is opened for it, through the same path as a website visitor's.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { TeamConfig } from '../config.js';
import type { InboundTeam } from '../networks/network.js';
import type { ConversationRecord, Store } from '../store/store.js';
import type { Conversations } from './conversations.js';
import type { TeamDirectory } from './desk/teams.js';

export interface FirstContactDeps {
  store: Pick<Store, 'findOpenConversation'>;
  teams: TeamDirectory;
  conversations: Pick<Conversations, 'openWithTeamGreetingLater'>;
  logger: Logger;
}

export class FirstContacts {
  constructor(private readonly deps: FirstContactDeps) {}

  /**
   * The customer's open conversation with the team, else a new one whose team's opening words wait
   * for `greet` (after the customer's message); null when no such team serves the site.
   */
  async conversationFor(
    customer: Address,
    addressed: InboundTeam,
    subject?: string,
  ): Promise<{ conversation: ConversationRecord; greet?: () => Promise<void> } | null> {
    const found = this.servedBy(addressed);
    if (!found) {
      this.deps.logger.info({ from: customer, team: addressed.id, site: addressed.site ?? null }, 'first contact refused: no such team serves the site');
      return null;
    }
    return this.deps.conversations.openWithTeamGreetingLater({ ...found, openedBy: customer, ...(subject !== undefined ? { subject } : {}) });
  }

  /**
   * The customer's open conversation with the team (the most recently active of theirs with it and
   * with the teams the network names besides), opening none (for their typing).
   */
  async openConversationOf(customer: Address, addressed: InboundTeam): Promise<ConversationRecord | null> {
    let latest: ConversationRecord | null = null;
    for (const id of new Set([addressed.id, ...(addressed.orOpenWith ?? [])])) {
      const open = await this.openWith(customer, id, addressed.site);
      if (open && (!latest || open.updatedAt > latest.updatedAt)) latest = open;
    }
    return latest;
  }

  private async openWith(customer: Address, teamId: string, site: string | undefined): Promise<ConversationRecord | null> {
    const found = this.servedBy({ id: teamId, ...(site !== undefined ? { site } : {}) });
    return found ? this.deps.store.findOpenConversation({ siteKey: found.siteKey, openedBy: customer, team: found.team.id }) : null;
  }

  /** The team addressed and the site of its customers' conversations, when it exists and serves that site. */
  servedBy(addressed: InboundTeam): { team: TeamConfig; siteKey: string } | undefined {
    const team = this.deps.teams.get(addressed.id);
    const siteKey = team && this.siteOf(team, addressed.site);
    return team && siteKey ? { team, siteKey } : undefined;
  }

  /** A team serving one site: that site; else the network's configured site, when the team serves it. */
  private siteOf(team: TeamConfig, networkSite: string | undefined): string | undefined {
    const sites = this.deps.teams.sitesOf(team);
    if (sites.length === 1) return sites[0];
    return networkSite !== undefined && sites.includes(networkSite) ? networkSite : undefined;
  }
}
