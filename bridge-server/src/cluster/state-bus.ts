/**
 * What the shared desk state needs of the messages between bridge nodes: publish to the other
 * nodes, hear what they publish. The cluster's bus (cluster/bus.ts) provides it; a single node
 * uses `LOCAL_STATE_BUS`, which tells nobody, so the single-node bridge behaves as it always did.
 *
 * Payloads come from other processes: each listener checks its payload (messages.ts) and drops
 * what does not fit, never throwing.
 */
export interface StateBus {
  /** Sends to every other node (not to this one). */
  publish(type: string, payload: unknown): void;
  /** Hears what other nodes publish under `type`. */
  on(type: string, handler: (payload: unknown) => void): void;
  /** Hears that a node stopped or was unheard too long (what it watched must be watched by others). */
  onNodeLeft?(handler: (nodeId: string) => void): void;
}

/** One node: nobody else to tell, nothing to hear. */
export const LOCAL_STATE_BUS: StateBus = {
  publish: () => undefined,
  on: () => undefined,
};
