import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BusinessHours, businessHoursSchema } from '../../src/core/desk/business-hours.js';
import { issuePath } from '../../src/config-error.js';

/** Built the way the bridge builds it: from config text through the schema. */
function hours(config: unknown, now?: () => Date): BusinessHours {
  return new BusinessHours(businessHoursSchema.parse(config), now);
}

const at = (iso: string) => new Date(iso);
const WEEKDAYS_9_TO_5 = { mon: ['09:00-17:00'], tue: ['09:00-17:00'], wed: ['09:00-17:00'], thu: ['09:00-17:00'], fri: ['09:00-17:00'] };

describe('business hours within a day', () => {
  const paris = hours({
    timeZone: 'Europe/Paris',
    weekly: { mon: ['09:00-12:00', '14:00-18:00'], tue: ['14:00-18:00', '09:00-12:00'] },
  });

  it('is open inside the ranges and closed outside them (Paris in summer is UTC+2)', () => {
    assert.equal(paris.isOpen(at('2026-06-15T06:59:59.999Z')), false);
    assert.equal(paris.isOpen(at('2026-06-15T07:00:00Z')), true);
    assert.equal(paris.isOpen(at('2026-06-15T09:59:59.999Z')), true);
    assert.equal(paris.isOpen(at('2026-06-15T10:00:00Z')), false);
    assert.equal(paris.isOpen(at('2026-06-15T12:00:00Z')), true);
    assert.equal(paris.isOpen(at('2026-06-15T16:00:00Z')), false);
    // Ranges listed out of order on Tuesday work all the same.
    assert.equal(paris.isOpen(at('2026-06-16T07:30:00Z')), true);
  });

  it('says when the current range closes and when the next one opens', () => {
    assert.deepEqual(paris.closesAt(at('2026-06-15T08:00:00Z')), at('2026-06-15T10:00:00Z'));
    assert.equal(paris.closesAt(at('2026-06-15T11:00:00Z')), null);
    assert.deepEqual(paris.nextOpening(at('2026-06-15T11:00:00Z')), at('2026-06-15T12:00:00Z'));
    assert.deepEqual(paris.nextOpening(at('2026-06-15T08:00:00Z')), at('2026-06-15T08:00:00Z'));
  });

  it('treats ranges that touch within a day as one open period', () => {
    const split = hours({ timeZone: 'Europe/Paris', weekly: { mon: ['09:00-12:00', '12:00-13:00'] } });
    assert.deepEqual(split.closesAt(at('2026-06-15T08:00:00Z')), at('2026-06-15T11:00:00Z'));
  });
});

