/** Wraps a Store so every call is observed in the store latency histogram. */
import type { Metrics } from '../metrics.js';
import type { Store } from './store.js';

export function timedStore(store: Store, metrics: Metrics): Store {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      let timed = wrapped.get(property);
      if (!timed) {
        const histogram = metrics.storeLatency.labels({ operation: String(property) });
        timed = (...args: unknown[]) => {
          const started = performance.now();
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          const end = () => histogram.observe((performance.now() - started) / 1000);
          // Observed beside the caller's chain, not in it: the caller awaits the store's own promise
          // (one promise fewer per call than `finally`, and no extra turn before it resumes).
          if (result instanceof Promise) void result.then(end, end);
          else end();
          return result;
        };
        wrapped.set(property, timed);
      }
      return timed;
    },
  });
}
