/**
 * Address <-> JID mapping for the component (RFC 7622 JIDs, XEP-0106 escaping).
 * A party the bridge hosts (networks/network.ts `HostedParties`: a website visitor, `v_7f3a`) is the
 * puppet `v_7f3a@<component domain>`, its id as the local part; any other address
 * (`irc:bob@libera`) is escaped whole into the local part, so the mapping is reversible and no two
 * parties share a JID. With a gateway domain for its scheme (XEP-0100), an address is shown under
 * that domain without its scheme (`sip:bob@example.com` -> `bob\40example.com@sip.gw.example`).
 * A remote XMPP user `alice@example.org` is `xmpp:alice@example.org`.
 */
import { type Address, isAddress, networkOf, parseAddress } from '@switchboard/protocol';
import { jid } from '@xmpp/component';
import type { HostedParties, NetworkConversation } from '../network.js';
import { TeamJids, teamAddress } from './component-teams.js';
import { escapeLocal, unescapeLocal } from './local-escaping.js';
import { foldLocalpart } from './localpart-fold.js';
import { lruCache } from '../../util/lru.js';

export { escapeLocal, unescapeLocal } from './local-escaping.js';

/** A domain of the component that stands for one other network's users (docs/networks/xmpp.md). */
export interface GatewayDomain {
  domain: string;
  /** The address scheme of the network (`sip`, `irc`, ...). */
  network: string;
  /** The host a bare user name gets in jabber:iq:gateway (`bob` -> `bob@defaultHost`). */
  defaultHost?: string;
  /** The gateway's name in service discovery. */
  name?: string;
}

/** A JID's local part and domain (the resource dropped), without the library's own escaping rules. */
function split(full: string): { local: string; domain: string } {
  const bare = full.includes('/') ? full.slice(0, full.indexOf('/')) : full;
  const at = bare.indexOf('@');
  return at < 0 ? { local: '', domain: bare.toLowerCase() } : { local: bare.slice(0, at), domain: bare.slice(at + 1).toLowerCase() };
}

/** The part of an address after its scheme (`sip:bob@example.com` -> `bob@example.com`). */
const idPart = (address: Address) => address.slice(networkOf(address).length + 1);

/** Characters no address holds (docs/protocol.md, "Addresses"). */
const NOT_IN_ADDRESSES = /[\s\u0000-\u001f\u007f]/;

export function puppetJid(address: Address, domain: string, hosted: HostedParties): string {
  // A hosted party's id (one that reads back as that party) is the local part; anything else keeps
  // its scheme, so both read back.
  const id = hosted.idOf(address);
  const local = id !== null && hosted.addressOf(id) === address ? id : address;
  return `${escapeLocal(local)}@${domain.toLowerCase()}`;
}

/** A bare JID as a server prepares it for comparison: its localpart case-folded and NFKC-normalized (nodeprep, RFC 7622). */
const serverFolded = (bare: string): string => bare.normalize('NFKC').toLowerCase();

/** The party a puppet JID stands for, or null for a JID outside the component's domain or one that stands for nobody. */
export function partyOfPuppet(puppet: string, domain: string, hosted: HostedParties): Address | null {
  const { local, domain: of } = split(puppet);
  if (of !== domain.toLowerCase() || !local) return null;
  const value = unescapeLocal(local);
  if (value === null) return null;
  const address = value.includes(':') ? value : hosted.addressOf(value);
  return isAddress(address) ? address : null;
}

/** Whether a hosted address stands for no one: its id has not the form of one (`web:nobody`), so no party has it. */
export function isNobodyHosted(address: Address, hosted: HostedParties): boolean {
  return hosted.isHosted(address) && hosted.addressOf(parseAddress(address)?.id ?? '') !== address;
}

/** The JID of `address` under its gateway domain: the address without its scheme, escaped. */
export function gatewayJid(address: Address, gateway: GatewayDomain): string {
  return `${escapeLocal(idPart(address))}@${gateway.domain.toLowerCase()}`;
}

/** The party a JID of a gateway domain stands for, or null (another domain, the domain itself, not a JID the bridge writes). */
export function partyOfGatewayJid(full: string, gateway: GatewayDomain): Address | null {
  const { local, domain } = split(full);
  if (domain !== gateway.domain.toLowerCase() || !local) return null;
  const value = unescapeLocal(local);
  const address = `${gateway.network}:${value}`;
  return value !== null && isAddress(address) ? address : null;
}

/**
 * All the component's domains together: the main one (the parties the bridge hosts, and other networks' users with
 * no gateway domain) and one per gateway network. Outbound, a party always has one JID; inbound,
 * the main domain's older form of a gateway network's user (`sip\3abob\40example.com@web...`)
 * still reaches that user.
 */
export class JidMap {
  private readonly byScheme = new Map<string, GatewayDomain>();
  private readonly byDomain = new Map<string, GatewayDomain>();
  readonly mainDomain: string;

  constructor(
    mainDomain: string,
    readonly gateways: readonly GatewayDomain[],
    /** The parties the bridge hosts: puppets of the main domain. */
    readonly hosted: HostedParties,
    /** The desk's teams: JIDs of the main domain customers write to. */
    readonly teams: TeamJids = new TeamJids(mainDomain, []),
    /** An address in its network's canonical form (`irc:dave` is `irc:dave@libera` where that is the default host). */
    private readonly canonical: (address: Address) => Address = (address) => address,
  ) {
    this.mainDomain = mainDomain.toLowerCase();
    for (const gateway of gateways) {
      this.byScheme.set(gateway.network, gateway);
      this.byDomain.set(gateway.domain.toLowerCase(), gateway);
    }
  }

