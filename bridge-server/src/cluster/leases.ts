/**
 * Named leases: which node of a cluster runs a thing only one node may run at a time (a network's
 * connection, its outbox). A lease lives in the shared database (cluster/postgres-leases.ts), whose
 * clock alone decides when it ran out; each holder carries the lease's fencing token, which grows at
 * every change of holder, and the writes only a holder may make check it (store `Fence`).
 *
 * Timing, for a lease of `ttl` renewed every `renew`:
 * - a standby node tries to take it every second; it succeeds once the database's clock has passed
 *   the expiry the last holder set (the row is free, or the holder released it);
 * - the holder renews every `renew`; each successful renewal moves the expiry to the database's
 *   `now() + ttl`, and the holder's own deadline to `ttl` after it SENT that renewal. The statement
 *   ran after it was sent, so the holder's deadline always comes first: it has stopped by the time
 *   another node may take over (as long as both clocks run at the same rate);
 * - a renewal refused (another node holds it), an engine error (the renewal may or may not have
 *   been made: the holder cannot tell) or the deadline passing loses the lease at once, and
 *   listeners are told synchronously, before anything else runs.
 */
import type { Logger } from 'pino';
import type { Fence } from '../store/store.js';
import type { Timer } from '../util/clock.js';

/** What the leases table answers (cluster/postgres-leases.ts; tests use a fake). */
export interface LeaseEngine {
  /** Takes the lease if no one holds it (never held, released, or run out on the engine's clock): the new token, else null. */
  acquire(name: string, holder: string, ttlMs: number): Promise<number | null>;
  /** Moves the expiry of a lease still held with this token to the engine's `now + ttl`; false if it is not. */
  renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean>;
  /** Ends a tenure at once (the next node takes over without waiting for the expiry). */
  release(name: string, holder: string, token: number): Promise<void>;
  close(): Promise<void>;
}

/** A monotonic clock with timers (`performance.now()` in production; tests move their own). */
export interface LeaseTicker {
  now(): number;
  setTimer(run: () => void, delayMs: number): Timer;
}

