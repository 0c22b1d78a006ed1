/**
 * A support team's business hours: weekly opening ranges in the team's own time zone, minus
 * holidays. Outside them a conversation is taken as an offline message and delivered to the
 * team when it next opens, so the bridge needs both "is it open now?" and "when does it open?".
 *
 * Each range of a date is turned into a span of instants [opens, closes): a wall time skipped
 * by a spring-forward change counts from the first instant after the gap, and a wall time
 * repeated by a fall-back change means its first occurrence. Spans never overlap and follow
 * each other in date order, which is what `nextOpening` and `closesAt` rely on.
 * No date library: the zone's offsets come from Intl.DateTimeFormat.
 */
import { z } from 'zod';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far ahead `nextOpening` and `closesAt` look: a year and a bit, so any run of holidays fits. */
const SEARCH_DAYS = 370;

/** In the order of Date#getUTCDay(), so a date's weekday indexes straight into it. */
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const RANGE_PATTERN = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes since midnight, or undefined when `hours:minutes` is not a time of day (24:00 only as an end). */
function minutesOfDay(hours: number, minutes: number, isEnd: boolean): number | undefined {
  if (minutes > 59) return undefined;
  if (hours < 24 || (isEnd && hours === 24 && minutes === 0)) return hours * 60 + minutes;
  return undefined;
}

interface Range {
  start: number;
  end: number;
}

