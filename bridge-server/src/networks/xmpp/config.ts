/** The XMPP network's configuration (docs/networks/xmpp.md): component mode, or client mode with one bot account. */
import { z } from 'zod';
import { checkTeamAddresses, customersConfigSchema } from '../kit/customers-config.js';

/**
 * An http(s) origin with an optional path prefix (`https://upload.example.org`,
 * `https://upload.example.org/share/`): the origin alone, or the origin and a path ending in `/`
 * (`/share` is `/share/`). No query, no fragment, no credentials.
 */
const fetchPrefix = z
  .string()
  .refine((value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol), 'must be an http or https URL')
  .refine((value) => {
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return !url.search && !url.hash && !url.username && !url.password && !value.includes('?') && !value.includes('#');
  }, 'must be an origin and an optional path prefix (no query, fragment or credentials)')
  .transform((value) => {
    const url = new URL(value);
    if (url.pathname === '/') return url.origin;
    return `${url.origin}${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}`;
  });

const common = {
  type: z.literal('xmpp'),
  /** Seconds to wait for the server before a connection attempt counts as failed. */
  connectTimeoutSeconds: z.number().positive().default(10),
  /** Files XMPP parties send (docs/networks/xmpp.md, "Files"). */
  files: z
    .strictObject({
      /**
       * Where the bridge fetches links from (an origin and an optional path prefix), beside the
       * HTTP File Upload services (XEP-0363) it discovers on its server: links elsewhere stay text,
       * never fetched.
       */
      fetchFrom: z.array(fetchPrefix).default([]),
    })
    .optional(),
};

const domainName = z
  .string()
  .min(1)
  .regex(/^[a-z0-9.-]+$/i, 'must be a domain name');

/** One gateway domain (XEP-0100): another network's users as JIDs of a component domain of their own. */
const gatewayDomainSchema = z.strictObject({
  /** The gateway's component domain, configured on the server like the main one (`sip.gw.example.org`). */
  domain: domainName,
  /** The address scheme of the network behind it (`sip`, `irc`, ...). */
  network: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network type such as sip or irc')
    // The bridge's own parties (website visitors) are refused by the registry, which knows which
    // network hosts them (networks/registry.ts, `mappedNetworks`).
    .refine((network) => network !== 'xmpp', 'must be another network than xmpp (XMPP users are themselves)'),
  /** The host a bare user name gets in jabber:iq:gateway (`bob` -> `bob@example.com`). */
  defaultHost: z
    .string()
    .min(1)
    .regex(/^[a-z0-9.-]+$/i, 'must be a host name')
    .optional(),
  /** The gateway's name in service discovery (default: "SIP/SIMPLE gateway", "IRC gateway", ...). */
  name: z.string().min(1).max(100).optional(),
});

export const xmppComponentConfigSchema = z
  .strictObject({
    ...common,
    mode: z.literal('component').default('component'),
    /** Where the XMPP server accepts components, e.g. `xmpp://127.0.0.1:5347`. */
    // XEP-0114 over plain TCP: keep the component port on loopback or a private network.
    service: z.string().regex(/^xmpp:\/\/[^/]+$/, "must be xmpp://host:port (the server's component port; components do not use TLS)"),
    /** The component's domain, as configured on the server (`Component "web.example.org"`). */
    domain: domainName,
    /** The component secret shared with the server. */
    password: z.string().min(1),
    /**
     * Gateway domains: each a component connection of its own to the same `service` with the same
     * `password`, showing one network's users (`sip:bob@example.com` -> `bob\40example.com@<domain>`).
     */
    gateways: z.array(gatewayDomainSchema).optional(),
    /** Customers writing from their own XMPP accounts to the teams' JIDs (docs/customers.md). */
    customers: customersConfigSchema.optional(),
  })
  .superRefine((config, context) => {
    checkTeamAddresses(config.customers, context);
    const domains = new Map<string, number>();
    const networks = new Map<string, number>();
    (config.gateways ?? []).forEach((gateway, index) => {
      const domain = gateway.domain.toLowerCase();
      if (domain === config.domain.toLowerCase())
        context.addIssue({ code: 'custom', path: ['gateways', index, 'domain'], message: 'must differ from the main domain' });
      else if (domains.has(domain))
        context.addIssue({ code: 'custom', path: ['gateways', index, 'domain'], message: `is already the domain of gateways[${domains.get(domain)}]` });
      if (networks.has(gateway.network))
        context.addIssue({
          code: 'custom',
          path: ['gateways', index, 'network'],
          message: `already has a gateway domain at gateways[${networks.get(gateway.network)}]`,
        });
      domains.set(domain, index);
      networks.set(gateway.network, index);
    });
  });

export const xmppClientConfigSchema = z.strictObject({
  ...common,
  mode: z.literal('client'),
  /** The server's client port, e.g. `xmpp://chat.example.org:5222`. */
  service: z.string().regex(/^xmpps?:\/\/[^/]+$/, "must be xmpp://host:port (the server's client port)"),
  /** The bot account's domain. */
  domain: domainName,
  username: z.string().min(1),
  password: z.string().min(1),
  resource: z.string().min(1).default('switchboard'),
  /**
   * Customers writing to the bot's JID (docs/customers.md, "XMPP, client mode"): whoever is not an
   * agent of a team is a customer of this team. Without it, the bot takes messages from agents only.
   */
  customers: z
    .strictObject({
      /** The team customers' conversations go to. */
      team: z.string().min(1),
      /** The site of a customer's conversation when the team serves several sites. */
      site: z.string().min(1).optional(),
    })
    .optional(),
});

/** `mode` picks the schema (component when left out), so a mistake is named by its own field. */
export const xmppNetworkConfigSchema = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !('mode' in value) ? { ...value, mode: 'component' } : value),
  z.discriminatedUnion('mode', [xmppComponentConfigSchema, xmppClientConfigSchema]),
);

export type XmppComponentConfig = z.infer<typeof xmppComponentConfigSchema>;
export type XmppClientConfig = z.infer<typeof xmppClientConfigSchema>;
export type XmppNetworkConfig = z.infer<typeof xmppNetworkConfigSchema>;

/** The networks whose users a component shows under gateway domains of their own, each with its field (for the registry's check). */
export function gatewayNetworksOf(config: XmppNetworkConfig): { path: PropertyKey[]; network: string }[] {
  if (config.mode !== 'component') return [];
  return (config.gateways ?? []).map((gateway, index) => ({ path: ['gateways', index, 'network'], network: gateway.network }));
}
