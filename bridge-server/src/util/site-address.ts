/**
 * The two forms of a web identity a site vouches for (core/site-scope.ts): inside the bridge it
 * carries its site (`web:a_alice@shop`); the site's clients and webhooks write it without.
 */
import type { Address } from '@switchboard/protocol';

/** Users, agents and integrations: the forms a site vouches for. */
const SITE_SCOPED = /^web:[uai]_/;

export function isSiteScoped(address: string): boolean {
  return SITE_SCOPED.test(address);
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
