/**
 * The media type of a file, found in its content (docs/protocol.md, "Files"): binary formats by
 * their signatures (file-type), markup a browser would run (HTML, SVG) by its opening, other UTF-8
 * text as `text/plain`, anything else `application/octet-stream`. Neither the name's extension
 * nor the uploader's `Content-Type` is ever consulted.
 */

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
  const markup = markupType(head);
  if (markup) return markup;
  // Loaded with the first file rather than at start-up.
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(head);
  // file-type names any XML `application/xml`: XML that is not markup a browser runs is text.
  if (found && found.mime !== 'application/xml') return found.mime;
  return isUtf8Text(head, complete) ? 'text/plain' : 'application/octet-stream';
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

const decoder = new TextDecoder('utf-8', { fatal: true });

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
  return !/[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F\u007F]/.test(text);
}
