/**
 * windows-1252 as the WHATWG Encoding Standard decodes it (also for the labels `iso-8859-1`,
 * `latin1` and `us-ascii`). Node's TextDecoder reads it as Latin-1 since 20.18.3 and 22.13.0
 * (nodejs/node#60888): bytes 0x80-0x9F, Windows' euro sign, curly quotes and dashes, become C1
 * control characters. Decoded here instead; the rest of the range is Latin-1.
 */

/** Bytes 0x80-0x9F, from the Standard's index-windows-1252 (five of them are C1 controls there too). */
const C1_RANGE =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

export function decodeWindows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => C1_RANGE[c.charCodeAt(0) - 0x80]!);
}
