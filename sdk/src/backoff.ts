/**
 * The one backoff of the SDK: `baseMs * 2^attempt`, at most `maxMs`, scaled by a random factor in
 * `[1 - jitter, 1]` so that many clients coming back at once spread out.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  jitter?: number;
}

export function backoffDelay(attempt: number, { baseMs = 500, maxMs = 10_000, jitter = 0 }: BackoffOptions = {}): number {
  return Math.min(maxMs, baseMs * 2 ** attempt) * (1 - jitter * Math.random());
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
