/**
 * The leases table (store/postgres/migrations.ts, step 10) as the lease engine. Postgres' own clock
 * (`now()`) alone decides when a lease ran out: the nodes' clocks are never compared. Its own small
 * pool, so that renewals never queue behind the store's work, and a timeout on every statement, so
 * that one the server does not answer fails (and the holder lets go) instead of waiting.
 */
import pg from 'pg';
import type { LeaseEngine } from './leases.js';

export interface PostgresLeaseOptions {
  url: string;
  /** A statement not answered within this fails (the ttl: past it the answer is worth nothing). */
  statementTimeoutMs: number;
  onError?: (error: Error) => void;
}

export class PostgresLeaseEngine implements LeaseEngine {
  private readonly pool: pg.Pool;

  constructor(options: PostgresLeaseOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 2,
      connectionTimeoutMillis: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs,
    });
    // An idle connection's error (the server restarted) must not end the process.
    this.pool.on('error', (error) => options.onError?.(error));
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<number | null> {
    // A new row, or one whose expiry passed (released, or its holder stopped renewing): the token grows.
    const result = await this.pool.query<{ token: string }>(
      `INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, token = leases.token + 1, expires_at = EXCLUDED.expires_at
       WHERE leases.expires_at <= now()
       RETURNING token`,
      [name, holder, ttlMs],
    );
    const row = result.rows[0];
    return row ? Number(row.token) : null;
  }

  async renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean> {
    // Only a lease not yet run out is renewed: once it has, another node may have taken it.
    const result = await this.pool.query(
      `UPDATE leases SET expires_at = now() + $4 * interval '1 millisecond'
       WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now()`,
      [name, holder, token, ttlMs],
    );
    return result.rowCount === 1;
  }

  async release(name: string, holder: string, token: number): Promise<void> {
    // Expired rather than deleted: the token keeps growing across holders.
    await this.pool.query(`UPDATE leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now()`, [name, holder, token]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