/** The range in minutes since midnight, or undefined when it is not "HH:MM-HH:MM". */
function parseRange(text: string): Range | undefined {
  const match = RANGE_PATTERN.exec(text);
  if (!match) return undefined;
  const [startHours, startMinutes, endHours, endMinutes] = match.slice(1).map(Number) as [number, number, number, number];
  const start = minutesOfDay(startHours, startMinutes, false);
  const end = minutesOfDay(endHours, endMinutes, true);
  return start === undefined || end === undefined ? undefined : { start, end };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function isCalendarDate(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2026-02-30 over into March; a real date survives the round trip.
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const rangeSchema = z.string().superRefine((text, ctx) => {
  const range = parseRange(text);
  if (!range) ctx.addIssue({ code: 'custom', message: `"${text}" is not a range such as "09:00-17:30" (24-hour HH:MM-HH:MM)` });
  else if (range.end < range.start) ctx.addIssue({ code: 'custom', message: `"${text}" ends before it starts` });
  else if (range.end === range.start) ctx.addIssue({ code: 'custom', message: `"${text}" is empty: it ends when it starts` });
});

const dayRangesSchema = z.array(rangeSchema).superRefine((texts, ctx) => {
  // Badly written ranges already have their own issue; only well-formed ones can overlap.
  const ranges = texts
    .map((text, index) => ({ text, index, range: parseRange(text) }))
    .filter((entry): entry is { text: string; index: number; range: Range } => entry.range !== undefined && entry.range.start < entry.range.end)
    .sort((a, b) => a.range.start - b.range.start);
  for (let i = 1; i < ranges.length; i++) {
    const earlier = ranges[i - 1]!;
    const later = ranges[i]!;
    if (later.range.start >= earlier.range.end) continue;
    // Reported on whichever was listed second, naming the one it collides with.
    const [first, second] = earlier.index < later.index ? [earlier, later] : [later, earlier];
    ctx.addIssue({ code: 'custom', message: `"${second.text}" overlaps "${first.text}"`, path: [second.index] });
  }
});

export const businessHoursSchema = z.strictObject({
  /** IANA zone the weekly ranges and holidays are read in, e.g. "Europe/Paris". */
  timeZone: z.string().refine(isTimeZone, { error: (issue) => `unknown time zone ${JSON.stringify(issue.input)}` }),
  /** Opening ranges per weekday, "HH:MM-HH:MM" (24-hour, "24:00" for midnight at the end); a day left out is closed. */
  weekly: z.strictObject({
    mon: dayRangesSchema.optional(),
    tue: dayRangesSchema.optional(),
    wed: dayRangesSchema.optional(),
    thu: dayRangesSchema.optional(),
    fri: dayRangesSchema.optional(),
    sat: dayRangesSchema.optional(),
    sun: dayRangesSchema.optional(),
  }),
  /** "YYYY-MM-DD" dates, in `timeZone`, closed all day. */
  holidays: z.array(z.string().refine(isCalendarDate, { error: (issue) => `${JSON.stringify(issue.input)} is not a date such as "2026-12-25"` })).default([]),
});

export type BusinessHoursConfig = z.infer<typeof businessHoursSchema>;

/** One opening as instants (ms since the epoch), end excluded. */
interface Span {
  start: number;
  end: number;
}

export class BusinessHours {
  private readonly formatter: Intl.DateTimeFormat;
  /** Ranges per weekday (Sunday first), in minutes since midnight, sorted. */
  private readonly weekly: Range[][];
  private readonly holidays: ReadonlySet<string>;
  private readonly hasRanges: boolean;
  /** Spans per local day number; computing them costs a few Intl calls, and the same days come up again and again. */
  private readonly spanCache = new Map<number, Span[]>();

  constructor(
    config: BusinessHoursConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Parsed again so a hand-built config cannot break the invariants below (valid zone, no overlaps).
    const parsed = businessHoursSchema.parse(config);
    this.formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: parsed.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.weekly = WEEKDAYS.map((day) => (parsed.weekly[day] ?? []).map((text) => parseRange(text)!).sort((a, b) => a.start - b.start));
    this.holidays = new Set(parsed.holidays);
    this.hasRanges = this.weekly.some((ranges) => ranges.length > 0);
  }

  isOpen(at: Date = this.now()): boolean {
    const instant = instantOf(at);
    const day = this.localDay(instant);
    // Neighbouring days too: a zone change can put an instant of one date inside another date's span.
    for (let d = day - 1; d <= day + 1; d++) {
      if (this.spans(d).some((span) => span.start <= instant && instant < span.end)) return true;
    }
    return false;
  }

  /** The next moment it opens at or after `at` (at itself when open), or null when it never opens (no ranges at all). */
  nextOpening(at: Date = this.now()): Date | null {
    const instant = instantOf(at);
    if (!this.hasRanges) return null;
    for (const span of this.spansFrom(this.localDay(instant))) {
      if (span.end > instant) return new Date(Math.max(span.start, instant));
    }
    return null;
  }

  /**
   * The moment the current open period ends, or null when closed. Spans that touch (a range to
   * "24:00" and the next day's from "00:00") are one period. A schedule open without a break
   * for the whole search horizon reports the end of the horizon.
   */
  closesAt(at: Date = this.now()): Date | null {
    const instant = instantOf(at);
    let closes: number | undefined;
    for (const span of this.spansFrom(this.localDay(instant))) {
      if (closes === undefined) {
        if (span.end <= instant) continue;
        if (span.start > instant) return null;
        closes = span.end;
      } else if (span.start <= closes) {
        closes = Math.max(closes, span.end);
      } else {
        break;
      }
    }
    return closes === undefined ? null : new Date(closes);
  }

  /** Every span from the day before `day` to the end of the search horizon, in order. */
  private *spansFrom(day: number): Generator<Span> {
    for (let d = day - 1; d <= day + SEARCH_DAYS; d++) yield* this.spans(d);
  }

  /** The spans of one local date (days since 1970-01-01), holidays and empty spans left out. */
  private spans(day: number): Span[] {
    let spans = this.spanCache.get(day);
    if (spans) return spans;
    const date = new Date(day * DAY_MS);
    const ranges = this.holidays.has(date.toISOString().slice(0, 10)) ? [] : this.weekly[date.getUTCDay()]!;
    spans = ranges
      .map((range) => ({ start: this.toInstant(day * DAY_MS + range.start * MINUTE_MS), end: this.toInstant(day * DAY_MS + range.end * MINUTE_MS) }))
      // A range wholly inside a spring-forward gap never happens.
      .filter((span) => span.start < span.end);
    if (this.spanCache.size >= 1000) this.spanCache.clear();
    this.spanCache.set(day, spans);
    return spans;
  }

  /** The zone's wall-clock time at `instant`, as ms since 1970-01-01T00:00 of that wall clock. */
  private wallClock(instant: number): number {
    const parts: Record<string, number> = {};
    for (const part of this.formatter.formatToParts(instant)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const { year, month, day, hour, minute, second } = parts as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
    // formatToParts stops at whole seconds; the milliseconds carry over unchanged.
    const milliseconds = ((instant % 1000) + 1000) % 1000;
    return Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  }

  private localDay(instant: number): number {
    return Math.floor(this.wallClock(instant) / DAY_MS);
  }

  /**
   * The instant the zone's clock reads `wall`. The offsets in force a day either side are
   * the only candidates (zones change at most once in that window); those that read back as
   * `wall` are its occurrences and the first wins. None means `wall` was skipped: then the
   * answer is the first instant after the gap.
   */
  private toInstant(wall: number): number {
    const offsets = [wall - DAY_MS, wall + DAY_MS].map((instant) => this.wallClock(instant) - instant);
    const occurrences = offsets.map((offset) => wall - offset).filter((instant) => this.wallClock(instant) === wall);
    if (occurrences.length > 0) return Math.min(...occurrences);
    // In the gap the clock reads before `wall` up to the change and after it from then on.
    let before = wall - Math.max(...offsets);
    let after = wall - Math.min(...offsets);
    if (!(this.wallClock(before) < wall && this.wallClock(after) > wall)) return after;
    while (after - before > 1) {
      const middle = Math.floor((before + after) / 2);
      if (this.wallClock(middle) < wall) before = middle;
      else after = middle;
    }
    return after;
  }
}

function instantOf(at: Date): number {
  const instant = at.getTime();
  if (Number.isNaN(instant)) throw new RangeError('BusinessHours needs a valid date, got an invalid one');
  return instant;
}