  gatewayOf(scheme: string): GatewayDomain | undefined {
    return this.byScheme.get(scheme);
  }

  /** The gateway a domain is, if it is one. */
  gatewayAt(domain: string): GatewayDomain | undefined {
    return this.byDomain.get(domain.toLowerCase());
  }

  /** The JID a party is shown from. */
  jidOf(address: Address): string {
    const team = this.teams.of(address);
    if (team) return team.jid;
    const gateway = this.byScheme.get(networkOf(address));
    return gateway ? gatewayJid(address, gateway) : puppetJid(address, this.mainDomain, this.hosted);
  }

  /**
   * The party a JID of one of the component's domains stands for, or null. At a gateway domain,
   * only the JID the bridge writes for a party stands for it (as a server folds it):
   * `dave@irc.gw.example`, read `irc:dave`, is `irc:dave@libera`, whose JID is another
   * (`dave\40libera@...`), so it stands for nobody, or its user would be reached through a contact
   * that never shows their presence. The main domain's forms of other networks' users are read as
   * written (older JIDs, and addresses such as one of the bridge's own SIP identities, whose loop
   * the core refuses saying so).
   */
  partyOf(full: string): Address | null {
    const team = this.teams.at(full);
    if (team) return teamAddress(team.id);
    const { local, domain } = split(full);
    const gateway = this.byDomain.get(domain);
    if (!gateway) return partyOfPuppet(full, this.mainDomain, this.hosted);
    const read = partyOfGatewayJid(full, gateway);
    if (read === null) return null;
    const party = this.canonical(read);
    return serverFolded(gatewayJid(party, gateway)) === serverFolded(`${local}@${domain}`) ? party : null;
  }

  /**
   * Whether a JID of the component stands for no one, so that its sender is told no one has the
   * address: one of a gateway domain that is not a party's JID (`dave@irc.gw.example`, `a\zz@...`),
   * or one of the main domain written the way the bridge writes them, as an id, that no party has
   * (`someone@web.example.org`).
   */
  isVacant(full: string): boolean {
    const { local, domain } = split(full);
    if (!local) return false;
    if (this.byDomain.has(domain)) return this.partyOf(full) === null;
    if (domain !== this.mainDomain || this.teams.at(full)) return false;
    const value = unescapeLocal(local);
    // A local part not written as the bridge writes one (`^65;` for `A`, an unknown `\` sequence) stands for nobody.
    return value === null || (!value.includes(':') && !NOT_IN_ADDRESSES.test(value) && this.hosted.addressOf(value) === null);
  }

  /**
   * The JID `from` is shown from to `to` in a conversation: the team's, to the customer of a team
   * conversation opened on XMPP (whoever of the team writes); else `from`'s own.
   */
  senderJid(from: Address, to: Address, conversation?: NetworkConversation): string {
    return this.teams.senderFor(conversation, to, this.hosted) ?? this.jidOf(from);
  }

  /** Whether a JID is one of the component's domains or under one. */
  owns(full: string): boolean {
    const { domain } = split(full);
    return domain === this.mainDomain || this.byDomain.has(domain);
  }

  /** The domain a JID is on (lowercase). */
  static domainOf(full: string): string {
    return split(full).domain;
  }
}

/** JIDs read lately: the same few parties write again and again, and reading one (its escapes, twice with a resource) is work on every stanza. */
const ADDRESSES_KEPT = 10_000;
const addressesOfJids = lruCache<string, Address>(ADDRESSES_KEPT);

/** What names a party without a name: a team's id (`team:support`), an address's user part (`irc:alice@libera` is `alice`). */
export const userPart = (address: Address): string => address.slice(address.indexOf(':') + 1).split('@')[0]!;

/** `xmpp:` + the bare JID, node folded as the server prepares it (localpart-fold.ts) and domain lowercased. */
export function addressOfJid(full: string): Address {
  let address = addressesOfJids.get(full);
  if (address === undefined) {
    const bare = jid(full).bare();
    address = `xmpp:${bare.local ? `${foldLocalpart(bare.local)}@` : ''}${bare.domain.toLowerCase()}` as Address;
    addressesOfJids.set(full, address);
  }
  return address;
}

export function jidOfAddress(address: Address): string {
  return address.slice('xmpp:'.length);
}

/** A bare JID a user typed as `xmpp:user@example.org`, canonical (lowercased), or null when it is no JID. */
export function normalizeXmppAddress(address: string): Address | null {
  const typed = address.slice('xmpp:'.length);
  if (!address.startsWith('xmpp:') || !typed || typed.includes('/') || /[\s\u0000-\u001f\u007f]/.test(typed)) return null;
  // RFC 7622 section 3.3.1: a localpart holds none of " & ' / : < > @, and a domainpart no @ either
  // (`carol@evil.example@example.com` is no JID, and its last @ would name the wrong domain).
  const at = typed.indexOf('@');
  if (/["&'/:<>@]/.test(typed.slice(0, Math.max(at, 0))) || /["&'<>@]/.test(typed.slice(at + 1))) return null;
  try {
    const parsed = jid(typed);
    return parsed.local && parsed.domain ? addressOfJid(typed) : null;
  } catch {
    return null;
  }
}
