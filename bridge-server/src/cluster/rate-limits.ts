/**
 * Rate limits that must hold for the whole bridge, not per node: API requests per key, uploads per
 * party, continuation codes per conversation and address. With several nodes behind a load
 * balancer, a per-node limit would let anyone multiply it by spreading requests over the nodes, so
 * these count in Redis when the bridge has one (`redisRateLimits`) and in memory otherwise
 * (`memoryRateLimits`: one node, as always).
 *
 * Three shapes: a token bucket (`burst` at once, refilled at `perSecond`), sliding windows (at most
 * `limit` takes per `spanMs`, several windows checked and counted together), and failure counts
 * (how many failures a key had within a span, the oldest and the latest, for the caller's policy). In Redis each take is
 * one Lua script (atomic, on the Redis server's clock, so the nodes' clocks do not matter). While
 * Redis cannot be reached, each node counts in memory instead: a per-node limit is still a limit,
 * and requests are not refused because the limiter is down.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { LRUCache } from 'lru-cache';
import { lruCache } from '../util/lru.js';
import { TokenBucket } from '../util/token-bucket.js';
import { closeWithin } from './redis-client.js';

/** Keys remembered in memory (the least recently seen are forgotten first). */
const KEYS_KEPT = 20_000;
/**
 * Keys kept in memory per kind (the text before a key's first `:`, which the bridge's code
 * writes), each kind bounded on its own: a flood of one kind (guesses at made-up usernames) does
 * not push out the keys of another (the failures of real accounts).
 */
function partitionedCache<V extends NonNullable<unknown>>(): Pick<LRUCache<string, V>, 'get' | 'set' | 'delete'> {
  const kinds = new Map<string, LRUCache<string, V>>();
  const of = (key: string): LRUCache<string, V> => {
    const kind = key.slice(0, Math.max(0, key.indexOf(':')));
    let cache = kinds.get(kind);
    if (!cache) kinds.set(kind, (cache = lruCache<string, V>(KEYS_KEPT)));
    return cache;
  };
  return {
    get: (key) => of(key).get(key),
    set: (key, value) => of(key).set(key, value),
    delete: (key) => of(key).delete(key),
  };
}

/** Where the bridge's limits live in Redis. */
const PREFIX = 'switchboard:rate:';
/** A take that Redis does not answer within this counts in memory instead. */
const COMMAND_TIMEOUT_MS = 1000;

export type RateVerdict = { ok: true } | { ok: false; retryAfterMs: number };

export interface BucketLimit {
  /** Names the limit (its keys in Redis). */
  name: string;
  perSecond: number;
  burst: number;
}

export interface RateLimiter {
  /** Takes one of `key`'s allowance; refused with how long until there is one again. */
  take(key: string): Promise<RateVerdict>;
}

export interface Window {
  key: string;
  limit: number;
  spanMs: number;
}

export interface WindowLimiter {
  /**
   * Counts a take in every window if each has room; else counts nothing and names the first full
   * window (its index) and how long until it has room.
   */
  take(windows: readonly Window[]): Promise<WindowVerdict>;
}

export type WindowVerdict = { ok: true } | { ok: false; index: number; retryAfterMs: number };

/** A key's failures within the span, on the counter's clock (Redis's, or this process's). */
export interface FailureCount {
  count: number;
  /** Epoch ms of the oldest and the latest failure counted (0 when none). */
  oldestAt: number;
  latestAt: number;
  /** The counter's clock when it was read: waits are measured against it, not the node's. */
  now: number;
}

export interface FailureCounter {
  /** Each key's failures within the last `spanMs`. */
  read(keys: readonly string[], spanMs: number): Promise<FailureCount[]>;
  /** Counts one failure under every key (each kept for `spanMs`). */
  record(keys: readonly string[], spanMs: number): Promise<void>;
  /** Forgets a key's failures. */
  clear(key: string): Promise<void>;
}

export interface RateLimits {
  bucket(limit: BucketLimit): RateLimiter;
  /** Failure counts named `name`. */
  failures(name: string): FailureCounter;
  /** Sliding windows named `name`. */
  windows(name: string): WindowLimiter;
  close(): Promise<void>;
}

/** One node: the limits in this process's memory, on its clock. */
export function memoryRateLimits(now: () => number = Date.now): RateLimits {
  return {
    bucket(limit) {
      const buckets = lruCache<string, TokenBucket>(KEYS_KEPT);
      return {
        take(key) {
          let bucket = buckets.get(key); // a get keeps an active key's bucket among the kept
          if (!bucket) buckets.set(key, (bucket = new TokenBucket(limit.perSecond, limit.burst, now)));
          return Promise.resolve(bucket.take() ? { ok: true } : { ok: false, retryAfterMs: bucket.waitMs() });
        },
      };
    },
    windows() {
      const times = lruCache<string, number[]>(KEYS_KEPT);
      const recent = (window: Window, at: number) => (times.get(window.key) ?? []).filter((time) => time > at - window.spanMs);
      const full = (windows: readonly Window[], at: number): WindowVerdict => {
        for (const [index, window] of windows.entries()) {
          const kept = recent(window, at);
          if (kept.length >= window.limit) return { ok: false, index, retryAfterMs: kept[0]! + window.spanMs - at };
        }
        return { ok: true };
      };
      return {
        take(windows) {
          const at = now();
          const verdict = full(windows, at);
          if (verdict.ok) for (const window of windows) times.set(window.key, [...recent(window, at), at]);
          return Promise.resolve(verdict);
        },
      };
    },
    failures() {
      const times = partitionedCache<number[]>();
      const recent = (key: string, spanMs: number, at: number) => (times.get(key) ?? []).filter((time) => time > at - spanMs);
      return {
        read(keys, spanMs) {
          const at = now();
          return Promise.resolve(
            keys.map((key) => {
              const kept = recent(key, spanMs, at);
              return { count: kept.length, oldestAt: kept[0] ?? 0, latestAt: kept.at(-1) ?? 0, now: at };
            }),
          );
        },
        record(keys, spanMs) {
          const at = now();
          for (const key of keys) times.set(key, [...recent(key, spanMs, at), at]);
          return Promise.resolve();
        },
        clear(key) {
          times.delete(key);
          return Promise.resolve();
        },
      };
    },
    close: () => Promise.resolve(),
  };
}

