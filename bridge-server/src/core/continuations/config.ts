/**
 * A site's "Continue on my IM" (docs/customers.md): the networks its visitors may continue a
 * conversation on, and how their address there is proven. Off when the site leaves it out.
 */
import { z } from 'zod';

/** The networks a visitor may continue on, by address scheme, and the network type that brings each. */
export const CONTINUATION_NETWORKS = { xmpp: 'xmpp', sip: 'sip', mailto: 'email' } as const;

export const continueOnConfigSchema = z.strictObject({
  networks: z
    .array(z.enum(Object.keys(CONTINUATION_NETWORKS) as [keyof typeof CONTINUATION_NETWORKS, ...(keyof typeof CONTINUATION_NETWORKS)[]]))
    .min(1, 'list at least one network, or leave continueOn out'),
  /** `code`: a code sent to the address, typed in the widget; `reply`: a reply from the address. */
  proof: z.enum(['code', 'reply']).default('code'),
  /** How long a code (or the wait for a reply) is good for. */
  codeTtlSeconds: z.number().int().min(30).max(86_400).default(600),
  /** Wrong codes a visitor may type before the continuation stops. */
  maxAttempts: z.number().int().min(1).max(20).default(5),
});

export type ContinueOnConfig = z.infer<typeof continueOnConfigSchema>;

/** The `continueOn` networks whose network type the configuration lacks, with their index. */
export function missingContinuationNetworks(continueOn: ContinueOnConfig, networkTypes: ReadonlySet<string>): { index: number; problem: string }[] {
  return continueOn.networks.flatMap((scheme, index) => {
    const type = CONTINUATION_NETWORKS[scheme];
    return networkTypes.has(type) ? [] : [{ index, problem: `no ${type} network is configured (add a networks entry of type "${type}")` }];
  });
}
