/**
 * Gateway mode (docs/gateway.md): users of two IM networks message each other through the bridge,
 * an XMPP user writing to a SIP user at the address the bridge gives that user on XMPP, and back.
 * Which networks (and domains) may reach which is an allow-list; each sender has a rate limit; and
 * a message that comes back, from one of the bridge's own identities or carrying the bridge's id in
 * its hop marker, is a loop, never relayed again.
 */
import { type Address, networkOf } from '@switchboard/protocol';
import { z } from 'zod';
import { domainMatches, domainOf, domainPattern, schemeSchema as scheme } from '../../util/domains.js';
import { BRIDGE_ID } from '../../util/hops.js';
import { KeyedRateLimit } from '../../util/keyed-rate-limit.js';

/** A network of a gateway pair: any but the web, whose users (the site's visitors and agents) never use the gateway. */
const gatewayScheme = scheme.refine((value) => value !== 'web', "web users are the site's visitors and agents: they never use the gateway");

export const gatewayConfigSchema = z.strictObject({
  /** The site gateway conversations belong to: its agents and integrations can observe them. */
  site: z.string().min(1),
  /**
   * Directed pairs of networks whose users may reach each other (`{ from: 'xmpp', to: 'sip' }`),
   * optionally only for some domains of the sender or of the recipient.
   */
  allow: z
    .array(
      z
        .strictObject({
          from: gatewayScheme,
          to: gatewayScheme,
          fromDomains: z.array(domainPattern).min(1).optional(),
          toDomains: z.array(domainPattern).min(1).optional(),
        })
        .refine((pair) => pair.from !== pair.to, { message: 'a network to itself needs no gateway: its users reach each other on it', path: ['to'] }),
    )
    .min(1, 'list at least one { from, to } pair'),
  /** Messages a minute one sender may start or send through the gateway, after a burst. */
  ratePerMinute: z.number().positive().default(30),
  burst: z.number().int().min(1).default(10),
  /** This bridge's id in hop markers (default: random, kept in the store). */
  id: z.string().regex(BRIDGE_ID, 'must be 1 to 64 letters, digits, dots, dashes or underscores').optional(),
  /** Bridges a message may have gone through already (through other gateways) before it is taken for a loop. */
  maxHops: z.number().int().min(1).max(16).default(4),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** No list: any domain. */
const matches = (domain: string, patterns: readonly string[] | undefined) => patterns === undefined || domainMatches(domain, patterns);

export type GatewayVerdict = { ok: true } | { ok: false; reason: 'not-allowed' | 'loop' | 'rate-limited'; message: string };

export class GatewayPolicy {
  private readonly rates: KeyedRateLimit;

  constructor(
    readonly config: GatewayConfig,
    /** This bridge's id, as written in hop markers. */
    readonly bridgeId: string,
    /** Whether an address is one the bridge itself presents on some network (a puppet, its bot, its domain). */
    private readonly ownedByBridge: (address: Address) => boolean,
    /** Whether the bridge hosts a party itself (a website visitor): such parties never use the gateway. */
    private readonly hostedByBridge: (address: Address) => boolean = () => false,
  ) {
    this.rates = new KeyedRateLimit(config.ratePerMinute, config.burst);
  }

  /** Whether `from` may reach `to` through the gateway now (counts against `from`'s rate). */
  check(from: Address, to: Address, via: readonly string[] = []): GatewayVerdict {
    const verdict = this.reachable(from, to, via);
    if (!verdict.ok) return verdict;
    return this.rates.take(from)
      ? verdict
      : { ok: false, reason: 'rate-limited', message: `at most ${this.config.ratePerMinute} messages a minute through the gateway` };
  }

  /** Whether `from` may reach `to` at all (pair, domains, loops), without counting a message. */
  reachable(from: Address, to: Address, via: readonly string[] = []): GatewayVerdict {
    const fromNetwork = networkOf(from);
    const toNetwork = networkOf(to);
    const pairs = this.config.allow.filter((pair) => pair.from === fromNetwork && pair.to === toNetwork);
    if (this.hostedByBridge(from) || this.hostedByBridge(to) || fromNetwork === toNetwork || pairs.length === 0) {
      return { ok: false, reason: 'not-allowed', message: `this gateway does not connect ${fromNetwork} to ${toNetwork}` };
    }
    // A bridge identity on one side, or this bridge's id in the hop marker, means the message already
    // went through this bridge: relaying it again would bounce it between networks for ever. A long
    // chain of other bridges is stopped too (a loop through bridges that do not mark their hops).
    if (this.ownedByBridge(from) || this.ownedByBridge(to) || via.includes(this.bridgeId) || via.length >= this.config.maxHops) {
      return { ok: false, reason: 'loop', message: 'this message came back through the gateway; it is not relayed again' };
    }
    if (!pairs.some((pair) => matches(domainOf(from), pair.fromDomains) && matches(domainOf(to), pair.toDomains))) {
      return {
        ok: false,
        reason: 'not-allowed',
        message: `this gateway does not connect ${domainOf(from)} on ${fromNetwork} to ${domainOf(to)} on ${toNetwork}`,
      };
    }
    return { ok: true };
  }
}
