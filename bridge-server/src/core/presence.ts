/**
 * Live presence of every party the bridge knows of, whatever its network, and each team's
 * availability derived from its members' presence. Changes go to subscribers through the hub and
 * to the router (which offers queued conversations to agents who become available). A team's
 * availability goes to its watchers coalesced (docs/protocol.md, `team:availability`): at most
 * once per TEAM_TOLD_EVERY_MS, with the value current then, and only when it differs from what
 * they were last told; so agents coming back after a restart cost each watcher a few packets,
 * not one per agent.
 */
import type { Address, Presence, TeamAvailability } from '@switchboard/protocol';
import type { TeamConfig } from '../config.js';
import type { ClientHub } from './hub.js';
import { siteOfAddress } from '../networks/web/site-scope.js';
import { KeyedThrottle } from '../util/keyed-throttle.js';
import { type TeamDirectory, addressesOnSite } from './desk/teams.js';

export type PresenceListener = (presence: Presence, previous: Presence) => void;
/** A team's availability changed on one of its sites. */
export type TeamAvailabilityListener = (availability: TeamAvailability, siteKey: string) => void;

/** How often, at most, a team's watchers on one site are told its availability changed. */
export const TEAM_TOLD_EVERY_MS = 1000;

export class PresenceService {
  private readonly current = new Map<Address, Presence>();
  /** Per team and site (`team site`): a site's visitors count only agents who can answer them. */
  private readonly availability = new Map<string, TeamAvailability>();
  /** Per team and site: what its watchers were last told. */
  private readonly told = new Map<string, TeamAvailability>();
  private readonly teamThrottle: KeyedThrottle;
  private readonly listeners: PresenceListener[] = [];
  private readonly teamListeners: TeamAvailabilityListener[] = [];

  constructor(
    private readonly hub: ClientHub,
    private readonly teams: TeamDirectory,
    teamToldEveryMs = TEAM_TOLD_EVERY_MS,
  ) {
    this.teamThrottle = new KeyedThrottle(teamToldEveryMs);
    for (const team of teams.all())
      for (const site of teams.sitesOf(team)) {
        const none = { team: team.id, available: false, online: 0 };
        this.availability.set(`${team.id} ${site}`, none);
        this.told.set(`${team.id} ${site}`, none);
      }
  }

  /** Drops pending availability updates (at shutdown). */
  stop(): void {
    this.teamThrottle.stop();
  }

  onChange(listener: PresenceListener): void {
    this.listeners.push(listener);
  }

  onTeamChange(listener: TeamAvailabilityListener): void {
    this.teamListeners.push(listener);
  }

  get(address: Address): Presence {
    return this.current.get(address) ?? { address, status: 'offline' };
  }

  /** A team's availability as the visitors of `siteKey` see it. */
  teamAvailability(team: string, siteKey: string): TeamAvailability {
    return this.availability.get(`${team} ${siteKey}`) ?? { team, available: false, online: 0 };
  }

  update(presence: Presence): void {
    const previous = this.get(presence.address);
    if (previous.status === presence.status && previous.text === presence.text) return;
    if (presence.status === 'offline') this.current.delete(presence.address);
    else this.current.set(presence.address, presence);
    this.hub.emit([{ kind: 'presence', address: presence.address }], 'presence', presence);
    const site = siteOfAddress(presence.address);
    for (const team of this.teams.teamsOf(presence.address)) {
      for (const siteKey of this.teams.sitesOf(team)) if (site === undefined || site === siteKey) this.refreshTeam(team, siteKey);
    }
    for (const listener of this.listeners) listener(presence, previous);
  }

  /** An agent counts once, however many of its networks it is on: online on any, available on any. */
  private refreshTeam(team: TeamConfig, siteKey: string): void {
    const statuses = team.agents.map((agent) => addressesOnSite(agent, siteKey).map((address) => this.get(address).status));
    const next: TeamAvailability = {
      team: team.id,
      available: statuses.some((own) => own.includes('available')),
      online: statuses.filter((own) => own.some((status) => status !== 'offline')).length,
    };
    const key = `${team.id} ${siteKey}`;
    const before = this.availability.get(key);
    if (before && before.available === next.available && before.online === next.online) return;
    this.availability.set(key, next);
    this.teamThrottle.request(key, () => this.tellWatchers(key, siteKey));
    for (const listener of this.teamListeners) listener(next, siteKey);
  }

  /** Tells a team's watchers on a site its availability, if it differs from what they were last told. */
  private tellWatchers(key: string, siteKey: string): void {
    const now = this.availability.get(key);
    const last = this.told.get(key);
    if (!now || (last && last.available === now.available && last.online === now.online)) return;
    this.told.set(key, now);
    this.hub.emit([{ kind: 'team', team: now.team, siteKey }], 'team:availability', now);
  }
}
