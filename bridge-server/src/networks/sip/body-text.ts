/**
 * MESSAGE bodies that are the message's text (RFC 3428 section 9: the body is the message, of any
 * MIME type): `text/plain`, and `text/html`, which Jitsi and Skype for Business (Lync) send for
 * formatted messages, made plain text as the bridge's mail is. Decoded by their `charset`
 * parameter (RFC 2046 section 4.1.2) when TextDecoder knows it, else as UTF-8.
 */
import { htmlToText } from '../email/mail-text.js';
import { decodeWindows1252 } from '../../util/windows-1252.js';

/** Whether a body of this media type (lowercased, no parameters) is text for the conversation. */
export function isTextBody(type: string): boolean {
  return type === 'text/plain' || type === 'text/html';
}

/** The `charset` parameter of a Content-Type (`text/plain; charset="iso-8859-1"`), if any. */
function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  return (match?.[1] ?? match?.[2])?.trim() || undefined;
}

/**
 * The bytes as text in `charset` (WHATWG Encoding labels: `iso-8859-1` reads as windows-1252, as
 * browsers do). UTF-8 when none is given or TextDecoder does not know it (it throws RangeError).
 * A UTF-16 byte-order mark is no text: it is dropped, and `utf-16` whose mark says big-endian is
 * read so (RFC 2781 section 4.3; the label alone means little-endian to TextDecoder).
 */
function decoded(bytes: Buffer, charset: string | undefined): string {
  if (charset) {
    try {
      const bigEndian = /^utf-16$/i.test(charset) && bytes[0] === 0xfe && bytes[1] === 0xff;
      const decoder = new TextDecoder(bigEndian ? 'utf-16be' : charset);
      if (decoder.encoding === 'windows-1252') return decodeWindows1252(bytes); // Node's is Latin-1 (windows-1252.ts)
      if (decoder.encoding !== 'utf-8') return decoder.decode(bytes);
    } catch {
      // An unknown charset: read as the UTF-8 it most likely is.
    }
  }
  // A UTF-8 byte order mark is no character of the text (as a TextDecoder reads it, WHATWG Encoding).
  const text = bytes.toString('utf8');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

/** The text of a body that `isTextBody`: decoded by its charset, HTML as plain text. */
export function readTextBody({ type, contentType, bytes }: { type: string; contentType: string; bytes: Buffer }): string {
  const text = decoded(bytes, charsetOf(contentType));
  return type === 'text/html' ? htmlToText(text) : text;
}
