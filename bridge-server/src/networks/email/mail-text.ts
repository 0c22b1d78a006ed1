/**
 * A mail body as a person reads it: HTML made text, then only the new text of a reply, without
 * the quoted history (`On ... wrote:` and what follows, `>` lines, Outlook's `From:` block) and
 * without the signature (after `-- `, `Sent from my iPhone`, ...).
 */
import EmailReplyParser from 'email-reply-parser';
import { compile } from 'html-to-text';
import { STUFFED_LINE_MARK } from './flowed-lines.js';

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
 * Marks a line the sender typed starting with `>` (flowed-lines.ts) for the parser, which then
 * does not take it for a quote (U+2064 INVISIBLE PLUS, taken out of the text first).
 */
const TYPED_LINE_MARK = '\u2064';
const STUFFED_LINES = new RegExp(`^${STUFFED_LINE_MARK}>`, 'gm');

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
    // A table's cells in columns, a row a line (a contact form's "Name | Ivy"), never run together;
    // a cell's text unbroken (a layout table's one cell holds the whole mail) and as written.
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: MAX_HTML_LENGTH, colSpacing: 3 } },
  ],
});

/** An HTML body as plain text: blocks as lines, quotes (`<blockquote>`) as `>` lines, links with their address. */
export function htmlToText(html: string): string {
  return convertHtml(html.slice(0, MAX_HTML_LENGTH));
}

/** A signature's first line that makes all below it signature (RFC 3676 §4.3, often sent without its space). */
const SIGNATURE_SEPARATOR = /^\s*-- ?$/;
/** Lines that open what is not the sender's: Outlook's line above the original, an Italian quote header. */
const NOT_WRITTEN = [/^_{32}$/, /^-*\s*In\sdata\s.+\sscritto:?/];
/** A device's footer (`Sent from my iPhone`), a signature only when alone. */
const DEVICE_FOOTER = [
  /^Sent from /,
  /^Get Outlook for /,
  /^Von .+ gesendet$/,
  /^Gesendet von .+ für .+$/,
  /^Sendt fra /,
  /^Envoyé (depuis|de mon|à partir de) /,
  /^Télécharger Outlook pour /,
  /^Enviado desde /,
  /^Verzonden vanaf /,
  /^Verstuurd vanaf /,
];
/**
 * A subject that marks a forward, as mail clients write it (Fwd:, FW:, and Outlook's WG: in German,
 * TR: in French, RV: in Spanish, ENC: in Portuguese, Doorst: in Dutch, VL: in Finnish, VB: in
 * Swedish, VS: in Danish and Norwegian, PD: in Polish); not one that answers a forward (`Re: Fwd:`).
 */
const FORWARD_SUBJECT = /^\s*(fwd?|wg|tr|rv|enc|doorst|vl|vb|vs|pd)\s*:/i;

/**
 * Whether a mail's subject marks it a forward. `VS:` is also Finnish Outlook's reply (Vastaus): a
 * mail that answers another (`answers`: it has In-Reply-To) is a reply then, which a forward is not.
 */
export function isForwardSubject(subject: string, answers = false): boolean {
  const prefix = FORWARD_SUBJECT.exec(subject)?.[1]?.toLowerCase();
  return prefix !== undefined && !(prefix === 'vs' && answers);
}

/** A closing (`Kind regards,`), a signature only with a short block under it: a name, a title, a phone. */
const CLOSING = [
  /^Cheers,?!?$/i,
  /^Best wishes,?!?$/i,
  /^\w{0,20}\s?(\sand\s)?Regards,?!?！?$/i,
  /^Bien . vous,?!?$/i,
  /^\w{0,20}\s?cordialement,?!?$/i,
  /^Bonne (journ.e|soir.e)!?$/i,
];
/** Lines under a closing at most, for it to be read as a signature. */
const CLOSING_BLOCK_LINES = 4;
const POSTSCRIPT = /^P\.?\s?S\b/i;

/**
 * Whether a fragment the reply parser calls a signature is one. The parser cuts at any line of
 * dashes, underscores, `+` or `=` and at any closing, with everything under it; a customer's own
 * words there (an order's details under `---`, a P.S. after `Kind regards`) are kept.
 */
