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

/** The time and random part of the last id, so ids made in the same millisecond still sort. */
let lastTime = 0;
let lastRandom = 0n;
const RANDOM_BITS = 80n;
const RANDOM_LIMIT = 1n << RANDOM_BITS;

/**
 * Time-ordered, collision-resistant ids: a prefix, the time in base 36 (fixed width, so ids sort by
 * creation), then 80 random bits. Within one millisecond (or when the clock steps back) the random
 * part of the last id is incremented instead, as ULID's monotonic mode does, so ids made one after
 * the other by this process sort in the order they were made (notes and messages written in the
 * same millisecond read back in order).
 */
export function newId(prefix: string): string {
  let time = Date.now();
  let random: bigint;
  if (time <= lastTime) {
    time = lastTime;
    random = lastRandom + 1n;
    if (random >= RANDOM_LIMIT) {
      time += 1; // 2^80 ids in one millisecond: borrow the next one
      random = BigInt(`0x${randomHex(10)}`) >> 1n;
    }
  } else {
    // The top bit left clear leaves room to count up within the millisecond.
    random = BigInt(`0x${randomHex(10)}`) >> 1n;
  }
  lastTime = time;
  lastRandom = random;
  return `${prefix}_${time.toString(36).padStart(9, '0')}${random.toString(16).padStart(20, '0')}`;
}

/**
 * Every id made from now on sorts after `id` (made by `newId`, any prefix), even if the clock has
 * stepped back since it was made: a store whose ids must keep their order across restarts tells
 * the last one it holds.
 */
export function idsAfter(id: string): void {
  const match = /_([0-9a-z]{9})([0-9a-f]{20})$/.exec(id);
  if (!match) return;
  const time = parseInt(match[1]!, 36);
  const random = BigInt(`0x${match[2]!}`);
  if (time > lastTime || (time === lastTime && random > lastRandom)) {
    lastTime = time;
    lastRandom = random;
  }
}

/** A short random id for anonymous parties (48 random bits, hex). */
export function shortId(): string {
  return randomHex(6);
}
