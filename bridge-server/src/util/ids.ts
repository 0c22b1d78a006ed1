import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one system call per 409 ids rather than one per id. */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/**
 * Time-ordered, collision-resistant ids: a prefix, the time in base 36 (fixed width, so ids sort by
 * creation), then 80 random bits.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, '0');
  return `${prefix}_${time}${randomHex(10)}`;
}

/** A short random id for anonymous parties (48 random bits, hex). */
export function shortId(): string {
  return randomHex(6);
}
