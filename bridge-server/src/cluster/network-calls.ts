/**
 * The calls to a network that do not go through the outbox (typing, read markers, receipts, desk
 * lines, conversation announcements) made on a node that does not hold the network's lease: they
 * travel over the cluster bus to every node, and the holder makes them on its connection. They
 * are best effort, as they are on one node: while no node holds the lease (a takeover) they go
 * nowhere.
 */
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ClusterBus } from './bus.js';

/** The network methods passed on to the holder; each takes its arguments as plain JSON. */
export const FORWARDED_CALLS = ['setTyping', 'markRead', 'notice', 'reportStatus', 'conversationChanged'] as const;
export type ForwardedCall = (typeof FORWARDED_CALLS)[number];

const NETWORK_CALL = 'network:call';
const callSchema = z.strictObject({
  scheme: z.string().min(1),
  method: z.enum(FORWARDED_CALLS),
  args: z.array(z.unknown()).max(4),
});
type NetworkCall = z.infer<typeof callSchema>;

export interface NetworkCalls {
  /** Passes a call on to whichever node holds `scheme`'s lease. */
  forward(scheme: string, method: ForwardedCall, args: unknown[]): void;
  /** Makes the calls other nodes pass on for `scheme` (this node decides whether it holds it); returns the unsubscribe. */
  serve(scheme: string, make: (method: ForwardedCall, args: unknown[]) => void): () => void;
}

export class BusNetworkCalls implements NetworkCalls {
  private readonly makers = new Map<string, (method: ForwardedCall, args: unknown[]) => void>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly logger: Logger,
  ) {
    bus.on<unknown>(NETWORK_CALL, (payload, fromNode) => {
      const parsed = callSchema.safeParse(payload);
      if (!parsed.success) {
        this.logger.warn({ fromNode, issues: parsed.error.issues.slice(0, 3) }, 'a malformed network call from another node was dropped');
        return;
      }
      this.makers.get(parsed.data.scheme)?.(parsed.data.method, parsed.data.args);
    });
  }

  forward(scheme: string, method: ForwardedCall, args: unknown[]): void {
    // JSON on the wire: what a call carries (a conversation, a message) is plain data already.
    this.bus.publish<NetworkCall>(NETWORK_CALL, { scheme, method, args });
  }

  serve(scheme: string, make: (method: ForwardedCall, args: unknown[]) => void): () => void {
    this.makers.set(scheme, make);
    return () => {
      if (this.makers.get(scheme) === make) this.makers.delete(scheme);
    };
  }
}
