/**
 * Switchboard addresses <-> SIP URIs (RFC 3261 section 19.1). An agent's address is its own URI:
 * `sip:alice@example.org`. Every other party writing to SIP is a URI of its own under the domain the
 * proxy routes to the bridge (the visitor domain): a party the bridge hosts by its id
 * (`v_3fa9c` -> `sip:v_3fa9c@web.example.org`), any other address whole (`irc:bob@libera` ->
 * `sip:irc%3Abob%40libera@web.example.org`). Other characters are %-escaped (UTF-8,
 * uri-escaping.ts), so the mapping is reversible and injective, and user parts compare
 * case-sensitively (section 19.1.4) as ids do.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import type { URI } from 'sip.js';
import { cutToCodePoints, nameLine } from '../../util/text.js';
import type { HostedParties } from '../network.js';
import { BRIDGE_USER, TeamUris } from './team-uris.js';
import { escapeUser } from './uri-escaping.js';

/** The user part that stands for a party of another network: a hosted party's id, or a whole address. */
export function userOfParty(address: Address, hosted: HostedParties): string {
  const scheme = networkOf(address);
  const id = address.slice(scheme.length + 1);
  return hosted.isHosted(address) ? escapeUser(id) : `${scheme}%3A${escapeUser(id)}`;
}

/**
 * The party a user part under the bridge's domain stands for, or null. `user` is decoded, as SIP.js
 * gives it (it decodes a URI's user part as it parses it: decoding it again would read a `%` of the
 * party's own id as an escape). `scheme:id` is another network's party; anything else is a hosted
 * party's id (hosted ids start with their role, `v_`, so their first segment is never a scheme).
 */
export function partyOfUser(decoded: string, hosted: HostedParties): Address | null {
  if (!decoded || /[\s\u0000-\u001f\u007f]/.test(decoded)) return null;
  const other = /^([a-z][a-z0-9-]{0,31}):(.+)$/.exec(decoded);
  if (!other) return hosted.addressOf(decoded);
  const address: Address = `${other[1]}:${other[2]}`;
  return hosted.isHosted(address) ? null : address;
}

/**
 * The domain the proxy routes to the bridge's registration: the URIs under it are the parties of
 * other networks, the desk's teams (for customers, team-uris.ts) and the bridge's own (for commands).
 */
export class VisitorDomain {
  /** The domain, lowercased. */
  readonly name: string;
  /** The bridge's own URI (`sip:switchboard@<domain>`). */
  readonly bridgeUri: string;

  constructor(
    domain: string,
    private readonly hosted: HostedParties,
    /** The desk's teams: URIs customers write to. */
    readonly teams: TeamUris = new TeamUris({ domain, teams: [] }),
    /** The account the bridge registers with (`sip:<username>@<domain>`): the bridge's own too, on its SIP server's domain. */
    private readonly account?: Address,
  ) {
    this.name = domain.toLowerCase();
    this.bridgeUri = `sip:${BRIDGE_USER}@${this.name}`;
  }

  /** The URI of a party of another network (or of a team), under this domain. */
  uriOf(party: Address): string {
    return this.teams.of(party)?.uri ?? `sip:${userOfParty(party, this.hosted)}@${this.name}`;
  }

  /** Whether a request's URI is the bridge's own. */
  isBridge(uri: URI): boolean {
    return uri.host.toLowerCase() === this.name && uri.user === BRIDGE_USER;
  }

  /** The party (or team) a URI stands for, or null (another domain, or a user part that is no one's). */
  partyOf(uri: URI): Address | null {
    const team = this.teams.at(uri, this.name);
    if (team) return this.teams.addressOf(team);
    return uri.host.toLowerCase() === this.name ? partyOfUser(uri.user ?? '', this.hosted) : null;
  }

  /**
   * Whether an address is the bridge's own: one it presents under this domain, or the account it
   * registers with (another device on it, or the proxy handing the bridge's request back to it):
   * never a customer, never a gateway party (loop protection).
   */
  owns(address: Address): boolean {
    const lower = address.toLowerCase();
    // In any case: a user part differing from the account's only in case is no customer either.
    if (lower === this.account?.toLowerCase()) return true;
    return lower.endsWith(`@${this.name}`) || lower === `sip:${this.name}`;
  }
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

/**
 * A display name as a request gave it: SIP.js takes off a quoted-string's quotes but leaves its
 * quoted-pairs (`\"`, `\\`) as they are written (RFC 3261 section 25.1): each is the character it escapes.
 */
export function displayNameOf(written: string): string {
  return written.replace(/\\([\s\S])/g, '$1');
}

/** The content of a quoted-string (RFC 3261 section 25.1): one line, at most `max` characters, `"` and `\` as quoted-pairs. */
function quotedContent(text: string, max: number): string {
  const cleaned = nameLine(text);
  return cutToCodePoints(cleaned, max).replace(/[\\"]/g, (c) => `\\${c}`);
}

/**
 * A `Warning` header (RFC 3261 section 20.43) that says why the bridge refused a request: code 399
 * (miscellaneous), the bridge's host as the warn-agent, and the text as a quoted-string (one line,
 * quotes and backslashes escaped, so nothing in it can end the header or start another).
 */
export function warningHeader(agentHost: string, text: string): string {
  return `Warning: 399 ${agentHost} "${quotedContent(text, 200)}"`;
}
