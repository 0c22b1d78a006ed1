/**
 * A client taken out of the pool for several statements (a transaction). While a client is out,
 * pg-pool leaves its `error` event without a listener, so the server going away between two of its
 * statements (a restart, a failover) would end the process with an uncaught error. The error goes
 * to `onError` instead: the client's next statement fails, and the pool drops the client when it
 * comes back (it is no longer queryable).
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';

export async function checkOut(pool: pg.Pool, onError: (error: Error) => void = () => undefined): Promise<PoolClient> {
  const client = await pool.connect();
  client.on('error', onError);
  // pg-pool gives each checkout its own `release`: this one is only for this checkout.
  const release = client.release.bind(client);
  client.release = (destroy?: boolean | Error) => {
    client.removeListener('error', onError);
    release(destroy);
  };
  return client;
}
