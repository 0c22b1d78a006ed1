/**
 * Header fields as a mail carries them (RFC 5322 section 2.2): read from a parsed mail's raw lines
 * or from a block of text (a DSN's returned headers, its per-recipient fields), unfolded, by
 * lowercased name, first occurrence first.
 */

/** Header values by lowercased field name, in the order they appear (the topmost first). */
export type MailHeaders = ReadonlyMap<string, readonly string[]>;

/** Longest Message-ID taken (RFC 5322 lines are at most 998 characters). */
const MAX_MESSAGE_ID_LENGTH = 250;
/** RFC 5322 section 3.6.4 msg-id, leniently: `<...>` with no space, control or angle bracket inside. */
const MESSAGE_ID = /<([^<>\s\u0000-\u001f\u007f]+)>/g;

/**
 * A bare mail address as the bridge takes and writes one: one `@`, no space, control character,
 * angle bracket, quote or list separator (quoted local parts are refused), within RFC 5321's lengths.
 */
const MAIL_ADDRESS = /^[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]{1,64}@[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+\.[^\s@<>()[\]\\,;:"\u0000-\u001f\u007f]+$/u;

export function isMailAddress(address: string): boolean {
  return address.length <= 254 && MAIL_ADDRESS.test(address);
}

/** A bare media type, `type/subtype` (RFC 2045 section 5.1), no parameter. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

/** Unfolds a field's value (RFC 5322 section 2.2.3: CRLF before white space is folding) and trims it. */
function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '').trim();
}

/** Headers from `{ key, line }` pairs (mailparser's `headerLines`: the raw field, name included). */
export function headersOfLines(lines: readonly { key: string; line: string }[]): MailHeaders {
  const headers = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // a line without a field name is no field
    addHeader(headers, key.toLowerCase(), unfold(line.slice(colon + 1)));
  }
  return headers;
}

/**
 * Headers from a block of text (a `text/rfc822-headers` part, a `message/rfc822` part's header, a
 * group of `message/delivery-status` fields, RFC 3464 section 2.1): up to the first empty line.
 */
export function headersOfText(text: string): MailHeaders {
  const headers = new Map<string, string[]>();
  const block = text.replace(/^\s*\n/, '').split(/\r?\n\r?\n/, 1)[0] ?? '';
  for (const field of block.split(/\r?\n(?![ \t])/)) {
    const match = /^([!-9;-~]+)[ \t]*:([\s\S]*)$/.exec(field);
    if (match) addHeader(headers, match[1]!.toLowerCase(), unfold(match[2]!));
  }
  return headers;
}

function addHeader(headers: Map<string, string[]>, name: string, value: string): void {
  const values = headers.get(name);
  if (values) values.push(value);
  else headers.set(name, [value]);
}

/** The first value of a field, if the mail has it. */
export function firstHeader(headers: MailHeaders, name: string): string | undefined {
  return headers.get(name)?.[0];
}

/** The Message-IDs in a field's value (In-Reply-To, References), in order, each `<...>` as written. */
export function messageIdsIn(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(MESSAGE_ID)].map((match) => match[0]).filter((id) => id.length <= MAX_MESSAGE_ID_LENGTH);
}

/** A Message-ID as the bridge keeps it (`<...>`), or null when the value holds none. */
export function messageIdOf(value: string | undefined): string | null {
  return messageIdsIn(value)[0] ?? null;
}
