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
import { type PresentAgent, PresentAgentsKeeping } from './present-agents.js';
import { agentUserId } from './site-scope.js';

export const webNetworkConfigSchema = z.strictObject({
  type: z.literal('web'),
  /** How long a party stays present after its last connection closed. */
  presenceGraceMs: z.number().int().min(0).default(5000),
});

export type WebNetworkConfig = z.infer<typeof webNetworkConfigSchema>;

export function createWebNetwork({
  config,
  sink,
  hub,
  logger,
  records,
  nodeKey,
}: HostingContext<WebNetworkConfig>): NetworkCore & TypingFeature & PresenceFeature {
  const graceTimers = new Map<Address, NodeJS.Timeout>();
  /** The agents present here, kept for this node's next run (a restart is a short drop for them too). */
  const keeping =
    records && nodeKey !== undefined && config.presenceGraceMs > 0 ? new PresentAgentsKeeping(records, `present-agents:${nodeKey}`, logger) : undefined;
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
      keepAgents(address);
      return;
    }
    if (!pending) startGrace(address);
  }

  /** The party stays present `presenceGraceMs` longer, then goes offline unless it is back. */
  function startGrace(address: Address): void {
    const timer = setTimeout(() => {
      graceTimers.delete(address);
      if (here.has(address)) return;
      chosen.delete(address);
      sink.presence({ address, status: 'offline' });
      keepAgents(address);
    }, config.presenceGraceMs);
    timer.unref();
    graceTimers.set(address, timer);
  }

  /** After a change of an agent's presence here: the agents present here (connected, or within the grace) are kept. */
  function keepAgents(changed: Address): void {
    if (!keeping || agentUserId(changed) === undefined) return;
    const present = new Set([...here, ...graceTimers.keys()].filter((address) => agentUserId(address) !== undefined));
    keeping.save(
      [...present].flatMap((address): PresentAgent[] => {
        const own = chosen.get(address);
        // One who chose to show offline is not shown present by a restart.
        if (own?.status === 'offline') return [];
        return [{ address, status: own?.status ?? 'available', ...(own?.text !== undefined ? { text: own.text } : {}) }];
      }),
    );
  }

  /** The agents present here when the last run ended are present again, within the grace, as after a reload. */
  async function restorePresentAgents(): Promise<void> {
    const kept = (await keeping?.load()) ?? [];
    for (const { address, status, text } of kept) {
      if (here.has(address) || graceTimers.has(address)) continue;
      chosen.set(address, text === undefined ? { status } : { status, text });
      sink.presence({ address, status, ...(text !== undefined ? { text } : {}) });
      startGrace(address);
    }
    if (kept.length > 0) logger.debug({ agents: kept.length }, 'web agents present before the restart are present again within the grace period');
  }

  return {
    scheme: 'web',
    deliversFromStore: true,
    status: () => status,
    async start() {
      unsubscribe = hub.onConnectivity(onConnectivity);
      await restorePresentAgents();
      status = { state: 'online' };
      logger.debug('web network started');
    },
    async stop() {
      unsubscribe?.();
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
      here.clear();
      // What was kept stays for the next run: the agents present now are present again at its start.
      await keeping?.written();
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
      keepAgents(address);
    },
  };
}
