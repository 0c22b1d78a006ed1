/**
 * Bus ends of bridge nodes in one test process (the StateBus the cluster's bus provides): what one
 * node publishes, every other node hears, as JSON (what crosses between processes), never itself.
 */
import type { StateBus } from '../src/cluster/state-bus.js';

export function loopBus(): { node(): StateBus } {
  const nodes: Map<string, ((payload: unknown) => void)[]>[] = [];
  return {
    node() {
      const mine = new Map<string, ((payload: unknown) => void)[]>();
      nodes.push(mine);
      return {
        publish(type, payload) {
          const copy = JSON.stringify(payload);
          for (const other of nodes) if (other !== mine) for (const handler of other.get(type) ?? []) handler(JSON.parse(copy));
        },
        on(type, handler) {
          mine.set(type, [...(mine.get(type) ?? []), handler]);
        },
      };
    },
  };
}
