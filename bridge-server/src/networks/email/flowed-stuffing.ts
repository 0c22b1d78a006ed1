/**
 * RFC 3676 section 4.4: a format=flowed sender space-stuffs every line that starts with a space,
 * `From ` or `>`, so a line the person typed as `> 5 tents` travels as ` > 5 tents`, while quoted
 * lines travel unstuffed (`> We ship on Monday.`). mailparser takes the stuffing off before the
 * text is read for quotes, and both then look alike: the person's own line would be cut as a quote.
 * Such a line gets one more space in the source, so one is left once the stuffing is taken off.
 */

/** A line of the body that starts with a space and `>`. */
const STUFFED_QUOTE_MARK = /(^|\n) >/g;

/**
 * The body of a format=flowed text part with its stuffed `>` lines stuffed twice: in lines as sent
 * (7bit, 8bit, binary), or quoted-printable, whose line after a soft line break (`=` at the end of
 * the one before, RFC 2045 section 6.7) goes on the same line and is left alone. Base64 is left as
 * it is: it has no lines to see.
 */
export function keepingStuffedQuoteMarks(body: Buffer, transferEncoding: string | undefined): Buffer {
  const quotedPrintable = transferEncoding === 'quoted-printable';
  if (!quotedPrintable && transferEncoding !== undefined && !['7bit', '8bit', 'binary'].includes(transferEncoding)) return body;
  const text = body.toString('latin1');
  if (!text.startsWith(' >') && !text.includes('\n >')) return body;
  const stuffed = text.replace(STUFFED_QUOTE_MARK, (found: string, lineBreak: string, at: number) => {
    if (!lineBreak) return '  >';
    const lineBefore = text.slice(text.lastIndexOf('\n', at - 1) + 1, text[at - 1] === '\r' ? at - 1 : at);
    // Not a line of its own: the rest of a quoted-printable line, or of a flowed one (it ends in a
    // space, section 4.2, but for the signature's `-- `), whose text goes on after that space.
    if ((quotedPrintable && lineBefore.endsWith('=')) || (lineBefore.endsWith(' ') && lineBefore !== '-- ')) return found;
    return `${lineBreak}  >`;
  });
  return Buffer.from(stuffed, 'latin1');
}
