/**
 * A mail that is one HTML part whose Content-Type names no charset (a website's contact form sends
 * such mail) says its charset in the page itself, `<meta charset>` or the `http-equiv` form (HTML,
 * "Specifying the document's character encoding"). mailparser reads a part without a charset as
 * UTF-8, so `Café` written in windows-1252 would come out `Caf�`. The source is handed over with
 * the page's charset in its Content-Type; any other source as it is.
 */

import { firstHeader, headersOfText } from './mail-headers.js';

/** Bytes of the page searched for its charset: the HTML standard wants it within the first 1024. */
const SNIFFED_BYTES = 4096;
const META_CHARSET = /<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i;

/** The source with the charset its only part, an HTML page, declares in its Content-Type. */
export function withDeclaredHtmlCharset(raw: Buffer): Buffer {
  try {
    const split = headerEnd(raw);
    if (!split) return raw;
    const head = raw.subarray(0, split.at).toString('latin1');
    const headers = headersOfText(head);
    const contentType = firstHeader(headers, 'content-type');
    if (!contentType || !/^\s*text\/html\b/i.test(contentType) || /charset\s*=/i.test(contentType)) return raw;
    const encoding = firstHeader(headers, 'content-transfer-encoding')?.trim().toLowerCase();
    const body = raw.subarray(split.at + split.length);
    const page = decoded(body.subarray(0, SNIFFED_BYTES * 2), encoding)
      .subarray(0, SNIFFED_BYTES)
      .toString('latin1');
    const charset = META_CHARSET.exec(page)?.[1];
    if (!charset || /^utf-?8$/i.test(charset)) return raw;
    // The Content-Type header (with its folded lines) as one line, the charset added.
    const withCharset = head.replace(
      /^content-type\s*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/im,
      (line) => `${line.replace(/\r?\n[ \t]+/g, ' ').trimEnd()}; charset=${charset}`,
    );
    return Buffer.concat([Buffer.from(withCharset, 'latin1'), raw.subarray(split.at)]);
  } catch {
    return raw;
  }
}

/** Where the header ends (the empty line) and how long that line break is. */
function headerEnd(raw: Buffer): { at: number; length: number } | undefined {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  return lf >= 0 ? { at: lf, length: 2 } : undefined;
}

/** The start of a body as bytes, its transfer encoding undone (RFC 2045 section 6). */
function decoded(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding !== 'quoted-printable') return body;
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  return Buffer.from(
    text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}
