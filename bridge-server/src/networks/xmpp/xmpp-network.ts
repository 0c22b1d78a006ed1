/**
 * The XMPP network: component mode (XEP-0114, the default: one JID per visitor) or client mode
 * (one bot account, for servers where no component can be added). docs/networks/xmpp.md.
 */
import type { Network, NetworkContext } from '../network.js';
import { createClientNetwork } from './client-mode.js';
import { createComponentNetwork } from './component-mode.js';
import type { XmppNetworkConfig } from './config.js';
import { xmppIdentityOf } from './identity.js';

export { xmlSafe } from './stanzas.js';
export {
  gatewayNetworksOf,
  type XmppClientConfig,
  type XmppComponentConfig,
  type XmppNetworkConfig,
  xmppClientConfigSchema,
  xmppComponentConfigSchema,
  xmppNetworkConfigSchema,
} from './config.js';

export function createXmppNetwork(context: NetworkContext<XmppNetworkConfig>): Network {
  const { config } = context;
  const network = config.mode === 'client' ? createClientNetwork({ ...context, config }) : createComponentNetwork({ ...context, config });
  // In either mode the server vouches for a customer's JID (xmpp/identity.ts).
  return Object.assign(network, { identityOf: xmppIdentityOf });
}
