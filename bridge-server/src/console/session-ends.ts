/**
 * Connections live by the console session their token was issued for (docs/security.md, "Agent
 * sign-in"): when an agent signs out, every node closes the connections whose token carries that
 * session (its `c` claim), told over the cluster bus; and each node's hourly housekeeping closes
 * those whose session expired or no longer signs its agent in (account removed, password changed).
 * Connections without the claim (identity- or API-key-vouched) are never touched.
 */
import { lruCache } from '../util/lru.js';
import type { ClusterBus } from '../cluster/bus.js';

/** The bus message: the key of a session that ended. */
export const SESSION_ENDED = 'console:session-ended';

/** What this module needs of a connection (a socket.io socket of /v1). */
export interface SessionConnection {
  readonly data: { consoleSession?: string } | undefined;
  disconnect(close?: boolean): unknown;
}

export interface SessionEndsDeps {
  bus: ClusterBus;
  /** This node's open connections. */
  connections: () => Iterable<SessionConnection>;
  /** Whether the session stored under a key still signs its agent in. */
  live: (key: string) => Promise<boolean>;
}

/** Sessions remembered as ended, for handshakes that passed their check just before the end. */
const RECENT_KEPT = 10_000;
const RECENT_MS = 10 * 60_000;

export class SessionEnds {
  private readonly recent = lruCache<string, true>(RECENT_KEPT, { ttl: RECENT_MS });

  constructor(private readonly deps: SessionEndsDeps) {
    deps.bus.on<string>(SESSION_ENDED, (key) => {
      if (typeof key === 'string') this.close(key);
    });
  }

  /** A session ended here: closes its connections on this node and tells the others to. Returns how many closed here. */
  ended(key: string): number {
    this.deps.bus.publish<string>(SESSION_ENDED, key);
    return this.close(key);
  }

  /**
   * A connection just opened: closed at once when its session ended while its handshake was under
   * way (checked live, then the end arrived before the connection was among the open ones).
   */
  opened(connection: SessionConnection): void {
    const key = connection.data?.consoleSession;
    if (key !== undefined && this.recent.has(key)) connection.disconnect(true);
  }

  /** Closes this node's connections of sessions that no longer run (housekeeping); returns how many. */
  async sweep(): Promise<number> {
    const keys = new Set<string>();
    for (const connection of this.deps.connections()) if (connection.data?.consoleSession !== undefined) keys.add(connection.data.consoleSession);
    let closed = 0;
    for (const key of keys) if (!(await this.deps.live(key))) closed += this.close(key);
    return closed;
  }

  private close(key: string): number {
    this.recent.set(key, true);
    // Collected first: a disconnect removes the socket from the map being read.
    const ending = [...this.deps.connections()].filter((connection) => connection.data?.consoleSession === key);
    for (const connection of ending) connection.disconnect(true);
    return ending.length;
  }
}
