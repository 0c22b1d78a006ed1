/**
 * The presence an app watches (addresses, teams' availability), remembered so that every
 * reconnect subscribes again and reports the current state.
 */
import { type Address, LIMITS, type Presence, type TeamAvailability } from '@switchboard/protocol';

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

  /** Stops watching addresses: they are not subscribed again after the next reconnect. */
  forget(addresses: readonly Address[]): void {
    for (const address of addresses) this.addresses.delete(address);
  }

  /**
   * Subscribes again to everything watched (after a reconnect) and reports what it finds, as many
   * addresses a request as the bridge takes (`LIMITS.maxPresenceAddresses`).
   */
  async renew(): Promise<void> {
    const addresses = [...this.addresses];
    for (let start = 0; start < addresses.length; start += LIMITS.maxPresenceAddresses) {
      const result = await this.subscribe({ addresses: addresses.slice(start, start + LIMITS.maxPresenceAddresses) });
      for (const presence of result.presences) this.report.presence(presence);
    }
    for (const team of this.teams) {
      const result = await this.subscribe({ team });
      if (result.available !== undefined) this.report.team({ team, available: result.available, online: result.online ?? 0 });
    }
  }
}
