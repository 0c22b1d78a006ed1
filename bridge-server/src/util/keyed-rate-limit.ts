/**
 * A token bucket per key (a sender, an agent): `ratePerMinute` sustained after a `burst`. Only the
 * most recently seen keys are remembered, so memory stays bounded whoever sends.
 */
import type { LRUCache } from 'lru-cache';
import { lruCache } from './lru.js';
import { TokenBucket } from './token-bucket.js';

/** Keys whose rate is remembered by default (the least recently seen is forgotten first). */
const KEYS_KEPT = 10_000;

export class KeyedRateLimit {
  private readonly buckets: LRUCache<string, TokenBucket>;

  constructor(
    private readonly ratePerMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    max = KEYS_KEPT,
  ) {
    this.buckets = lruCache(max);
  }

  /** Takes one token of `key`'s bucket; false means `key` is over its limit. */
  take(key: string): boolean {
    return this.bucketOf(key).take();
  }

  /** Whether `key` has a token now, without taking it. */
  has(key: string): boolean {
    return (this.buckets.get(key)?.waitMs() ?? 0) === 0;
  }

  /** Milliseconds until `key` may act again. */
  waitMs(key: string): number {
    return this.bucketOf(key).waitMs();
  }

  private bucketOf(key: string): TokenBucket {
    let bucket = this.buckets.get(key); // a get keeps an active key's bucket among the kept
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(this.ratePerMinute / 60, this.burst, this.now)));
    return bucket;
  }
}
