/**
 * The bridge's refusals of a mail (a blocked or rate-limited sender, a closed conversation): a
 * mail refused is handled (the mailbox moves on), unlike a failure to store it, which is retried.
 */
import type { ErrorCode } from '@switchboard/protocol';

/** Codes the core refuses a message with: final for that mail. */
const REFUSALS = new Set<ErrorCode>(['bad_request', 'forbidden', 'not_found', 'rate_limited', 'too_large']);

/** The contract code of the bridge's refusal of a message, or null when the error is something else. */
export function refusalOf(error: unknown): ErrorCode | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && REFUSALS.has(code as ErrorCode) ? (code as ErrorCode) : null;
}