describe('business hours: closed days', () => {
  it('is closed on holidays and opens on the next working day', () => {
    const paris = hours({ timeZone: 'Europe/Paris', weekly: WEEKDAYS_9_TO_5, holidays: ['2026-12-25'] });
    assert.equal(paris.isOpen(at('2026-12-24T10:00:00Z')), true);
    assert.equal(paris.isOpen(at('2026-12-25T10:00:00Z')), false);
    // Thursday evening: Friday is Christmas, then the weekend.
    assert.deepEqual(paris.nextOpening(at('2026-12-24T17:30:00Z')), at('2026-12-28T08:00:00Z'));
  });

  it('reads holiday dates in the team time zone, not in UTC', () => {
    const newYork = hours({
      timeZone: 'America/New_York',
      weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => [day, ['00:00-24:00']])),
      holidays: ['2026-12-25'],
    });
    assert.equal(newYork.isOpen(at('2026-12-25T03:00:00Z')), true); // still 22:00 on the 24th in New York
    assert.equal(newYork.isOpen(at('2026-12-25T06:00:00Z')), false);
    assert.deepEqual(newYork.closesAt(at('2026-12-24T20:00:00Z')), at('2026-12-25T05:00:00Z'));
    assert.deepEqual(newYork.nextOpening(at('2026-12-25T06:00:00Z')), at('2026-12-26T05:00:00Z'));
    // Open without a break from then on: the period runs to the end of the search horizon.
    const closes = newYork.closesAt(at('2026-12-26T05:00:00Z'));
    assert.ok(closes && closes.getTime() - Date.parse('2026-12-26T05:00:00Z') > 360 * 86_400_000);
  });

  it('keeps days left out of the weekly schedule closed', () => {
    const saturdays = hours({ timeZone: 'Europe/Paris', weekly: { sat: ['10:00-16:00'] } });
    assert.equal(saturdays.isOpen(at('2026-06-15T10:00:00Z')), false);
    assert.deepEqual(saturdays.nextOpening(at('2026-06-15T10:00:00Z')), at('2026-06-20T08:00:00Z'));
  });

  it('opens after a weekend and after a run of holidays', () => {
    const paris = hours({
      timeZone: 'Europe/Paris',
      weekly: WEEKDAYS_9_TO_5,
      holidays: Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(2026, 11, 21 + i)).toISOString().slice(0, 10)),
    });
    assert.deepEqual(paris.nextOpening(at('2026-06-19T15:00:00Z')), at('2026-06-22T07:00:00Z'));
    assert.deepEqual(paris.nextOpening(at('2026-12-18T17:00:00Z')), at('2027-01-04T08:00:00Z'));
  });

  it('searches about a year ahead and no further', () => {
    const mondays = (count: number) => Array.from({ length: count }, (_, i) => new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10));
    const fiftyOff = hours({ timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] }, holidays: mondays(50) });
    assert.deepEqual(fiftyOff.nextOpening(at('2026-01-01T00:00:00Z')), at('2026-12-21T08:00:00Z'));
    const sixtyOff = hours({ timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] }, holidays: mondays(60) });
    assert.equal(sixtyOff.nextOpening(at('2026-01-01T00:00:00Z')), null);
  });

  it('never opens without any range', () => {
    for (const weekly of [{}, { mon: [] }]) {
      const never = hours({ timeZone: 'Europe/Paris', weekly });
      assert.equal(never.isOpen(at('2026-06-15T10:00:00Z')), false);
      assert.equal(never.nextOpening(at('2026-06-15T10:00:00Z')), null);
      assert.equal(never.closesAt(at('2026-06-15T10:00:00Z')), null);
    }
  });
});

describe('business hours around midnight', () => {
  it('runs a range ending at 24:00 up to midnight', () => {
    const evenings = hours({ timeZone: 'Europe/Paris', weekly: { fri: ['18:00-24:00'] } });
    assert.equal(evenings.isOpen(at('2026-06-19T21:59:59.999Z')), true);
    assert.equal(evenings.isOpen(at('2026-06-19T22:00:00Z')), false);
    assert.deepEqual(evenings.closesAt(at('2026-06-19T17:00:00Z')), at('2026-06-19T22:00:00Z'));
  });

  it('joins ranges that meet at midnight into one open period', () => {
    const lateNight = hours({ timeZone: 'Europe/Paris', weekly: { fri: ['18:00-24:00'], sat: ['00:00-02:00'] } });
    assert.equal(lateNight.isOpen(at('2026-06-19T22:00:00Z')), true);
    assert.deepEqual(lateNight.closesAt(at('2026-06-19T17:00:00Z')), at('2026-06-20T00:00:00Z'));
  });
});

