/**
 * The store the configuration names. Each driver is loaded only for its own store type: the
 * Postgres driver alone adds megabytes of resident memory that a SQLite bridge would carry for
 * nothing, and a Postgres bridge has no use for the SQLite addon.
 */
import type { Config } from '../config.js';
import { ConfigError } from '../config-error.js';
import type { Logger } from '../logger.js';
import type { Store } from './store.js';

export async function buildStore(config: Config, logger: Logger): Promise<Store> {
  switch (config.store.type) {
    case 'sqlite': {
      const { SqliteStore } = await import('./sqlite/sqlite-store.js');
      return new SqliteStore({ path: config.store.path, synchronous: config.store.synchronous });
    }
    case 'postgres': {
      const url = config.store.url ?? process.env.SWITCHBOARD_DATABASE_URL;
      if (!url) throw new ConfigError('store.url: set it, or the environment variable SWITCHBOARD_DATABASE_URL');
      const log = logger.child({ component: 'store' });
      const { PostgresStore } = await import('./postgres/postgres-store.js');
      return new PostgresStore({
        url,
        poolSize: config.store.poolSize,
        queryTimeoutMs: config.store.queryTimeoutSeconds * 1000,
        connectTimeoutMs: config.store.connectTimeoutSeconds * 1000,
        onError: (error) => log.warn({ err: error }, 'an idle database connection failed'),
        onUnreachable: (error) => log.warn({ err: error }, 'the database did not answer in time; clients are told to retry (unavailable)'),
      });
    }
  }
}
