/**
 * Visitors an agent was talking with before a restart come back where the agent's network shows
 * them as users of its own (an IRC puppet, with the nick it had): the agent's query window names
 * that user, and a reply typed there must reach someone, not come back as "no such nick" from the
 * agent's server, which the bridge never sees. The network decides whether the visitor would still
 * be there (active within its idle time) and whether it has room.
 */
import { networkOf, type Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import type { TeamDirectory } from './teams.js';

/** Open conversations read per agent: more than any network keeps users of its own for (IRC's maxPuppets). */
const CONVERSATIONS_PER_AGENT = 50;

export interface ServedVisitorsDeps {
  store: Pick<Store, 'listConversations' | 'getParty'>;
  teams: Pick<TeamDirectory, 'all' | 'teamsOf'>;
  registry: Pick<NetworkRegistry, 'get'>;
  logger: Logger;
}

export class ServedVisitors {
  constructor(private readonly deps: ServedVisitorsDeps) {}

  /**
   * The network `scheme` is online (after a start, or back from an outage): the visitors of the
   * open conversations its agents hold come back on it, the most recently active first (a network
   * with room for a few keeps the ones most likely to be answered).
   */
  async restore(scheme: string): Promise<void> {
    const network = this.deps.registry.get(scheme);
    if (!network?.restoreParty || network.status().state !== 'online') return;
    const served = await this.conversationsOfAgents(scheme);
    const seen = new Set<Address>();
    for (const { conversation, agent } of served) {
      const visitor = conversation.openedBy;
      // An agent of the same network talks with its own users; another agent is no visitor.
      if (networkOf(visitor) === scheme || seen.has(visitor) || this.deps.teams.teamsOf(visitor).length > 0) continue;
      seen.add(visitor);
      const name = (await this.deps.store.getParty(visitor))?.name;
      await network
        .restoreParty({ from: visitor, to: agent, lastActive: conversation.updatedAt, conversationId: conversation.id, ...(name ? { fromName: name } : {}) })
        .catch((error: unknown) => this.deps.logger.debug({ err: error, party: visitor }, 'visitor not brought back'));
    }
  }

  /** Open conversations assigned to the network's agents, the most recently active first. */
  private async conversationsOfAgents(scheme: string): Promise<{ conversation: ConversationRecord; agent: Address }[]> {
    const agents = new Set(
      this.deps.teams
        .all()
        .flatMap((team) => team.members)
        .filter((member) => networkOf(member) === scheme),
    );
    const served: { conversation: ConversationRecord; agent: Address }[] = [];
    for (const agent of agents) {
      const open = await this.deps.store.listConversations({ participant: agent, state: 'open', limit: CONVERSATIONS_PER_AGENT });
      for (const conversation of open) if (conversation.assignee === agent) served.push({ conversation, agent });
    }
    return served.sort((a, b) => b.conversation.updatedAt.localeCompare(a.conversation.updatedAt));
  }
}
