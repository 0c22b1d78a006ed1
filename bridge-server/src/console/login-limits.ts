/**
 * Failed console sign-ins (docs/security.md, "Agent sign-in"): at most 5 per username and 5 per
 * client IP in any 15 minutes. Counted with the bridge's shared limits (cluster/rate-limits.ts),
 * so in a cluster every node counts the same failures.
 */
import type { Window, WindowLimiter } from '../cluster/rate-limits.js';

export const LOGIN_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;

export class LoginLimits {
  constructor(private readonly windows: WindowLimiter) {}

  private of(username: string, ip: string): Window[] {
    return [
      { key: `user:${username.toLowerCase()}`, limit: LOGIN_FAILURES, spanMs: LOGIN_WINDOW_MS },
      { key: `ip:${ip}`, limit: LOGIN_FAILURES, spanMs: LOGIN_WINDOW_MS },
    ];
  }

  /** Ms to wait before trying again, when the username or the IP used up its failures; 0 otherwise. */
  async waitMs(username: string, ip: string): Promise<number> {
    const verdict = await this.windows.peek(this.of(username, ip));
    return verdict.ok ? 0 : Math.max(1, verdict.retryAfterMs);
  }

  /** Counts a failed attempt. */
  async failed(username: string, ip: string): Promise<void> {
    await this.windows.take(this.of(username, ip));
  }
}
