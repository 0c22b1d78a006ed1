/**
 * Gateway mode (docs/gateway.md): users of two IM networks message each other through the bridge,
 * an XMPP user writing to a SIP user at the address the bridge gives that user on XMPP, and back.
 * Which networks may reach which is an allow-list; each sender has a rate limit; and a message that
 * comes back from one of the bridge's own identities is a loop, never relayed again.
 */
import type { Address } from '@switchboard/protocol';
import { z } from 'zod';
import { TokenBucket } from '../util/token-bucket.js';

const scheme = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a network type such as xmpp, sip or irc');

export const gatewayConfigSchema = z.strictObject({
  /** The site gateway conversations belong to: its agents and integrations can observe them. */
  site: z.string().min(1),
  /** Directed pairs of networks whose users may reach each other (`{ from: 'xmpp', to: 'sip' }`). */
  allow: z.array(z.strictObject({ from: scheme, to: scheme })).min(1, 'list at least one { from, to } pair'),
  /** Messages a minute one sender may start or send through the gateway, after a burst. */
  ratePerMinute: z.number().positive().default(30),
  burst: z.number().int().min(1).default(10),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

const networkOf = (address: Address) => address.slice(0, address.indexOf(':'));
/** Senders whose rate is remembered (the least recently seen is forgotten first). */
const SENDERS_KEPT = 10_000;

export type GatewayVerdict = { ok: true } | { ok: false; reason: 'not-allowed' | 'loop' | 'rate-limited'; message: string };

export class GatewayPolicy {
  private readonly allowed: Set<string>;
  private readonly buckets = new Map<Address, TokenBucket>();

  constructor(
    readonly config: GatewayConfig,
    /** Whether an address is one the bridge itself presents on some network (a puppet, its bot, its domain). */
    private readonly ownedByBridge: (address: Address) => boolean,
  ) {
    this.allowed = new Set(config.allow.map((pair) => `${pair.from}>${pair.to}`));
  }

  /** Whether `from` may reach `to` through the gateway now (counts against `from`'s rate). */
  check(from: Address, to: Address): GatewayVerdict {
    const fromNetwork = networkOf(from);
    const toNetwork = networkOf(to);
    if (fromNetwork === 'web' || toNetwork === 'web' || fromNetwork === toNetwork || !this.allowed.has(`${fromNetwork}>${toNetwork}`)) {
      return { ok: false, reason: 'not-allowed', message: `this gateway does not connect ${fromNetwork} to ${toNetwork}` };
    }
    // A bridge identity on one side means the message already went through a bridge: relaying it
    // again would bounce it between networks for ever.
    if (this.ownedByBridge(from) || this.ownedByBridge(to)) return { ok: false, reason: 'loop', message: 'this message came back through the gateway; it is not relayed again' };
    let bucket = this.buckets.get(from);
    if (bucket) this.buckets.delete(from);
    else bucket = new TokenBucket(this.config.ratePerMinute / 60, this.config.burst);
    this.buckets.set(from, bucket);
    if (this.buckets.size > SENDERS_KEPT) this.buckets.delete(this.buckets.keys().next().value!);
    if (!bucket.take()) return { ok: false, reason: 'rate-limited', message: `at most ${this.config.ratePerMinute} messages a minute through the gateway` };
    return { ok: true };
  }
}
