/**
 * One token bucket per key (a sender's address): per-sender rate limits. Only the most recently
 * seen keys are remembered, so a flood of new senders cannot grow memory without bound.
 */
import { LRUCache } from 'lru-cache';
import { TokenBucket } from './token-bucket.js';

/** Keys whose rate is remembered (the least recently seen is forgotten first). */
const KEYS_KEPT = 10_000;

export class KeyedBuckets<K extends string = string> {
  private readonly buckets = new LRUCache<K, TokenBucket>({ max: KEYS_KEPT });

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one of `key`'s tokens; false when `key` is over its rate. */
  take(key: K): boolean {
    let bucket = this.buckets.get(key); // a get keeps an active key's bucket among the kept
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(this.ratePerSecond, this.burst, this.now)));
    return bucket.take();
  }

  /** Whether `key` has a token now, without taking it. */
  has(key: K): boolean {
    return (this.buckets.get(key)?.waitMs() ?? 0) === 0;
  }
}
