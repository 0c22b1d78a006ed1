/** Wraps a Store so every call is observed in the store latency histogram. */
import type { Metrics } from '../metrics.js';
import type { Store } from './store.js';

export function timedStore(store: Store, metrics: Metrics): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const end = metrics.storeLatency.startTimer({ operation: String(property) });
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) return result.finally(end);
        end();
        return result;
      };
    },
  });
}
