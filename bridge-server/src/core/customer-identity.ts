/**
 * What a customer's own network says of their address (`/whois`, the agent's context line): whether
 * it vouches that the sender holds it. A network that cannot say, or does not answer in time, says
 * nothing rather than hold the agent's command up.
 */
import type { Address } from '@switchboard/protocol';
import type { CustomerIdentity } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';

/** How long a network may take to answer (an IRC WHOIS goes to the server). */
const ANSWER_MS = 5_000;

export function identityOf(registry: NetworkRegistry, address: Address): Promise<CustomerIdentity | undefined> {
  const network = registry.forAddress(address);
  if (!network?.identityOf) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ vouched: false, how: `the ${network.scheme} network did not answer in time` }), ANSWER_MS);
    timer.unref();
    network.identityOf!(address).then(
      (identity) => {
        clearTimeout(timer);
        resolve(identity);
      },
      () => {
        clearTimeout(timer);
        resolve({ vouched: false, how: `the ${network.scheme} network could not tell` });
      },
    );
  });
}
