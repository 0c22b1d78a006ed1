/**
 * Who gets a new team conversation (docs/support-desk.md, "Routing"). Only agents who are
 * available on at least one of their networks and below their capacity take part; the team's
 * strategy picks among them:
 * - `first-available`: the first in the team's order;
 * - `round-robin`: the one who was offered a conversation longest ago (never: first);
 * - `least-busy`: the one with the fewest open conversations, then as round-robin.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import type { AgentConfig } from '../../config.js';

export type RoutingStrategy = 'first-available' | 'round-robin' | 'least-busy';

export interface AgentCandidate {
  agent: AgentConfig;
  /** The address to assign: the agent's first available one. */
  address: Address;
  /** Open conversations assigned to any of the agent's addresses. */
  open: number;
}

/** The agent's address to reach it on, by live presence: the first `available` one, in config order. */
export function availableAddress(agent: AgentConfig, statusOf: (address: Address) => PresenceStatus): Address | undefined {
  return agent.addresses.find((address) => statusOf(address) === 'available');
}

/**
 * Picks among candidates already filtered for presence and capacity, kept in the team's order.
 * `lastOffered` gives each agent's last offer as an increasing number (0: never).
 */
export function chooseAgent(
  strategy: RoutingStrategy,
  candidates: readonly AgentCandidate[],
  lastOffered: (agentId: string) => number,
): AgentCandidate | undefined {
  if (candidates.length === 0) return undefined;
  if (strategy === 'first-available') return candidates[0];
  // Array.prototype.sort is stable, so ties keep the team's order.
  const byTurn = [...candidates].sort((a, b) => lastOffered(a.agent.id) - lastOffered(b.agent.id));
  if (strategy === 'round-robin') return byTurn[0];
  return byTurn.sort((a, b) => a.open - b.open)[0];
}
