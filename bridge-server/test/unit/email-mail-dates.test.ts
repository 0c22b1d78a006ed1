import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEAD_SECONDS, MailDates } from '../../src/networks/email/mail-dates.js';

describe("the Date of the bridge's mail", () => {
  const at = (iso: string) => Date.parse(iso);

  it('dates mail sent to one recipient within a second each a second later, so a client sorting by date keeps their order', () => {
    let now = at('2026-12-01T10:00:00.200Z');
    const dates = new MailDates(() => now);
    const first = dates.next('erin@example.org');
    now += 300;
    const second = dates.next('Erin@Example.org');
    const third = dates.next('erin@example.org');
    assert.deepEqual(
      [first, second, third].map((date) => date.toISOString()),
      ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:01.000Z', '2026-12-01T10:00:02.000Z'],
    );
    // Another recipient's mail is dated by the clock.
    assert.equal(dates.next('dana@example.org').toISOString(), '2026-12-01T10:00:00.000Z');
    // Once the clock is past the last date, the clock again.
    now = at('2026-12-01T10:00:05.900Z');
    assert.equal(dates.next('erin@example.org').toISOString(), '2026-12-01T10:00:05.000Z');
  });

  it(`goes at most ${LEAD_SECONDS} seconds ahead of the clock in a long burst`, () => {
    const now = at('2026-12-01T10:00:00.000Z');
    const dates = new MailDates(() => now);
    const burst = Array.from({ length: LEAD_SECONDS + 10 }, () => dates.next('erin@example.org').getTime());
    assert.equal(Math.max(...burst) - now, LEAD_SECONDS * 1000);
    assert.deepEqual(
      burst.slice(0, LEAD_SECONDS + 1),
      Array.from({ length: LEAD_SECONDS + 1 }, (_, i) => now + i * 1000),
    );
  });
});
