/**
 * The signed-in agent as the team's directory (`desk:directory`) knows them: every address the
 * configuration lists for them, so a conversation given to their XMPP or SIP address is theirs in
 * Mine, counted down as offered to them and headed "You"; and the names the teams give agents.
 */
import type { DirectoryTeam } from './desk-api.js';

/** `self` and the agent's other addresses (none known: `self` alone). */
export function ownAddresses(teams: readonly DirectoryTeam[], self: string | undefined): string[] {
  if (!self) return [];
  const members = teams.flatMap((team) => team.members).filter((member) => (member.addresses as readonly string[]).includes(self));
  return [...new Set([self, ...members.flatMap((member) => member.addresses)])];
}

/** Agents' names by address (`Carol` for each of Carol's addresses), where the teams name them. */
export function agentNames(teams: readonly DirectoryTeam[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const member of teams.flatMap((team) => team.members)) if (member.name) for (const address of member.addresses) names.set(address, member.name);
  return names;
}
