import { randomBytes } from 'node:crypto';

/**
 * Time-ordered, collision-resistant ids: a prefix, the time in base 36 (fixed width, so ids sort by
 * creation), then 80 random bits.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, '0');
  return `${prefix}_${time}${randomBytes(10).toString('hex')}`;
}

/** A short random id for anonymous parties (48 random bits, hex). */
export function shortId(): string {
  return randomBytes(6).toString('hex');
}
