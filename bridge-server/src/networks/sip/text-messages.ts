/**
 * Texts out as MESSAGEs (RFC 3428). A text whose request would exceed 1300 bytes (section 8,
 * request-size.ts) goes as several MESSAGEs, cut where a reader expects it (text-parts.ts), each
 * sent only once the one before got its final answer, so that they arrive in order. A part refused
 * for good fails the text. A part that may go later (408, 503, the connection lost) fails the try,
 * and the parts already accepted are remembered: the outbox's next try sends only the rest.
 */
import { lruCache } from '../../util/lru.js';
import { NetworkError } from '../network.js';
import { CONTENT_TYPES, cpimWithImdn } from './bodies.js';
import { type OutgoingMessage, type SipMessenger, UnsupportedBodyType } from './outgoing.js';
import { bodyRoom } from './request-size.js';
import { splitText } from './text-parts.js';

/** What a part of a text travels as. */
export interface PartBody {
  body: string;
  contentType: string;
}

/** How a part is written: `index` counts from 0, `last` is the text's last part. */
export type PartWrapper = (text: string, part: { index: number; last: boolean }) => PartBody;

export const plainText: PartWrapper = (text) => ({ body: text, contentType: CONTENT_TYPES.text });

/**
 * CPIM asking for IMDN (RFC 5438). Only the last part asks for notifications, under the message's
 * own id, so that its receipts name the message; the others carry ids of their own (`<id>.1`,
 * `<id>.2`, ...), the same at every try: a client drops a part it already has by its id.
 */
export function cpimParts(input: { from: string; to: string; messageId: string; date: Date }): PartWrapper {
  return (text, { index, last }) => ({
    contentType: CONTENT_TYPES.cpim,
    body: cpimWithImdn(last ? { ...input, text } : { ...input, text, messageId: `${input.messageId}.${index + 1}`, notify: false }),
  });
}

export interface OutgoingText extends Omit<OutgoingMessage, 'body' | 'contentType'> {
  text: string;
  /** Plain text by default. */
  wrap?: PartWrapper;
  /** The same for every try of one message to one recipient (the outbox's): the parts it accepted are not sent again. */
  key?: string;
}

/** Texts partly sent that wait for another try (the outbox has one in flight per recipient). */
const PARTLY_SENT_KEPT = 1_000;
/** The outbox gives up long before; after this, a try sends the text whole again. */
const PARTLY_SENT_TTL_MS = 24 * 3_600_000;
/**
 * The smallest part sent: a request whose headers leave less room (a display name and a hop marker
 * both at their longest) goes over 1300 bytes rather than as hundreds of MESSAGEs.
 */
export const MIN_PART_BYTES = 128;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

interface PartlySent {
  parts: string[];
  /** How many of `parts`, from the first, the recipient accepted. */
  sent: number;
}

export class SipTexts {
  private readonly partlySent = lruCache<string, PartlySent>(PARTLY_SENT_KEPT, { ttl: PARTLY_SENT_TTL_MS });

  constructor(private readonly messenger: Pick<SipMessenger, 'send' | 'frame'>) {}

  /** Sends a text as one MESSAGE, or as several in order when it does not fit in one; resolves once every part is accepted. */
  async send(input: OutgoingText): Promise<void> {
    const { text, wrap = plainText, key, ...request } = input;
    const whole = wrap(text, { index: 0, last: true });
    const frame = this.messenger.frame({ ...request, contentType: whole.contentType });
    const earlier = key ? this.partlySent.get(key) : undefined;
    // A text that fits goes as it always did; to no SIP URI (no frame), the messenger says why not.
    if (!frame || (!earlier && bytes(whole.body) <= bodyRoom(frame))) return this.messenger.send({ ...request, ...whole });
    // The wrapping of the part with the longest id (a part's index is below the text's byte count).
    const wrapping = Math.max(bytes(whole.body) - bytes(text), bytes(wrap('', { index: bytes(text) - 1, last: false }).body));
    const room = Math.max(MIN_PART_BYTES, bodyRoom(frame) - wrapping);
    // A part the recipient has is never cut again; the rest is fitted to the room of this try.
    const progress: PartlySent = earlier
      ? { parts: [...earlier.parts.slice(0, earlier.sent), ...earlier.parts.slice(earlier.sent).flatMap((part) => splitText(part, room))], sent: earlier.sent }
      : { parts: splitText(text, room), sent: 0 };
    const count = progress.parts.length;
    for (let index = progress.sent; index < count; index++) {
      try {
        await this.messenger.send({ ...request, ...wrap(progress.parts[index]!, { index, last: index === count - 1 }) });
      } catch (error) {
        const retryable = !(error instanceof NetworkError) || error.retryable;
        if (key && retryable && progress.sent > 0) this.partlySent.set(key, progress);
        else if (key) this.partlySent.delete(key);
        throw partFailed(error, index, count);
      }
      progress.sent = index + 1;
    }
    if (key) this.partlySent.delete(key);
  }
}

/** A part's failure as the text's, saying which part (a refused body type as it is: the caller tries another). */
function partFailed(error: unknown, index: number, count: number): unknown {
  if (!(error instanceof NetworkError) || error instanceof UnsupportedBodyType) return error;
  return new NetworkError(`${error.message} (part ${index + 1} of ${count})`, error.retryable, error.code);
}
