/**
 * Idempotency keys as time-ordered UUIDs (version 7, RFC 9562 section 5.7): 48 bits of Unix
 * milliseconds, a 12-bit counter, then 62 random bits. The bridge keeps each sender's keys in a
 * B-tree index (sender, clientId); keys that grow with time are appended at the end of the sender's
 * range, where a random UUID would touch a page anywhere in it (an agent's range spans thousands of
 * messages). The counter starts at a random value below half its range each millisecond and counts
 * up within it, or when the clock steps back (section 6.2, method 1), so this page's keys also sort
 * in the order made.
 */

let lastTime = 0;
let counter = 0;

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const cryptoApi = globalThis.crypto as Crypto | undefined;
  if (cryptoApi?.getRandomValues) cryptoApi.getRandomValues(bytes);
  else for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A new idempotency key: a version 7 UUID, after every key this page made before. */
export function newClientId(): string {
  let time = Date.now();
  if (time > lastTime) counter = randomBytes(1)[0]! << 3;
  else {
    time = lastTime;
    // 4,096 keys in one millisecond: the next one is borrowed.
    if (++counter > 0xfff) {
      time += 1;
      counter = 0;
    }
  }
  lastTime = time;
  const random = randomBytes(8);
  random[0] = (random[0]! & 0x3f) | 0x80; // the variant, 10
  const millis = time.toString(16).padStart(12, '0');
  const rest = hex(random);
  return `${millis.slice(0, 8)}-${millis.slice(8)}-7${counter.toString(16).padStart(3, '0')}-${rest.slice(0, 4)}-${rest.slice(4)}`;
}
