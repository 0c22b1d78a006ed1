/** A clock for the tests that moves only when told to (business hours without waiting). */
import type { Clock, Timer } from '../src/util/clock.js';

/** A clock that moves only when told to; due timers run as it passes them, in time order. */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Set<{ at: number; run: () => void }>();

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimer(run: () => void, delayMs: number): Timer {
    const timer = { at: this.current + Math.max(0, delayMs), run };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }

  /** Moves to `to`, running every timer due on the way. */
  set(to: Date): void {
    for (;;) {
      const due = [...this.timers].filter((timer) => timer.at <= to.getTime()).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due);
      this.current = due.at;
      due.run();
    }
    this.current = to.getTime();
  }
}