export const systemTicker: LeaseTicker = {
  now: () => performance.now(),
  setTimer(run, delayMs) {
    const timer = setTimeout(run, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

export interface LeaseListener {
  /** This node holds the lease now, with this fencing token. */
  acquired?(token: number): void;
  /** This node no longer holds it (told synchronously, at once). */
  lost?(reason: string): void;
}

export type LeaseChange = 'acquired' | 'lost' | 'released';

/** One named lease as this node sees it. */
export interface Lease {
  readonly name: string;
  /** The fencing token while this node holds the lease (its deadline not passed); undefined otherwise. */
  token(): number | undefined;
  /** The fence a write only the holder may make carries; undefined when not held, or when nothing needs fencing (a single node). */
  fence(): Fence | undefined;
  /** Listens to acquisitions and losses; returns what removes the listener. */
  listen(listener: LeaseListener): () => void;
  /**
   * Starts contending (once): the first attempt is awaited, so a free lease is held (and its
   * `acquired` listeners ran) when this resolves; a standby node keeps trying every second.
   */
  start(): Promise<void>;
  /** A write fenced by this lease was refused: another node has it; lost at once. */
  fenced(): void;
}

/** The leases of one node. */
export interface Leases {
  readonly nodeId: string;
  /** The lease of this name (made on first use). */
  lease(name: string): Lease;
  /** The leases this node holds now, with their tokens. */
  held(): { name: string; token: number }[];
  /** Stops contending and releases every lease held (the bridge's networks stopped before). */
  stop(): Promise<void>;
}

export interface LeaseOptions {
  ttlMs: number;
  renewMs: number;
  /** How often a standby node tries to take a lease. */
  retryMs?: number;
  ticker?: LeaseTicker;
  logger: Logger;
  /** Every acquisition, loss and release (for `switchboard_lease_changes_total`). */
  onChange?(name: string, change: LeaseChange): void;
}

const RETRY_MS = 1000;

/** One lease contended for in the engine: standby (trying every second), held (renewing), or stopped. */
class ContendedLease implements Lease {
  private state: 'idle' | 'standby' | 'held' | 'stopped' = 'idle';
  private current: number | undefined;
  /** Ticker time by which a renewal must have succeeded. */
  private deadline = 0;
  private next: Timer | undefined;
  private expiry: Timer | undefined;
  private readonly listeners = new Set<LeaseListener>();
  private readonly ticker: LeaseTicker;
  private started: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly holder: string,
    private readonly engine: LeaseEngine,
    private readonly options: LeaseOptions,
  ) {
    this.ticker = options.ticker ?? systemTicker;
  }

  token(): number | undefined {
    if (this.state !== 'held') return undefined;
    // A timer may run late (a busy or paused process): the deadline itself is what counts.
    if (this.ticker.now() >= this.deadline) {
      this.lose('not renewed within the ttl');
      return undefined;
    }
    return this.current;
  }

  fence(): Fence | undefined {
    const token = this.token();
    return token === undefined ? undefined : { lease: this.name, holder: this.holder, token };
  }

  listen(listener: LeaseListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      if (this.state !== 'idle') return;
      this.state = 'standby';
      await this.attempt();
    })();
    return this.started;
  }

  fenced(): void {
    if (this.state === 'held') this.lose('a fenced write was refused: another node holds the lease');
  }

  async stop(): Promise<void> {
    const token = this.state === 'held' ? this.current : undefined;
    this.state = 'stopped';
    this.clearTimers();
    this.current = undefined;
    if (token === undefined) return;
    this.options.onChange?.(this.name, 'released');
    this.tell((listener) => listener.lost?.('released'));
    try {
      await this.engine.release(this.name, this.holder, token);
    } catch (error) {
      // It runs out by itself within the ttl.
      this.options.logger.warn({ err: error, lease: this.name }, 'lease not released; another node takes over once it runs out');
    }
  }

  /** A standby node's try. */
  private async attempt(): Promise<void> {
    if (this.state !== 'standby') return;
    const sentAt = this.ticker.now();
    let token: number | null;
    try {
      token = await this.engine.acquire(this.name, this.holder, this.options.ttlMs);
    } catch (error) {
      this.options.logger.warn({ err: error, lease: this.name }, 'lease not taken: the database did not answer');
      token = null;
    }
    if (this.state !== 'standby') {
      // Stopped meanwhile: what was taken is given back.
      if (token !== null) await this.engine.release(this.name, this.holder, token).catch(() => undefined);
      return;
    }
    if (token === null) {
      this.schedule(() => this.attempt(), this.options.retryMs ?? RETRY_MS);
      return;
    }
    this.state = 'held';
    this.current = token;
    this.extend(sentAt);
    this.options.logger.info({ lease: this.name, token }, 'lease acquired');
    this.options.onChange?.(this.name, 'acquired');
    this.scheduleRenewal(sentAt);
    this.tell((listener) => listener.acquired?.(token));
  }

  /** The holder's renewal. */
  private async renew(): Promise<void> {
    const token = this.current;
    if (this.state !== 'held' || token === undefined) return;
    const sentAt = this.ticker.now();
    let renewed: boolean;
    try {
      renewed = await this.engine.renew(this.name, this.holder, token, this.options.ttlMs);
    } catch (error) {
      // The renewal may or may not have been made: the holder cannot count on it.
      if (this.current === token) this.lose(`the database did not confirm a renewal: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.state !== 'held' || this.current !== token) return; // lost meanwhile (deadline, fence)
    if (!renewed) {
      this.lose('another node holds the lease');
      return;
    }
    this.extend(sentAt);
    this.scheduleRenewal(sentAt);
  }

  /** Moves the local deadline to `ttl` after the successful statement was sent. */
  private extend(sentAt: number): void {
    this.deadline = sentAt + this.options.ttlMs;
    this.expiry?.cancel();
    this.expiry = this.ticker.setTimer(() => void this.token(), this.deadline - this.ticker.now());
  }

  private scheduleRenewal(sentAt: number): void {
    this.schedule(() => this.renew(), sentAt + this.options.renewMs - this.ticker.now());
  }

  private schedule(run: () => Promise<void>, delayMs: number): void {
    this.next?.cancel();
    this.next = this.ticker.setTimer(() => {
      this.next = undefined;
      void run();
    }, delayMs);
  }

  /** Loses the lease now: listeners are told before this returns; standby tries again in a second. */
  private lose(reason: string): void {
    if (this.state !== 'held') return;
    this.state = 'standby';
    this.current = undefined;
    this.clearTimers();
    this.options.logger.warn({ lease: this.name, reason }, 'lease lost');
    this.options.onChange?.(this.name, 'lost');
    this.tell((listener) => listener.lost?.(reason));
    this.schedule(() => this.attempt(), this.options.retryMs ?? RETRY_MS);
  }

  private clearTimers(): void {
    this.next?.cancel();
    this.next = undefined;
    this.expiry?.cancel();
    this.expiry = undefined;
  }

  private tell(call: (listener: LeaseListener) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        call(listener);
      } catch (error) {
        this.options.logger.error({ err: error, lease: this.name }, 'a lease listener failed');
      }
    }
  }
}

/** The leases of a node of a cluster, kept in the shared database. */
export class LeaseManager implements Leases {
  private readonly leases = new Map<string, ContendedLease>();
  private stopped = false;

  constructor(
    readonly nodeId: string,
    private readonly engine: LeaseEngine,
    private readonly options: LeaseOptions,
  ) {
    if (options.renewMs * 2 > options.ttlMs) throw new Error('a lease must be renewed at least twice within its ttl');
  }

  lease(name: string): Lease {
    let lease = this.leases.get(name);
    if (!lease) {
      if (this.stopped) throw new Error('the leases are stopped');
      lease = new ContendedLease(name, this.nodeId, this.engine, this.options);
      this.leases.set(name, lease);
    }
    return lease;
  }

  held(): { name: string; token: number }[] {
    return [...this.leases.values()].flatMap((lease) => {
      const token = lease.token();
      return token === undefined ? [] : [{ name: lease.name, token }];
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.leases.values()].map((lease) => lease.stop()));
    await this.engine.close();
  }
}

/** A single node's leases: every lease always held, with a constant token and nothing to fence. */
export class LocalLeases implements Leases {
  readonly nodeId = 'local';
  private readonly leases = new Map<string, Lease>();

  lease(name: string): Lease {
    let lease = this.leases.get(name);
    if (!lease) {
      lease = {
        name,
        token: () => 1,
        fence: () => undefined,
        listen: () => () => undefined,
        start: () => Promise.resolve(),
        fenced: () => undefined,
      };
      this.leases.set(name, lease);
    }
    return lease;
  }

  held(): { name: string; token: number }[] {
    return [...this.leases.keys()].map((name) => ({ name, token: 1 }));
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The lease of a network: only its holder runs the network and sends its outbox. */
export const networkLease = (scheme: string) => `network:${scheme}`;
