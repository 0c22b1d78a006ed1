/**
 * Live presence of every party the bridge knows of, whatever its network, and each team's
 * availability derived from its members' presence. Changes go to subscribers through the hub and
 * to the router (which offers queued conversations to agents who become available). A team's
 * availability goes to its watchers coalesced (docs/protocol.md, `team:availability`): at most
 * once per TEAM_TOLD_EVERY_MS, with the value current then, and only when it differs from what
 * they were last told; so agents coming back after a restart cost each watcher a few packets,
 * not one per agent.
 *
 * On several nodes each node reports what it knows first-hand (the web parties connected to it,
 * the IM parties of the networks it holds) through `update`, and replicates its reports on the
 * cluster bus; every node keeps every node's reports and derives the same presence from them: the
 * latest report that is not offline, else offline. So a party connected to two nodes stays online
 * until both say it left, and the parties of a node that left go with its reports. Each node tells
 * its own clients what it derived (`local` emits), so no client hears it twice.
 */
import { type Address, type Presence, type TeamAvailability, networkOf } from '@switchboard/protocol';
import type { TeamConfig } from '../config.js';
import { type ClusterBus, LocalBus } from '../cluster/bus.js';
import type { ClientHub } from './hub.js';
import { siteOfAddress } from '../networks/web/site-scope.js';
import { KeyedThrottle } from '../util/keyed-throttle.js';
import { type TeamDirectory, addressesOnSite } from './desk/teams.js';

/** `here`: the change follows a report of this node (false: another node's, or a node that left). */
export type PresenceListener = (presence: Presence, previous: Presence, change: { here: boolean }) => void;
/** A team's availability changed on one of its sites. */
export type TeamAvailabilityListener = (availability: TeamAvailability, siteKey: string) => void;

/** How often, at most, a team's watchers on one site are told its availability changed. */
export const TEAM_TOLD_EVERY_MS = 1000;

/** A node's report of a party's presence; `stamp` orders the reports of all nodes about that party (a Lamport clock). */
interface Report {
  presence: Presence;
  stamp: number;
}

export class PresenceService {
  /** What is derived from the reports: the presence every watcher sees. */
  private readonly current = new Map<Address, Presence>();
  /** Per party, each node's report that it is not offline (this node's under `bus.nodeId`). */
  private readonly reports = new Map<Address, Map<string, Report>>();
  /** Per team and site (`team site`): a site's visitors count only agents who can answer them. */
  private readonly availability = new Map<string, TeamAvailability>();
  /** Per team and site: what its watchers were last told. */
  private readonly told = new Map<string, TeamAvailability>();
  /** Per team and site: a watcher who subscribed meanwhile was given a value other than `told`. */
  private readonly toldOtherwise = new Set<string>();
  private readonly teamThrottle: KeyedThrottle;
  private readonly listeners: PresenceListener[] = [];
  private readonly teamListeners: TeamAvailabilityListener[] = [];
  /** Whether a team works now (its business hours): a closed team is available to no one. */
  private isOpen: (team: string) => boolean = () => true;

