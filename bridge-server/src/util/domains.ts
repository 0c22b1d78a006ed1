/**
 * Domains of addresses, and lists of domains that name a domain or every subdomain of one: the
 * gateway's allowed pairs, outreach's policy and the teams' allow and deny lists of customers' domains.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import { z } from 'zod';

/** A network named by its address scheme. */
export const schemeSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network type such as xmpp, sip or irc');

/** A domain (`example.com`), or every subdomain of one (`*.example.com`). */
export const domainPattern = z.string().regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, 'must be a domain such as example.com or *.example.com');

/** The domain part of an address, lowercased (`sip:bob@example.com` -> `example.com`; an IRC network's id). */
export function domainOf(address: Address): string {
  const id = address.slice(networkOf(address).length + 1);
  return id.slice(id.lastIndexOf('@') + 1).toLowerCase();
}

/** Whether a domain is one the patterns name (`*.example.com`: its subdomains, not example.com itself). */
export function domainMatches(domain: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.startsWith('*.') ? domain.endsWith(pattern.slice(1).toLowerCase()) : domain === pattern.toLowerCase()));
}