describe('business hours across DST changes', () => {
  it('Europe/Paris spring forward (2026-03-29, 02:00 CET becomes 03:00 CEST): a skipped opening time opens after the gap', () => {
    const paris = hours({ timeZone: 'Europe/Paris', weekly: { sun: ['02:30-04:00'] } });
    assert.deepEqual(paris.nextOpening(at('2026-03-29T00:00:00Z')), at('2026-03-29T01:00:00Z'));
    assert.equal(paris.isOpen(at('2026-03-29T00:59:59.999Z')), false);
    assert.equal(paris.isOpen(at('2026-03-29T01:00:00Z')), true);
    assert.deepEqual(paris.closesAt(at('2026-03-29T01:00:00Z')), at('2026-03-29T02:00:00Z'));
    assert.equal(paris.isOpen(at('2026-03-29T02:00:00Z')), false);
  });

  it('Europe/Paris spring forward: a range across the gap is an hour shorter, one inside it never opens', () => {
    const across = hours({ timeZone: 'Europe/Paris', weekly: { sun: ['01:00-05:00'] } });
    assert.deepEqual(across.closesAt(at('2026-03-29T00:30:00Z')), at('2026-03-29T03:00:00Z'));
    const inside = hours({ timeZone: 'Europe/Paris', weekly: { sun: ['02:10-02:50'] } });
    assert.equal(inside.isOpen(at('2026-03-29T01:00:00Z')), false);
    assert.deepEqual(inside.nextOpening(at('2026-03-29T00:00:00Z')), at('2026-04-05T00:10:00Z'));
  });

  it('Europe/Paris: weekday hours follow the offset over the DST weekend', () => {
    const paris = hours({ timeZone: 'Europe/Paris', weekly: WEEKDAYS_9_TO_5 });
    assert.deepEqual(paris.nextOpening(at('2026-03-27T17:00:00Z')), at('2026-03-30T07:00:00Z'));
    assert.equal(paris.isOpen(at('2026-03-30T06:59:59.999Z')), false);
    assert.deepEqual(paris.nextOpening(at('2026-10-23T16:00:00Z')), at('2026-10-26T08:00:00Z'));
  });

  it('Europe/Paris fall back (2026-10-25, 03:00 CEST becomes 02:00 CET): a repeated time means its first occurrence', () => {
    const opensInRepeat = hours({ timeZone: 'Europe/Paris', weekly: { sun: ['02:30-06:00'] } });
    assert.deepEqual(opensInRepeat.nextOpening(at('2026-10-24T22:00:00Z')), at('2026-10-25T00:30:00Z'));
    assert.equal(opensInRepeat.isOpen(at('2026-10-25T00:29:59.999Z')), false);
    assert.equal(opensInRepeat.isOpen(at('2026-10-25T01:15:00Z')), true); // 02:15 again, but already open
    assert.deepEqual(opensInRepeat.closesAt(at('2026-10-25T00:30:00Z')), at('2026-10-25T05:00:00Z'));

    const closesInRepeat = hours({ timeZone: 'Europe/Paris', weekly: { sun: ['00:00-02:30'] } });
    assert.equal(closesInRepeat.isOpen(at('2026-10-25T00:15:00Z')), true);
    assert.equal(closesInRepeat.isOpen(at('2026-10-25T01:15:00Z')), false); // 02:15 the second time round
    assert.deepEqual(closesInRepeat.nextOpening(at('2026-10-25T01:15:00Z')), at('2026-10-31T23:00:00Z'));
  });

  it('America/New_York spring forward (2026-03-08, 02:00 EST becomes 03:00 EDT)', () => {
    const newYork = hours({ timeZone: 'America/New_York', weekly: { sun: ['02:00-04:00'] } });
    assert.deepEqual(newYork.nextOpening(at('2026-03-08T05:00:00Z')), at('2026-03-08T07:00:00Z'));
    assert.equal(newYork.isOpen(at('2026-03-08T06:59:59.999Z')), false);
    assert.equal(newYork.isOpen(at('2026-03-08T07:00:00Z')), true);
    assert.deepEqual(newYork.closesAt(at('2026-03-08T07:00:00Z')), at('2026-03-08T08:00:00Z'));

    const weekdays = hours({ timeZone: 'America/New_York', weekly: WEEKDAYS_9_TO_5 });
    assert.deepEqual(weekdays.nextOpening(at('2026-03-06T22:00:00Z')), at('2026-03-09T13:00:00Z'));
  });

  it('America/New_York fall back (2026-11-01, 02:00 EDT becomes 01:00 EST)', () => {
    const newYork = hours({ timeZone: 'America/New_York', weekly: { sun: ['01:30-03:00'] } });
    assert.deepEqual(newYork.nextOpening(at('2026-11-01T04:00:00Z')), at('2026-11-01T05:30:00Z'));
    assert.equal(newYork.isOpen(at('2026-11-01T05:29:59.999Z')), false);
    assert.equal(newYork.isOpen(at('2026-11-01T06:15:00Z')), true); // 01:15 EST
    assert.deepEqual(newYork.closesAt(at('2026-11-01T05:30:00Z')), at('2026-11-01T08:00:00Z'));

    const weekdays = hours({ timeZone: 'America/New_York', weekly: WEEKDAYS_9_TO_5 });
    assert.deepEqual(weekdays.closesAt(at('2026-10-30T15:00:00Z')), at('2026-10-30T21:00:00Z'));
    assert.deepEqual(weekdays.nextOpening(at('2026-10-30T21:00:00Z')), at('2026-11-02T14:00:00Z'));
  });
});

