// The handover's unit tests on a real store: a registry where web addresses read from the store
// and the others go through the outbox, and a visitor whose messages are queued as the message
// pipeline queues them.
import type { Address } from '@switchboard/protocol';
import pino from 'pino';
import { FanOut } from '../src/core/fan-out.js';
import type { NetworkRegistry } from '../src/networks/registry.js';
import type { Store } from '../src/store/store.js';

export const silent = pino({ level: 'silent' });

/** Each address's network is its scheme; web addresses read from the store. */
export const schemeRegistry = {
  forAddress: (address: Address) => ({ scheme: address.split(':')[0]!, deliversFromStore: address.startsWith('web:') }),
} as unknown as NetworkRegistry;

/** `say(conversationId, text)`: a message from `visitor`, queued for the other parties on outbox networks. */
export function visitorSays(store: Pick<Store, 'appendMessage'>, visitor: Address) {
  const fanOut = new FanOut({ registry: schemeRegistry, hub: {} as never, logger: silent, metrics: {} as never, kickOutbox: () => undefined });
  return (conversationId: string, text: string) =>
    store.appendMessage({
      conversationId,
      from: visitor,
      text,
      status: 'accepted',
      outbox: [],
      outboxFor: (participants) => fanOut.outboxRecipients(participants, visitor),
    });
}

/** The outbox sends what waits on `network` (items gone once sent): their texts, in order. */
export async function sendQueued(store: Pick<Store, 'pendingOutbox' | 'completeOutbox'>, network = 'xmpp'): Promise<string[]> {
  const items = await store.pendingOutbox(network, 100);
  for (const item of items) await store.completeOutbox(item, 'sent');
  return items.map((item) => item.message.text);
}
