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
 * every network's transport, rather than a loop per adapter.
 */
export class Reconnector {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly connect: () => Promise<void>,
    private readonly onError: (error: unknown, attempt: number, delayMs: number) => void,
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  /** Starts (or restarts after a drop) the connect loop. */
  schedule(immediately = false): void {
    if (this.stopped || this.timer) return;
    const delay = immediately ? 0 : backoffDelay(this.attempt + 1, this.options);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt += 1;
      this.connect().then(
        () => {
          this.attempt = 0;
        },
        (error: unknown) => {
          this.onError(error, this.attempt, backoffDelay(this.attempt + 1, this.options));
          this.schedule();
        },
      );
    }, delay);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