  constructor(
    private readonly hub: ClientHub,
    private readonly teams: TeamDirectory,
    teamToldEveryMs = TEAM_TOLD_EVERY_MS,
    private readonly bus: ClusterBus = new LocalBus(),
  ) {
    this.teamThrottle = new KeyedThrottle(teamToldEveryMs);
    bus.on<Report>('presence:report', (report, node) => this.setReport(node, report));
    // All of a node's reports, in place of what we held of its own.
    bus.on<Report[]>('presence:reports', (reports, node) => {
      const touched = new Set(reports.map((report) => report.presence.address));
      for (const [address, byNode] of [...this.reports]) {
        if (!byNode.has(node)) continue;
        touched.add(address);
        this.dropReport(address, node);
      }
      for (const report of reports) this.setReport(node, report, false, false);
      for (const address of touched) this.derive(address, false);
    });
    bus.onSync(() => bus.publish<Report[]>('presence:reports', this.ownReports()));
    bus.onNodeLeft((node) => {
      for (const [address, byNode] of [...this.reports]) {
        if (!byNode.has(node)) continue;
        this.dropReport(address, node);
        this.derive(address, false);
      }
    });
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

  /**
   * Follows the teams' business hours: outside them a team is not `available` whoever is online
   * (its agents are offered nothing, and its visitors see it away, with its offline form).
   * `hoursChanged` is told at each opening and closing.
   */
  followHours(isOpen: (team: string) => boolean): void {
    this.isOpen = isOpen;
    for (const team of this.teams.all()) this.hoursChanged(team.id);
  }

  /** A team opened or closed: its availability is told again. */
  hoursChanged(teamId: string): void {
    const team = this.teams.all().find((each) => each.id === teamId);
    if (team) for (const siteKey of this.teams.sitesOf(team)) this.refreshTeam(team, siteKey);
  }

  /** A team's availability as the visitors of `siteKey` see it. */
  teamAvailability(team: string, siteKey: string): TeamAvailability {
    return this.availability.get(`${team} ${siteKey}`) ?? { team, available: false, online: 0 };
  }

  /**
   * A team's availability for a new watcher (`presence:subscribe`): the current value. When that is
   * not what the team's watchers were last told (a change waits for the window's end), the next
   * telling goes out even if it ends up equal to what they were told: this watcher knows the newer
   * value, and would otherwise never hear it change back.
   */
  teamAvailabilityForWatcher(team: string, siteKey: string): TeamAvailability {
    const now = this.teamAvailability(team, siteKey);
    const last = this.told.get(`${team} ${siteKey}`);
    if (last && !sameAvailability(last, now)) this.toldOtherwise.add(`${team} ${siteKey}`);
    return now;
  }

  /** What this node knows first-hand of a party's presence (the one entry for presence changes). */
  update(presence: Presence): void {
    const known = this.reports.get(presence.address);
    const own = known?.get(this.bus.nodeId);
    // A repeat changes nothing, for this node or the others (an offline party going offline with a text is told, as ever).
    const repeat = own
      ? own.presence.status === presence.status && own.presence.text === presence.text
      : presence.status === 'offline' && presence.text === undefined;
    if (repeat) return;
    const stamp = Math.max(0, ...[...(known?.values() ?? [])].map((report) => report.stamp)) + 1;
    const report = { presence, stamp };
    this.bus.publish<Report>('presence:report', report);
    this.setReport(this.bus.nodeId, report, true);
  }

  /**
   * This node no longer knows a network's parties first-hand (another node runs the network now):
   * its reports of them go, here and on the other nodes.
   */
  withdraw(scheme: string): void {
    for (const { presence } of this.ownReports()) if (networkOf(presence.address) === scheme) this.update({ address: presence.address, status: 'offline' });
  }

  /** This node's reports not offline, for the nodes that need all of them. */
  private ownReports(): Report[] {
    return [...this.reports.values()].flatMap((byNode) => {
      const own = byNode.get(this.bus.nodeId);
      return own ? [own] : [];
    });
  }

  /** Keeps a node's report (an offline one drops its last); then derives the party's presence, unless told not to. */
  private setReport(node: string, report: Report, here = false, derive = true): void {
    const { address } = report.presence;
    if (report.presence.status === 'offline') this.dropReport(address, node);
    else {
      let byNode = this.reports.get(address);
      if (!byNode) this.reports.set(address, (byNode = new Map<string, Report>()));
      byNode.set(node, report);
    }
    if (derive) this.derive(address, here, report.presence);
  }

  private dropReport(address: Address, node: string): void {
    const byNode = this.reports.get(address);
    byNode?.delete(node);
    if (byNode?.size === 0) this.reports.delete(address);
  }

  /**
   * The latest report not offline wins (the node's name breaks a tie, so every node picks the
   * same); with none, the party is offline (as `offline` said, when an offline report led here).
   */
  private derive(address: Address, here: boolean, offline: Presence = { address, status: 'offline' }): void {
    let latest: [string, Report] | undefined;
    for (const entry of this.reports.get(address) ?? [])
      if (!latest || entry[1].stamp > latest[1].stamp || (entry[1].stamp === latest[1].stamp && entry[0] > latest[0])) latest = entry;
    this.apply(latest?.[1].presence ?? (offline.status === 'offline' ? offline : { address, status: 'offline' }), here);
  }

  /** The derived presence changed: this node's watchers, the teams and the listeners hear of it. */
  private apply(presence: Presence, here: boolean): void {
    const previous = this.get(presence.address);
    if (previous.status === presence.status && previous.text === presence.text) return;
    if (presence.status === 'offline') this.current.delete(presence.address);
    else this.current.set(presence.address, presence);
    this.hub.emit([{ kind: 'presence', address: presence.address }], 'presence', presence, { local: true });
    const site = siteOfAddress(presence.address);
    for (const team of this.teams.teamsOf(presence.address)) {
      for (const siteKey of this.teams.sitesOf(team)) if (site === undefined || site === siteKey) this.refreshTeam(team, siteKey);
    }
    for (const listener of this.listeners) listener(presence, previous, { here });
  }

  /** An agent counts once, however many of its networks it is on: online on any, available on any. */
  private refreshTeam(team: TeamConfig, siteKey: string): void {
    const statuses = team.agents.map((agent) => addressesOnSite(agent, siteKey).map((address) => this.get(address).status));
    const next: TeamAvailability = {
      team: team.id,
      available: this.isOpen(team.id) && statuses.some((own) => own.includes('available')),
      online: statuses.filter((own) => own.some((status) => status !== 'offline')).length,
    };
    const key = `${team.id} ${siteKey}`;
    const before = this.availability.get(key);
    if (before && sameAvailability(before, next)) return;
    this.availability.set(key, next);
    this.teamThrottle.request(key, () => this.tellWatchers(key, siteKey));
    for (const listener of this.teamListeners) listener(next, siteKey);
  }

  /** Tells a team's watchers on a site its availability, if it differs from what they were last told. */
  private tellWatchers(key: string, siteKey: string): void {
    const now = this.availability.get(key);
    const last = this.told.get(key);
    if (!now || (last && sameAvailability(last, now) && !this.toldOtherwise.has(key))) return;
    this.toldOtherwise.delete(key);
    this.told.set(key, now);
    this.hub.emit([{ kind: 'team', team: now.team, siteKey }], 'team:availability', now, { local: true });
  }
}

function sameAvailability(a: TeamAvailability, b: TeamAvailability): boolean {
  return a.available === b.available && a.online === b.online;
}
