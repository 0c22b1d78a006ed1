/**
 * Fan-out: what happens in a conversation reaches every other party through its own network. The
 * one place that owns it; networks never know each other (docs/networks.md, "Sending").
 */
import { type Address, type Message, type TypingState, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, OutboxTarget, QueuedOutboxItem } from '../store/store.js';
import type { ClientHub } from './hub.js';
import type { Network, NetworkConversation } from '../networks/network.js';
import { toNetworkConversation, toWireConversation } from './wire.js';

export interface FanOutDeps {
  registry: NetworkRegistry;
  hub: ClientHub;
  logger: Logger;
  metrics: Metrics;
  /** Asks the outbox worker to look at a network's queue; `queued`: its items stored with the message, when the store said. */
  kickOutbox(network: string, queued?: readonly QueuedOutboxItem[]): void;
  /** The name `from`'s messages go under, for their typing to networks that show a sender's name (SIP's From). */
  senderName?(from: Address): Promise<string | undefined>;
  /** The address a visitor continues the conversation at, for `from`'s typing (none when not continued). */
  continuedAt?(conversation: ConversationRecord, from: Address): Promise<{ to: Address; conversation: NetworkConversation } | null>;
}

export class FanOut {
  constructor(private readonly deps: FanOutDeps) {}

  /**
   * Which of a conversation's participants get a message from `from` through the outbox (queued
   * with the message; the store leaves out those being handed it, store.ts `Joining`).
   */
  outboxRecipients(participants: readonly Address[], from: Address): OutboxTarget[] {
    return participants
      .filter((address) => address !== from)
      .flatMap((recipient) => {
        const network = this.deps.registry.forAddress(recipient);
        if (network?.deliversFromStore) return [];
        return [{ recipient, network: network?.scheme ?? networkOf(recipient) }];
      });
  }

  /** Whether every recipient's network delivers from the store, so the message is `sent` once stored. */
  allDeliverFromStore(participants: readonly Address[], from: Address): boolean {
    const recipients = participants.filter((address) => address !== from);
    return recipients.length > 0 && recipients.every((address) => this.deps.registry.forAddress(address)?.deliversFromStore === true);
  }

  /**
   * Hands a stored message to every recipient's network. Parties whose network delivers from the
   * store get it at once; the others were queued in the outbox with the message: the worker sends it.
   */
  message(
    message: Message,
    conversation: ConversationRecord,
    options: { exceptConnection?: string; queued?: readonly QueuedOutboxItem[] | undefined } = {},
  ): void {
    // The sender's other connections (another tab) see their own message too.
    const senderConnections = this.deps.hub.connectionCount(message.from);
    if (senderConnections > (options.exceptConnection ? 1 : 0)) {
      this.deps.hub.emit(
        [{ kind: 'address', address: message.from }],
        'message',
        message,
        options.exceptConnection ? { exceptConnection: options.exceptConnection } : {},
      );
    }
    const kicked = new Set<string>();
    for (const recipient of conversation.participants) {
      if (recipient === message.from) continue;
      const network = this.deps.registry.forAddress(recipient);
      if (!network) continue; // kept in the outbox until such a network is configured
      if (!network.deliversFromStore) {
        if (kicked.has(network.scheme)) continue;
        kicked.add(network.scheme);
        const queued = options.queued?.filter((item) => item.network === network.scheme);
        this.deps.kickOutbox(network.scheme, queued);
        continue;
      }
      network
        .send({ message, to: recipient, conversation: toWireConversation(conversation) })
        .then(() => this.deps.metrics.messages.inc({ network: network.scheme, direction: 'out' }))
        .catch((error: unknown) => this.deps.logger.error({ err: error, message: message.id }, 'delivery to a connected party failed'));
    }
  }

  /** Items queued for no participant (a reply held back for a visitor who left): the outbox looks at their network. */
  queued(items: readonly { network: string }[]): void {
    for (const network of new Set(items.map((item) => item.network))) this.deps.kickOutbox(network);
  }

  /** Typing goes to each other party whose network carries it (and where the visitor continues): best effort, never stored. */
  typing(conversation: ConversationRecord, from: Address, state: TypingState): void {
    const dropped = (error: unknown) => this.deps.logger.debug({ err: error }, 'typing notification not delivered');
    // Read once, and only for a network of its own (the web's typing carries no name).
    let name: Promise<{ fromName?: string }> | undefined;
    const named = () => (name ??= (this.deps.senderName?.(from) ?? Promise.resolve(undefined)).then((found) => (found ? { fromName: found } : {})));
    const tell = async (network: Network | undefined, input: { conversation: NetworkConversation; to: Address }) => {
      if (!network?.setTyping) return;
      await network.setTyping({ ...input, from, state, ...(network.deliversFromStore ? {} : await named()) });
    };
    for (const recipient of conversation.participants) {
      if (recipient === from) continue;
      tell(this.deps.registry.forAddress(recipient), { conversation: toNetworkConversation(conversation), to: recipient }).catch(dropped);
    }
    this.deps
      .continuedAt?.(conversation, from)
      .then((linked) => linked && tell(this.deps.registry.forAddress(linked.to), linked))
      .catch(dropped);
  }
}
