import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/util/clock.js';

describe('system clock', () => {
  it('runs a timer once its delay has passed, and never one cancelled before', async () => {
    const ran: string[] = [];
    const started = Date.now();
    const cancelled = systemClock.setTimer(() => ran.push('cancelled'), 5);
    cancelled.cancel();
    await new Promise<void>((resolve) => {
      // The clock's timers never hold the process open (unref'd): this one keeps the test alive meanwhile.
      const keepAlive = setTimeout(() => undefined, 10_000);
      // A longer delay than the cancelled one's: when it runs, the other's time is long past.
      systemClock.setTimer(() => {
        ran.push('kept');
        clearTimeout(keepAlive);
        resolve();
      }, 20);
    });
    assert.deepEqual(ran, ['kept']);
    assert.ok(Date.now() - started >= 19, 'not before its delay');
  });

  it('cancels a timer after it ran without complaint, and a negative delay runs at once', async () => {
    const timer = systemClock.setTimer(() => undefined, 0);
    await new Promise<void>((resolve) => {
      const keepAlive = setTimeout(() => undefined, 10_000);
      systemClock.setTimer(() => {
        clearTimeout(keepAlive);
        resolve();
      }, -50);
    });
    timer.cancel();
  });
});
