/**
 * Files as text, for networks that carry only text (IRC, SIP MESSAGE) and as the readable fallback
 * of those that carry links (an XMPP body beside its out-of-band element): one line per file with
 * its name, size and a signed link the recipient opens (docs/protocol.md, "Files").
 */
import { type Address, type Attachment, readableSize } from '@switchboard/protocol';
import type { NetworkFiles } from '../network.js';

/** One file's line: `[file] report.pdf (1.2 MB): <link>`. */
export function fileLine(file: Attachment, link: string): string {
  return `[file] ${file.name} (${readableSize(file.size)}): ${link}`;
}

/** The message's text followed by one line per file (links signed for `recipient`); the text alone without files. */
export function textWithFileLinks(text: string, files: readonly Attachment[] | undefined, links: NetworkFiles | undefined, recipient: Address): string {
  if (!files || files.length === 0) return text;
  const lines = files.map((file) =>
    links
      ? fileLine(file, links.link(file, recipient))
      : `[file] ${file.name} (${readableSize(file.size)}): not reachable from here (the bridge has no server.publicUrl)`,
  );
  return text.trim().length > 0 ? `${text}\n${lines.join('\n')}` : lines.join('\n');
}
