/**
 * Customers on IRC (docs/customers.md): a user who is not an agent writes to the bot in private
 * and reaches the network's default team, or another team of the configuration's that they pick
 * with `/team ID`. A customer stays in the conversation they are in (the core finds the most
 * recently active open one, `InboundTeam.orOpenWith`: after a transfer, after a restart) until it
 * closes; a pick opens (or continues) the conversation with that team on the next message.
 */
import type { Address } from '@switchboard/protocol';
import { ConfigError } from '../../config-error.js';
import type { DeskTeam, InboundTeam } from '../network.js';
import type { IrcNetworkConfig } from './config.js';

export type IrcCustomersConfig = NonNullable<IrcNetworkConfig['customers']>;

/** Picks kept at most (the oldest is forgotten first): a nick that never writes after `/team` costs little. */
const MAX_PICKS = 10_000;

export class IrcCustomers {
  /** The teams customers may pick, the default first. */
  private readonly teams: readonly DeskTeam[];
  /** Every team of the desk: a conversation transferred to any of them stays the customer's. */
  private readonly deskTeams: readonly string[];
  /** Picks not yet taken up by a message (lowercased nick -> team id). */
  private readonly picks = new Map<string, string>();

  constructor(
    private readonly config: IrcCustomersConfig,
    desk: readonly DeskTeam[],
    networkId: string,
  ) {
    this.teams = customerTeams(config, desk, networkId);
    this.deskTeams = desk.map((team) => team.id).filter((id) => id !== config.team);
  }

  /** The team a customer's message goes to: their pick, else the conversation they are in, else the default team. */
  teamFor(nick: string): InboundTeam {
    const site = this.config.site !== undefined ? { site: this.config.site } : {};
    const picked = this.picks.get(nick.toLowerCase());
    if (picked !== undefined) return { id: picked, ...site };
    return { id: this.config.team, ...site, ...(this.deskTeams.length > 0 ? { orOpenWith: this.deskTeams } : {}) };
  }

  /**
   * The team as a customer's reply reaches it: any team of the desk, since the customer's open
   * conversation with any of them takes their messages (`orOpenWith`); null for no team of the desk.
   */
  doorFor(team: string): InboundTeam | null {
    if (team !== this.config.team && !this.deskTeams.includes(team)) return null;
    return { id: team, ...(this.config.site !== undefined ? { site: this.config.site } : {}) };
  }

  /** A customer's message reached the team they picked: the conversation it went to is now the one they are in. */
  tookUp(nick: string): void {
    this.picks.delete(nick.toLowerCase());
  }

  /** The answer to a customer's command, or null when it is none of the customers' own (`/team`, `/help`). */
  command(nick: string, text: string): string | null {
    const match = /^\s*\/(\S+)\s*([\s\S]*)$/.exec(text);
    const name = match?.[1]?.toLowerCase();
    const argument = match?.[2]?.trim() ?? '';
    if (name === 'help') return this.help();
    if (name !== 'team') return null;
    if (!argument) return this.list(nick);
    const team = this.teams.find((candidate) => candidate.id.toLowerCase() === argument.toLowerCase());
    if (!team) return `There is no team "${argument}" here. ${this.choices()}`;
    const key = nick.toLowerCase();
    this.picks.delete(key); // the newest pick is the last forgotten
    this.picks.set(key, team.id);
    if (this.picks.size > MAX_PICKS) this.picks.delete(this.picks.keys().next().value!);
    return `Your messages now go to ${label(team)}.`;
  }

  private help(): string {
    return [
      `Write here to reach ${label(this.teams[0]!)}; an agent answers here.`,
      ...(this.teams.length > 1 ? ['/team  the teams you can write to', '/team ID  write to that team instead'] : []),
      '/help  this list',
    ].join('\n');
  }

  private list(nick: string): string {
    if (this.teams.length === 1) return `Your messages go to ${label(this.teams[0]!)}; no other team takes messages here.`;
    const picked = this.teams.find((team) => team.id === this.picks.get(nick.toLowerCase()));
    const now = picked ? `You write to ${label(picked)}.` : `You write to ${label(this.teams[0]!)}, or to the team whose conversation you are in.`;
    return `${now} ${this.choices()}`;
  }

  private choices(): string {
    return `Teams you can write to: ${this.teams.map(label).join(', ')}. Send /team ID to pick one.`;
  }
}

const label = (team: DeskTeam) => (team.name !== team.id ? `${team.name} (${team.id})` : team.id);

/**
 * The teams the configuration lets customers write to, the default first: each must exist, and
 * one serving several sites needs `site`, one of them (a configuration mistake, named).
 */
export function customerTeams(config: IrcCustomersConfig, desk: readonly DeskTeam[], networkId: string): DeskTeam[] {
  const problems: string[] = [];
  const teams: DeskTeam[] = [];
  const named = [{ id: config.team, field: 'customers.team' }, ...(config.teams ?? []).map((id, index) => ({ id, field: `customers.teams[${index}]` }))];
  for (const { id, field } of named) {
    const team = desk.find((candidate) => candidate.id === id);
    if (!team) {
      problems.push(`${field}: no team has the id "${id}" (teams: ${desk.map((candidate) => candidate.id).join(', ') || 'none'})`);
      continue;
    }
    if (teams.includes(team)) continue;
    teams.push(team);
    if (team.sites.length > 1 && (config.site === undefined || !team.sites.includes(config.site)))
      problems.push(`customers.site: team "${id}" serves several sites (${team.sites.join(', ')}); set customers.site to the one its IRC customers write to`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration of the IRC network "${networkId}":\n  ${problems.join('\n  ')}`);
  return teams;
}

/**
 * Whether `to` is the customer of a team conversation they opened on their own network: everyone
 * of the team answers them from the bot, each line naming who wrote it.
 */
export function isTeamCustomer(conversation: { team?: string; openedBy?: Address }, to: Address, hosted: { isHosted(address: Address): boolean }): boolean {
  return conversation.team !== undefined && conversation.openedBy === to && !hosted.isHosted(to);
}
