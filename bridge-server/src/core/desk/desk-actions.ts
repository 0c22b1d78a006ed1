/**
 * The desk's actions from the uniform API (docs/protocol.md, "Addition: the agent inbox"): claim and
 * transfer as `/claim` and `/transfer` do (the router's rules, transfer-target.ts), the site's team
 * directory with presence, and canned replies. Everything is of the caller's site.
 */
import type { Address, CannedReply, DirectoryTeam, PresenceStatus } from '@switchboard/protocol';
import type { TeamConfig } from '../../config.js';
import type { RefBook } from '../../networks/refs.js';
import type { ConversationRecord } from '../../store/store.js';
import { type Actor, actsForSite } from '../actor.js';
import { BridgeError, forbidden, notFound } from '../errors.js';
import type { PresenceService } from '../presence.js';
import type { SiteAccess } from '../site-access.js';
import { toWireConversation } from '../wire.js';
import { CommandError } from './command-error.js';
import type { Router } from './router.js';
import { type TeamDirectory, addressesOnSite } from './teams.js';
import { agentTarget, checkTeamTransfer, checkTransfer, teamTarget } from './transfer-target.js';

/** Best first: a member's status is the best of their addresses'. */
const STATUS_RANK: readonly PresenceStatus[] = ['available', 'busy', 'away', 'offline'];

export interface DeskActionsDeps {
  access: SiteAccess;
  router: Pick<Router, 'claim' | 'transfer' | 'comesBackTo'>;
  teams: TeamDirectory;
  presence: Pick<PresenceService, 'get' | 'teamAvailability'>;
  refs: RefBook;
}

export class DeskActions {
  constructor(private readonly deps: DeskActionsDeps) {}

  /** The teams serving the actor's site. */
  private siteTeams(siteKey: string): TeamConfig[] {
    return this.deps.teams.all().filter((team) => this.deps.teams.forSite(team.id, siteKey) !== undefined);
  }

  /** A team of the site by id; `not_found` otherwise. */
  siteTeam(siteKey: string, id: string): TeamConfig {
    const team = this.deps.teams.forSite(id, siteKey);
    if (!team) throw notFound(`team: no team "${id}" serves this site`);
    return team;
  }

  /** The actor as an agent of the conversation's team, or `forbidden`. */
  private async teamConversation(actor: Actor, conversationId: string, event: string): Promise<ConversationRecord> {
    if (actor.role !== 'agent') throw forbidden(`${event} is for agents`);
    const conversation = await this.deps.access.conversation(actor, conversationId);
    if (conversation.team === undefined) throw new BridgeError('bad_request', `conversationId: "${conversationId}" is not a team conversation`);
    return conversation;
  }

  async claim(actor: Actor, conversationId: string) {
    const conversation = await this.teamConversation(actor, conversationId, 'conversation:claim');
    const outcome = await this.deps.router.claim(conversation.id, actor.address);
    if (!outcome.ok) throw new BridgeError(outcome.code ?? 'bad_request', outcome.reason);
    return outcome.conversation;
  }

  async transfer(actor: Actor, conversationId: string, to: { agent: string } | { team: string }) {
    const conversation = await this.teamConversation(actor, conversationId, 'conversation:transfer');
    if (!this.deps.teams.teamsOf(actor.address).some((team) => team.id === conversation.team))
      throw forbidden(`conversationId: you are not a member of the team "${conversation.team}"`);
    try {
      const target =
        'team' in to ? (teamTarget(this.deps, conversation, to.team) ?? this.missingTeam(to.team)) : agentTarget(this.deps, conversation, to.agent);
      const ref = this.deps.refs.refOf(conversation.id);
      checkTransfer(conversation, target, ref);
      if ('team' in target) await checkTeamTransfer(this.deps.router, conversation, target.team, actor.address, ref);
      return toWireConversation(await this.deps.router.transfer(conversation.id, target, actor.address));
    } catch (error) {
      if (error instanceof CommandError) throw new BridgeError(error.code, error.message);
      throw error;
    }
  }

  private missingTeam(id: string): never {
    throw new CommandError(`No team "${id}" serves this conversation's site.`, 'not_found');
  }

  /** The site's teams, their members and their presence. */
  directory(actor: Actor): DirectoryTeam[] {
    if (!actsForSite(actor)) throw forbidden('desk:directory is for agents and integrations');
    return this.siteTeams(actor.siteKey).map((team) => {
      const availability = this.deps.presence.teamAvailability(team.id, actor.siteKey);
      return {
        id: team.id,
        name: team.name ?? team.id,
        available: availability.available,
        online: availability.online,
        members: team.agents
          .map((agent) => ({ agent, addresses: addressesOnSite(agent, actor.siteKey) }))
          .filter(({ addresses }) => addresses.length > 0)
          .map(({ agent, addresses }) => ({
            id: agent.id,
            ...(agent.name !== undefined ? { name: agent.name } : {}),
            addresses,
            status: this.bestStatus(addresses),
          })),
      };
    });
  }

  private bestStatus(addresses: readonly Address[]): PresenceStatus {
    const ranks = addresses.map((address) => STATUS_RANK.indexOf(this.deps.presence.get(address).status));
    return STATUS_RANK[Math.min(...ranks)] ?? 'offline';
  }

  /** Canned replies of `team`, or of the caller's teams on the site (an integration: every team of the site). */
  canned(actor: Actor, team?: string): CannedReply[] {
    if (!actsForSite(actor)) throw forbidden('canned:list is for agents and integrations');
    const own = this.deps.teams.teamsOf(actor.address).filter((t) => this.deps.teams.forSite(t.id, actor.siteKey) !== undefined);
    const teams = team !== undefined ? [this.siteTeam(actor.siteKey, team)] : actor.role === 'agent' ? own : this.siteTeams(actor.siteKey);
    return teams.flatMap((t) => Object.entries(t.canned).map(([name, text]) => ({ team: t.id, name, text })));
  }
}
