// Failed console sign-ins (src/console/login-limits.ts) on the in-memory counter: 5 per (username,
// IP) and 20 per IP in 15 minutes; a username waits after 5 failures from anywhere, 1 s doubling to
// 60 s; a success forgets its (username, IP) failures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryRateLimits } from '../../src/cluster/rate-limits.js';
import { LoginLimits, usernameWaitMs } from '../../src/console/login-limits.js';

function limits(accounts: string[] = []) {
  let now = 1_000_000;
  const counter = memoryRateLimits(() => now).failures('console-login');
  return { limits: new LoginLimits(counter, accounts), counter, advance: (ms: number) => (now += ms) };
}

describe('console login limits', () => {
  it('waits 1 s after the 5th failure of a username, doubling up to 60 s', () => {
    assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 30].map(usernameWaitMs), [0, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it("keeps a real account's failures through a flood of guesses at made-up usernames from many addresses", async () => {
    const { limits: login, advance } = limits(['Alice']);
    for (let i = 0; i < 10; i++) {
      await login.failed('alice', `198.51.100.${i}`);
      advance(10);
    }
    const waiting = await login.waitMs('alice', '203.0.113.1');
    assert.ok(waiting > 0, 'alice waits');
    // More made-up usernames, each from its own address, than the counter keeps keys of one kind.
    for (let i = 0; i < 25_000; i++) await login.failed(`nobody${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(await login.waitMs('alice', '203.0.113.1'), waiting, 'still waiting, as long as before');
    // A made-up username is counted as a real one is: the answers tell no real username apart.
    for (let i = 0; i < 10; i++) await login.failed('mallory', `198.51.100.${i}`);
    assert.equal(await login.waitMs('mallory', '203.0.113.1'), usernameWaitMs(10));
  });

  it('refuses an IP after 20 failures whatever the usernames until the oldest is 15 minutes old', async () => {
    const { limits: login, advance } = limits();
    for (let i = 0; i < 20; i++) {
      assert.equal(await login.waitMs(`user${i}`, '192.0.2.1'), 0);
      await login.failed(`user${i}`, '192.0.2.1');
      advance(1000);
    }
    assert.equal(await login.waitMs('someone-else', '192.0.2.1'), 15 * 60_000 - 20_000, 'the IP waits for its oldest failure');
    assert.equal(await login.waitMs('someone-else', '192.0.2.2'), 0, 'another IP does not');
    advance(15 * 60_000 - 20_000);
    assert.equal(await login.waitMs('someone-else', '192.0.2.1'), 0);
  });

  it('refuses a (username, IP) after 5 failures until the oldest is 15 minutes old, other usernames from there not', async () => {
    const { limits: login, advance } = limits();
    for (let i = 0; i < 5; i++) {
      assert.equal(await login.waitMs('carol', '192.0.2.3'), 0);
      await login.failed('carol', '192.0.2.3');
      advance(1000);
    }
    assert.equal(await login.waitMs('Carol', '192.0.2.3'), 15 * 60_000 - 5000);
    assert.equal(await login.waitMs('dave', '192.0.2.3'), 0, 'the IP is under its own limit');
  });

  it('makes the username wait after its 5th failure from any IP, counted from the latest failure', async () => {
    const { limits: login, advance } = limits();
    for (let i = 0; i < 5; i++) await login.failed('Bob', `198.51.100.${i}`);
    assert.equal(await login.waitMs('bob', '198.51.100.99'), 1000, 'case-insensitive username, any IP');
    advance(400);
    assert.equal(await login.waitMs('bob', '198.51.100.99'), 600);
    advance(600);
    assert.equal(await login.waitMs('bob', '198.51.100.99'), 0);
    await login.failed('bob', '198.51.100.99');
    assert.equal(await login.waitMs('bob', '198.51.100.98'), 2000);
  });

  it('forgets the (username, IP) failures at a success, not the IP or the username ones', async () => {
    const { limits: login, counter } = limits();
    for (let i = 0; i < 4; i++) await login.failed('alice', '192.0.2.7');
    await login.succeeded('alice', '192.0.2.7');
    const [pair, ip, user] = await counter.read(['pair:192.0.2.7:alice', 'ip:192.0.2.7', 'user:alice'], 15 * 60_000);
    assert.deepEqual([pair!.count, ip!.count, user!.count], [0, 4, 4]);
    // Another typo after the success: alice is not locked out for 15 minutes, only made to wait the
    // second of a username's 5th failure from anywhere.
    await login.failed('alice', '192.0.2.7');
    assert.equal(await login.waitMs('alice', '192.0.2.7'), 1000);
  });
});
