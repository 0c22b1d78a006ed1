/**
 * IRC text formatting (https://modern.ircdocs.horse/formatting): control codes clients put in a
 * line for bold, colours and the like. Other networks have no such codes: an XMPP client shows
 * them as U+FFFD, mail and the web as stray digits, so inbound text loses them.
 */

/**
 * Every formatting code, with the arguments it takes:
 * - colour `\x03`: up to two digits of foreground, then `,` and up to two digits of background.
 *   A comma not followed by a digit (or after no foreground) is text, and stays.
 * - hex colour `\x04`: `RRGGBB`, then `,RRGGBB`, under the same rule.
 * - bold `\x02`, reset `\x0f`, monospace `\x11`, reverse `\x16`, italic `\x1d`,
 *   strikethrough `\x1e`, underline `\x1f`: no arguments.
 */
const FORMATTING = /\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-f]{6}(?:,[0-9a-f]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/gi;

/** The text without its formatting codes (and their colour arguments): what the user wrote. */
export function stripFormatting(text: string): string {
  return text.replace(FORMATTING, '');
}
