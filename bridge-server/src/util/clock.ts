/**
 * Time for the parts of the bridge that plan ahead (business hours): the system clock in
 * production, a clock the tests move by hand, so that "tomorrow at 9" is tested without waiting.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Runs `run` once `delayMs` have passed on this clock. */
  setTimer(run: () => void, delayMs: number): Timer;
}

/** Timers longer than this are re-armed in steps (setTimeout's limit is about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A timer of the system clock; a class, so a pending one costs no closures (many offers wait at once). */
class SystemTimer implements Timer {
  constructor(private readonly timeout: NodeJS.Timeout) {
    timeout.unref();
  }

  cancel(): void {
    clearTimeout(this.timeout);
  }
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(run, delayMs) {
    if (delayMs <= MAX_TIMEOUT_MS) return new SystemTimer(setTimeout(run, Math.max(0, delayMs)));
    let timer: NodeJS.Timeout;
    const arm = (remaining: number) => {
      timer = setTimeout(() => (remaining > MAX_TIMEOUT_MS ? arm(remaining - MAX_TIMEOUT_MS) : run()), Math.min(Math.max(0, remaining), MAX_TIMEOUT_MS));
      timer.unref();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
};
