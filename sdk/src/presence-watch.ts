/**
 * The presence an app watches (addresses, teams' availability), remembered so that every
 * reconnect subscribes again and reports the current state.
 */
import type { Address, Presence, TeamAvailability } from '@switchboard/protocol';

export interface PresenceAnswer {
  presences: Presence[];
  available?: boolean;
  online?: number;
}

export class PresenceWatch {
  private readonly addresses = new Set<Address>();
  private readonly teams = new Set<string>();

  constructor(
    private readonly subscribe: (target: { addresses?: Address[]; team?: string }) => Promise<PresenceAnswer>,
    private readonly report: { presence(presence: Presence): void; team(availability: TeamAvailability): void },
  ) {}

  /** Watches, now and after every reconnect. */
  async watch(target: { addresses?: Address[]; team?: string }): Promise<PresenceAnswer> {
    for (const address of target.addresses ?? []) this.addresses.add(address);
    if (target.team !== undefined) this.teams.add(target.team);
    const { presences, available, online } = await this.subscribe(target);
    return { presences, ...(available !== undefined ? { available } : {}), ...(online !== undefined ? { online } : {}) };
  }

  /** Subscribes again to everything watched (after a reconnect) and reports what it finds. */
  async renew(): Promise<void> {
    if (this.addresses.size > 0) {
      const result = await this.subscribe({ addresses: [...this.addresses] });
      for (const presence of result.presences) this.report.presence(presence);
    }
    for (const team of this.teams) {
      const result = await this.subscribe({ team });
      if (result.available !== undefined) this.report.team({ team, available: result.available, online: result.online ?? 0 });
    }
  }
}
