/**
 * Corrections as people read them (`Message.corrects`, docs/protocol.md): a correction of an
 * earlier message (XMPP's XEP-0308) takes that message's place, with the latest correction's text
 * and files, marked edited; it is not shown again as a message of its own. A correction whose
 * original is not loaded (an earlier page) shows where it is, marked edited too. A retraction (a
 * correction with no text and no files, XMPP's XEP-0424) leaves the message's place marked deleted,
 * its text and files gone; one whose original is not loaded shows nothing. The bridge empties the
 * message a retraction took back: loaded without its retraction (a page that ends between them),
 * it shows as deleted too. The widget and the console show messages through it.
 */
import { type Message, isRetraction, saysNothing } from '@switchboard/protocol';

export interface ShownMessage {
  /** The message in its place: an original with its latest correction's text and files (none once deleted). */
  message: Message;
  /** The text shown is a correction's. */
  edited: boolean;
  /** The original's own text, when a correction stands in its place (not when it was taken back). */
  originalText?: string;
  /** The sender took the message back: its place shows that, not its text. */
  deleted?: true;
}

/** `messages` (in seq order) as shown. */
export function withCorrections(messages: readonly Message[]): ShownMessage[] {
  const ids = new Set(messages.map((message) => message.id));
  const latest = new Map<string, Message>();
  for (const message of messages) if (message.corrects !== undefined && ids.has(message.corrects)) latest.set(message.corrects, message);
  const shown: ShownMessage[] = [];
  for (const message of messages) {
    if (message.corrects !== undefined && (ids.has(message.corrects) || isRetraction(message))) continue;
    const correction = latest.get(message.id);
    if (!correction) {
      shown.push(saysNothing(message) ? { message, edited: false, deleted: true } : { message, edited: message.corrects !== undefined });
      continue;
    }
    const { attachments: _replaced, ...rest } = message;
    if (isRetraction(correction)) shown.push({ message: { ...rest, text: '' }, edited: false, deleted: true });
    else {
      shown.push({
        message: { ...rest, text: correction.text, ...(correction.attachments ? { attachments: correction.attachments } : {}) },
        edited: true,
        originalText: message.text,
      });
    }
  }
  return shown;
}
