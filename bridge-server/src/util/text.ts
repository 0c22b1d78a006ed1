/**
 * A visitor-supplied string shown inside one line of a protocol (an IRC line, a SIP display name,
 * a command's answer): every control character and line separator becomes a space, so nothing a
 * visitor typed can start a line of its own.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/**
 * Bidirectional controls (embeddings, overrides, isolates, marks): in a name, a right-to-left
 * override makes what follows it read backwards, so a name could show as another, or as an address.
 * Text written in a right-to-left script needs none of them.
 */
export const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A name shown in one line: `oneLine` without bidirectional controls, with runs of blanks (a control character made one) as one space, trimmed. */
export function nameLine(text: string): string {
  return oneLine(text.replace(BIDI_CONTROLS, '')).replace(/\s+/g, ' ').trim();
}

/**
 * Inbound text without the line breaks it ends with: SIP bodies (SIPp, some phones) and other
 * networks' clients may end a message with CR LF, which is no part of what the user wrote.
 */
export function withoutTrailingBreaks(text: string): string {
  return text.replace(/[\r\n]+$/, '');
}

/**
 * Characters XML 1.0 cannot carry at all (section 2.2: C0 controls but tab, LF and CR; U+FFFE,
 * U+FFFF): a stanza holding one is a stream error that would close the connection. They become
 * U+FFFD, so the rest of the text still arrives. The XML library escapes everything else.
 */
export function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * At most `max` code points of `text`, cut between user-perceived characters (UAX #29 grapheme
 * clusters): a family emoji or a letter with its accents goes whole or not at all, never half
 * (a dangling zero-width joiner, a base letter without its marks).
 */
export function cutToCodePoints(text: string, max: number): string {
  return text.length <= max ? text : cutBetweenGraphemes(text, max, (segment) => [...segment].length);
}

/** At most `max` bytes of `text` in UTF-8, cut between user-perceived characters as `cutToCodePoints` cuts. */
export function cutToBytes(text: string, max: number): string {
  return Buffer.byteLength(text) <= max ? text : cutBetweenGraphemes(text, max, (segment) => Buffer.byteLength(segment));
}

/** The graphemes of `text` from its start while their sizes add up to `max` at most. */
function cutBetweenGraphemes(text: string, max: number, sizeOf: (segment: string) => number): string {
  let kept = '';
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = sizeOf(segment);
    if (count + size > max) break;
    kept += segment;
    count += size;
  }
  return kept;
}
