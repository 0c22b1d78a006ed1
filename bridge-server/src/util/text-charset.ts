/**
 * The charset of a text file, found in its bytes: what the bridge serves and mails text files in
 * (`Content-Type: text/plain; charset=...`), and what tells text from binary data when sniffing.
 * https://encoding.spec.whatwg.org/
 */
import { TextDecoder } from 'node:util';

/** The charset a text file is served and mailed in (`Content-Type: text/plain; charset=...`). */
export type TextCharset = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * The charset of text from its first bytes (`complete`: the whole file); undefined when they are
 * not text. UTF-16 is known by its byte order mark only. Bytes that are neither UTF-8 nor UTF-16
 * but hold no control character are a legacy single-byte text, taken as windows-1252 (what the
 * WHATWG Encoding standard reads ISO-8859-1 as, and browsers' default for unlabelled text in most
 * locales).
 */
export function textCharset(head: Buffer, complete: boolean): TextCharset | undefined {
  const reader = new CharsetReader();
  reader.feed(head);
  return complete ? reader.end() : reader.partial();
}

/** The UTF-16 its byte order mark says the bytes are in, if they start with one. */
export function utf16Marked(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** Control characters binary data has and text does not (tab, line breaks, form feed and escape are text). */
const BINARY_CHARACTER = /[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F\u007F]/;
/** The same as single bytes, with those windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D). */
const LEGACY_BINARY_BYTE = /[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F\u007F\u0081\u008D\u008F\u0090\u009D]/;

/**
 * `textCharset` over bytes that come in pieces (a whole file read as a stream): `feed` each piece,
 * then `end()` once all came, or `partial()` for bytes cut short (a character cut at the end is
 * still text).
 */
export class CharsetReader {
  /** The first bytes, until there are two: the byte order mark. */
  private held: Buffer | undefined = Buffer.alloc(0);
  private utf8: TextDecoder | undefined = new TextDecoder('utf-8', { fatal: true });
  private utf16: { charset: 'utf-16le' | 'utf-16be'; decoder: TextDecoder | undefined } | undefined;
  private legacy = true;

  feed(piece: Buffer): void {
    let bytes = piece;
    if (this.held !== undefined) {
      bytes = Buffer.concat([this.held, piece]);
      if (bytes.length < 2) {
        this.held = bytes;
        return;
      }
      this.began(bytes);
    }
    this.read(bytes, true);
  }

  /** All bytes came: their charset, or undefined when they are no text. */
  end(): TextCharset | undefined {
    this.flushHeld();
    this.read(Buffer.alloc(0), false);
    return this.verdict();
  }

  /** The bytes were cut short: their charset so far. */
  partial(): TextCharset | undefined {
    this.flushHeld();
    return this.verdict();
  }

  private began(bytes: Buffer): void {
    this.held = undefined;
    const charset = utf16Marked(bytes);
    // The mark is read (and dropped) by the decoder itself.
    if (charset) this.utf16 = { charset, decoder: new TextDecoder(charset, { fatal: true }) };
  }

  private flushHeld(): void {
    if (this.held === undefined) return;
    const bytes = this.held;
    this.began(bytes);
    this.read(bytes, true);
  }

  private read(bytes: Buffer, more: boolean): void {
    if (this.utf8 && !stillText(this.utf8, bytes, more)) this.utf8 = undefined;
    if (this.utf16?.decoder && !stillText(this.utf16.decoder, bytes, more)) this.utf16.decoder = undefined;
    if (this.legacy && LEGACY_BINARY_BYTE.test(bytes.toString('latin1'))) this.legacy = false;
  }

  private verdict(): TextCharset | undefined {
    if (this.utf8) return 'utf-8';
    if (this.utf16) return this.utf16.decoder ? this.utf16.charset : undefined;
    return this.legacy ? 'windows-1252' : undefined;
  }
}

/** Decodes the next bytes (`more`: others follow); false when they are no text in the decoder's charset. */
function stillText(decoder: TextDecoder, bytes: Buffer, more: boolean): boolean {
  try {
    return !BINARY_CHARACTER.test(decoder.decode(bytes, { stream: more }));
  } catch {
    return false;
  }
}
