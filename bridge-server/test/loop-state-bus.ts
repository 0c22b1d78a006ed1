/**
 * Bus ends of bridge nodes in one test process (the StateBus the cluster's bus provides): what one
 * node publishes, every other node hears, as JSON (what crosses between processes), never itself.
 * `missing` makes the bus lose what is published under a type; `nodeLeft(i)` tells every other node that the i-th (0 first) left.
 */
import type { StateBus } from '../src/cluster/state-bus.js';

export function loopBus(): { node(): StateBus; missing(type: string): void; nodeLeft(index: number): void } {
  const nodes: Map<string, ((payload: unknown) => void)[]>[] = [];
  const lost = new Set<string>();
  const left: { index: number; handler: (nodeId: string) => void }[] = [];
  return {
    node() {
      const mine = new Map<string, ((payload: unknown) => void)[]>();
      const index = nodes.push(mine) - 1;
      return {
        publish(type, payload) {
          if (lost.has(type)) return;
          const copy = JSON.stringify(payload);
          for (const other of nodes) if (other !== mine) for (const handler of other.get(type) ?? []) handler(JSON.parse(copy));
        },
        on(type, handler) {
          mine.set(type, [...(mine.get(type) ?? []), handler]);
        },
        onNodeLeft(handler) {
          left.push({ index, handler });
        },
      };
    },
    missing: (type) => void lost.add(type),
    nodeLeft: (index) => {
      for (const end of left) if (end.index !== index) end.handler(`node-${index}`);
    },
  };
}
