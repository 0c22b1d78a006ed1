/**
 * A mail body as a person reads it: HTML made text, then only the new text of a reply, without
 * the quoted history (`On ... wrote:` and what follows, `>` lines, Outlook's `From:` block) and
 * without the signature (after `-- `, `Sent from my iPhone`, ...).
 */
import EmailReplyParser from 'email-reply-parser';
import { compile } from 'html-to-text';

/** Characters of body text handed to the reply parser at most: past them, a mail is not read further. */
const MAX_PARSED_LENGTH = 200_000;
/**
 * Lines longer than this are broken for the reply parser, whose patterns run in time growing with
 * the square of a line's length; the breaks are marked and joined again after.
 */
const MAX_PARSED_LINE = 900;
/** Marks a break made for the parser (U+2063 INVISIBLE SEPARATOR, taken out of the text first). */
const BREAK_MARK = '\u2063';

/**
 * Characters of HTML converted at most: a person's mail holds far less, and conversion takes about
 * a second for this much of the tiniest elements. Cut here rather than by html-to-text, which would
 * warn on the console.
 */
const MAX_HTML_LENGTH = 300_000;

const convertHtml = compile({
  wordwrap: false,
  // Nesting deeper than this (no mail writes it) is left out rather than risk the stack.
  limits: { maxInputLength: MAX_HTML_LENGTH, maxDepth: 100 },
  selectors: [
    // Tracking pixels, logos and inline images say nothing in text; attachments are listed apart.
    { selector: 'img', format: 'skip' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
  ],
});

/** An HTML body as plain text: blocks as lines, quotes (`<blockquote>`) as `>` lines, links with their address. */
export function htmlToText(html: string): string {
  return convertHtml(html.slice(0, MAX_HTML_LENGTH));
}

/**
 * The text a person wrote in a mail body: the reply parser's visible fragments. When it finds
 * only quotes (a forwarded mail with no comment), everything but the signature is kept, so a
 * forward is never read as empty.
 */
export function visibleText(body: string): string {
  const text = clean(body.slice(0, MAX_PARSED_LENGTH));
  const email = new EmailReplyParser().read(breakLongLines(text));
  let visible = email.getVisibleText();
  if (visible.trim() === '')
    visible = email
      .getFragments()
      .filter((fragment) => !fragment.isSignature())
      .map((fragment) => fragment.getContent())
      .join('\n');
  return tidy(visible.replaceAll(`${BREAK_MARK}\n`, ''));
}

/** LF line ends, no control character but tab and line feed, no unpaired surrogate, no break mark. */
function clean(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2063]/g, '')
    .toWellFormed();
}

function breakLongLines(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.length <= MAX_PARSED_LINE ? line : (line.match(new RegExp(`[\\s\\S]{1,${MAX_PARSED_LINE}}`, 'g')) ?? []).join(`${BREAK_MARK}\n`)))
    .join('\n');
}

/** No white space at line ends, at most one empty line in a row, none around the text. */
function tidy(text: string): string {
  return text
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
