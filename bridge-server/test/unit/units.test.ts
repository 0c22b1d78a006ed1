import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, Reconnector } from '../../src/util/backoff.js';
import { idsAfter, newId, shortId } from '../../src/util/ids.js';
import { SerialQueues } from '../../src/util/serial.js';
import { TokenBucket } from '../../src/util/token-bucket.js';

describe('token bucket', () => {
  it('allows the burst, then the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
    assert.equal(bucket.waitMs(), 500);
    now = 500;
    assert.equal(bucket.take(), true);
    assert.equal(bucket.take(), false);
    now = 10_000;
    assert.equal(bucket.waitMs(3), 0);
    assert.deepEqual([bucket.take(3), bucket.take()], [true, false]);
  });
});

describe('backoff', () => {
  it('doubles up to the cap, with jitter only ever shortening the wait', () => {
    const options = { initialMs: 100, maxMs: 1000, jitter: 0.5 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, options, () => 0)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(
      backoffDelay(3, options, () => 1),
      200,
    );
    assert.equal(
      backoffDelay(1000, options, () => 0),
      1000,
    );
  });

  it('reconnects until connect succeeds, reporting each failure', async () => {
    let calls = 0;
    const failures: number[] = [];
    // The reconnector's timers do not hold the process open (by design); this test's wait does.
    const keepAlive = setTimeout(() => undefined, 5000);
    await new Promise<void>((resolve) => {
      const reconnector = new Reconnector(
        async () => {
          calls++;
          if (calls < 3) throw new Error('down');
          resolve();
        },
        (_error, attempt) => failures.push(attempt),
        { initialMs: 1, maxMs: 5, jitter: 0 },
      );
      reconnector.schedule(true);
    });
    clearTimeout(keepAlive);
    assert.equal(calls, 3);
    assert.deepEqual(failures, [1, 2]);
  });

  it('reports the delay it then waits, and reconnects again after a stop and a start', async () => {
    const keepAlive = setTimeout(() => undefined, 5000);
    const reported: number[] = [];
    const waited: number[] = [];
    let last = Date.now();
    let calls = 0;
    let succeed: () => void = () => undefined;
    const reconnector = new Reconnector(
      async () => {
        waited.push(Date.now() - last);
        calls++;
        if (calls === 2 || calls === 4) return succeed();
        throw new Error('down');
      },
      (_error, _attempt, delayMs) => {
        reported.push(delayMs);
        last = Date.now();
      },
      { initialMs: 40, maxMs: 400, jitter: 0.5 },
    );
    await new Promise<void>((resolve) => {
      succeed = resolve;
      reconnector.schedule(true);
    });
    // The second attempt came after the delay the report named (not a second random draw).
    assert.equal(reported.length, 1);
    assert.ok(waited[1]! >= reported[0]! - 2, `waited ${waited[1]} ms, reported ${reported[0]} ms`);
    reconnector.stop();
    reconnector.schedule(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(calls, 2, 'stopped: nothing runs');
    reconnector.start();
    await new Promise<void>((resolve) => {
      succeed = resolve;
      last = Date.now();
      reconnector.schedule(true);
    });
    assert.equal(calls, 4, 'started again: a drop is followed by a reconnect');
    clearTimeout(keepAlive);
  });
});

describe('ids', () => {
  it('are unique, prefixed and sort by creation time', () => {
    const ids = Array.from({ length: 5000 }, () => newId('m'));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^m_[0-9a-z]{9}[0-9a-f]{20}$/);
    const early = newId('m');
    const later = `m_${(Date.now() + 1000).toString(36).padStart(9, '0')}`;
    assert.ok(early < later);
    assert.match(shortId(), /^[0-9a-f]{12}$/);
  });

  it('sort in the order they were made, many in one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => newId(i % 2 ? 'm' : 'n').slice(2));
    for (let i = 1; i < ids.length; i += 1) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} before ${ids[i]}`);
  });

  it('sort after an id made before the clock stepped back (a restart), once told of it', () => {
    const ahead = `m_${(Date.now() + 5000).toString(36).padStart(9, '0')}${'f'.repeat(19)}0`;
    assert.ok(newId('m') < ahead, 'the clock alone would sort it before');
    idsAfter('not an id');
    idsAfter(ahead);
    const next = [newId('m'), newId('m')];
    assert.ok(ahead < next[0]! && next[0]! < next[1]!, `${ahead} < ${next.join(' < ')}`);
    idsAfter('m_000000000' + '0'.repeat(20));
    assert.ok(next[1]! < newId('m'), 'an older id changes nothing');
  });
});

describe('serial queues', () => {
  it('runs tasks of one key one at a time, in order, even when one fails', async () => {
    const queues = new SerialQueues();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([queues.run('k', task('a')), queues.run('k', task('b', true)), queues.run('k', task('c'))]);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });
  it('starts the next task of a key once the one before released it, the rest of it running beside', async () => {
    const queues = new SerialQueues();
    const log: string[] = [];
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const task = (name: string) => async (release: () => void) => {
      log.push(`start ${name}`);
      await turn();
      log.push(`released ${name}`);
      release();
      release(); // a second call changes nothing
      await turn();
      await turn();
      log.push(`end ${name}`);
    };
    await Promise.all([queues.run('k', task('a')), queues.run('k', task('b')), queues.run('other', task('x'))]);
    const ofKey = log.filter((entry) => !entry.endsWith(' x'));
    assert.deepEqual(ofKey.slice(0, 3), ['start a', 'released a', 'start b'], 'b starts once a released, before a ends');
    assert.ok(ofKey.indexOf('end a') > ofKey.indexOf('start b'));
    assert.ok(ofKey.indexOf('start b') > ofKey.indexOf('released a'));
  });

  it('starts the next task when the one before fails without releasing', async () => {
    const queues = new SerialQueues();
    const failing = queues.run('k', async () => {
      throw new Error('refused');
    });
    const next = queues.run('k', async () => 'ran');
    await assert.rejects(failing, /refused/);
    assert.equal(await next, 'ran');
  });
});
