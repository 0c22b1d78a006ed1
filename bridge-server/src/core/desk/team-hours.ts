/**
 * Teams' business hours as the desk follows them: whether a team works now, and a timer (on the
 * injected clock) at each team's next opening or closing, so what waited is offered when it opens.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../util/clock.js';
import { BusinessHours } from './business-hours.js';
import type { TeamDirectory } from './teams.js';

export class TeamHours {
  /** Teams with business hours. */
  private readonly hours = new Map<string, BusinessHours>();
  /** The timer of each one's next opening or closing. */
  private readonly timers = new Map<string, Timer>();

  constructor(
    teams: TeamDirectory,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    for (const team of teams.all()) if (team.hours) this.hours.set(team.id, new BusinessHours(team.hours, () => clock.now()));
  }

  /** Whether a team works now (always, without business hours). */
  isOpen(team: string): boolean {
    return this.hours.get(team)?.isOpen() ?? true;
  }

  /** Follows every team's business hours: `opened` runs at each opening, `changed` at each opening and closing. */
  start(opened: (team: string) => void, changed: (team: string) => void = () => undefined): void {
    for (const team of this.hours.keys()) this.schedule(team, opened, changed);
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private schedule(team: string, opened: (team: string) => void, changed: (team: string) => void): void {
    const hours = this.hours.get(team)!;
    const now = this.clock.now();
    const next = hours.isOpen(now) ? hours.closesAt(now) : hours.nextOpening(now);
    if (!next) return;
    const timer = this.clock.setTimer(() => {
      changed(team);
      if (hours.isOpen()) {
        this.logger.info({ team }, 'team opens: offering the conversations that waited');
        opened(team);
      }
      this.schedule(team, opened, changed);
    }, next.getTime() - now.getTime());
    this.timers.set(team, timer);
  }
}
