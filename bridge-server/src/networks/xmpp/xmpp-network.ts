/**
 * The XMPP network: component mode (XEP-0114, the default: one JID per visitor) or client mode
 * (one bot account, for servers where no component can be added). docs/networks/xmpp.md.
 */
import type { Network, NetworkContext } from '../network.js';
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

/**
 * Each mode's code is loaded only when configured: client mode brings the whole client stack of
 * xmpp.js (SASL, stream management, WebSocket transport), which a component never uses.
 */
export async function createXmppNetwork(context: NetworkContext<XmppNetworkConfig>): Promise<Network> {
  const { config } = context;
  const network =
    config.mode === 'client'
      ? (await import('./client-mode.js')).createClientNetwork({ ...context, config })
      : (await import('./component-mode.js')).createComponentNetwork({ ...context, config });
  // In either mode the server vouches for a customer's JID (xmpp/identity.ts).
  return Object.assign(network, { identityOf: xmppIdentityOf });
}