function isSignature(fragment: string): boolean {
  const lines = fragment.split('\n');
  const first = lines[0]!.trim();
  const below = lines.slice(1).filter((line) => line.trim() !== '');
  if (SIGNATURE_SEPARATOR.test(lines[0]!) || NOT_WRITTEN.some((pattern) => pattern.test(first))) return true;
  if (DEVICE_FOOTER.some((pattern) => pattern.test(first))) return below.length === 0;
  if (CLOSING.some((pattern) => pattern.test(first))) return below.length <= CLOSING_BLOCK_LINES && !below.some((line) => POSTSCRIPT.test(line.trim()));
  return false;
}

/** Whether a fragment the reply parser calls a signature is the forwarder's own: under `-- `, or a device's footer alone. */
function isForwardersSignature(fragment: string): boolean {
  const lines = fragment.split('\n');
  if (SIGNATURE_SEPARATOR.test(lines[0]!)) return true;
  return DEVICE_FOOTER.some((pattern) => pattern.test(lines[0]!.trim())) && lines.slice(1).every((line) => line.trim() === '');
}

/**
 * The text a person wrote in a mail body: the reply parser's fragments but the quoted ones and
 * the signature. When only quotes are left (a forwarded mail with no comment), or the mail is a
 * forward (`forwarded`: its subject says so), everything but the signature is kept: what a
 * forward quotes is the mail the customer asks about, not the team's own words.
 */
export function visibleText(body: string, forwarded = false): string {
  const text = clean(body.slice(0, MAX_PARSED_LENGTH));
  const fragments = new EmailReplyParser().read(breakLongLines(withTabQuotes(text))).getFragments();
  type Fragment = (typeof fragments)[number];
  const signature = (fragment: Fragment) => fragment.isSignature() && isSignature(fragment.getContent());
  // What the parser hides is quoted or empty, or what it calls a signature. A "signature" that is
  // none is the customer's, but only in their own text: after a quote or a real signature, it is
  // the quoted original's or the signature's (an Outlook original's `===`, a disclaimer's `---`).
  let cut = false;
  const isQuote = (fragment: Fragment | undefined) =>
    fragment !== undefined && fragment.isHidden() && !fragment.isSignature() && fragment.getContent().trim() !== '';
  const written = (fragment: Fragment) => {
    if (isQuote(fragment) || signature(fragment)) cut = true;
    return fragment.isSignature() ? !cut : !fragment.isHidden();
  };
  const kept = fragments
    .map((fragment, index) => ({ fragment, index, shown: written(fragment), quoteNext: isQuote(fragments[index + 1]) }))
    .filter(({ shown }) => shown);
  // The line that introduces the quote under it is the quote's, in whatever language the parser knows none of.
  // Answers written between quotes (an interleaved reply) stay paragraphs of their own.
  let visible = kept
    .map(({ fragment, index, quoteNext }, i) => {
      const text = quoteNext ? withoutAttribution(fragment.getContent()) : fragment.getContent();
      return i > 0 && index > kept[i - 1]!.index + 1 ? `\n${text}` : text;
    })
    .join('\n');
  // A forward keeps what Outlook's line opens (the original it forwards): only a signature under
  // `-- `, or a device's footer, is not the forwarded mail's.
  const left = (fragment: Fragment) => !(forwarded ? fragment.isSignature() && isForwardersSignature(fragment.getContent()) : signature(fragment));
  if (forwarded || visible.trim() === '')
    visible = fragments
      .filter(left)
      .map((fragment) => fragment.getContent())
      .join('\n');
  return withoutLastFooter(tidy(visible.replaceAll(`${BREAK_MARK}\n`, '').replaceAll(TYPED_LINE_MARK, '')).replace(TRAILING_RULE, ''));
}

