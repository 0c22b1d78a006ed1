/**
 * Failed console sign-ins (docs/security.md, "Agent sign-in"). Within any 15 minutes, at most 5
 * failures for a username from one client IP, and 20 from one client IP whatever the usernames (an
 * office's agents behind one address): then every attempt is refused until the oldest of them is
 * 15 minutes old. And for a username from any IP (a guesser spread over many addresses): after 5
 * failures each attempt waits after the latest failure, 1 s, then twice as long with each further
 * failure, at most 60 s. A successful sign-in forgets the failures of its username from its IP; the
 * IP's count and the username's count across addresses keep theirs until they leave the window.
 * Counted with the bridge's shared limits (cluster/rate-limits.ts): in Redis when the nodes share
 * one, so every node counts the same.
 */
import type { FailureCount, FailureCounter } from '../cluster/rate-limits.js';

export const LOGIN_FAILURES = 5;
/** Failures from one client IP whatever the usernames: above LOGIN_FAILURES, else forgetting a username's would change nothing. */
export const IP_FAILURES = 20;
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
  private readonly accounts: ReadonlySet<string>;

  /** `accounts`: the usernames that have a password account. */
  constructor(
    private readonly failures: FailureCounter,
    accounts: Iterable<string> = [],
  ) {
    this.accounts = new Set([...accounts].map((username) => username.toLowerCase()));
  }

  /**
   * The counters: the username from this IP, this IP, the username from anywhere. A real
   * account's are kept apart (`account...`) from those of usernames nobody has: a counter in
   * memory keeps a bounded number of keys, and a flood of guesses at made-up usernames must not
   * push a real account's failures out. Every username is counted alike, so the answers tell no
   * real username from a made-up one.
   */
  private keys(username: string, ip: string): [string, string, string] {
    const user = username.toLowerCase();
    const kind = this.accounts.has(user) ? 'account' : 'user';
    return [`${kind}pair:${ip}:${user}`, `ip:${ip}`, `${kind}:${user}`];
  }

  /** Ms to wait before trying again; 0 when an attempt may be made now. */
  async waitMs(username: string, ip: string): Promise<number> {
    const [pair, address, user] = await this.failures.read(this.keys(username, ip), LOGIN_WINDOW_MS);
    // Past its limit, a count waits for its oldest failure to leave the window.
    const untilOldestLeaves = (counted: FailureCount, limit: number) => (counted.count >= limit ? [counted.oldestAt + LOGIN_WINDOW_MS - counted.now] : []);
    const waits = [...untilOldestLeaves(pair!, LOGIN_FAILURES), ...untilOldestLeaves(address!, IP_FAILURES)];
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
