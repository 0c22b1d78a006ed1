/**
 * A network's link to its server, the part every adapter has: the status the core reads (reported
 * through one function, with the network's name bound once), the first connection at start-up
 * (awaited, then retried in the background if it fails), reconnection with the shared backoff
 * after a drop, and the check a sender makes before writing (a retryable error keeps the message
 * in the outbox). The adapter supplies one connection attempt and tells the link when it dropped.
 */
import type { Logger } from 'pino';
import { type BackoffOptions, DEFAULT_BACKOFF, Reconnector } from '../../util/backoff.js';
import { NetworkError, type NetworkStatus } from '../network.js';

export interface LinkOptions {
  /** The network's name in logs and errors (`xmpp`, `sip`). */
  name: string;
  /** One attempt: resolves once the link is up (connected, authenticated, registered). */
  connect(): Promise<void>;
  /** Where status changes go (the sink's `status` with the scheme bound, or a combiner). */
  report(status: NetworkStatus): void;
  logger: Logger;
  backoff?: BackoffOptions;
}

export class Link {
  private current: NetworkStatus = { state: 'offline', reason: 'not started' };
  private stopping = true;
  private readonly reconnector: Reconnector;

  constructor(private readonly options: LinkOptions) {
    this.reconnector = new Reconnector(
      () => this.attempt(),
      (error, attempt, delayMs) => {
        options.logger.warn({ err: error, attempt, retryInMs: delayMs }, `${options.name} connection failed`);
        this.set({ state: 'offline', reason: reasonOf(error) });
      },
      options.backoff ?? DEFAULT_BACKOFF,
    );
  }

  get status(): NetworkStatus {
    return this.current;
  }

  /** True from stop() until the next start(): drops are expected then, not repaired. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Connects; a first failure is logged and retried in the background (the bridge starts anyway). */
  async start(): Promise<void> {
    this.stopping = false;
    this.reconnector.start();
    try {
      await this.attempt();
    } catch (error) {
      this.options.logger.warn({ err: error }, `${this.options.name}: first connection failed; retrying in the background`);
      this.set({ state: 'offline', reason: reasonOf(error) });
      this.reconnector.schedule();
    }
  }

  /** Stops reconnecting, then closes what `close` closes. */
  async stop(close: () => Promise<void>): Promise<void> {
    this.stopping = true;
    this.reconnector.stop();
    await close();
    this.current = { state: 'offline', reason: 'stopped' };
  }

  /** The link dropped (the server went away, a registration was lost): offline, and a reconnect scheduled. */
  dropped(reason: string): void {
    if (this.stopping) return;
    this.set({ state: 'offline', reason });
    this.reconnector.schedule();
  }

  /** The link came up by itself (an event of the protocol's library); not once stopped. */
  up(): void {
    if (this.stopping) return;
    this.set({ state: 'online' });
  }

  /**
   * Fails with a retryable error unless the link is up, so the outbox keeps the message. The error
   * reaches the message's sender (a website visitor too): it says the state, not the reason, which
   * can name the server's internal address (`connect ECONNREFUSED 10.0.0.5:5347`); the status, the
   * log and /readyz have it.
   */
  assertOnline(): void {
    const { state } = this.current;
    if (state !== 'online') throw new NetworkError(`${this.options.name} is ${state}`, true);
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    this.set({ state: 'connecting' });
    await this.options.connect();
    // Stopped while the attempt was under way: the adapter closes what came up; it is not online.
    if (this.stopping) return;
    this.set({ state: 'online' });
  }

  private set(next: NetworkStatus): void {
    if (this.current.state === next.state && this.current.reason === next.reason) return;
    this.current = next;
    this.options.report(next);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
