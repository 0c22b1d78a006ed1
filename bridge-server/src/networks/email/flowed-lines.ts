/**
 * The lines of a format=flowed text part (RFC 3676) that mailparser's decoding reads wrong, set
 * right in the source:
 * - Section 4.4: a sender space-stuffs every line that starts with a space, `From ` or `>`, so a
 *   line the person typed as `> 5 tents` travels as ` > 5 tents`, while quoted lines travel
 *   unstuffed (`> We ship on Monday.`). mailparser takes the stuffing off before the text is read
 *   for quotes, and both then look alike: the person's own line would be cut as a quote. Such a
 *   line gets STUFFED_LINE_MARK after its stuffing, so it starts with the mark once mailparser took
 *   the stuffing off: the quote cutter (mail-text.ts) takes the line for the person's, then drops
 *   the mark, and the line reads as typed.
 * - Section 4.2: an empty line is a fixed line, so it ends the paragraph before it. mailparser
 *   joins the flowed line before it with the line after it (`Para one ` + `` + `Para two` comes
 *   out `Para one Para two`), and a reply's `On ... wrote:` then ends the customer's sentence,
 *   out of the quote cutter's sight. The flowed line's closing spaces, which only said it flows
 *   on, are dropped: it is the fixed line it is.
 */

import { transferDecoded } from './transfer-decoding.js';

/**
 * Marks a stuffed line for the quote cutter: ASCII SUB, a control character no text holds, which
 * the charsets mail uses all write as this one byte.
 */
export const STUFFED_LINE_MARK = '\u001a';

/** A line of the body that starts with a space and `>`. */
const STUFFED_QUOTE_MARK = /(^|\n) >/g;
/** A line's closing spaces (`=20` or `=09` in quoted-printable) before an empty line. */
const FLOWED_BEFORE_EMPTY = /[ \t]+(\r?\n)(?=\r?\n)/g;
const FLOWED_BEFORE_EMPTY_QP = /(?:[ \t]|=20|=09)+(\r?\n)(?=\r?\n)/gi;

/** Base64 lines as RFC 2045 section 6.8 writes them: at most 76 characters. */
const BASE64_LINE = /.{1,76}/g;

/**
 * The body of a format=flowed text part with those lines set right: in lines as sent (7bit, 8bit,
 * binary), or quoted-printable, whose line after a soft line break (`=` at the end of the one
 * before, RFC 2045 section 6.7) goes on the same line and is left alone. Base64 (which some
 * clients use for text that is not ASCII) is decoded, set right and encoded again.
 */
export function flowedForMailparser(body: Buffer, transferEncoding: string | undefined): Buffer {
  if (transferEncoding === 'base64') {
    const lines = transferDecoded(body, 'base64');
    const set = flowedForMailparser(lines, 'binary');
    if (set === lines) return body;
    const lineBreak = body.includes('\r\n') ? '\r\n' : '\n';
    return Buffer.from(`${set.toString('base64').match(BASE64_LINE)?.join(lineBreak) ?? ''}${lineBreak}`, 'latin1');
  }
  const quotedPrintable = transferEncoding === 'quoted-printable';
  if (!quotedPrintable && transferEncoding !== undefined && !['7bit', '8bit', 'binary'].includes(transferEncoding)) return body;
  const text = body.toString('latin1');
  const stuffed = text.startsWith(' >') || text.includes('\n >') ? withStuffedQuoteMarks(text, quotedPrintable) : text;
  const ended = stuffed.replace(quotedPrintable ? FLOWED_BEFORE_EMPTY_QP : FLOWED_BEFORE_EMPTY, (found: string, lineBreak: string, at: number) =>
    // The signature's separator `-- ` is a fixed line with its space (section 4.3).
    stuffed.slice(stuffed.lastIndexOf('\n', at) + 1, at) === '--' && /^ \r?\n$/.test(found) ? found : lineBreak,
  );
  return ended === text ? body : Buffer.from(ended, 'latin1');
}

function withStuffedQuoteMarks(text: string, quotedPrintable: boolean): string {
  return text.replace(STUFFED_QUOTE_MARK, (found: string, lineBreak: string, at: number) => {
    if (!lineBreak) return ` ${STUFFED_LINE_MARK}>`;
    const lineBefore = text.slice(text.lastIndexOf('\n', at - 1) + 1, text[at - 1] === '\r' ? at - 1 : at);
    // Not a line of its own: the rest of a quoted-printable line, or of a flowed one (it ends in a
    // space, section 4.2, but for the signature's `-- `), whose text goes on after that space.
    if ((quotedPrintable && lineBefore.endsWith('=')) || (lineBefore.endsWith(' ') && lineBefore !== '-- ')) return found;
    return `${lineBreak} ${STUFFED_LINE_MARK}>`;
  });
}
