/**
 * What a bridge node needs to share its state with the other nodes on one store (docs/deploying.md,
 * "Several nodes"): the bus for desk offers and team queue changes, its id for the webhook
 * deliveries it claims, an emit that reaches its own connections only (each node tells its own
 * visitors their place in line), and the Redis that counts rate limits for the whole bridge. All
 * optional: without them the bridge is a single node, as before.
 */
import type { ClientHub } from '../core/hub.js';
import type { StateBus } from './state-bus.js';

export interface SharedStateOptions {
  bus?: StateBus;
  /** This node's id (`cluster.nodeId`): the holder of its webhook claims. */
  nodeId?: string;
  /** Emits to this node's connections only (socket.io's `local` flag with an adapter). */
  emitLocal?: ClientHub['emit'];
  /** `cluster.redis.url`: rate limits are counted there. */
  redisUrl?: string;
}