describe('business hours clock', () => {
  it('answers for the injected clock when no instant is given', () => {
    let now = at('2026-06-15T08:00:00Z');
    const paris = hours({ timeZone: 'Europe/Paris', weekly: WEEKDAYS_9_TO_5 }, () => now);
    assert.equal(paris.isOpen(), true);
    assert.deepEqual(paris.closesAt(), at('2026-06-15T15:00:00Z'));
    assert.deepEqual(paris.nextOpening(), now);
    now = at('2026-06-15T16:00:00Z');
    assert.equal(paris.isOpen(), false);
    assert.equal(paris.closesAt(), null);
    assert.deepEqual(paris.nextOpening(), at('2026-06-16T07:00:00Z'));
  });
});

describe('business hours schema', () => {
  /** Issues as the bridge prints them: `path: message`. */
  function problems(config: unknown): string[] {
    const result = businessHoursSchema.safeParse(config);
    return result.success ? [] : result.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
  }

  it('accepts a valid config and defaults holidays to none', () => {
    const config = businessHoursSchema.parse({ timeZone: 'America/New_York', weekly: { mon: ['00:00-24:00'], sat: [] } });
    assert.deepEqual(config.holidays, []);
  });

  it('names an unknown time zone', () => {
    assert.deepEqual(problems({ timeZone: 'Mars/Base', weekly: {} }), ['timeZone: unknown time zone "Mars/Base"']);
  });

  it('names a badly written range', () => {
    for (const range of ['9:00-17:00', '09:00–17:00', '09:60-10:00', '24:00-24:00', '09:00-24:30', '09:00']) {
      assert.deepEqual(problems({ timeZone: 'UTC', weekly: { tue: ['08:00-08:30', range] } }), [
        `weekly.tue[1]: "${range}" is not a range such as "09:00-17:30" (24-hour HH:MM-HH:MM)`,
      ]);
    }
  });

  it('names a range that ends before it starts, or when it starts', () => {
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: { mon: ['06:00-08:00', '18:00-09:00'] } }), ['weekly.mon[1]: "18:00-09:00" ends before it starts']);
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: { mon: ['10:00-10:00'] } }), ['weekly.mon[0]: "10:00-10:00" is empty: it ends when it starts']);
  });

  it('names overlapping ranges of one day, but lets ranges touch', () => {
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: { wed: ['09:00-12:00', '11:00-13:00'] } }), ['weekly.wed[1]: "11:00-13:00" overlaps "09:00-12:00"']);
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: { wed: ['14:00-18:00', '08:00-15:00'] } }), ['weekly.wed[1]: "08:00-15:00" overlaps "14:00-18:00"']);
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: { wed: ['09:00-12:00', '12:00-13:00'] } }), []);
  });

  it('names a bad holiday date and an unknown key', () => {
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: {}, holidays: ['2026-12-25', '2026-02-30'] }), [
      'holidays[1]: "2026-02-30" is not a date such as "2026-12-25"',
    ]);
    assert.deepEqual(problems({ timeZone: 'UTC', weekly: {}, holidays: ['25/12/2026'] }), ['holidays[0]: "25/12/2026" is not a date such as "2026-12-25"']);
    assert.equal(problems({ timeZone: 'UTC', weekly: { monday: ['09:00-17:00'] } }).length, 1);
  });
});

