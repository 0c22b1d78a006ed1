/**
 * The `web` network: visitors, web agents and integrations connected through the SDK.
 * Its queue is the bridge's own store (clients catch up with `sync`), so `send` only pushes the
 * message to the recipient's live connections; the first client acknowledgement becomes
 * `delivered`. Presence is derived from connections, with a grace period so a page reload or a
 * short network drop does not flap the party offline; a party may choose its own with `presence:set`.
 */
import type { Address, PresenceStatus } from '@switchboard/protocol';
import { z } from 'zod';
import type { HostingContext, NetworkCore, NetworkStatus, OutboundMessage, PresenceFeature, SendResult, TypingFeature } from '../network.js';

export const webNetworkConfigSchema = z.strictObject({
  type: z.literal('web'),
  /** How long a party stays present after its last connection closed. */
  presenceGraceMs: z.number().int().min(0).default(5000),
});

export type WebNetworkConfig = z.infer<typeof webNetworkConfigSchema>;

export function createWebNetwork({ config, sink, hub, logger }: HostingContext<WebNetworkConfig>): NetworkCore & TypingFeature & PresenceFeature {
  const graceTimers = new Map<Address, NodeJS.Timeout>();
  /** Statuses parties chose with `presence:set`, kept while they stay connected. */
  const chosen = new Map<Address, { status: PresenceStatus; text?: string }>();
  /**
   * Parties with a connection to this node. Each node reports the presence of its own parties
   * (core/presence.ts merges the nodes' reports), so the grace period asks about this node only.
   */
  const here = new Set<Address>();
  let unsubscribe: (() => void) | undefined;
  let status: NetworkStatus = { state: 'offline', reason: 'not started' };

  function onConnectivity(address: Address, connected: boolean): void {
    const pending = graceTimers.get(address);
    if (connected) here.add(address);
    else here.delete(address);
    if (connected) {
      if (pending) {
        clearTimeout(pending);
        graceTimers.delete(address);
        return; // back within the grace period: nothing changed for anyone watching
      }
      const own = chosen.get(address);
      sink.presence({ address, status: own?.status ?? 'available', ...(own?.text !== undefined ? { text: own.text } : {}) });
      return;
    }
    if (pending) return;
    const timer = setTimeout(() => {
      graceTimers.delete(address);
      if (here.has(address)) return;
      chosen.delete(address);
      sink.presence({ address, status: 'offline' });
    }, config.presenceGraceMs);
    timer.unref();
    graceTimers.set(address, timer);
  }

  return {
    scheme: 'web',
    deliversFromStore: true,
    status: () => status,
    async start() {
      unsubscribe = hub.onConnectivity(onConnectivity);
      status = { state: 'online' };
      logger.debug('web network started');
    },
    async stop() {
      unsubscribe?.();
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
      here.clear();
      status = { state: 'offline', reason: 'stopped' };
    },
    async send({ message, to }: OutboundMessage): Promise<SendResult> {
      hub.deliverMessage(to, message, () => sink.receipt({ messageId: message.id, status: 'delivered' }));
      return { status: 'sent' };
    },
    async setTyping({ conversation, from, to, state }) {
      hub.emit([{ kind: 'address', address: to }], 'typing', { conversationId: conversation.id, from, state });
    },
    setOwnPresence(address, own, text) {
      chosen.set(address, text === undefined ? { status: own } : { status: own, text });
      sink.presence({ address, status: own, ...(text !== undefined ? { text } : {}) });
    },
  };
}
