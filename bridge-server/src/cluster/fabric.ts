/**
 * What ties several bridge nodes together: the socket.io Redis Streams adapter on the io server (a
 * broadcast to a room reaches that room's sockets on every node) and the cluster bus over the
 * adapter's `serverSideEmit` (cluster/bus.ts). A single node has neither: the local bus, and
 * socket.io's in-memory adapter.
 *
 * Redis may go away: its clients reconnect by themselves (the adapter's readers too), the bridge
 * logs the outage once and carries on; broadcasts issued meanwhile wait in the client's queue.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { ClusterConfig } from '../config.js';
import { ConfigError } from '../config-error.js';
import type { V1Namespace, V1Server } from '../gateway/socket-hub.js';
import type { Logger } from '../logger.js';
import { systemClock } from '../util/clock.js';
import { type BusEnvelope, type ClusterBus, LocalBus, RemoteBus } from './bus.js';

/** The server-side event the bus travels as (socket.io v4 cluster adapters carry `serverSideEmit` to the other nodes). */
const BUS_EVENT = 'switchboard:bus';

/**
 * How long the adapter's reader blocks on the stream per read (its default is 5 s). Closing waits
 * for the read in progress, so a shorter block lets a stopping node let go of Redis sooner.
 */
const STREAM_BLOCK_MS = 1000;

/** Most entries kept in the stream (about: trimmed with `~`); a node behind by more loses the oldest broadcasts. */
const STREAM_MAX_LEN = 10_000;

/** How long a stopping node waits for its last commands (its leaving notice) to reach Redis. */
const CLOSE_WAIT_MS = 2000;

export interface Fabric {
  bus: ClusterBus;
  /** Closes the Redis client once the io server is closed. */
  close(): Promise<void>;
}

export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A single node: nothing to attach. */
export function localFabric(): Fabric {
  return { bus: new LocalBus(), close: async () => undefined };
}

/**
 * Connects to Redis and puts the adapter on `io`; resolves once the client is connected (a node
 * starting while Redis is away waits for it: it could not reach the other nodes' clients).
 */
export async function redisFabric(io: V1Server, nsp: () => V1Namespace, config: ClusterConfig, logger: Logger): Promise<Fabric> {
  const url = config.redis.url ?? process.env.SWITCHBOARD_REDIS_URL;
  if (!url) throw new ConfigError('cluster.redis.url: set it, or the environment variable SWITCHBOARD_REDIS_URL');
  const nodeId = config.nodeId ?? defaultNodeId();
  const log = logger.child({ component: 'cluster', node: nodeId });
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
  io.adapter(createAdapter(client, { streamName: 'switchboard', channelPrefix: 'switchboard', maxLen: STREAM_MAX_LEN, blockTimeInMs: STREAM_BLOCK_MS }));
  const namespace = nsp();
  const transport = {
    send: (envelope: BusEnvelope) => void namespace.serverSideEmit(BUS_EVENT, envelope),
    onReceive: (handler: (envelope: BusEnvelope) => void) => void namespace.on(BUS_EVENT, handler),
  };
  // Heartbeats follow real time, whatever clock the rest of the bridge is given (tests move theirs).
  const bus = new RemoteBus(nodeId, transport, systemClock);
  bus.onNodeLeft((node) => log.info({ left: node }, 'a node left the cluster'));
  return {
    bus,
    async close() {
      // Commands wait for Redis while it is away: a stopping node waits a moment for them, not longer.
      if (client.isReady) {
        let timer: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
        await Promise.race([client.close().catch(() => undefined), waited]);
        clearTimeout(timer);
      }
      for (const open of [client, ...copies]) if (open.isOpen) open.destroy();
    },
  };
}