/** What ends a quote's attribution: a colon (a full-width one in CJK). */
const ATTRIBUTION_END = /[:\uff1a]\s*$/;
/** The quoted mail's sender's address in angle brackets (`Name <address>`, a wrap maybe after the `<`). */
const ATTRIBUTION_ADDRESS = /<\s*[^\s<>@]+@[^\s<>@]+>/;
/** The verb of an attribution, in languages the reply parser has no line for too. */
const ATTRIBUTION_VERB =
  /wrote|schrieb|skrev|kirjoitti|napisa\u0142|pisze|yazd\u0131|\u043d\u0430\u043f\u0438\u0441\u0430\u043b|\u5199\u9053|\uc791\uc131|\u306e\u30e1\u30c3\u30bb\u30fc\u30b8/iu;
/** And when: a year or a time of day. */
const ATTRIBUTION_WHEN = /\b(?:19|20)\d\d|\d{1,2}:\d\d|(?:19|20)\d\d\u5e74|(?:19|20)\d\d\ub144/u;
/** Lines an attribution takes at most, wrapped (Gmail wraps its line at 76 characters or so). */
const ATTRIBUTION_LINES = 3;
const ATTRIBUTION_LENGTH = 300;

/**
 * Whether a line (or lines joined) reads as a quote's attribution: it ends with a colon and names
 * the quoted sender in brackets or says "wrote", with a date or time, or with both the address and
 * the verb (mailx's and s-nail's `Name <address> wrote:` has no date).
 */
function isAttribution(block: string): boolean {
  if (block.length > ATTRIBUTION_LENGTH || !ATTRIBUTION_END.test(block)) return false;
  const address = ATTRIBUTION_ADDRESS.test(block);
  const verb = ATTRIBUTION_VERB.test(block);
  return (address && verb) || ((address || verb) && ATTRIBUTION_WHEN.test(block));
}

/**
 * The text without the attribution that ends it, when a quote follows: `On <date>, <name>
 * <address> wrote:` in any language and wrapped over up to three lines (Gmail's Polish, Russian,
 * Japanese or Turkish one, a German one cut before the address).
 */
function withoutAttribution(text: string): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  for (let count = 1; count <= Math.min(ATTRIBUTION_LINES, lines.length); count++) {
    if (isAttribution(lines.slice(-count).join(' '))) return lines.slice(0, -count).join('\n');
  }
  return text;
}

/**
 * mailx and s-nail quote with a tab (their `indentprefix`): the lines under an attribution that
 * each start with one (and the empty lines between them) are a quote, written as one for the
 * reply parser, which knows only `>`.
 */
function withTabQuotes(text: string): string {
  if (!text.includes('\n\t')) return text;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    if (!isAttribution(lines[i]!)) continue;
    let line = lines[i + 1] === '' ? i + 2 : i + 1;
    if (!lines[line]?.startsWith('\t')) continue;
    for (; line < lines.length && (lines[line]!.startsWith('\t') || (lines[line] === '' && lines[line + 1]?.startsWith('\t'))); line++) {
      lines[line] = `>${lines[line]!.replace(/^\t/, ' ')}`;
    }
    i = line - 1;
  }
  return lines.join('\n');
}

/**
 * A device's footer left last under the customer's words once the quote below it was cut (Outlook
 * mobile's "Get Outlook for iOS" above the original it quotes): the parser kept it, the quote being
 * under it then.
 */
function withoutLastFooter(text: string): string {
  const lines = text.split('\n');
  if (lines.length < 2 || !DEVICE_FOOTER.some((pattern) => pattern.test(lines.at(-1)!.trim()))) return text;
  return tidy(lines.slice(0, -1).join('\n')).replace(TRAILING_RULE, '');
}

/**
 * A rule left at the end of what was written (a line of dashes, underscores, `=` or `*`, alone):
 * what it set apart was cut (Outlook puts an `<hr>`, made `----`, above the original it quotes).
 */
const TRAILING_RULE = /(?:\n\s*[-_=*]{3,}\s*)+$/;

/**
 * LF line ends, no control character but tab and line feed, no unpaired surrogate, no break mark;
 * a line of white space only is empty, and at most one empty line in a row (as `tidy` leaves the
 * text anyway): the reply parser takes time growing with the square of the empty lines in a row,
 * minutes for a mail of nothing but line breaks.
 */
function clean(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2063\u2064]/g, '')
    .replace(STUFFED_LINES, `${TYPED_LINE_MARK}>`)
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/^[ \t\u00a0]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
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
