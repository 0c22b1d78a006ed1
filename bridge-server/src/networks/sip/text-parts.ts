/**
 * A text cut into parts of at most `budget` UTF-8 bytes, whose concatenation is the text exactly:
 * a MESSAGE carries only so much (RFC 3428 section 8), and the reader reads the parts in turn.
 * A part ends after a paragraph break (a blank line), else a line break, else a blank, when that
 * keeps at least half the budget in it; else between two graphemes (UAX #29), never inside a UTF-8
 * sequence, an emoji or a letter with its combining marks. Only a single grapheme larger than the
 * budget (hundreds of stacked marks) is cut, between its code points.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The longest UTF-8 sequence: a budget below it could not hold every code point. */
const MIN_BUDGET = 4;

/** Where a part may end, best first. */
const BOUNDARIES = ['paragraph', 'line', 'word'] as const;
type Boundary = (typeof BOUNDARIES)[number];

/** CR LF is one grapheme, so a line break is always one unit. */
const isLineBreak = (unit: string) => /^(?:\r\n|[\n\r\u2028\u2029])$/.test(unit);
/** A blank a line may wrap at (a no-break space is there to hold its neighbours together). */
const isBlank = (unit: string) => /^[^\S\r\n\u2028\u2029\u00a0\u2007\u202f]$/u.test(unit);

/** The text as graphemes, each no larger than the budget (an oversized one as its code points). */
function unitsOf(text: string, budget: number): { unit: string; size: number }[] {
  return [...segmenter.segment(text)].flatMap(({ segment }) => {
    const size = bytes(segment);
    return size <= budget ? [{ unit: segment, size }] : [...segment].map((point) => ({ unit: point, size: bytes(point) }));
  });
}

export function splitText(text: string, budget: number): string[] {
  if (!(budget >= MIN_BUDGET)) throw new RangeError(`a part needs room for at least ${MIN_BUDGET} bytes, not ${budget}`);
  if (bytes(text) <= budget) return [text];
  const units = unitsOf(text, budget);
  const parts: string[] = [];
  for (let start = 0; start < units.length;) {
    const end = partEnd(units, start, budget);
    parts.push(
      units
        .slice(start, end)
        .map(({ unit }) => unit)
        .join(''),
    );
    start = end;
  }
  return parts;
}

/** The index of the unit after the part that starts at `start`. */
function partEnd(units: readonly { unit: string; size: number }[], start: number, budget: number): number {
  /** For each kind of boundary, the last one seen: the unit index after it and the part's bytes up to it. */
  const last = new Map<Boundary, { at: number; used: number }>();
  let used = 0;
  for (let index = start; index < units.length; index++) {
    const { unit, size } = units[index]!;
    if (used + size > budget) {
      const kept = BOUNDARIES.map((kind) => last.get(kind)).find((seen) => seen && seen.used >= budget / 2);
      return kept?.at ?? index;
    }
    used += size;
    const previous = units[index - 1]?.unit;
    // Two line breaks in a row end a paragraph.
    const kind: Boundary | undefined = isLineBreak(unit)
      ? previous !== undefined && isLineBreak(previous)
        ? 'paragraph'
        : 'line'
      : isBlank(unit)
        ? 'word'
        : undefined;
    if (kind) last.set(kind, { at: index + 1, used });
  }
  return units.length;
}
