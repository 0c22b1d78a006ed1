/**
 * What the sender of a message is told when the site refused some of the files it brought (too
 * large, a type the site does not take): the core says each refused file as one of the last lines
 * of the stored text (`[file not accepted: name: reason]`, docs/networks.md, `message`), which the
 * agents read, so the sender hears the same reasons, and that their words went through.
 */
import type { Message } from '@switchboard/protocol';

/** The notice for a message stored with fewer of the `sent` files than it brought; undefined when it took them all. */
export function refusedFilesNotice(stored: Pick<Message, 'text' | 'attachments'>, sent: number): string | undefined {
  const refused = sent - (stored.attachments?.length ?? 0);
  if (refused <= 0) return undefined;
  const lines = stored.text.split('\n');
  const reasons = lines.slice(-refused).map((line) => line.replace(/^\[file not accepted: (.*)\]$/, 'File not accepted: $1'));
  const words = lines.slice(0, -refused).some((line) => line.trim().length > 0);
  const what = refused === 1 ? 'The file was' : 'These files were';
  return `${reasons.join('. ')}. ${what} not delivered${words ? '; your words were' : ''}.`;
}