/**
 * KEYS[1]: the bucket; ARGV: tokens per ms, burst. Returns {1, 0} when a token was taken, else
 * {0, ms until one}. The bucket expires once it would be full again.
 */
const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local taken = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return {taken, wait}
`;

/**
 * KEYS: one sorted set of take times per window; ARGV: limit and span (ms) of each window, then a
 * unique id for this take. Returns {0, 0} when counted in every window, else {i, ms until window i
 * (1-based) has room}, counting nothing.
 */
const WINDOWS_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local span = tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {i, tonumber(oldest[2]) + span - now}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[#ARGV] .. ':' .. i)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i]))
end
return {0, 0}
`;

/**
 * KEYS: one sorted set of failure times per key; ARGV[1]: the span (ms). Returns the Redis clock,
 * then per key its count, its oldest and its latest time within the span (0 when none).
 */
const FAILURES_READ_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span = tonumber(ARGV[1])
local out = {now}
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  local count = redis.call('ZCARD', key)
  local oldest = 0
  local latest = 0
  if count > 0 then
    oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
    latest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
  end
  table.insert(out, count)
  table.insert(out, oldest)
  table.insert(out, latest)
end
return out
`;

/** KEYS: the sorted sets of the keys; ARGV: the span (ms) and a unique id for this failure. */
const FAILURES_RECORD_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return 1
`;

/** Where the limits are counted while Redis answers; the fallback counts in memory otherwise. */
export async function redisRateLimits(options: { url: string; logger: Logger }): Promise<RateLimits> {
  const { logger } = options;
  // Loaded here: a single node never needs the Redis client (megabytes of resident memory).
  const { createClient } = await import('redis');
  const client = createClient({
    url: options.url,
    // A take while Redis is away fails at once (and counts in memory) rather than waiting for it.
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
  });
  let down = false;
  client.on('error', (error: unknown) => {
    if (!down) logger.warn({ err: error }, 'rate limits: Redis unreachable; counting in memory on this node until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('rate limits: Redis back; counting there again');
    down = false;
  });
  await client.connect();
  const fallback = memoryRateLimits();
  const run = async (script: string, keys: string[], args: string[]): Promise<[number, number]> => {
    const [first, second] = (await client.eval(script, { keys, arguments: args })) as [number, number];
    return [Number(first), Number(second)];
  };
  const withTimeout = <T>(work: Promise<T>): Promise<T> =>
    Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('Redis did not answer in time')), COMMAND_TIMEOUT_MS).unref())]);
  /** Runs `remote` in Redis, or `inMemory` while Redis is away or failing. */
  const either = async <T>(remote: () => Promise<T>, inMemory: () => Promise<T>): Promise<T> => {
    if (!client.isReady) return inMemory();
    try {
      return await withTimeout(remote());
    } catch (error) {
      if (!down) logger.warn({ err: error }, 'rate limits: Redis failed a take; counted in memory on this node');
      return inMemory();
    }
  };
  return {
    bucket(limit) {
      const local = fallback.bucket(limit);
      const ratePerMs = String(limit.perSecond / 1000);
      const burst = String(limit.burst);
      return {
        take: (key) =>
          either(
            async (): Promise<RateVerdict> => {
              const [taken, wait] = await run(BUCKET_SCRIPT, [`${PREFIX}${limit.name}:${key}`], [ratePerMs, burst]);
              return taken === 1 ? { ok: true } : { ok: false, retryAfterMs: Math.max(1, wait) };
            },
            () => local.take(key),
          ),
      };
    },
    windows(name) {
      const local = fallback.windows(name);
      return {
        take: (windows) =>
          either(
            async (): Promise<WindowVerdict> => {
              const [full, wait] = await run(
                WINDOWS_SCRIPT,
                windows.map((window) => `${PREFIX}${name}:${window.key}`),
                [...windows.flatMap((window) => [String(window.limit), String(window.spanMs)]), randomUUID()],
              );
              return full === 0 ? { ok: true } : { ok: false, index: full - 1, retryAfterMs: Math.max(1, wait) };
            },
            () => local.take(windows),
          ),
      };
    },
    failures(name) {
      const local = fallback.failures(name);
      const keyOf = (key: string) => `${PREFIX}${name}:${key}`;
      return {
        read: (keys, spanMs) =>
          either(
            async () => {
              const out = ((await client.eval(FAILURES_READ_SCRIPT, { keys: keys.map(keyOf), arguments: [String(spanMs)] })) as number[]).map(Number);
              const now = out[0]!;
              return keys.map((_, i) => ({ count: out[1 + 3 * i]!, oldestAt: out[2 + 3 * i]!, latestAt: out[3 + 3 * i]!, now }));
            },
            () => local.read(keys, spanMs),
          ),
        record: (keys, spanMs) =>
          either(
            async () => void (await client.eval(FAILURES_RECORD_SCRIPT, { keys: keys.map(keyOf), arguments: [String(spanMs), randomUUID()] })),
            () => local.record(keys, spanMs),
          ),
        clear: (key) =>
          either(
            async () => void (await client.del(keyOf(key))),
            () => local.clear(key),
          ),
      };
    },
    close: () => closeWithin(client),
  };
}
