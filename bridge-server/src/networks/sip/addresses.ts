/**
 * Switchboard addresses <-> SIP URIs (RFC 3261 section 19.1). An agent's address is its own URI:
 * `sip:alice@example.org`. Every other party writing to SIP is a URI of its own under the domain the
 * proxy routes to the bridge: a web party by its id (`web:v_3fa9c` -> `sip:v_3fa9c@web.example.org`),
 * any other address by scheme and id (`irc:bob@libera` -> `sip:irc=bob%40libera@web.example.org`).
 * Characters outside the user part's unreserved set are %-escaped (UTF-8), so the mapping is
 * reversible and injective, and user parts compare case-sensitively (section 19.1.4) as ids do.
 */
import type { Address } from '@switchboard/protocol';

/** RFC 3261 section 25.1: alphanum / mark. Everything else in an id is %HH-escaped. */
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]$/;

function escapeUser(text: string): string {
  let out = '';
  for (const char of text) {
    if (UNRESERVED.test(char)) out += char;
    else for (const byte of new TextEncoder().encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The user part that stands for a party of another network. */
export function userOfParty(address: Address): string {
  const colon = address.indexOf(':');
  const scheme = address.slice(0, colon);
  const id = address.slice(colon + 1);
  // `=` is reserved as the separator (escapeUser escapes any `=` inside an id).
  return scheme === 'web' ? escapeUser(id) : `${scheme}=${escapeUser(id)}`;
}

/** The party a user part under the bridge's domain stands for, or null when it is not one of ours. */
export function partyOfUser(user: string): Address | null {
  const separator = user.indexOf('=');
  const scheme = separator < 0 ? 'web' : user.slice(0, separator);
  const escaped = separator < 0 ? user : user.slice(separator + 1);
  let id: string;
  try {
    id = decodeURIComponent(escaped);
  } catch {
    return null;
  }
  // Only the canonical spelling names a party, so two URIs never reach the same one.
  if (!id || escapeUser(id) !== escaped || !/^[a-z][a-z0-9-]{0,31}$/.test(scheme)) return null;
  if (separator >= 0 && scheme === 'web') return null;
  return `${scheme}:${id}`;
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

/**
 * A display name as an RFC 3261 quoted-string's content: no control characters (so no CR/LF can
 * start a header), `"` and `\` escaped as quoted-pairs; SIP.js adds the quotes.
 */
export function quotedDisplayName(name: string): string {
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim();
  return [...cleaned].slice(0, 64).join('').replace(/[\\"]/g, (c) => `\\${c}`);
}
