// `lruCache`: at most `kept` entries, the least recently used forgotten first, its storage growing
// with its entries rather than made for `kept` at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lruCache } from '../../src/util/lru.js';

describe('lruCache', () => {
  it('keeps at most `kept` entries, forgetting the least recently used first', () => {
    const cache = lruCache<string, number>(3);
    for (const [index, key] of ['a', 'b', 'c'].entries()) cache.set(key, index);
    assert.equal(cache.get('a'), 0); // now the most recently used
    cache.set('d', 3);
    assert.deepEqual([...cache.keys()].sort(), ['a', 'c', 'd']);
    cache.set('e', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.has('c'), false);
  });

  it('forgets an entry after its ttl', () => {
    let now = 1000;
    const cache = lruCache<string, true>(10, { ttl: 100, ttlResolution: 0, perf: { now: () => now } });
    cache.set('a', true);
    now += 99;
    assert.equal(cache.get('a'), true);
    now += 2;
    assert.equal(cache.get('a'), undefined);
  });

  it('takes no memory for the entries it may hold until they come', () => {
    // Made for `kept` at once, 200 caches of a million entries would need gigabytes.
    const before = process.memoryUsage().heapUsed;
    const caches = Array.from({ length: 200 }, () => lruCache<string, string>(1_000_000));
    caches[0]!.set('a', 'b');
    assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024 * 1024, 'the caches took their room ahead');
  });
});
