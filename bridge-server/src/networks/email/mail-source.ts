/**
 * What mailparser would read wrongly, set right in the source before it reads it: every part is
 * read as the charset its Content-Type names, else as UTF-8, and header fields as UTF-8 (RFC 6532).
 * - An HTML part whose Content-Type names no charset (a website's contact form sends such mail, on
 *   its own or with a file attached) says its charset in the page itself, `<meta charset>` or the
 *   `http-equiv` form (HTML, "Specifying the document's character encoding"): `Café` written in
 *   windows-1252 would come out `Caf\ufffd`. That charset goes into its Content-Type.
 * - A text part in `unknown-8bit` (RFC 1428: 8-bit text whose charset got lost on the way, as some
 *   gateways and old clients label it) is UTF-8 when its bytes are, else windows-1252.
 * - Header fields in raw 8-bit bytes that are not UTF-8 (older clients write a Latin-1 name or
 *   subject unencoded, against RFC 5322 section 2.2) are read in the charset of their part, else
 *   windows-1252, and handed over in UTF-8.
 * - In format=flowed text, a line the sender stuffed because it starts with `>` keeps a space
 *   before it, so it is not read as a quote, and an empty line ends the paragraph before it
 *   (flowed-lines.ts).
 * The rest of the source is handed over as it is.
 */

import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { decodeWindows1252 } from '../../util/windows-1252.js';
import { flowedForMailparser } from './flowed-lines.js';
import { transferDecoded } from './transfer-decoding.js';
import { firstHeader, headersOfText } from './mail-headers.js';

/** Bytes of the page searched for its charset: the HTML standard wants it within the first 1024. */
const SNIFFED_BYTES = 4096;
const META_CHARSET = /<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i;
/** The charset parameter of a Content-Type (RFC 2045 section 5.1), quoted or not. */
const CHARSET_PARAMETER = /charset\s*=\s*(?:"([^"]*)"|([^\s;]+))/i;
/** Labels of a charset that got lost (RFC 1428's, and what some software writes for it). */
const UNKNOWN_CHARSET = /^(?:unknown-8bit|x-unknown|unknown)$/i;
/** A plain text part in format=flowed (RFC 3676 section 4.1). */
const FLOWED_TEXT = /^\s*text\/plain\b[^]*;\s*format\s*=\s*"?flowed"?/i;
/** The Content-Type header field with its folded lines. */
const CONTENT_TYPE_FIELD = /^content-type\s*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/im;
/** Text parts whose bytes are looked at for an unknown charset, at most (the rest follows them). */
const SNIFFED_TEXT_BYTES = 256 * 1024;

/** Multipart nesting followed at most (a mail's parts hold its parts: mixed, alternative, related). */
const MAX_DEPTH = 4;
/** Parts of one multipart looked at at most. */
const MAX_PARTS = 100;

/** The source with each part's charset, header fields and flowed lines as mailparser reads them right. */
export function readableSource(raw: Buffer): Buffer {
  try {
    return withCharsets(raw, 0);
  } catch {
    return raw;
  }
}

function withCharsets(raw: Buffer, depth: number): Buffer {
  // A part that starts with its empty line has no header: plain text (RFC 2046 section 5.1).
  if (raw[0] === 0x0d || raw[0] === 0x0a) return raw;
  const split = headerEnd(raw);
  if (!split) return raw;
  const headBytes = raw.subarray(0, split.at);
  const head = headBytes.toString('latin1');
  const headers = headersOfText(head);
  const contentType = firstHeader(headers, 'content-type') ?? '';
  const declared = CHARSET_PARAMETER.exec(contentType);
  const declaredCharset = declared ? (declared[1] ?? declared[2])!.trim() : undefined;
  const boundary = /^\s*multipart\//i.test(contentType) ? /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType) : null;
  // The empty line and the body; a multipart's with each of its parts seen to.
  let rest = raw.subarray(split.at);
  let charset: string | undefined;
  if (boundary) {
    if (depth < MAX_DEPTH) rest = withPartCharsets(raw, split.at, split.at + split.length, boundary[1] ?? boundary[2]!, depth);
  } else {
    const body = raw.subarray(split.at + split.length);
    const encoding = firstHeader(headers, 'content-transfer-encoding')?.trim().toLowerCase();
    charset = charsetToSet(contentType, declaredCharset, encoding, body);
    if (FLOWED_TEXT.test(contentType)) {
      const kept = flowedForMailparser(body, encoding);
      if (kept !== body) rest = Buffer.concat([raw.subarray(split.at, split.at + split.length), kept]);
    }
  }
  // The Content-Type header (with its folded lines) as one line, the charset set.
  const withCharset = charset
    ? Buffer.from(
        head.replace(CONTENT_TYPE_FIELD, (field) => {
          const line = field.replace(/\r?\n[ \t]+/g, ' ').trimEnd();
          return declared ? line.replace(CHARSET_PARAMETER, `charset=${charset}`) : `${line}; charset=${charset}`;
        }),
        'latin1',
      )
    : headBytes;
  const utf8Head = inUtf8(withCharset, charset ?? declaredCharset);
  if (utf8Head === headBytes && rest.byteOffset === split.at + raw.byteOffset && rest.length === raw.length - split.at) return raw;
  return Buffer.concat([utf8Head, rest]);
}

