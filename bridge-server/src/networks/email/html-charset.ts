/**
 * An HTML part whose Content-Type names no charset (a website's contact form sends such mail, on
 * its own or with a file attached) says its charset in the page itself, `<meta charset>` or the
 * `http-equiv` form (HTML, "Specifying the document's character encoding"). mailparser reads a part
 * without a charset as UTF-8, so `Café` written in windows-1252 would come out `Caf�`. The source
 * is handed over with the page's charset in each such part's Content-Type; the rest as it is.
 */

import { firstHeader, headersOfText } from './mail-headers.js';

/** Bytes of the page searched for its charset: the HTML standard wants it within the first 1024. */
const SNIFFED_BYTES = 4096;
const META_CHARSET = /<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i;

/** Multipart nesting followed at most (a mail's parts hold its parts: mixed, alternative, related). */
const MAX_DEPTH = 4;
/** Parts of one multipart looked at at most. */
const MAX_PARTS = 100;

/** The source with the charset each HTML page among its parts declares in its Content-Type. */
export function withDeclaredHtmlCharset(raw: Buffer): Buffer {
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
  const head = raw.subarray(0, split.at).toString('latin1');
  const headers = headersOfText(head);
  const contentType = firstHeader(headers, 'content-type');
  if (!contentType) return raw;
  const boundary = /^\s*multipart\//i.test(contentType) ? /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType) : null;
  if (boundary) return depth < MAX_DEPTH ? withPartCharsets(raw, split.at + split.length, boundary[1] ?? boundary[2]!, depth) : raw;
  if (!/^\s*text\/html\b/i.test(contentType) || /charset\s*=/i.test(contentType)) return raw;
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
}

/**
 * A multipart's body with each of its parts seen to (RFC 2046 section 5.1.1: a part runs from the
 * line after a delimiter line, `--boundary`, to the line break before the next); the delimiters,
 * preamble and epilogue as they are.
 */
function withPartCharsets(raw: Buffer, bodyStart: number, boundary: string, depth: number): Buffer {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const out: Buffer[] = [];
  let copiedTo = 0;
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
