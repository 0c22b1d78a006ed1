/**
 * The one range of bytes a `Range` header asks for (RFC 9110 section 14.1.1-14.1.2), read by hand:
 * units are case-insensitive, a suffix longer than the file means all of it, and a header the
 * bridge does not take (another unit, a malformed or backward range, several ranges) is ignored,
 * which section 14.2 allows: the whole file is answered.
 */
import type { ByteRange } from '../core/files/blob-store.js';

/** The range within `size` bytes; 'unsatisfiable' when none of it is (416); undefined: answer the whole file. */
export function byteRangeOf(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const set = /^\s*bytes\s*=(.*)$/is.exec(header)?.[1];
  if (set === undefined || size === 0) return undefined;
  const specs = set
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  if (specs.length !== 1) return undefined;
  const spec = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!);
  if (!spec || (spec[1] === '' && spec[2] === '')) return undefined;
  if (spec[1] === '') {
    // The last N bytes: all of a shorter file; none asked for (`-0`) is unsatisfiable.
    const length = Number(spec[2]);
    return length === 0 ? 'unsatisfiable' : { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(spec[1]);
  const last = spec[2] === '' ? Infinity : Number(spec[2]);
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}