/** The charset a leaf part's Content-Type should name, when it names none that reads it right. */
function charsetToSet(contentType: string, declared: string | undefined, encoding: string | undefined, body: Buffer): string | undefined {
  if (declared !== undefined && UNKNOWN_CHARSET.test(declared) && /^\s*text\//i.test(contentType)) {
    const text = transferDecoded(body.subarray(0, SNIFFED_TEXT_BYTES * 2), encoding);
    const head = text.length > SNIFFED_TEXT_BYTES ? wholeCharacters(text.subarray(0, SNIFFED_TEXT_BYTES)) : text;
    return isUtf8(head) ? 'utf-8' : 'windows-1252';
  }
  if (declared !== undefined || !/^\s*text\/html\b/i.test(contentType)) return undefined;
  const page = transferDecoded(body.subarray(0, SNIFFED_BYTES * 2), encoding)
    .subarray(0, SNIFFED_BYTES)
    .toString('latin1');
  const charset = META_CHARSET.exec(page)?.[1];
  return charset && !/^utf-?8$/i.test(charset) ? charset : undefined;
}

/** Bytes cut short, without the character the cut may have split: that is no reason to think them another charset. */
function wholeCharacters(bytes: Buffer): Buffer {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = bytes[end - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (byte >= 0xc0) end -= back; // a lead byte whose character may be cut: leave it out
    break;
  }
  return bytes.subarray(0, end);
}

/** Header bytes in UTF-8: as they are when they are UTF-8 already (or ASCII), else read in `charset` (windows-1252 when it is none the decoder knows). */
function inUtf8(head: Buffer, charset: string | undefined): Buffer {
  if (isUtf8(head)) return head;
  return Buffer.from(legacyDecoded(head, charset), 'utf8');
}

function legacyDecoded(bytes: Buffer, charset: string | undefined): string {
  if (charset && !UNKNOWN_CHARSET.test(charset) && !/^(?:utf-?8|us-ascii|ascii)$/i.test(charset)) {
    try {
      const decoder = new TextDecoder(charset);
      // Node's own reads 0x80-0x9F as C1 controls, not as the WHATWG table's quotes and euro (util/windows-1252.ts).
      if (decoder.encoding !== 'windows-1252') return decoder.decode(bytes);
    } catch {
      // a label the decoder does not know
    }
  }
  return decodeWindows1252(bytes);
}

/**
 * A multipart's body with each of its parts seen to (RFC 2046 section 5.1.1: a part runs from the
 * line after a delimiter line, `--boundary`, to the line break before the next); the delimiters,
 * preamble and epilogue as they are.
 */
function withPartCharsets(raw: Buffer, from: number, bodyStart: number, boundary: string, depth: number): Buffer {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const out: Buffer[] = [];
  let copiedTo = from;
  let at = raw.indexOf(delimiter, bodyStart);
  for (let parts = 0; at >= 0 && parts < MAX_PARTS; parts++) {
    if (at > bodyStart && raw[at - 1] !== 0x0a) {
      at = raw.indexOf(delimiter, at + 1);
      continue;
    }
    const lineEnd = raw.indexOf(0x0a, at);
    if (lineEnd < 0 || raw.subarray(at + delimiter.length, at + delimiter.length + 2).toString('latin1') === '--') break;
    const partStart = lineEnd + 1;
    let next = raw.indexOf(delimiter, partStart);
    while (next > partStart && raw[next - 1] !== 0x0a) next = raw.indexOf(delimiter, next + 1);
    if (next < 0) break;
    out.push(raw.subarray(copiedTo, partStart), withCharsets(raw.subarray(partStart, next), depth + 1));
    copiedTo = next;
    at = next;
  }
  out.push(raw.subarray(copiedTo));
  return Buffer.concat(out);
}

/** Where the header ends (the empty line) and how long that line break is. */
function headerEnd(raw: Buffer): { at: number; length: number } | undefined {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  return lf >= 0 ? { at: lf, length: 2 } : undefined;
}
