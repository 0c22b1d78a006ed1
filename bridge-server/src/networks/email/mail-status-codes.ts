/**
 * The contract's code for a mail that failed, read from the status the mail servers give: an
 * enhanced status code (RFC 3463: class.subject.detail) in an SMTP reply or a delivery status
 * notification's `Status` field (RFC 3464 section 2.3.4), else the SMTP reply code (RFC 5321
 * section 4.2). One reading for a refusal at sending time and for a bounce that comes back later.
 */
import type { ErrorCode } from '@switchboard/protocol';

/** `5.1.1` anywhere at a word's start: class, subject and detail (RFC 3463 section 2). */
const ENHANCED = /(?:^|[\s;(])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])/;
/** A three-digit SMTP reply code that opens the text (after a diagnostic type such as `smtp;`). */
const REPLY_CODE = /^(?:[a-z-]+;\s*)?([245]\d\d)(?:[\s-]|$)/i;

export interface EnhancedStatus {
  kind: 2 | 4 | 5;
  subject: number;
  detail: number;
}

/** The first enhanced status code in `text`, if any. */
export function enhancedStatusIn(text: string): EnhancedStatus | null {
  const match = ENHANCED.exec(text);
  if (!match) return null;
  return { kind: Number(match[1]) as 2 | 4 | 5, subject: Number(match[2]), detail: Number(match[3]) };
}

/** The SMTP reply code that opens `text` (`550 ...`, `smtp; 552 ...`), if any. */
export function replyCodeIn(text: string): number | null {
  const match = REPLY_CODE.exec(text.trim());
  return match ? Number(match[1]) : null;
}

/**
 * A refusal for good, by its enhanced status (RFC 3463 section 3): the address (X.1.X: no such
 * mailbox or domain) is `not_found`; the message too big for the system or the mailbox (X.3.4,
 * X.2.3) `too_large`; security or policy (X.7.X) `forbidden`; anything else, a full mailbox
 * included, `bad_request`. Without one, by the reply code: 550, 551, 553 `not_found`, 552 `too_large`.
 */
export function refusalCodeOf(status: EnhancedStatus | null, replyCode: number | null): ErrorCode {
  if (status && (status.subject !== 0 || status.detail !== 0)) {
    if (status.subject === 1) return 'not_found';
    if ((status.subject === 3 && status.detail === 4) || (status.subject === 2 && status.detail === 3)) return 'too_large';
    if (status.subject === 7) return 'forbidden';
    return 'bad_request';
  }
  if (replyCode === 550 || replyCode === 551 || replyCode === 553) return 'not_found';
  if (replyCode === 552) return 'too_large';
  return 'bad_request';
}

/**
 * A bounce's code. A report of a failure the server gave up on after trying for a while (a
 * persistent transient status, class 4, such as 4.4.7 delivery time expired) is `unavailable`: the
 * recipient's server could not be reached, the message was not refused. Otherwise the refusal's
 * code, read from the report's `Status` and, when that is the undefined X.0.0 or missing, from the
 * remote server's own reply in `Diagnostic-Code`.
 */
export function bounceCodeOf(status: string | undefined, diagnostic: string | undefined): ErrorCode {
  const reported = status ? enhancedStatusIn(status) : null;
  if (reported?.kind === 4) return 'unavailable';
  const specific = reported && (reported.subject !== 0 || reported.detail !== 0) ? reported : null;
  if (specific) return refusalCodeOf(specific, null);
  const told = diagnostic ? enhancedStatusIn(diagnostic) : null;
  if (told?.kind === 4 && !reported) return 'unavailable';
  return refusalCodeOf(told?.kind === 5 ? told : null, diagnostic ? replyCodeIn(diagnostic) : null);
}
