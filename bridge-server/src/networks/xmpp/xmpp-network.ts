/**
 * The XMPP network: component mode (XEP-0114, the default: one JID per visitor) or client mode
 * (one bot account, for servers where no component can be added). docs/networks/xmpp.md.
 */
import { z } from 'zod';
import type { Network, NetworkContext } from '../network.js';
import { createClientNetwork } from './client-mode.js';
import { createComponentNetwork } from './component-mode.js';

export { xmlSafe } from './stanzas.js';

const common = {
  type: z.literal('xmpp'),
  /** Seconds to wait for the server before a connection attempt counts as failed. */
  connectTimeoutSeconds: z.number().positive().default(10),
};

export const xmppComponentConfigSchema = z.strictObject({
  ...common,
  mode: z.literal('component').default('component'),
  /** Where the XMPP server accepts components, e.g. `xmpp://127.0.0.1:5347`. */
  // XEP-0114 over plain TCP: keep the component port on loopback or a private network.
  service: z.string().regex(/^xmpp:\/\/[^/]+$/, "must be xmpp://host:port (the server's component port; components do not use TLS)"),
  /** The component's domain, as configured on the server (`Component "web.example.org"`). */
  domain: z.string().min(1).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'),
  /** The component secret shared with the server. */
  password: z.string().min(1),
});

export const xmppClientConfigSchema = z.strictObject({
  ...common,
  mode: z.literal('client'),
  /** The server's client port, e.g. `xmpp://chat.example.org:5222`. */
  service: z.string().regex(/^xmpps?:\/\/[^/]+$/, "must be xmpp://host:port (the server's client port)"),
  /** The bot account's domain. */
  domain: z.string().min(1).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'),
  username: z.string().min(1),
  password: z.string().min(1),
  resource: z.string().min(1).default('switchboard'),
});

/** `mode` picks the schema (component when left out), so a mistake is named by its own field. */
export const xmppNetworkConfigSchema = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !('mode' in value) ? { ...value, mode: 'component' } : value),
  z.discriminatedUnion('mode', [xmppComponentConfigSchema, xmppClientConfigSchema]),
);

export type XmppComponentConfig = z.infer<typeof xmppComponentConfigSchema>;
export type XmppClientConfig = z.infer<typeof xmppClientConfigSchema>;
export type XmppNetworkConfig = z.infer<typeof xmppNetworkConfigSchema>;

export function createXmppNetwork(context: NetworkContext<XmppNetworkConfig>): Network {
  const { config } = context;
  return config.mode === 'client' ? createClientNetwork({ ...context, config }) : createComponentNetwork({ ...context, config });
}
