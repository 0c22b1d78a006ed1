/**
 * Text -> IRC message lines (RFC 1459 section 2.3 and RFC 2812 section 2.3: a message is at most
 * 512 bytes including the trailing CR LF). Each line must fit once the server prepends the
 * sender's prefix when relaying (`:nick!user@host `), so the budget counts that too.
 * - A newline in the text starts a new line; CR, LF and NUL never reach the wire inside a line;
 *   trailing blanks of a line are dropped (IRC loses them anyway).
 * - Long lines split on grapheme boundaries (never inside a UTF-8 sequence, an emoji or a combining
 *   mark), preferably before a space, which then starts the next line: servers and clients trim a
 *   line's trailing spaces, never the leading ones of the trailing parameter. Joining a
 *   paragraph's lines gives it back exactly.
 * - CTCP (`\x01`) is neutralised, except a `/me` text, which becomes CTCP ACTION on every line;
 *   formatting codes and other control characters are removed.
 * - Beyond `maxLines`, the rest is cut (or the lines after the first, keeping the last ones) and a
 *   notice line says how much.
 */
import { stripFormatting } from './formatting.js';

export interface IrcLineOptions {
  /** The channel or nick the lines go to. */
  target: string;
  /** Bytes the server adds when relaying: `:nick!user@host ` (its longest expected form). */
  prefixBytes: number;
  /** Most lines one message may take, the notice included. */
  maxLines: number;
  command?: 'PRIVMSG' | 'NOTICE';
  /** The notice that replaces what is cut; `{lines}` is how many lines were left out. */
  truncatedNotice?: string;
  /**
   * Where lines beyond `maxLines` are cut: at the end (a message), or after the first line, so the
   * heading and the last lines stay (a command's answer: the newest of a /history come last).
   */
  cut?: 'end' | 'after-first';
}

export interface IrcLines {
  /** The text of each line (what follows `PRIVMSG target :`), ready for the wire. */
  lines: string[];
  truncated: boolean;
}

const MAX_MESSAGE_BYTES = 512;
const CTCP = '\u0001';
const REPLACEMENT = '\uFFFD';
const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).length;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters that may not travel inside an IRC line: NUL, and a stray CR (LF splits lines). */
/**
 * NUL and CTCP become U+FFFD; IRC's formatting codes (bold, colours: formatting.ts) and the other
 * C0 controls a client or terminal acts on (a bell, an escape) are removed: what another network's
 * user wrote reaches the agent as words, never as black-on-black text or a ring.
 */
function clean(text: string): string {
  return stripFormatting(text)
    .replaceAll('\u0000', REPLACEMENT)
    .replaceAll(CTCP, REPLACEMENT)
    .replace(/[\x02-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
}

/** Splits one paragraph (no line breaks) into chunks of at most `budget` bytes. */
function splitParagraph(paragraph: string, budget: number): string[] {
  if (bytes(paragraph) <= budget) return [paragraph];
  const chunks: string[] = [];
  let current = '';
  let currentBytes = 0;
  /** Where `current` may be cut, just before a space, to keep words whole. */
  let lastSpace = -1;
  for (const { segment } of segmenter.segment(paragraph)) {
    const size = bytes(segment);
    if (currentBytes + size > budget && current.length > 0) {
      // Cut before the last space when it keeps at least half the line; else cut here.
      if (lastSpace > 0 && bytes(current.slice(0, lastSpace)) >= budget / 2) {
        chunks.push(current.slice(0, lastSpace));
        current = current.slice(lastSpace);
      } else {
        chunks.push(current);
        current = '';
      }
      currentBytes = bytes(current);
      lastSpace = -1;
      // What followed the space may still leave no room for this grapheme (one of hundreds of bytes:
      // stacked combining marks): it goes as a line of its own.
      if (currentBytes + size > budget && current.length > 0) {
        chunks.push(current);
        current = '';
        currentBytes = 0;
      }
    }
    if (size > budget) {
      // A single grapheme longer than a line (absurd, but text is text): fall back to code points.
      for (const point of segment) {
        if (currentBytes + bytes(point) > budget && current) {
          chunks.push(current);
          current = '';
          currentBytes = 0;
        }
        current += point;
        currentBytes += bytes(point);
      }
      continue;
    }
    if (segment === ' ') lastSpace = current.length;
    current += segment;
    currentBytes += size;
  }
  if (current) chunks.push(current);
  return chunks;
}

export function toIrcLines(text: string, options: IrcLineOptions): IrcLines {
  const command = options.command ?? 'PRIVMSG';
  const action = /^\/me (?=\S)/.test(text);
  const body = action ? text.slice(4) : text;
  // What a line costs besides its text: prefix, "PRIVMSG target :", CTCP wrapping, CR LF.
  const overhead = options.prefixBytes + bytes(`${command} ${options.target} :`) + (action ? bytes(`${CTCP}ACTION ${CTCP}`) : 0) + 2;
  const budget = MAX_MESSAGE_BYTES - overhead;
  if (budget < 16) throw new RangeError(`an IRC line has room for only ${budget} bytes of text with this target and prefix`);
  const paragraphs = clean(body)
    .split(/\r\n|\r|\n/)
    // Servers and clients drop a line's trailing blanks anyway: drop them here, so what is sent is what arrives.
    .map((paragraph) => paragraph.replace(/[ \t]+$/, ''))
    .filter((paragraph) => paragraph.length > 0);
  let lines = paragraphs.flatMap((paragraph) => splitParagraph(paragraph, budget));
  let truncated = false;
  if (lines.length > options.maxLines) {
    const kept = Math.max(1, options.maxLines - 1);
    const fromEnd = options.cut === 'after-first' && kept > 1;
    const defaultNotice = fromEnd ? '[{lines} lines cut]' : '[message cut: {lines} more lines]';
    const notice = splitParagraph(clean((options.truncatedNotice ?? defaultNotice).replace('{lines}', String(lines.length - kept))), budget).slice(0, 1);
    lines = fromEnd ? [lines[0]!, ...notice, ...lines.slice(lines.length - (kept - 1))] : [...lines.slice(0, kept), ...notice];
    truncated = true;
  }
  // A line cut before a space starts with it: on a line of its own an action reads `* nick text`, one space.
  return { lines: action ? lines.map((line) => `${CTCP}ACTION ${line.replace(/^ /, '')}${CTCP}`) : lines, truncated };
}
