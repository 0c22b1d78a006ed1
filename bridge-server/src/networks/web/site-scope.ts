/**
 * Web identities that a site vouches for are the site's own: site one's `web:a_alice` and site
 * two's `web:a_alice` are two people. Inside the bridge (rooms, presence, routing, the store,
 * the networks' puppets) such an address carries its site: `web:a_alice@shop`. Clients of the
 * site see and write it without the site (`web:a_alice`, docs/protocol.md "Addresses"): the
 * socket layer adds the site of the connection on the way in and takes it off on the way out.
 *
 * Anonymous visitors (`web:v_<12 hex>`) are made by the bridge and unique across sites already;
 * they keep one form everywhere, and a site reaches one only when it is that site's visitor.
 *
 * These are the web network's rules for its identities; the core, the socket layer and the store
 * use them without naming the network.
 */
import type { Address } from '@switchboard/protocol';

/** Users, agents and integrations: the forms a site vouches for. */
const SITE_SCOPED = /^web:[uai]_/;
/** An agent's identity, as a site vouches for it (`web:a_bob@shop`): its user id is `bob`. */
const AGENT_IDENTITY = /^web:a_([^@]*)/;

/** A user, agent or integration a site can vouch for: an id of 1-128 letters, digits and . _ @ + - (`:` in older user ids). */
const VOUCHED_IDENTITY = /^web:[uai]_[A-Za-z0-9._@+:-]{1,128}$/;

/** Whether an address (in either form) is a user, agent or integration a site can have: `web:u_`, `web:zzz` or `web:u_a/b` are nobody. */
export function isVouchedIdentity(address: Address): boolean {
  return VOUCHED_IDENTITY.test(withoutSite(address));
}

export function isSiteScoped(address: string): boolean {
  return SITE_SCOPED.test(address);
}

/**
 * Whether a party is the same for every site it deals with: a user of another network (XMPP, SIP,
 * IRC, email) is one party whichever sites they write to, kept once and known to each site that
 * holds a conversation with them; a web identity is one site's (a vouched one carries its site, an
 * anonymous visitor is made for one).
 */
export function sharedBySites(address: string): boolean {
  return !address.startsWith('web:');
}

/** The bridge's form of an address a client of `siteKey` wrote. */
export function withSite(address: Address, siteKey: string): Address {
  return isSiteScoped(address) ? (`${address}@${siteKey}` as Address) : address;
}

/** The form clients see: the site dropped (the last `@` segment; a user id may hold `@` itself). */
export function withoutSite(address: Address): Address {
  if (!isSiteScoped(address)) return address;
  const at = address.lastIndexOf('@');
  return at < 0 ? address : (address.slice(0, at) as Address);
}

/** The site a site-scoped address belongs to; undefined for any other address. */
export function siteOfAddress(address: Address): string | undefined {
  if (!isSiteScoped(address)) return undefined;
  const at = address.lastIndexOf('@');
  return at < 0 ? undefined : address.slice(at + 1);
}

/** The user id a site gave one of its agents (`bob` for `web:a_bob@shop`); undefined for any other address. */
export function agentUserId(address: Address): string | undefined {
  return AGENT_IDENTITY.exec(address)?.[1];
}

/** Whether a party can act in a conversation of `siteKey`: any network's user, or a web party of that site. */
export function usableOnSite(address: Address, siteKey: string): boolean {
  const site = siteOfAddress(address);
  return site === undefined || site === siteKey;
}

/** Keys of the contract's objects (and webhook bodies) whose values are addresses. */
const ADDRESS_KEYS = new Set(['from', 'address', 'addresses', 'participants', 'assignee', 'previousAssignee', 'self', 'openedBy', 'to', 'agent', 'by']);

/**
 * A payload as a site's clients see it: every address under an address key without its site.
 * Returns the same object when nothing changes (the common case costs a walk, not a copy).
 */
export function toClientForm<T>(value: T): T {
  return rewrite(value, false) as T;
}

// Plain loops, no entries arrays or callbacks: this walks every packet sent to a web client.
function rewrite(value: unknown, isAddress: boolean): unknown {
  if (typeof value === 'string') return isAddress ? withoutSite(value as Address) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = rewrite(item, isAddress);
      if (next !== item) (copy ??= [...(value as unknown[])])[i] = next;
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const item = record[key];
    const next = rewrite(item, ADDRESS_KEYS.has(key));
    if (next !== item) (copy ??= { ...record })[key] = next;
  }
  return copy ?? value;
}

/** Command answers for a web agent of `siteKey`: its site's addresses written as the agent knows them. */
export function textForSite(text: string, siteKey: string): string {
  const suffix = `@${siteKey}`;
  // Quotes and angle brackets around an address are not part of it (no web id has them).
  return text.replace(/web:[uai]_[^\s"'<>]+/g, (address) => {
    // Trailing punctuation of the sentence is not part of the address.
    const trail = /[).,;:]*$/.exec(address)![0];
    const bare = address.slice(0, address.length - trail.length);
    return (bare.endsWith(suffix) ? bare.slice(0, -suffix.length) : bare) + trail;
  });
}

/** An error for a party of `siteKey` (none known: as it is): its site's addresses written as the party knows them. */
export function errorForSite<T extends { message: string }>(error: T, siteKey: string | undefined): T {
  if (siteKey === undefined) return error;
  const message = textForSite(error.message, siteKey);
  return message === error.message ? error : { ...error, message };
}
