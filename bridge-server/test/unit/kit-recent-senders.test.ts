// The network kit's recent senders: let go once silent too long, and bounded in number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address } from '@switchboard/protocol';
import { RecentSenders } from '../../src/networks/kit/recent-senders.js';
import { ManualClock } from '../manual-clock.js';

const START = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000);

function recentSenders(max = 10) {
  const clock = new ManualClock(START);
  const letGo: Address[] = [];
  const senders = new RecentSenders({ idleMs: 60 * 60_000, max, clock, onLetGo: (address) => letGo.push(address) });
  return { clock, letGo, senders };
}

describe("the network kit's recent senders", () => {
  it('tells a new sender from a known one, and lets each go an hour after their last message', () => {
    const { clock, letGo, senders } = recentSenders();
    assert.equal(senders.wrote('sip:a@x.test'), true);
    clock.set(at(10));
    assert.equal(senders.wrote('sip:b@x.test'), true);
    clock.set(at(50));
    assert.equal(senders.wrote('sip:a@x.test'), false, 'known: a wrote again');
    clock.set(at(65));
    assert.deepEqual(letGo, [], 'a wrote 15 minutes ago, b 55 minutes ago');
    clock.set(at(70));
    assert.deepEqual(letGo, ['sip:b@x.test']);
    assert.equal(senders.has('sip:b@x.test'), false);
    clock.set(at(110));
    assert.deepEqual(letGo, ['sip:b@x.test', 'sip:a@x.test']);
    assert.equal(senders.wrote('sip:a@x.test'), true, 'new again after being let go');
  });

  it('lets the longest silent go first past the bound', () => {
    const { clock, letGo, senders } = recentSenders(2);
    senders.wrote('sip:a@x.test');
    clock.set(at(1));
    senders.wrote('sip:b@x.test');
    clock.set(at(2));
    senders.wrote('sip:a@x.test');
    senders.wrote('sip:c@x.test');
    assert.deepEqual(letGo, ['sip:b@x.test']);
    assert.equal(senders.has('sip:a@x.test'), true);
    assert.equal(senders.has('sip:c@x.test'), true);
  });

  it('forgets everyone without a word when cleared', () => {
    const { clock, letGo, senders } = recentSenders();
    senders.wrote('sip:a@x.test');
    senders.clear();
    clock.set(at(120));
    assert.deepEqual(letGo, []);
    assert.equal(senders.has('sip:a@x.test'), false);
  });
});
