/**
 * Rules about whom a party may reach, shared by the gateway's policy and outreach: networks named
 * by their address scheme, domains written as `example.com` or `*.example.com`.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import { z } from 'zod';

export const schemeSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network type such as xmpp, sip or irc');
/** A domain (`example.com`), or every subdomain of one (`*.example.com`). */
export const domainPatternSchema = z.string().regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, 'must be a domain such as example.com or *.example.com');

/** The domain part of an address (`sip:bob@example.com` -> `example.com`; an IRC network's id). */
export function domainOf(address: Address): string {
  const id = address.slice(networkOf(address).length + 1);
  return id.slice(id.lastIndexOf('@') + 1).toLowerCase();
}

/** Whether a domain is one of the patterns (every domain when there are none given). */
export function matchesDomains(domain: string, patterns: readonly string[] | undefined): boolean {
  return (
    patterns === undefined ||
    patterns.some((pattern) => (pattern.startsWith('*.') ? domain.endsWith(pattern.slice(1).toLowerCase()) : domain === pattern.toLowerCase()))
  );
}
