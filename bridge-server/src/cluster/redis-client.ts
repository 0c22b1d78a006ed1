/**
 * The Redis client the adapter of several nodes works with (cluster/fabric.ts), made to live with
 * Redis going away: it reconnects by itself (so do the adapter's readers, copies of it), the bridge
 * logs the outage once and its end and carries on; commands issued meanwhile wait in its queue.
 * Closing it never waits on a Redis that is away.
 */
import type { createClient } from 'redis';
import type { Logger } from '../logger.js';

/** How long a stopping node waits for its last commands (its leaving notice) to reach Redis. */
const CLOSE_WAIT_MS = 2000;

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisConnection {
  client: RedisClient;
  /** Closes the client and the copies made of it (by the adapter). */
  close(): Promise<void>;
}

/** Connects; resolves once connected (while Redis is away it keeps trying). */
export async function connectRedis(url: string, log: Logger): Promise<RedisConnection> {
  // Loaded here: a single node never needs the Redis client (megabytes of resident memory).
  const { createClient } = await import('redis');
  const client = createClient({ url, socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) } });
  // Without a listener an `error` would end the process; an outage is told once, and its end.
  let down = false;
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log.error({ err: error }, 'Redis is unreachable: other nodes are out of reach until it is back (reconnecting)');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis is back');
  });
  await client.connect();
  // The adapter reads and subscribes on copies of the client it makes itself; they are kept to be
  // closed with it (its reader lets go only once a read returns, which it never does while Redis
  // is away). Its reader disconnects its copy after the last read: made safe on a copy closed here.
  const copies: { isOpen: boolean; destroy(): void }[] = [];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((...args: Parameters<typeof duplicate>) => {
    const copy = duplicate(...args);
    copy.disconnect = () => Promise.resolve(copy.isOpen ? copy.destroy() : undefined);
    copies.push(copy);
    return copy;
  }) as typeof client.duplicate;
  // The adapter does not wait for its Pub/Sub publishes (the bus, broadcasts with acks): one that
  // fails (Redis went away with it in flight) must not become an unhandled rejection. It is lost,
  // as Pub/Sub loses what a node misses; the bus asks for a sync when it sees a gap.
  const publish = client.publish.bind(client);
  Object.assign(client, { publish: (...args: Parameters<typeof publish>) => publish(...args).catch(() => 0) });
  return {
    client,
    async close() {
      await closeWithin(client);
      for (const open of copies) if (open.isOpen) open.destroy();
    },
  };
}

/**
 * Closes a client, waiting a moment for the commands in flight, then cuts the connection: a command
 * Redis never answers (it went away) would hold `close()` forever.
 */
export async function closeWithin(
  client: { isReady: boolean; isOpen: boolean; close(): Promise<unknown>; destroy(): void },
  ms = CLOSE_WAIT_MS,
): Promise<void> {
  if (client.isReady) {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([client.close().catch(() => undefined), waited]);
    clearTimeout(timer);
  }
  if (client.isOpen) client.destroy();
}
