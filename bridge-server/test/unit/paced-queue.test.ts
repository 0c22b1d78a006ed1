import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacedQueue } from '../../src/util/paced-queue.js';

describe('paced queue (flood control)', () => {
  it('runs everything in order, a burst at once and the rest at the rate', async () => {
    const queue = new PacedQueue(200, 3);
    const ran: { i: number; at: number }[] = [];
    const started = performance.now();
    await Promise.all(Array.from({ length: 8 }, (_, i) => queue.push(() => ran.push({ i, at: performance.now() - started }))));
    assert.deepEqual(
      ran.map((r) => r.i),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    // 3 at once, then 5 more at 200/s: the last cannot run before ~25 ms.
    assert.ok(ran[7]!.at >= 20, `the 8th ran after ${ran[7]!.at} ms`);
    assert.equal(queue.depth, 0);
  });

  it('settles each task when it ran, reports depth, keeps going after a failing task', async () => {
    // 10 a second: the second task must wait ~100 ms for a token (at 1000 a second, crossing one
    // millisecond of Date.now() between the two pushes would already refill one).
    const queue = new PacedQueue(10, 1);
    const first = queue.push(() => {
      throw new Error('write failed');
    });
    const second = queue.push(() => undefined);
    assert.ok(queue.depth >= 1);
    await assert.rejects(first, /write failed/);
    await second;
  });

  it('rejects what waits when cleared, and nothing runs after', async () => {
    const queue = new PacedQueue(1, 1);
    let ran = 0;
    const first = queue.push(() => ran++);
    const later = queue.push(() => ran++);
    await first;
    queue.clear(new Error('disconnected'));
    await assert.rejects(later, /disconnected/);
    assert.equal(ran, 1);
    assert.equal(queue.depth, 0);
  });
});
