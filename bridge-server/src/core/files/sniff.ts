/**
 * The media type of a file, found in its content (docs/protocol.md, "Files"): binary formats by
 * their signatures (file-type), markup a browser would run (HTML, SVG) by its opening, other text
 * as `text/plain` (UTF-8; UTF-16 with its byte order mark; or a legacy single-byte text, such as a
 * spreadsheet's CSV export on Windows), anything else `application/octet-stream`. Neither the name's extension
 * nor the uploader's `Content-Type` is ever consulted.
 */
import { textCharset, utf16Marked } from '../../util/text-charset.js';

/** Bytes of a file's beginning that decide its type. */
export const SNIFF_BYTES = 64 * 1024;

/** What browsers take for HTML at a document's start (WHATWG MIME sniffing, "rules for identifying an unknown MIME type"). */
const HTML_OPENING = /^<(?:(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p)[\s>]|!--)/i;
/** XHTML: an XML declaration (and comments) before the html element or its doctype. */
const XHTML_OPENING = /^<\?xml[^>]*>\s*(?:<!--(?:(?!-->)[\s\S])*-->\s*)*<(?:!doctype\s+html|html)[\s>]/i;
/** An SVG document: `<svg`, possibly after an XML declaration, comments and a doctype. */
const SVG_OPENING = /^(<\?xml[^>]*>\s*)?(<!--(?:(?!-->)[\s\S])*-->\s*)*(<!doctype\s+svg[^>]*>\s*)?(<!--(?:(?!-->)[\s\S])*-->\s*)*<svg[\s>/]/i;

/** The type of a file from its first bytes (at most `SNIFF_BYTES`); `complete` when `head` is the whole file. */
export async function sniffType(head: Buffer, complete: boolean): Promise<string> {
  return (await sniff(head, complete)).type;
}

/** The type found, and the extension a file of that type has (`png`, `txt`, `bin`). */
export interface Sniffed {
  type: string;
  extension: string;
}

const TEXT: Sniffed = { type: 'text/plain', extension: 'txt' };

/** As `sniffType`, with the type's usual extension. */
export async function sniff(head: Buffer, complete: boolean): Promise<Sniffed> {
  const markup = markupType(head);
  if (markup) return { type: markup, extension: markup === 'text/html' ? 'html' : 'svg' };
  // A UTF-16 byte order mark is an MPEG audio frame's sync word too (file-type finds audio/mpeg).
  if (utf16Marked(head) && textCharset(head, complete)) return TEXT;
  // Loaded with the first file rather than at start-up.
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(head);
  // file-type names any XML `application/xml`: XML that is not markup a browser runs is text.
  if (found && found.mime !== 'application/xml') return { type: found.mime, extension: found.ext };
  return textCharset(head, complete) ? TEXT : { type: 'application/octet-stream', extension: 'bin' };
}

/** `text/html` or `image/svg+xml` when the content opens as such markup (after a BOM and blank space). */
function markupType(head: Buffer): string | undefined {
  const start = head
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (SVG_OPENING.test(start)) return 'image/svg+xml';
  if (HTML_OPENING.test(start) || XHTML_OPENING.test(start)) return 'text/html';
  return undefined;
}
