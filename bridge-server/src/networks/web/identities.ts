/**
 * The web network's identities as the bridge makes them (docs/protocol.md, "Addresses"): a site
 * vouches for its users (`web:u_<id>`), agents (`web:a_<id>`) and integrations (`web:i_<id>`),
 * which carry the site inside the bridge (site-scope.ts); anonymous visitors (`web:v_<id>`) are
 * the bridge's own, one form on every site.
 */
import type { Address } from '@switchboard/protocol';
import { withSite } from './site-scope.js';

const SCHEME = 'web:';
const VISITOR = `${SCHEME}v_`;
const PREFIX = { user: 'u_', agent: 'a_', integration: 'i_' } as const;

/** An identity a site vouches for, in the bridge's form (`web:a_alice@shop` for the site's agent alice). */
export function siteIdentity(kind: keyof typeof PREFIX, id: string, siteKey: string): Address {
  return withSite(`${SCHEME}${PREFIX[kind]}${id}`, siteKey);
}

/** A new anonymous visitor's address. */
export function visitorAddress(id: string): Address {
  return `${VISITOR}${id}`;
}

export function isVisitorAddress(address: string): boolean {
  return address.startsWith(VISITOR);
}

const AGENT = `${SCHEME}${PREFIX.agent}`;
const INTEGRATION = `${SCHEME}${PREFIX.integration}`;

/** Whether an address is one of a site's desk: an agent or an integration, who read the site's inbox. */
export function isDeskIdentity(address: string): boolean {
  return address.startsWith(AGENT) || address.startsWith(INTEGRATION);
}
