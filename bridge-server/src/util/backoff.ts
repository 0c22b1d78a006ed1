/**
 * Exponential backoff with full jitter (the one reconnect/retry policy every network and the
 * outbox share). Attempt 1 waits about `initialMs`, doubling up to `maxMs`.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: how much of each delay is randomised, so reconnecting clients do not stampede. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, jitter: 0.5 };

export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(exponent, 30));
  const jitter = base * options.jitter * random();
  return Math.round(base - jitter);
}

/**
 * Retries `connect` with backoff until it resolves or `stop()` is called. One shared unit for
 * every network's transport, rather than a loop per adapter. It can be started again after a
 * stop (a network stopped and started again reconnects after a later drop as before), and an
 * attempt that was under way when it stopped changes nothing when it ends.
 */
export class Reconnector {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Bumped by start() and stop(): a connect begun in an earlier run is ignored when it settles. */
  private run = 0;

  constructor(
    private readonly connect: () => Promise<void>,
    /** `delayMs` is the wait before the next attempt, the one this unit then waits. */
    private readonly onError: (error: unknown, attempt: number, delayMs: number) => void,
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  /** Allows attempts again after stop(), from the first backoff step. */
  start(): void {
    this.stop();
    this.stopped = false;
    this.attempt = 0;
  }

  /** Starts (or restarts after a drop) the connect loop. */
  schedule(immediately = false): void {
    if (this.stopped || this.timer) return;
    this.wait(immediately ? 0 : backoffDelay(this.attempt + 1, this.options));
  }

  private wait(delayMs: number): void {
    const run = this.run;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (run !== this.run) return;
      this.attempt += 1;
      this.connect().then(
        () => {
          if (run === this.run) this.attempt = 0;
        },
        (error: unknown) => {
          if (run !== this.run || this.stopped || this.timer) return;
          const next = backoffDelay(this.attempt + 1, this.options);
          this.onError(error, this.attempt, next);
          this.wait(next);
        },
      );
    }, delayMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    this.run += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
