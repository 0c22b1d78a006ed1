/**
 * Files as text, for networks that carry only text (IRC, SIP MESSAGE) and as the readable fallback
 * of those that carry links (an XMPP body beside its out-of-band element): one line per file with
 * its name, size and a signed link the recipient opens (docs/protocol.md, "Files").
 */
import { type Address, type Attachment, readableSize } from '@switchboard/protocol';
import type { NetworkFiles } from '../network.js';

/** One file's line: `[file] report.pdf (1.2 MB): <link>`. */
export function fileLine(file: Attachment, link: string, name = file.name): string {
  return `[file] ${name} (${readableSize(file.size)}): ${link}`;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * A file's name cut to `maxBytes` of UTF-8 for a line that must stay one line (IRC's 512 bytes):
 * its start (whole characters), `…`, and its extension, so the reader still sees what kind of file
 * it is. The link serves the file under its whole name.
 */
export function shortFileName(name: string, maxBytes: number): string {
  if (utf8Bytes(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  let room = maxBytes - utf8Bytes(`\u2026${extension}`);
  let start = '';
  for (const character of name) {
    room -= utf8Bytes(character);
    if (room < 0) break;
    start += character;
  }
  return `${start}\u2026${extension}`;
}

/**
 * The message's text followed by one line per file (links signed for `recipient`); the text alone
 * without files. `nameOf` gives the name a line shows (the whole name by default).
 */
export function textWithFileLinks(
  text: string,
  files: readonly Attachment[] | undefined,
  links: NetworkFiles | undefined,
  recipient: Address,
  nameOf: (file: Attachment) => string = (file) => file.name,
): string {
  if (!files || files.length === 0) return text;
  const lines = files.map((file) =>
    links
      ? fileLine(file, links.link(file, recipient), nameOf(file))
      : `[file] ${nameOf(file)} (${readableSize(file.size)}): not reachable from here (the bridge has no server.publicUrl)`,
  );
  return text.trim().length > 0 ? `${text}\n${lines.join('\n')}` : lines.join('\n');
}
