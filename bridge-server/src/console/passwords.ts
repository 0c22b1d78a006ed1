/**
 * Console account passwords (docs/security.md, "Agent sign-in"): scrypt from node:crypto, stored
 * as `scrypt$N$r$p$<salt base64>$<hash base64>` so each hash carries its own cost. Verification
 * runs off the event loop and compares in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** 2^14 x 8: about 16 MB and some tens of milliseconds per check (OWASP's minimum for scrypt is N=2^17 with r=8 p=1 at 128 MB; this keeps a login cheap enough for a small server). */
export const DEFAULT_COST = { N: 16_384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** The stored form, checked by the configuration: bounded costs, so a hash cannot make every login take minutes. */
export const PASSWORD_HASH = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]{16,}={0,2})\$([A-Za-z0-9+/]{32,}={0,2})$/;

export interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** The parts of a stored hash; null (with no detail) for anything else. */
export function parseHash(stored: string): ParsedHash | null {
  const match = PASSWORD_HASH.exec(stored);
  if (!match) return null;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // N a power of two (scrypt's rule), within what a login can afford.
  if (N < 1024 || N > 1_048_576 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  return { N, r, p, salt: Buffer.from(match[4]!, 'base64'), hash: Buffer.from(match[5]!, 'base64') };
}

/** What a well-formed hash needs, for the configuration's message. */
export const HASH_RULE = 'must be a hash printed by `switchboard-bridge hash-password` (scrypt$N$r$p$salt$hash)';

function derive(password: string, salt: Buffer, length: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; Node's default (32 MB) would refuse higher costs.
    scrypt(password.normalize('NFC'), salt, length, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The longest password the sign-in takes, in characters (code points). */
export const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `password` matches `stored`; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const derived = await derive(password, parsed.salt, parsed.hash.length, parsed);
  return derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash);
}

/** A hash no password matches (a zero key), at `cost` with a key of `keyBytes`. */
export function decoyHash(cost: { N: number; r: number; p: number } = DEFAULT_COST, keyBytes = KEY_BYTES): string {
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${Buffer.alloc(SALT_BYTES).toString('base64')}$${Buffer.alloc(keyBytes).toString('base64')}`;
}

/** The decoy at the default cost. */
export const DECOY_HASH = decoyHash();

/**
 * The decoy checked for an unknown username, so that a wrong name takes as long as a wrong
 * password (no telling which accounts exist): at the cost and key length of the configured
 * accounts' hashes, the most common of them (the dearer one on a tie); the default without accounts.
 */
export function decoyFor(passwordHashes: readonly string[]): string {
  const seen = new Map<string, { count: number; work: number; hash: string }>();
  for (const stored of passwordHashes) {
    const parsed = parseHash(stored);
    if (!parsed) continue;
    const hash = decoyHash(parsed, parsed.hash.length);
    const entry = seen.get(hash) ?? { count: 0, work: parsed.N * parsed.r * parsed.p * parsed.hash.length, hash };
    seen.set(hash, { ...entry, count: entry.count + 1 });
  }
  const [chosen] = [...seen.values()].sort((a, b) => b.count - a.count || b.work - a.work);
  return chosen?.hash ?? DECOY_HASH;
}
