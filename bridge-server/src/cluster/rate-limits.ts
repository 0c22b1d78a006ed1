/**
 * Rate limits that must hold for the whole bridge, not per node: API requests per key, uploads per
 * party, continuation codes per conversation and address. With several nodes behind a load
 * balancer, a per-node limit would let anyone multiply it by spreading requests over the nodes, so
 * these count in Redis when the bridge has one (`redisRateLimits`) and in memory otherwise
 * (`memoryRateLimits`: one node, as always).
 *
 * Two shapes: a token bucket (`burst` at once, refilled at `perSecond`) and sliding windows (at most
 * `limit` takes per `spanMs`, several windows checked and counted together). In Redis each take is
 * one Lua script (atomic, on the Redis server's clock, so the nodes' clocks do not matter). While
 * Redis cannot be reached, each node counts in memory instead: a per-node limit is still a limit,
 * and requests are not refused because the limiter is down.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import { LRUCache } from 'lru-cache';
import { TokenBucket } from '../util/token-bucket.js';
import { closeWithin } from './redis-client.js';

/** Keys remembered in memory (the least recently seen are forgotten first). */
const KEYS_KEPT = 20_000;
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
  /** What `take` would answer now, counting nothing (a login checks its failures before trying). */
  peek(windows: readonly Window[]): Promise<WindowVerdict>;
}

export type WindowVerdict = { ok: true } | { ok: false; index: number; retryAfterMs: number };

export interface RateLimits {
  bucket(limit: BucketLimit): RateLimiter;
  /** Sliding windows named `name`. */
  windows(name: string): WindowLimiter;
  close(): Promise<void>;
}

/** One node: the limits in this process's memory, on its clock. */
export function memoryRateLimits(now: () => number = Date.now): RateLimits {
  return {
    bucket(limit) {
      const buckets = new LRUCache<string, TokenBucket>({ max: KEYS_KEPT });
      return {
        take(key) {
          let bucket = buckets.get(key); // a get keeps an active key's bucket among the kept
          if (!bucket) buckets.set(key, (bucket = new TokenBucket(limit.perSecond, limit.burst, now)));
          return Promise.resolve(bucket.take() ? { ok: true } : { ok: false, retryAfterMs: bucket.waitMs() });
        },
      };
    },
    windows() {
      const times = new LRUCache<string, number[]>({ max: KEYS_KEPT });
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
        peek: (windows) => Promise.resolve(full(windows, now())),
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
 * (1-based) has room}, counting nothing. An empty id only looks (a peek): nothing is counted.
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
if ARGV[#ARGV] == '' then
  return {0, 0}
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[#ARGV] .. ':' .. i)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i]))
end
return {0, 0}
`;

/** Where the limits are counted while Redis answers; the fallback counts in memory otherwise. */
export async function redisRateLimits(options: { url: string; logger: Logger }): Promise<RateLimits> {
  const { logger } = options;
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
  const failed = (error: unknown) => {
    if (!down) logger.warn({ err: error }, 'rate limits: Redis failed a take; counted in memory on this node');
  };
  return {
    bucket(limit) {
      const local = fallback.bucket(limit);
      const ratePerMs = String(limit.perSecond / 1000);
      const burst = String(limit.burst);
      return {
        async take(key) {
          if (!client.isReady) return local.take(key);
          try {
            const [taken, wait] = await withTimeout(run(BUCKET_SCRIPT, [`${PREFIX}${limit.name}:${key}`], [ratePerMs, burst]));
            return taken === 1 ? { ok: true } : { ok: false, retryAfterMs: Math.max(1, wait) };
          } catch (error) {
            failed(error);
            return local.take(key);
          }
        },
      };
    },
    windows(name) {
      const local = fallback.windows(name);
      const check = async (windows: readonly Window[], count: boolean): Promise<WindowVerdict> => {
        const inMemory = () => (count ? local.take(windows) : local.peek(windows));
        if (!client.isReady) return inMemory();
        try {
          const [full, wait] = await withTimeout(
            run(
              WINDOWS_SCRIPT,
              windows.map((window) => `${PREFIX}${name}:${window.key}`),
              [...windows.flatMap((window) => [String(window.limit), String(window.spanMs)]), count ? randomUUID() : ''],
            ),
          );
          return full === 0 ? { ok: true } : { ok: false, index: full - 1, retryAfterMs: Math.max(1, wait) };
        } catch (error) {
          failed(error);
          return inMemory();
        }
      };
      return { take: (windows) => check(windows, true), peek: (windows) => check(windows, false) };
    },
    close: () => closeWithin(client),
  };
}
