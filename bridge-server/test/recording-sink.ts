/**
 * The core's side of a network built alone (a restart test's): each message to a party the bridge
 * hosts is stored, and the states the network reports are kept in order.
 */
import type { Address, Message } from '@switchboard/protocol';
import pino from 'pino';
import type { InboundMessage, InboundSink, NetworkContext, NetworkState, NetworkStatus } from '../src/networks/network.js';
import { RefBook } from '../src/networks/refs.js';
import { webHostedParties as hosted } from '../src/networks/web/hosted.js';

export interface RecordingSink {
  sink: InboundSink;
  /** The messages stored, in order. */
  stored: InboundMessage[];
  /** The states the network reported, in order (a stop reports none: the cluster's wrapper says `standby`). */
  reported: NetworkState[];
  /** Whether the network reported itself online after the first `since` reports. */
  onlineAfter: (since: number) => boolean;
}

/** A sink that stores every message; `agents` are the addresses it counts as agents. */
export function recordingSink(agents: readonly Address[] = []): RecordingSink {
  const stored: InboundMessage[] = [];
  const reported: NetworkState[] = [];
  const sink = {
    status: (_network: string, now: NetworkStatus) => reported.push(now.state),
    message: (input: InboundMessage) => {
      stored.push(input);
      return Promise.resolve({ id: `m${stored.length}`, text: input.text } as Message);
    },
    presence: () => undefined,
    typing: () => undefined,
    receipt: () => undefined,
    isAgent: (address: Address) => agents.includes(address),
  } as unknown as InboundSink;
  return { sink, stored, reported, onlineAfter: (since) => reported.slice(since).includes('online') };
}

/** What a network built alone is given besides its configuration and sink: web visitors as the hosted parties. */
export function aloneContext<TConfig>(config: TConfig, sink: InboundSink): NetworkContext<TConfig> {
  return { config, sink, logger: pino({ level: 'silent' }), capabilitiesOf: () => undefined, refs: new RefBook(), hosted };
}
