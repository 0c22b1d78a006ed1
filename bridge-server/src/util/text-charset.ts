/**
 * The charset of a text file, found in its bytes: what the bridge serves and mails text files in
 * (`Content-Type: text/plain; charset=...`), and what tells text from binary data when sniffing.
 * https://encoding.spec.whatwg.org/
 */

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
  if (isUtf8Text(head, complete)) return 'utf-8';
  const marked = utf16Marked(head);
  if (marked) return isUtf16Text(head, marked, complete) ? marked : undefined;
  return LEGACY_BINARY_BYTE.test(head.toString('latin1')) ? undefined : 'windows-1252';
}

/** The UTF-16 its byte order mark says the bytes are in, if they start with one. */
export function utf16Marked(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const utf16 = { 'utf-16le': new TextDecoder('utf-16le', { fatal: true }), 'utf-16be': new TextDecoder('utf-16be', { fatal: true }) };
/** Control characters binary data has and text does not (tab, line breaks, form feed and escape are text). */
const BINARY_CHARACTER = /[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F\u007F]/;
/** The same as single bytes, with those windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D). */
const LEGACY_BINARY_BYTE = /[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F\u007F\u0081\u008D\u008F\u0090\u009D]/;

/**
 * Valid UTF-8 without the control characters of binary data (tab, line breaks, form feed and
 * escape are text). A head cut inside a character is still text.
 */
function isUtf8Text(head: Buffer, complete: boolean): boolean {
  let bytes = head;
  if (!complete) {
    // Drop a character the cut split: up to 3 trailing bytes of an unfinished sequence.
    let end = bytes.length;
    for (let back = 1; back <= 3 && end - back >= 0; back++) {
      const byte = bytes[end - back]!;
      if ((byte & 0xc0) === 0x80) continue;
      if (byte >= 0xc0) end -= back;
      break;
    }
    bytes = bytes.subarray(0, end);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return false;
  }
  return !BINARY_CHARACTER.test(text);
}

/** UTF-16 after its byte order mark, without binary control characters; a head cut inside a character (or a pair) is still text. */
function isUtf16Text(head: Buffer, charset: 'utf-16le' | 'utf-16be', complete: boolean): boolean {
  let end = head.length;
  if (!complete) {
    end -= end % 2;
    const unitAt = (at: number) => (charset === 'utf-16le' ? head.readUInt16LE(at) : head.readUInt16BE(at));
    // A high surrogate last: the pair's second half was cut off.
    if (end >= 4 && unitAt(end - 2) >= 0xd800 && unitAt(end - 2) <= 0xdbff) end -= 2;
  }
  try {
    return !BINARY_CHARACTER.test(utf16[charset].decode(head.subarray(2, end)));
  } catch {
    return false;
  }
}
