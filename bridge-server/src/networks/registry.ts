/**
 * Network type -> factory (the bridge map). Adding a network is its folder plus one line here.
 */
import type { z } from 'zod';
import type { Network, NetworkContext } from './network.js';
import { createWebNetwork, webNetworkConfigSchema } from './web/web-network.js';

export interface NetworkDefinition<S extends z.ZodType = z.ZodType> {
  /** Validates the network's entry of `networks` in the config. */
  schema: S;
  create(context: NetworkContext<z.infer<S>>): Network;
}

export const BUILTIN_NETWORKS: Record<string, NetworkDefinition> = {
  web: { schema: webNetworkConfigSchema, create: createWebNetwork as NetworkDefinition['create'] },
};

/** The networks running in one bridge, found by address scheme. */
export class NetworkRegistry {
  private readonly byScheme = new Map<string, Network>();

  add(network: Network): void {
    if (this.byScheme.has(network.scheme)) throw new Error(`two networks claim the address scheme "${network.scheme}"`);
    this.byScheme.set(network.scheme, network);
  }

  get(scheme: string): Network | undefined {
    return this.byScheme.get(scheme);
  }

  forAddress(address: string): Network | undefined {
    return this.byScheme.get(address.slice(0, address.indexOf(':')));
  }

  all(): Network[] {
    return [...this.byScheme.values()];
  }
}
