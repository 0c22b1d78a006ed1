/**
 * An address a person typed for a user of another network (the gateway's `/to`, outreach), read
 * in that network's canonical form (`irc:Dave` -> `irc:dave@libera`), or why it is not one.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import type { HostedParties } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';

export function readTypedAddress(typed: string, registry: NetworkRegistry, hosted: HostedParties): Address | { error: string } {
  const scheme = typed.includes(':') ? networkOf(typed as Address).toLowerCase() : '';
  const network = scheme ? registry.get(scheme) : undefined;
  const address = `${scheme}${typed.slice(scheme.length)}` as Address;
  if (!network || hosted.isHosted(address))
    return { error: `"${typed}" is not an address of a network this bridge connects (write it with its network: xmpp:..., sip:..., irc:...).` };
  const normalized = network.normalizeAddress ? network.normalizeAddress(address) : address;
  return normalized ?? { error: `"${typed}" is not a valid ${scheme} address.` };
}
