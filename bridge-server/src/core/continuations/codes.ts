/**
 * Continuation codes: six random digits (`LIMITS.continuationCodeLength`), kept only as a keyed
 * hash bound to their conversation, so that the store never holds one a reader could type.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { LIMITS } from '@switchboard/protocol';

/** A new code: uniformly random digits, leading zeros kept. */
export function newCode(): string {
  return String(randomInt(0, 10 ** LIMITS.continuationCodeLength)).padStart(LIMITS.continuationCodeLength, '0');
}

/** The code's hash under the bridge's secret, for this conversation only. */
export function hashCode(secret: string, conversationId: string, code: string): string {
  return createHmac('sha256', secret).update(`${conversationId}\n${code}`).digest('hex');
}

/** Whether `code` is the one hashed as `stored` (compared in constant time). */
export function codeMatches(secret: string, conversationId: string, code: string, stored: string): boolean {
  const given = Buffer.from(hashCode(secret, conversationId, code), 'hex');
  const expected = Buffer.from(stored, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
