/**
 * Corrections as people read them (`Message.corrects`, docs/protocol.md): a correction of an
 * earlier message (XMPP's XEP-0308) takes that message's place, with the latest correction's text
 * and files, marked edited; it is not shown again as a message of its own. A correction whose
 * original is not loaded (an earlier page) shows where it is, marked edited too. The widget and the
 * console show messages through it.
 */
import type { Message } from '@switchboard/protocol';

export interface ShownMessage {
  /** The message in its place: an original with its latest correction's text and files. */
  message: Message;
  /** The text shown is a correction's. */
  edited: boolean;
  /** The original's own text, when a correction stands in its place. */
  originalText?: string;
}

/** `messages` (in seq order) as shown. */
export function withCorrections(messages: readonly Message[]): ShownMessage[] {
  const ids = new Set(messages.map((message) => message.id));
  const latest = new Map<string, Message>();
  for (const message of messages) if (message.corrects !== undefined && ids.has(message.corrects)) latest.set(message.corrects, message);
  if (latest.size === 0) return messages.map((message) => ({ message, edited: message.corrects !== undefined }));
  const shown: ShownMessage[] = [];
  for (const message of messages) {
    if (message.corrects !== undefined && ids.has(message.corrects)) continue;
    const correction = latest.get(message.id);
    if (!correction) shown.push({ message, edited: message.corrects !== undefined });
    else {
      const { attachments: _replaced, ...rest } = message;
      shown.push({
        message: { ...rest, text: correction.text, ...(correction.attachments ? { attachments: correction.attachments } : {}) },
        edited: true,
        originalText: message.text,
      });
    }
  }
  return shown;
}
