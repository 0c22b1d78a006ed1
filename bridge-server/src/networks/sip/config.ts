/** The `sip` entry of `networks` (docs/networks/sip.md). */
import { z } from 'zod';
import { domainPattern } from '../../util/domains.js';
import { checkTeamAddresses, customersConfigSchema } from '../kit/customers-config.js';
import { reservedUserReason } from './team-uris.js';

const domainName = z
  .string()
  .min(1)
  .regex(/^[a-z0-9.-]+$/i, 'must be a domain name');

export const sipNetworkConfigSchema = z
  .strictObject({
    type: z.literal('sip'),
    /** The proxy's SIP-over-WebSocket endpoint (RFC 7118): `ws://host:port` or `wss://host:port/path`. */
    server: z.string().regex(/^wss?:\/\/[^\s/]+(\/\S*)?$/, 'must be ws://host:port or wss://host:port (SIP over WebSocket)'),
    /** The registrar's domain, which is also the digest realm of the bridge's account. */
    domain: domainName,
    /** The bridge's account (`sip:<username>@<domain>`), registered with digest authentication. */
    username: z
      .string()
      .min(1)
      .regex(/^[^\s@:;<>"]+$/, 'must be a SIP user name'),
    password: z.string().min(1),
    /** The authorization user, when it differs from `username`. */
    authorizationUsername: z.string().min(1).optional(),
    /** The domain the proxy routes to the bridge's registration: each visitor is `sip:v_xxx@<visitorDomain>`. */
    visitorDomain: domainName,
    /**
     * Domains whose senders the proxy authenticates (it challenges their MESSAGE requests): `/whois`
     * shows those customers as vouched for (docs/customers.md, "Abuse controls").
     */
    authenticatedDomains: z.array(domainPattern).default([]),
    /** REGISTER expiry; the bridge registers again before it runs out. */
    registerExpiresSeconds: z.number().int().min(60).max(86_400).default(600),
    /** Ask agents' clients for RFC 5438 delivery/display notifications (wraps text in CPIM); for clients that support it. */
    imdn: z.boolean().default(false),
    /** SUBSCRIBE expiry for agents' and customers' presence. */
    presenceExpiresSeconds: z.number().int().min(60).max(86_400).default(600),
    connectTimeoutSeconds: z.number().positive().default(10),
    /** Customers writing from their own SIP accounts to the teams' URIs under the visitor domain (docs/customers.md). */
    customers: customersConfigSchema.optional(),
  })
  .superRefine((config, context) => {
    checkTeamAddresses(config.customers, context, (user) => reservedUserReason(user, config.username));
  });

export type SipNetworkConfig = z.infer<typeof sipNetworkConfigSchema>;