describe('business hours properties', () => {
  const DAY_MS = 86_400_000;
  // Zones with odd offsets, 30-minute DST (Lord Howe) and changes at midnight (Santiago, Havana).
  const zones = [
    'Europe/Paris',
    'America/New_York',
    'UTC',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'America/St_Johns',
    'Pacific/Chatham',
    'America/Santiago',
    'America/Havana',
  ];
  // Instants near the 2026 changes of several of those zones, so the samples often land on one.
  const changes = [
    '2026-03-08T07:00Z',
    '2026-03-29T01:00Z',
    '2026-04-04T15:00Z',
    '2026-04-05T03:00Z',
    '2026-09-06T04:00Z',
    '2026-10-04T16:00Z',
    '2026-10-25T01:00Z',
    '2026-11-01T06:00Z',
  ].map(Date.parse);

  const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  // Up to three ranges a day on a five-minute grid, "24:00" included: sorted distinct marks, paired.
  const dayRanges = fc.uniqueArray(fc.integer({ min: 0, max: 288 }), { maxLength: 6 }).map((marks) => {
    const sorted = [...marks].sort((a, b) => a - b);
    const ranges: string[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push(`${clock(sorted[i]! * 5)}-${clock(sorted[i + 1]! * 5)}`);
    return ranges;
  });
  const weekly = fc.record(
    { mon: dayRanges, tue: dayRanges, wed: dayRanges, thu: dayRanges, fri: dayRanges, sat: dayRanges, sun: dayRanges },
    { requiredKeys: [] },
  );
  const instant = fc.oneof(
    fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
    fc.constantFrom(...changes).chain((change) => fc.integer({ min: change - 2 * DAY_MS, max: change + 2 * DAY_MS })),
  );
  /** Holidays as days after the instant's UTC date, so they land near it. */
  const holidayOffsets = fc.array(fc.integer({ min: -1, max: 20 }), { maxLength: 8 });
  const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 });

  const holidayDates = (t: number, offsets: number[]) => offsets.map((offset) => new Date(t + offset * DAY_MS).toISOString().slice(0, 10));
  const build = (timeZone: string, schedule: object, t: number, offsets: number[]) => hours({ timeZone, weekly: schedule, holidays: holidayDates(t, offsets) });

  it('nextOpening is open, and nothing between the instant and it is', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), weekly, instant, holidayOffsets, fractions, (timeZone, schedule, t, offsets, samples) => {
        const business = build(timeZone, schedule, t, offsets);
        const next = business.nextOpening(new Date(t));
        if (next === null) {
          assert.ok(
            Object.values(schedule).every((ranges) => ranges.length === 0),
            'only a schedule without ranges never opens',
          );
          return;
        }
        const opens = next.getTime();
        assert.ok(opens >= t);
        assert.equal(business.isOpen(next), true);
        assert.equal(business.isOpen(new Date(t)), opens === t);
        assert.equal(business.closesAt(new Date(t)) !== null, opens === t);
        for (const sample of [...samples.map((f) => t + Math.floor((opens - t) * f)), opens - 1]) {
          if (sample >= t && sample < opens) assert.equal(business.isOpen(new Date(sample)), false, `open at ${new Date(sample).toISOString()}`);
        }
        const closes = business.closesAt(next)!.getTime();
        assert.ok(closes > opens);
        assert.equal(business.isOpen(new Date(closes - 1)), true);
        assert.equal(business.isOpen(new Date(closes)), false);
      }),
      { numRuns: 300 },
    );
  });

  it('isOpen agrees with the wall clock when no DST change is near', () => {
    // An independent reading of the wall clock: away from a change, a range is plain wall-clock minutes.
    const wallClock = (timeZone: string, ms: number) => {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      const p = Object.fromEntries(format.formatToParts(ms).map((part) => [part.type, part.value]));
      const seconds = Number(p.hour) * 3600 + Number(p.minute) * 60 + Number(p.second);
      const offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) + seconds * 1000 - Math.floor(ms / 1000) * 1000;
      return { date: `${p.year}-${p.month}-${p.day}`, weekday: p.weekday!.toLowerCase(), minutes: (seconds + (ms % 1000) / 1000) / 60, offset };
    };
    const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

    fc.assert(
      fc.property(fc.constantFrom(...zones), weekly, instant, holidayOffsets, (timeZone, schedule, t, offsets) => {
        fc.pre(wallClock(timeZone, t - 2 * DAY_MS).offset === wallClock(timeZone, t + 2 * DAY_MS).offset);
        const wall = wallClock(timeZone, t);
        const ranges = (schedule as Record<string, string[] | undefined>)[wall.weekday] ?? [];
        const expected =
          !holidayDates(t, offsets).includes(wall.date) &&
          ranges.some((range) => minutesOf(range.slice(0, 5)) <= wall.minutes && wall.minutes < minutesOf(range.slice(6)));
        assert.equal(build(timeZone, schedule, t, offsets).isOpen(new Date(t)), expected);
      }),
      { numRuns: 300 },
    );
  });
});
