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

  /** Watches, now and after every reconnect; what the bridge refuses is not remembered. */
  async watch(target: { addresses?: Address[]; team?: string }): Promise<PresenceAnswer> {
    const { presences, available, online } = await this.subscribe(target);
    for (const address of target.addresses ?? []) this.addresses.add(address);
    if (target.team !== undefined) this.teams.add(target.team);
    return { presences, ...(available !== undefined ? { available } : {}), ...(online !== undefined ? { online } : {}) };
  }

  /** Watches nothing any more (the app forgot this party). */
  clear(): void {
    this.addresses.clear();
    this.teams.clear();
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
    // One refusal (an address no longer the party's to watch) costs only itself: the rest is renewed.
    let refusal: Error | undefined;
    const refused = (error: unknown) => (refusal ??= error instanceof Error ? error : new Error(String(error)));
    const addresses = [...this.addresses];
    for (let start = 0; start < addresses.length; start += LIMITS.maxPresenceAddresses) {
      const batch = addresses.slice(start, start + LIMITS.maxPresenceAddresses);
      const result = await this.subscribe({ addresses: batch }).catch(() => null);
      if (result) for (const presence of result.presences) this.report.presence(presence);
      // Refused as a whole: each address alone, and those refused are watched no more.
      else for (const address of batch) await this.renewAddress(address).catch(refused);
    }
    for (const team of this.teams) {
      try {
        const result = await this.subscribe({ team });
        if (result.available !== undefined) this.report.team({ team, available: result.available, online: result.online ?? 0 });
      } catch (error) {
        if (permanent(error)) this.teams.delete(team);
        refused(error);
      }
    }
    if (refusal !== undefined) throw refusal;
  }

  private async renewAddress(address: Address): Promise<void> {
    try {
      for (const presence of (await this.subscribe({ addresses: [address] })).presences) this.report.presence(presence);
    } catch (error) {
      if (permanent(error)) this.addresses.delete(address);
      throw error;
    }
  }
}

/** A refusal that will not change by asking again (forbidden, not found, a bad address), unlike a timeout or a limit. */
function permanent(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'forbidden' || code === 'not_found' || code === 'bad_request';
}
