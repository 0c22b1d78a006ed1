/**
 * Live presence of every party the bridge knows of, whatever its network, and each team's
 * availability derived from its members' presence. Changes go to subscribers through the hub and
 * to the router (which offers queued conversations to agents who become available).
 */
import type { Address, Presence, TeamAvailability } from '@switchboard/protocol';
import type { AgentConfig } from '../config.js';
import type { ClientHub } from './hub.js';
import type { TeamDirectory } from './teams.js';

export type PresenceListener = (presence: Presence, previous: Presence) => void;

export class PresenceService {
  private readonly current = new Map<Address, Presence>();
  private readonly availability = new Map<string, TeamAvailability>();
  private readonly listeners: PresenceListener[] = [];

  constructor(
    private readonly hub: ClientHub,
    private readonly teams: TeamDirectory,
  ) {
    for (const team of teams.all()) this.availability.set(team.id, { team: team.id, available: false, online: 0 });
  }

  onChange(listener: PresenceListener): void {
    this.listeners.push(listener);
  }

  get(address: Address): Presence {
    return this.current.get(address) ?? { address, status: 'offline' };
  }

  teamAvailability(team: string): TeamAvailability {
    return this.availability.get(team) ?? { team, available: false, online: 0 };
  }

  update(presence: Presence): void {
    const previous = this.get(presence.address);
    if (previous.status === presence.status && previous.text === presence.text) return;
    if (presence.status === 'offline') this.current.delete(presence.address);
    else this.current.set(presence.address, presence);
    this.hub.emit([{ kind: 'presence', address: presence.address }], 'presence', presence);
    for (const team of this.teams.teamsOf(presence.address)) this.refreshTeam(team.id, team.agents);
    for (const listener of this.listeners) listener(presence, previous);
  }

  /** An agent counts once, however many of its networks it is on: online on any, available on any. */
  private refreshTeam(team: string, agents: readonly AgentConfig[]): void {
    const statuses = agents.map((agent) => agent.addresses.map((address) => this.get(address).status));
    const next: TeamAvailability = {
      team,
      available: statuses.some((own) => own.includes('available')),
      online: statuses.filter((own) => own.some((status) => status !== 'offline')).length,
    };
    const before = this.availability.get(team);
    if (before && before.available === next.available && before.online === next.online) return;
    this.availability.set(team, next);
    this.hub.emit([{ kind: 'team', team }], 'team:availability', next);
  }
}
