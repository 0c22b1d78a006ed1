/**
 * An LRU cache of at most `kept` entries whose storage grows with its entries. lru-cache's `max`
 * allocates its arrays for `max` entries when the cache is made: a bridge holds some twenty caches
 * of 10,000 to 50,000 entries, about 8 MB of heap before its first visitor. Counting entries as
 * sizes (`maxSize`, each entry 1) bounds a cache alike, evicting the least recently used first,
 * without allocating ahead. https://github.com/isaacs/node-lru-cache#maxsize
 */
import { LRUCache } from 'lru-cache';

/** lru-cache's options, less those that bound the cache: `kept` does. */
export type LruOptions<K extends NonNullable<unknown>, V extends NonNullable<unknown>> = Omit<
  LRUCache.Options<K, V, unknown>,
  'max' | 'maxSize' | 'maxEntrySize' | 'sizeCalculation'
>;

const ONE = (): number => 1;

export function lruCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(kept: number, options: LruOptions<K, V> = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: kept, sizeCalculation: ONE });
}
