/**
 * What ties several bridge nodes together: the socket.io Redis Streams adapter on the io server (a
 * broadcast to a room reaches that room's sockets on every node) and the cluster bus over the
 * adapter's `serverSideEmit` (cluster/bus.ts). A single node has neither: the local bus, and
 * socket.io's in-memory adapter. Redis going away: cluster/redis-client.ts.
 */
import type { ClusterConfig } from '../config.js';
import { ConfigError } from '../config-error.js';
import type { V1Namespace, V1Server } from '../gateway/socket-hub.js';
import type { Logger } from '../logger.js';
import { systemClock } from '../util/clock.js';
import { type BusEnvelope, type ClusterBus, LocalBus, RemoteBus } from './bus.js';
import { connectRedis } from './redis-client.js';
import { defaultNodeId } from './config.js';

/** The server-side event the bus travels as (socket.io v4 cluster adapters carry `serverSideEmit` to the other nodes). */
const BUS_EVENT = 'switchboard:bus';

/** Most entries kept in the stream (about: trimmed with `~`); a node behind by more loses the oldest broadcasts. */
const STREAM_MAX_LEN = 10_000;

export interface Fabric {
  bus: ClusterBus;
  /** Whether Redis answers now (always, on a single node: there is none). */
  redisUp(): boolean;
  /** Closes the Redis client once the io server is closed. */
  close(): Promise<void>;
}

/** A single node: nothing to attach. */
export function localFabric(): Fabric {
  return { bus: new LocalBus(), redisUp: () => true, close: async () => undefined };
}

/**
 * Connects to Redis and puts the adapter on `io`; resolves once the client is connected (a node
 * starting while Redis is away waits for it: it could not reach the other nodes' clients).
 */
export async function redisFabric(
  io: V1Server,
  nsp: () => V1Namespace,
  config: ClusterConfig,
  logger: Logger,
  /** Each message from another node, with how long it took (ms). */
  delayed?: (ms: number) => void,
): Promise<Fabric> {
  const url = config.redis.url ?? process.env.SWITCHBOARD_REDIS_URL;
  if (!url) throw new ConfigError('cluster.redis.url: set it, or the environment variable SWITCHBOARD_REDIS_URL');
  // Filled at parse time when left out, so the bus and the leases name this node alike.
  const nodeId = config.nodeId ?? defaultNodeId();
  const log = logger.child({ component: 'cluster', node: nodeId });
  const redis = await connectRedis(url, log);
  // Loaded here, as the Redis client is: a single node has no use for either.
  const { createAdapter } = await import('@socket.io/redis-streams-adapter');
  io.adapter(createAdapter(redis.client, { streamName: 'switchboard', channelPrefix: 'switchboard', maxLen: STREAM_MAX_LEN }));
  const namespace = nsp();
  const transport = {
    send: (envelope: BusEnvelope) => void namespace.serverSideEmit(BUS_EVENT, envelope),
    onReceive: (handler: (envelope: BusEnvelope) => void) => void namespace.on(BUS_EVENT, handler),
  };
  // Heartbeats follow real time, whatever clock the rest of the bridge is given (tests move theirs).
  const bus = new RemoteBus(nodeId, transport, systemClock, undefined, delayed);
  bus.onNodeLeft((node) => log.info({ left: node }, 'a node left the cluster'));
  return {
    bus,
    redisUp: () => redis.client.isReady,
    close: () => redis.close(),
  };
}
