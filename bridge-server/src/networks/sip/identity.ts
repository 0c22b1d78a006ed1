/**
 * Whether SIP vouches for a customer's URI (`/whois`): only for the domains the configuration lists
 * in `authenticatedDomains`, those whose senders the proxy authenticates (it challenges their
 * MESSAGE requests with digest authentication, RFC 3261 section 22, and checks that the From user
 * is the authenticated one, as docs/networks/kamailio.cfg does). Anything else in a From header is
 * what the sender wrote.
 */
import type { Address } from '@switchboard/protocol';
import { domainMatches, domainOf } from '../../util/domains.js';
import type { CustomerIdentity, IdentityFeature } from '../network.js';

export function sipIdentities(authenticatedDomains: readonly string[]): IdentityFeature['identityOf'] {
  return (address: Address): Promise<CustomerIdentity> => {
    const domain = domainOf(address);
    return Promise.resolve(
      domainMatches(domain, authenticatedDomains)
        ? { vouched: true, how: `the SIP proxy authenticates the senders of ${domain}` }
        : { vouched: false, how: `no proxy of this bridge authenticates the senders of ${domain}: the From URI is what the sender wrote` },
    );
  };
}
