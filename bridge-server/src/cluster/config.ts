/**
 * `cluster` in the configuration: several bridge nodes sharing one Postgres store and a Redis.
 * Network leases (cluster/leases.ts) decide which node runs each network; Redis carries the rooms
 * and the cluster bus between nodes (cluster/fabric.ts).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const LEASE_DEFAULTS = { ttlSeconds: 6, renewSeconds: 2 };

export const leaseConfigSchema = z
  .strictObject({
    /** A holder that has not renewed within this many seconds is taken over. */
    ttlSeconds: z.number().min(1).max(300).default(LEASE_DEFAULTS.ttlSeconds),
    /** How often the holder renews (well under `ttlSeconds`: a renewal or two may fail in between). */
    renewSeconds: z.number().min(0.1).max(100).default(LEASE_DEFAULTS.renewSeconds),
  })
  .refine((lease) => lease.renewSeconds * 2 <= lease.ttlSeconds, {
    message: 'renewSeconds must be at most half of ttlSeconds (a renewal may fail once before the lease runs out)',
    path: ['renewSeconds'],
  });

export const REDIS_URL = /^rediss?:\/\//;
export const REDIS_URL_RULE = 'must be a URL such as redis://:password@host:6379/0 (rediss:// for TLS)';

export const clusterConfigSchema = z.strictObject({
  /** The Redis the nodes reach each other's clients through (socket.io's Redis Streams adapter, the cluster bus). */
  redis: z
    .strictObject({
      /** `redis://:password@host:6379/0`; SWITCHBOARD_REDIS_URL, when set, takes its place. */
      url: z.string().regex(REDIS_URL, REDIS_URL_RULE).optional(),
    })
    .default({}),
  /** This node's name in leases, /readyz and logs; `<hostname>-<pid>-<random>` when left out. Unique per running process. */
  nodeId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'must be 1-100 letters, digits, _ . : or -')
    .optional(),
  lease: leaseConfigSchema.default(LEASE_DEFAULTS),
});

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/** A node id no other process has: the host, the process, and random bytes (a restarted process is a new holder). */
export function defaultNodeId(): string {
  return `${hostname()
    .replace(/[^A-Za-z0-9_.:-]/g, '-')
    .slice(0, 60)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
