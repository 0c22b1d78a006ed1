/**
 * How an address is proven when it first becomes known (docs/customers.md, "Contacts"): a widget
 * session is its own proof, a signed identity the site's, and a customer on their own network is
 * `network` when that network vouches for the sender (an XMPP server, an IRC services account,
 * a SIP proxy that authenticates), else `wrote`: listed, flagged as not verified.
 */
import type { Address, Proof } from '@switchboard/protocol';
import type { HostedParties } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import { identityOf } from '../customer-identity.js';

export async function proofOf(address: Address, hosted: Pick<HostedParties, 'isHosted' | 'isVisitor'>, registry: NetworkRegistry): Promise<Proof> {
  if (hosted.isHosted(address)) return hosted.isVisitor(address) ? 'session' : 'identity';
  return (await identityOf(registry, address))?.vouched ? 'network' : 'wrote';
}
