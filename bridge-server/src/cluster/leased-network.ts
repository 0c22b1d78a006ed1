/**
 * A network run only by the holder of its lease (`network:<type>`): the other nodes never start it
 * (a server that takes one connection per account or component domain never sees two), and report
 * it `standby`. When the lease is lost the network refuses sends at once and is stopped; when it is
 * acquired the network starts and its outbox is read at once. The calls that do not go through the
 * outbox (typing, read markers, desk lines) made on a node without the lease are passed on to the
 * holder (cluster/network-calls.ts), which makes them. On a single node (LocalLeases) the lease is
 * always held: the network runs as if unwrapped.
 */
import type { Logger } from 'pino';
import { type InboundSink, type Network, NetworkError, type NetworkStatus, type SendResult } from '../networks/network.js';
import type { Lease } from './leases.js';
import { FORWARDED_CALLS, type ForwardedCall, NOTICE_ANSWER_MS, type NetworkCalls } from './network-calls.js';

export interface LeasedNetworkDeps {
  sink: Pick<InboundSink, 'status'>;
  logger: Logger;
  /** The network runs here now (its outbox is to be read at once). */
  acquired(scheme: string): void;
  /** It no longer does (its outbox is let go, synchronously). */
  released(scheme: string): void;
  /** Where calls made on a node without the lease go (absent: a single node, which always holds it). */
  calls?: NetworkCalls;
}

const forwarded = new Set<PropertyKey>(FORWARDED_CALLS);

export function leasedNetwork(inner: Network, lease: Lease, deps: LeasedNetworkDeps): Network {
  const { scheme } = inner;
  const logger = deps.logger.child({ network: scheme, lease: lease.name });
  /** Whether `inner` is started (or starting) here. */
  let running = false;
  let stopped = false;
  /** Starts and stops of `inner`, one after the other. */
  let transitions: Promise<void> = Promise.resolve();
  const then = (step: () => Promise<void>, what: string) => {
    transitions = transitions.then(step).catch((error: unknown) => logger.error({ err: error }, `${what} failed`));
    return transitions;
  };
  const standby = (): NetworkStatus => ({ state: 'standby', reason: `another node holds ${lease.name}` });
  const status = (): NetworkStatus => (stopped || lease.token() !== undefined ? inner.status() : standby());

  /** Why the network failed to start, for `start()` to throw as an unwrapped network does. */
  let startError: unknown;
  const begin = () => {
    if (running || stopped) return;
    running = true;
    transitions = transitions
      .then(async () => {
        try {
          await inner.start();
        } catch (error) {
          running = false;
          startError = error;
          logger.error({ err: error }, 'network start failed');
          // Not held with a network that does not run: another node may start it (this one tries again later).
          lease.fenced();
          return;
        }
        deps.sink.status(scheme, inner.status());
        deps.acquired(scheme);
      })
      .catch((error: unknown) => logger.error({ err: error }, 'network start failed'));
  };
  const end = (reason: string) => {
    if (!running) return;
    running = false;
    // Synchronously: no send of this network starts here from now on.
    deps.released(scheme);
    logger.warn({ reason }, 'network stopped: this node no longer holds its lease');
    void then(async () => {
      await inner.stop();
      if (!stopped) deps.sink.status(scheme, standby());
    }, 'network stop');
  };
  const unlisten = lease.listen({ acquired: begin, lost: end });
  /** Calls other nodes pass on: made here only while this node runs the network (else undefined: not ours to answer). */
  const unserve = deps.calls?.serve(scheme, (method, args) => {
    if (!running || lease.token() === undefined) return undefined;
    const call: unknown = Reflect.get(inner, method, inner);
    if (typeof call !== 'function') return Promise.reject(new NetworkError(`${scheme} has no ${method}`, false));
    return Promise.resolve((call as (...args: unknown[]) => unknown).apply(inner, args));
  });

  const overrides: Partial<Network> = {
    status,
    async start() {
      await lease.start();
      if (lease.token() !== undefined) begin();
      await transitions;
      // A network that cannot start fails the bridge's start, as it does unwrapped.
      const error = startError;
      startError = undefined;
      if (error !== undefined) throw error instanceof Error ? error : new Error(`${scheme} did not start`, { cause: error });
    },
    async stop() {
      stopped = true;
      unlisten();
      unserve?.();
      if (running) {
        running = false;
        void then(() => inner.stop(), 'network stop');
      }
      await transitions;
    },
    send(outbound) {
      if (lease.token() !== undefined) return inner.send(outbound);
      // A send made at once (not the outbox's, which sends only where the lease is held) is made by the holder.
      if (outbound.direct && deps.calls) return deps.calls.ask(scheme, 'send', [outbound]) as Promise<SendResult>;
      return Promise.reject(new NetworkError(`${scheme} is standby: ${standby().reason}`, true));
    },
  };
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(inner, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Network];
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (!method) {
        const own = (value as (...args: unknown[]) => unknown).bind(target);
        const { calls } = deps;
        // Typing, read markers, desk lines, what it says of an address: to the network here when it runs here, else to the holder.
        if (forwarded.has(property) && calls)
          method = (...args: unknown[]) => {
            if (lease.token() !== undefined) return own(...args);
            calls.forward(scheme, property as ForwardedCall, args);
            // Whom to follow is kept here too: followed from here once this node runs the network.
            if (property === 'subscribePresence') return own(...args);
            return property === 'conversationChanged' ? undefined : Promise.resolve();
          };
        else if ((property === 'identityOf' || property === 'notice') && calls)
          method = (...args: unknown[]) =>
            lease.token() !== undefined ? own(...args) : calls.ask(scheme, property, args, property === 'notice' ? NOTICE_ANSWER_MS : undefined);
        else method = own; // the other features go to the network itself, bound to it
        bound.set(property, method);
      }
      return method;
    },
  });
}
