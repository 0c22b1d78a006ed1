/**
 * Which customers a site's agents and API keys may start a conversation with on the customer's
 * network (docs/customers.md, "Outreach"): the networks and domains the site lists, nobody when it
 * lists none; and how often one agent may (a token bucket per agent).
 */
import { type Address, networkOf } from '@switchboard/protocol';
import { z } from 'zod';
import { type RateLimiter, type RateLimits, type RateVerdict, memoryRateLimits } from '../../cluster/rate-limits.js';
import { domainMatches, domainOf, domainPattern, schemeSchema } from '../../util/domains.js';

export const OUTREACH_DEFAULT_RATE = { perMinute: 1, burst: 10 } as const;

export const outreachConfigSchema = z.strictObject({
  /** The networks whose users may be contacted (`xmpp`, `sip`, `irc`). */
  networks: z.array(schemeSchema).min(1, 'list at least one network, or leave outreach out'),
  /** The domains (IRC: network ids) whose users may be contacted; `*.example.org` is every subdomain. */
  domains: z.array(domainPattern).min(1, 'list at least one domain, or leave outreach out'),
  /** Conversations a minute one agent (or API key) may start, after a burst. */
  rate: z
    .strictObject({
      perMinute: z.number().positive().default(OUTREACH_DEFAULT_RATE.perMinute),
      burst: z.number().int().min(1).default(OUTREACH_DEFAULT_RATE.burst),
    })
    .default(OUTREACH_DEFAULT_RATE),
});

export type OutreachConfig = z.infer<typeof outreachConfigSchema>;

/** The network type of each built-in network that carries an outreach, by its address scheme. */
const OUTREACH_NETWORK_TYPES: Readonly<Record<string, string>> = { xmpp: 'xmpp', sip: 'sip', irc: 'irc', mailto: 'email' };

/**
 * The built-in networks an `outreach` lists that the configuration lacks, with their index: every
 * outreach to them would be refused at run time. A scheme of another network (an embedder's own)
 * is left to the run: only its network knows its scheme.
 */
export function missingOutreachNetworks(outreach: OutreachConfig, networkTypes: ReadonlySet<string>): { index: number; problem: string }[] {
  return outreach.networks.flatMap((scheme, index) => {
    const type = OUTREACH_NETWORK_TYPES[scheme];
    return type === undefined || networkTypes.has(type)
      ? []
      : [{ index, problem: `no ${type} network is configured (add a networks entry of type "${type}")` }];
  });
}

export type OutreachVerdict = { ok: true } | { ok: false; message: string };

/** One site's outreach rules; without a configuration, outreach is off. */
export class OutreachPolicy {
  private readonly rates: RateLimiter | undefined;

  /** `rateLimits`: where the budgets are counted (for the whole bridge with several nodes); this process's memory by default. */
  constructor(
    private readonly config: OutreachConfig | undefined,
    now: () => number = Date.now,
    options: { siteKey?: string; rateLimits?: RateLimits } = {},
  ) {
    this.rates =
      config &&
      (options.rateLimits ?? memoryRateLimits(now)).bucket({
        name: `outreach:${options.siteKey ?? ''}`,
        perSecond: config.rate.perMinute / 60,
        burst: config.rate.burst,
      });
  }

  /** Whether the site lets its agents contact `customer` (a normalized address of a configured network). */
  allows(customer: Address): OutreachVerdict {
    const { config } = this;
    if (!config) return { ok: false, message: 'outreach is off for this site (see "outreach" in its configuration)' };
    const network = networkOf(customer);
    if (!config.networks.includes(network)) return { ok: false, message: `this site's outreach does not include the network ${network}` };
    const domain = domainOf(customer);
    if (!domainMatches(domain, config.domains)) return { ok: false, message: `this site's outreach does not include the domain ${domain}` };
    return { ok: true };
  }

  /** Counts one outreach of `agent` (an agent's id, an API key's address); refused when over the rate, with how long until it may again. */
  take(agent: string): Promise<RateVerdict> {
    return this.rates?.take(agent) ?? Promise.resolve({ ok: false, retryAfterMs: 0 });
  }

  /** The configured rate, for messages. */
  get perMinute(): number {
    return this.config?.rate.perMinute ?? 0;
  }
}
