/**
 * Webhook signatures: each request carries `X-Switchboard-Timestamp` and `X-Switchboard-Signature`
 * (`sha256=` and the hex HMAC-SHA256 of `<timestamp>.<body>` with the hook's secret), so a receiver
 * can check who sent it and that it is not an old one played again.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE_PREFIX = 'sha256=';
const DEFAULT_TOLERANCE_SECONDS = 300;

function sign(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

/** The `X-Switchboard-Signature` of a request: HMAC-SHA256 over the timestamp and the raw body. */
export function signatureOf(secret: string, timestamp: string, rawBody: string): string {
  return `${SIGNATURE_PREFIX}${sign(secret, timestamp, rawBody)}`;
}

/** Verifies a signature header for a raw body (for receivers, and the tests): constant-time. */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  timestamp: string,
  rawBody: string,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  now: () => number = Date.now,
): boolean {
  if (!/^\d{1,15}$/.test(timestamp)) return false;
  // An old (or far-future) timestamp means a replayed or forged request.
  if (Math.abs(now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  if (!header.startsWith(SIGNATURE_PREFIX)) return false;
  const given = header.slice(SIGNATURE_PREFIX.length);
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), Buffer.from(sign(secret, timestamp, rawBody), 'hex'));
}
