/**
 * Addresses of one IRC network (`irc:<nick>@<network id>`, nick lowercased as the server compares
 * nicks: ISUPPORT CASEMAPPING, RFC 1459 section 2.2), and the names the bridge shows for other networks' parties on IRC.
 */
import { type Address, parseAddress } from '@switchboard/protocol';
import type { HostedParties } from '../network.js';
import { cutToCodePoints, nameLine } from '../../util/text.js';
import { NICK_PATTERN } from './config.js';
import { type CaseMapping, ircLower } from './nicks.js';

const SCHEME = 'irc';

export class IrcAddresses {
  /** Addresses the bridge was given (agents, the parties it follows), as they are written there. */
  private readonly given = new Set<Address>();
  /** The given addresses by their nick as the server compares nicks, for one casemapping. */
  private folded: { casemapping: CaseMapping; byNick: Map<string, Address> } | undefined;

  constructor(
    /** The network's id in addresses (`libera`). */
    private readonly networkId: string,
    private readonly hosted: HostedParties,
    /** How the server compares nicks (ISUPPORT CASEMAPPING): `Dana[m]` is `dana{m}` under rfc1459. */
    private readonly casemapping: () => CaseMapping = () => 'rfc1459',
  ) {}

  /**
   * The address of a nick of this network: one per user as the server tells nicks apart, so `Ed{w}`
   * and `ed[w]` are one party under rfc1459 (a given address keeps its own spelling).
   */
  readonly addressOf = (nick: string): Address => {
    const casemapping = this.casemapping();
    const lowered = ircLower(nick, casemapping);
    return this.byNick(casemapping).get(lowered) ?? `${SCHEME}:${lowered}@${this.networkId}`;
  };

  /** Addresses the bridge was given (agents of the configuration, followed parties): their users' nicks are theirs, however spelled. */
  keep(addresses: readonly Address[]): void {
    for (const address of addresses) if (this.nickOf(address) !== null) this.given.add(address);
    this.folded = undefined;
  }

  private byNick(casemapping: CaseMapping): Map<string, Address> {
    if (this.folded?.casemapping !== casemapping) {
      const byNick = new Map<string, Address>();
      for (const address of this.given) byNick.set(ircLower(this.nickOf(address)!, casemapping), address);
      this.folded = { casemapping, byNick };
    }
    return this.folded.byNick;
  }

  /** The nick an address of this network names, or null. */
  readonly nickOf = (address: string): string | null => {
    const parsed = parseAddress(address);
    if (parsed?.network !== SCHEME) return null;
    const at = parsed.id.lastIndexOf('@');
    if (at < 0 || parsed.id.slice(at + 1) !== this.networkId) return null;
    const nick = parsed.id.slice(0, at);
    return NICK_PATTERN.test(nick) ? nick : null;
  };

  /** Whether the address is an IRC user's (of this network or another IRC network). */
  isIrc(address: Address): boolean {
    return parseAddress(address)?.network === SCHEME;
  }

  /** `irc:Dave` names a nick of this network; `irc:dave@id` too, when id is this network's. */
  normalize(address: string): Address | null {
    const parsed = parseAddress(address);
    if (parsed?.network !== SCHEME) return null;
    const nick = parsed.id.includes('@') ? this.nickOf(address) : NICK_PATTERN.test(parsed.id) ? parsed.id : null;
    return nick ? this.addressOf(nick) : null;
  }

  /** The name a party shows on IRC: the one it gave, else its address's user part, cleaned. */
  nameOf(party: Address, given?: string): string {
    return displayName(given ?? this.userPart(party));
  }

  /** The user part of an address, as a name when there is no other (`xmpp:carl@example.org` -> `carl`). */
  private userPart(address: Address): string {
    const hostedId = this.hosted.idOf(address);
    if (hostedId !== null) return hostedId;
    const id = parseAddress(address)?.id ?? address;
    return id.includes('@') ? id.slice(0, id.lastIndexOf('@')) : id;
  }
}

/** A name shown inside a relayed line or made a nick: no control characters (no CR/LF/NUL/CTCP), one short line. */
function displayName(name: string): string {
  // Cut between user-perceived characters, as every name the bridge shortens.
  return cutToCodePoints(nameLine(name) || 'visitor', 32);
}
