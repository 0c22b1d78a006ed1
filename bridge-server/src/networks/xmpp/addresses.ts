/**
 * Address <-> JID mapping for the component (RFC 7622 JIDs, XEP-0106 escaping).
 * A web party `web:v_7f3a` is the puppet `v_7f3a@<component domain>`; any other address
 * (`irc:bob@libera`) is escaped whole into the local part, so the mapping is reversible and no two
 * parties share a JID. A remote XMPP user `alice@example.org` is `xmpp:alice@example.org`.
 */
import type { Address } from '@switchboard/protocol';
import { jid } from '@xmpp/component';

/**
 * Servers case-fold localparts (RFC 7622 section 3.3), but ids may be case-sensitive (a website's
 * user ids, SIP users): an uppercase letter is written `^` + its lowercase, and `^` itself `^^`.
 */
const foldCase = (local: string) => local.replace(/[\^A-Z]/g, (c) => (c === '^' ? '^^' : `^${c.toLowerCase()}`));
const unfoldCase = (local: string) => local.replace(/\^([\^a-z])/g, (_, c: string) => (c === '^' ? '^' : c.toUpperCase()));

export function puppetJid(address: Address, domain: string): string {
  // A web id holds no ':' (the short form); anything else keeps its scheme, so both read back.
  const local = address.startsWith('web:') && !address.slice(4).includes(':') ? address.slice(4) : address;
  return jid(foldCase(local), domain).toString();
}

/** The party a puppet JID stands for, or null for a JID outside the component's domain. */
export function partyOfPuppet(puppet: string, domain: string): Address | null {
  const parsed = jid(puppet);
  if (parsed.domain.toLowerCase() !== domain.toLowerCase() || !parsed.local) return null;
  const local = unfoldCase(parsed.getLocal(true).toLowerCase());
  return (local.includes(':') ? local : `web:${local}`) as Address;
}

/** `xmpp:` + the bare JID, node and domain lowercased (they compare case-insensitively). */
export function addressOfJid(full: string): Address {
  const bare = jid(full).bare();
  return `xmpp:${bare.local ? `${bare.local.toLowerCase()}@` : ''}${bare.domain.toLowerCase()}` as Address;
}

export function jidOfAddress(address: Address): string {
  return address.slice('xmpp:'.length);
}
