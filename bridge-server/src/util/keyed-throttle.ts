/**
 * Coalesces work per key: what is asked for several times in one tick runs once, and a key runs at
 * most once per window. A key quiet for a window runs on the next tick; one asked again within the
 * window runs once at the window's end. The work reads the state current when it runs, so a burst
 * of changes costs one run with the final value.
 */
export class KeyedThrottle {
  private readonly lastRun = new Map<string, number>();
  private readonly scheduled = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly immediates = new Set<NodeJS.Immediate>();

  constructor(private readonly windowMs: number) {}

  request(key: string, run: () => void): void {
    if (this.scheduled.has(key)) return;
    this.scheduled.add(key);
    const wait = (this.lastRun.get(key) ?? -Infinity) + this.windowMs - performance.now();
    const fire = () => {
      this.scheduled.delete(key);
      this.lastRun.set(key, performance.now());
      run();
    };
    if (wait <= 0) {
      const immediate = setImmediate(() => {
        this.immediates.delete(immediate);
        fire();
      });
      this.immediates.add(immediate);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fire();
    }, wait);
    timer.unref();
    this.timers.add(timer);
  }

  /** Drops every pending run (at shutdown). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const immediate of this.immediates) clearImmediate(immediate);
    this.timers.clear();
    this.immediates.clear();
    this.scheduled.clear();
  }
}
