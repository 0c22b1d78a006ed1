/**
 * The Date of the bridge's mail to each recipient, later than the one before it. A mail server
 * delivers mail submitted one after another in parallel (Postfix's LMTP or local deliveries), so
 * a mailbox may file them out of order; RFC 5322 section 3.3 dates a mail to the second, and mail
 * clients sort by that date, which cannot tell mail of the same second apart. A mail sent within
 * the second of the one before it to the same recipient (a context line, then the history) is
 * dated the second after, and so on, at most LEAD_SECONDS ahead of the clock.
 */
import { lruCache } from '../../util/lru.js';

/** Recipients remembered: past this, the least recently mailed one's next mail is dated now. */
const RECIPIENTS_KEPT = 10_000;
/** How far ahead of the clock a burst's dates go, at most (then they stay on that second). */
export const LEAD_SECONDS = 60;

export class MailDates {
  private readonly last = lruCache<string, number>(RECIPIENTS_KEPT);

  constructor(private readonly now: () => number = Date.now) {}

  /** The Date of the next mail to `recipient` (a bare address). */
  next(recipient: string): Date {
    const key = recipient.toLowerCase();
    const second = Math.floor(this.now() / 1000);
    const previous = this.last.get(key);
    const next = previous === undefined || previous < second ? second : Math.min(previous + 1, second + LEAD_SECONDS);
    this.last.set(key, next);
    return new Date(next * 1000);
  }
}
