/**
 * A node's leases as its configuration makes them: in the shared Postgres database with `cluster`,
 * else the single node's, always held. The Postgres driver is loaded only for a cluster.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { defaultNodeId } from './config.js';
import { type LeaseChange, LeaseManager, type Leases, LocalLeases } from './leases.js';

export async function buildLeases(config: Config, logger: Logger, onChange: (name: string, change: LeaseChange) => void): Promise<Leases> {
  if (!config.cluster || config.store.type !== 'postgres') return new LocalLeases();
  const url = config.store.url ?? process.env.SWITCHBOARD_DATABASE_URL;
  if (!url) return new LocalLeases(); // the store refused to open before this
  const log = logger.child({ component: 'leases' });
  const { ttlSeconds, renewSeconds } = config.cluster.lease;
  const { PostgresLeaseEngine } = await import('./postgres-leases.js');
  const engine = new PostgresLeaseEngine({
    url,
    statementTimeoutMs: ttlSeconds * 1000,
    onError: (error) => log.warn({ err: error }, 'an idle lease connection failed'),
  });
  return new LeaseManager(config.cluster.nodeId ?? defaultNodeId(), engine, { ttlMs: ttlSeconds * 1000, renewMs: renewSeconds * 1000, logger: log, onChange });
}
