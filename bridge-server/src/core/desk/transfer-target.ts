/**
 * Whom a transfer names (docs/support-desk.md, "/transfer"): a team that serves the conversation's
 * site, or an agent of such a team by id, by address (a web address as the site writes it), or by
 * the short name in an address (`bob` for web:a_bob or xmpp:bob@...) when only one agent has it.
 * The desk command and `conversation:transfer` both read it here.
 */
import { type Address, parseAddress } from '@switchboard/protocol';
import { agentUserId, withSite } from '../../networks/web/site-scope.js';
import type { ConversationRecord } from '../../store/store.js';
import type { PresenceService } from '../presence.js';
import type { Router } from './router.js';
import { CommandError } from './command-error.js';
import { type TeamDirectory, addressesOnSite } from './teams.js';

/** `Bob` for web:a_Bob, xmpp:Bob@example.org, irc:Bob@libera or sip:Bob@example.org. */
export const userPart = (address: Address) => (agentUserId(address) ?? parseAddress(address)?.id ?? address).replace(/@.*$/, '');

/** The user part as an agent types it to name someone: `bob`. */
export const shortName = (address: Address) => userPart(address).toLowerCase();

export type TransferTarget = { team: string } | { agent: Address };

export interface TargetDeps {
  teams: TeamDirectory;
  presence: Pick<PresenceService, 'get'>;
}

/** The team `target` names, if it serves the conversation's site. */
export function teamTarget(deps: TargetDeps, conversation: ConversationRecord, target: string): { team: string } | undefined {
  const team = deps.teams.get(target);
  return team && (team.sites === undefined || team.sites.includes(conversation.siteKey)) ? { team: team.id } : undefined;
}

/** The agent `target` names among the agents of the teams serving the conversation's site, at their address online first. */
export function agentTarget(deps: TargetDeps, conversation: ConversationRecord, target: string): { agent: Address } {
  // Only agents of teams that serve the conversation's site may receive it (and its history).
  const serving = deps.teams.all().filter((t) => t.sites === undefined || t.sites.includes(conversation.siteKey));
  // Each agent with only the addresses that can act on this site (a web agent answers its own site).
  const agents = [...new Set(serving.flatMap((t) => t.agents))]
    .map((a) => ({ ...a, addresses: addressesOnSite(a, conversation.siteKey) }))
    .filter((a) => a.addresses.length > 0);
  const written = [target, target.toLowerCase(), withSite(target as Address, conversation.siteKey)];
  const exact = agents.find((a) => a.id === target || written.some((w) => a.addresses.includes(w as Address)));
  const byName = [...new Map(agents.filter((a) => a.addresses.some((address) => shortName(address) === target.toLowerCase())).map((a) => [a.id, a])).values()];
  const agent = exact ?? (byName.length === 1 ? byName[0] : undefined);
  if (!agent)
    throw byName.length > 1
      ? new CommandError(`Several agents are called "${target}": give the id or the address.`)
      : new CommandError(`No agent or team "${target}".`, 'not_found');
  const address = agent.addresses.find((a) => deps.presence.get(a).status !== 'offline') ?? agent.addresses[0]!;
  return { agent: address };
}

/**
 * Refuses a transfer to a team's queue that would only hand the conversation back to the agent who
 * asked (the team's only member who can take it now): they are told so, instead of getting it again.
 */
export async function checkTeamTransfer(
  router: Pick<Router, 'comesBackTo'>,
  conversation: ConversationRecord,
  team: string,
  by: Address,
  ref: string,
): Promise<void> {
  if (await router.comesBackTo(team, conversation, by))
    throw new CommandError(
      `#${ref} would come straight back to you: nobody else in team ${team} can take it now. Transfer it to an agent, or keep it until a teammate is available.`,
    );
}

/** Refuses a transfer that cannot happen: a closed conversation, or to the agent who has it. */
export function checkTransfer(conversation: ConversationRecord, target: TransferTarget, ref: string): void {
  if (conversation.state === 'closed') throw new CommandError(`#${ref} is closed.`);
  if ('agent' in target && target.agent === conversation.assignee) throw new CommandError(`#${ref} is already with ${target.agent}.`);
}
