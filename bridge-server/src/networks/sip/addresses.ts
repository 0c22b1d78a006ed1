/**
 * Switchboard addresses <-> SIP URIs (RFC 3261 section 19.1). An agent's address is its own URI:
 * `sip:alice@example.org`. Every other party writing to SIP is a URI of its own under the domain the
 * proxy routes to the bridge: a web party by its id (`web:v_3fa9c` -> `sip:v_3fa9c@web.example.org`),
 * any other address whole (`irc:bob@libera` -> `sip:irc%3Abob%40libera@web.example.org`). Other
 * characters are %-escaped (UTF-8), so the mapping is reversible and injective, and user parts
 * compare case-sensitively (section 19.1.4) as ids do.
 */
import type { Address } from '@switchboard/protocol';
import { URI } from 'sip.js';
import { oneLine } from '../../util/text.js';

/**
 * A user part as it travels: %HH-escaped (UTF-8) except the unreserved marks and `+` `?` `/`
 * (RFC 3261 section 25.1 allows them in a user part). `:` is escaped too (`%3A`): in a SIP URI it
 * ends the user part and starts a password (section 19.1.1), so `sip:xmpp:carl%40x@gw` would read
 * as user `xmpp`. Spellings that differ only in escaping name the same URI (section 19.1.4), so
 * reading decodes whatever the sender wrote, the older unescaped `scheme:` form included.
 */
function escapeUser(text: string): string {
  return encodeURIComponent(text).replace(/%2B/gi, '+').replace(/%3F/gi, '?').replace(/%2F/gi, '/');
}

/**
 * SIP.js writes every URI's user part through its own escaping, which leaves `:` as it is (RFC 3261
 * section 25.1's user alphabet has no `:`); it writes them through `escapeUser` above instead. It
 * decodes first, as SIP.js does, so an already escaped user part is not escaped twice.
 */
(URI.prototype as unknown as { escapeUser(user: string): string }).escapeUser = (user: string) => escapeUser(decodeURIComponent(user));

/** The user part that stands for a party of another network: a web party's id, or a whole address. */
export function userOfParty(address: Address): string {
  const colon = address.indexOf(':');
  const scheme = address.slice(0, colon);
  const id = address.slice(colon + 1);
  return scheme === 'web' ? escapeUser(id) : `${scheme}%3A${escapeUser(id)}`;
}

/**
 * The party a user part under the bridge's domain stands for, or null. `scheme:id` is another
 * network's party; anything else is a web party's id (web ids start `v_`, `u_`, `a_` or `i_`, so
 * their first segment is never a scheme).
 */
export function partyOfUser(user: string): Address | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(user);
  } catch {
    return null;
  }
  if (!decoded || /[\s\u0000-\u001f\u007f]/.test(decoded)) return null;
  const other = /^([a-z][a-z0-9-]{0,31}):(.+)$/.exec(decoded);
  if (other) return other[1] === 'web' ? null : `${other[1]}:${other[2]}`;
  return /^[a-z]_/i.test(decoded) ? `web:${decoded}` : null;
}

/** The URI of a party of another network, under the bridge's domain. */
export function partyUri(address: Address, visitorDomain: string): string {
  return `sip:${userOfParty(address)}@${visitorDomain}`;
}

/** An agent's address from a SIP URI's user and host (the host lowercased; the user as it is). */
export function addressOfUri(user: string | undefined, host: string): Address {
  return user ? `sip:${user}@${host.toLowerCase()}` : `sip:${host.toLowerCase()}`;
}

/** The URI of a SIP party's address (`sip:alice@example.org`), or null when it is not one. */
export function uriOfAddress(address: string): string | null {
  if (!/^sips?:[^\s<>"]+$/.test(address)) return null;
  return address;
}

/** Characters of a display name kept (docs/networks/sip.md): phones show a line, not a paragraph. */
export const DISPLAY_NAME_MAX = 64;

/**
 * A display name as an RFC 3261 quoted-string's content: no control characters (so no CR/LF can
 * start a header), `"` and `\` escaped as quoted-pairs; SIP.js adds the quotes.
 */
export function quotedDisplayName(name: string): string {
  return quotedContent(name, DISPLAY_NAME_MAX);
}

/** The content of a quoted-string (RFC 3261 section 25.1): one line, at most `max` characters, `"` and `\` as quoted-pairs. */
function quotedContent(text: string, max: number): string {
  const cleaned = oneLine(text).replace(/\s+/g, ' ').trim();
  return [...cleaned]
    .slice(0, max)
    .join('')
    .replace(/[\\"]/g, (c) => `\\${c}`);
}

/**
 * A `Warning` header (RFC 3261 section 20.43) that says why the bridge refused a request: code 399
 * (miscellaneous), the bridge's host as the warn-agent, and the text as a quoted-string (one line,
 * quotes and backslashes escaped, so nothing in it can end the header or start another).
 */
export function warningHeader(agentHost: string, text: string): string {
  return `Warning: 399 ${agentHost} "${quotedContent(text, 200)}"`;
}
