/**
 * What a conversation's log shows, in order: its messages by seq (a correction in the place of the
 * message it corrects, `withCorrections`), each private note right after the message it was
 * written after (`afterSeq`), the sends still in the outbox last, and a day separator wherever the
 * local date changes.
 */
import { type Message, type OutboxEntry, withCorrections } from '@switchboard/sdk';
import type { Note } from './desk-api.js';

export type LogEntry =
  | { kind: 'day'; key: string; date: Date }
  | { kind: 'message'; key: string; message: Message; edited?: boolean; originalText?: string; deleted?: true }
  | { kind: 'note'; key: string; note: Note }
  | { kind: 'pending'; key: string; entry: OutboxEntry };

const dayOf = (date: Date) => `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;

/**
 * `firstSeq`: the oldest message loaded (1 or less once the whole history is); notes written
 * before it wait until the messages around them are loaded.
 */
export function logEntries(messages: readonly Message[], notes: readonly Note[], pending: readonly OutboxEntry[], firstSeq: number): LogEntry[] {
  const sortedNotes = [...notes]
    .filter((note) => note.afterSeq >= firstSeq - 1)
    .sort((a, b) => a.afterSeq - b.afterSeq || a.createdAt.localeCompare(b.createdAt));
  const sortedMessages = [...messages].sort((a, b) => a.seq - b.seq);
  const ordered: { at: Date; entry: LogEntry }[] = [];
  let n = 0;
  const notesUpTo = (seq: number) => {
    for (; n < sortedNotes.length && sortedNotes[n]!.afterSeq <= seq; n++) {
      const note = sortedNotes[n]!;
      ordered.push({ at: new Date(note.createdAt), entry: { kind: 'note', key: `n:${note.id}`, note } });
    }
  };
  for (const { message, edited, originalText, deleted } of withCorrections(sortedMessages)) {
    notesUpTo(message.seq - 1);
    const corrected = deleted ? { deleted } : edited ? { edited, ...(originalText !== undefined ? { originalText } : {}) } : {};
    ordered.push({ at: new Date(message.sentAt), entry: { kind: 'message', key: `m:${message.id}`, message, ...corrected } });
  }
  notesUpTo(Number.POSITIVE_INFINITY);
  for (const entry of pending) ordered.push({ at: new Date(entry.createdAt), entry: { kind: 'pending', key: `p:${entry.clientId}`, entry } });
  const result: LogEntry[] = [];
  let day = '';
  for (const { at, entry } of ordered) {
    const thisDay = dayOf(at);
    if (thisDay !== day) result.push({ kind: 'day', key: `d:${thisDay}`, date: at });
    day = thisDay;
    result.push(entry);
  }
  return result;
}
