/**
 * Failed console sign-ins (docs/security.md, "Agent sign-in"). Within any 15 minutes, at most 5
 * failures for a username from one client IP, and 5 from one client IP whatever the usernames: then
 * every attempt is refused until the oldest of them is 15 minutes old. And for a username from any
 * IP (a guesser spread over many addresses): after 5 failures each attempt waits after the latest
 * failure, 1 s, then twice as long with each further failure, at most 60 s. A successful sign-in
 * forgets the failures of its username and IP. Counted with the bridge's shared limits
 * (cluster/rate-limits.ts): in Redis when the nodes share one, so every node counts the same.
 */
import type { FailureCounter } from '../cluster/rate-limits.js';

export const LOGIN_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** The first wait for a username past its failures, doubled with each further one, up to the last. */
export const FIRST_WAIT_MS = 1000;
export const LONGEST_WAIT_MS = 60_000;

/** The wait after a username's `count` failures (none before LOGIN_FAILURES). */
export function usernameWaitMs(count: number): number {
  if (count < LOGIN_FAILURES) return 0;
  return Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** (count - LOGIN_FAILURES));
}

export class LoginLimits {
  constructor(private readonly failures: FailureCounter) {}

  /** The counters: the username from this IP, this IP, the username from anywhere. */
  private keys(username: string, ip: string): [string, string, string] {
    const user = username.toLowerCase();
    return [`pair:${ip}:${user}`, `ip:${ip}`, `user:${user}`];
  }

  /** Ms to wait before trying again; 0 when an attempt may be made now. */
  async waitMs(username: string, ip: string): Promise<number> {
    const [pair, address, user] = await this.failures.read(this.keys(username, ip), LOGIN_WINDOW_MS);
    const waits = [pair!, address!].filter((counted) => counted.count >= LOGIN_FAILURES).map((counted) => counted.oldestAt + LOGIN_WINDOW_MS - counted.now);
    if (user!.count >= LOGIN_FAILURES) waits.push(user!.latestAt + usernameWaitMs(user!.count) - user!.now);
    const wait = Math.max(0, ...waits);
    return wait > 0 ? Math.max(1, wait) : 0;
  }

  /** Counts a failed attempt. */
  async failed(username: string, ip: string): Promise<void> {
    await this.failures.record(this.keys(username, ip), LOGIN_WINDOW_MS);
  }

  /** A successful sign-in: its username and IP start again from no failures. */
  async succeeded(username: string, ip: string): Promise<void> {
    await this.failures.clear(this.keys(username, ip)[0]);
  }
}
