// Rate limits shared by every node through a real Redis: two nodes (two clients) draw from one
// bucket and one set of windows, so spreading requests over nodes gains nothing; while Redis is
// down each node counts in memory, and once it is back they count there again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { type RateLimits, memoryRateLimits, redisRateLimits } from '../../src/cluster/rate-limits.js';
import { type RedisServer, startRedis } from '../servers/redis.js';
import { until } from '../helpers.js';

const logger = pino({ level: 'silent' });
let redis: RedisServer;
const opened: RateLimits[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const limits of opened) await limits.close();
  await redis.destroy();
});

const node = async () => {
  const limits = await redisRateLimits({ url: redis.url, logger });
  opened.push(limits);
  return limits;
};

describe('rate limits in Redis', () => {
  it('gives two nodes one bucket per key, refilled at its rate', async () => {
    const [a, b] = [await node(), await node()];
    const limit = { name: 'api', perSecond: 0.5, burst: 4 };
    const [onA, onB] = [a.bucket(limit), b.bucket(limit)];
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push(await (i % 2 ? onA : onB).take('key-1'));
    assert.deepEqual(
      verdicts.map((v) => v.ok),
      [true, true, true, true, false, false],
      'the burst is shared, not one per node',
    );
    const refused = verdicts[5]!;
    assert.ok(!refused.ok && refused.retryAfterMs > 0 && refused.retryAfterMs <= 2000, 'one token in at most 2 s');
    assert.equal((await onA.take('key-2')).ok, true, 'another key has its own bucket');
    assert.equal((await a.bucket({ ...limit, name: 'uploads' }).take('key-1')).ok, true, 'another limit has its own buckets');
  });

  it('counts sliding windows across nodes, all of them or none', async () => {
    const [a, b] = [await node(), await node()];
    const [onA, onB] = [a.windows('codes'), b.windows('codes')];
    const windows = (conversation: string) => [
      { key: `c ${conversation}`, limit: 2, spanMs: 60_000 },
      { key: 'a xmpp:dana@x.test', limit: 3, spanMs: 120_000 },
    ];
    assert.deepEqual(await onA.take(windows('c1')), { ok: true });
    assert.deepEqual(await onB.take(windows('c1')), { ok: true });
    const full = await onA.take(windows('c1'));
    assert.ok(!full.ok && full.index === 0 && full.retryAfterMs > 0 && full.retryAfterMs <= 60_000, 'the conversation is at its limit');
    assert.deepEqual(await onB.take(windows('c2')), { ok: true }, 'the refused take counted in no window');
    const address = await onA.take(windows('c3'));
    assert.ok(!address.ok && address.index === 1, 'the address is at its limit, whichever node counted');
  });

  it('counts failures across nodes: each key its count, oldest and latest on the Redis clock; a clear forgets one key', async () => {
    const [a, b] = [await node(), await node()];
    const [onA, onB] = [a.failures('logins'), b.failures('logins')];
    await onA.record(['pair', 'ip'], 60_000);
    await onB.record(['ip'], 60_000);
    const [pair, ip, none] = await onB.read(['pair', 'ip', 'nothing'], 60_000);
    assert.equal(pair!.count, 1);
    assert.equal(ip!.count, 2, 'both nodes counted under one key');
    assert.ok(ip!.oldestAt <= ip!.latestAt && ip!.latestAt <= ip!.now && ip!.now - ip!.oldestAt < 60_000);
    assert.deepEqual(none, { count: 0, oldestAt: 0, latestAt: 0, now: none!.now });
    assert.equal((await a.failures('other').read(['ip'], 60_000))[0]!.count, 0, 'another name has its own keys');
    await onA.clear('pair');
    assert.deepEqual(
      (await onB.read(['pair', 'ip'], 60_000)).map((counted) => counted.count),
      [0, 2],
    );
  });

  it('counts in memory on each node while Redis is down, and in Redis again once it is back', async () => {
    const a = await node();
    const bucket = a.bucket({ name: 'outage', perSecond: 0.001, burst: 2 });
    await redis.stop();
    await until(async () => (await bucket.take('k')).ok === false, 10_000, 'the memory bucket in use');
    await redis.start();
    // Redis came back empty (nothing saved): its bucket for the key is full, the memory one is not.
    await until(async () => (await bucket.take('k')).ok, 20_000, 'Redis in use again');
    const counted = [await bucket.take('k'), await bucket.take('k')];
    assert.deepEqual(
      counted.map((v) => v.ok),
      [true, false],
    );
  });
});

describe('rate limits in memory', () => {
  it('keeps one bucket per key on its clock', async () => {
    let now = 0;
    const bucket = memoryRateLimits(() => now).bucket({ name: 'api', perSecond: 1, burst: 2 });
    assert.deepEqual([(await bucket.take('k')).ok, (await bucket.take('k')).ok], [true, true]);
    assert.deepEqual(await bucket.take('k'), { ok: false, retryAfterMs: 1000 });
    now = 1000;
    assert.deepEqual(await bucket.take('k'), { ok: true });
  });
});
