/**
 * Visitors who left (docs/networks/email.md, "Visitors who left"): an agent's reply to a website
 * visitor who gave an email address is queued in the outbox, with the message, for their address
 * on a network that reaches them (the email network), held back for that network's delay. When its
 * time comes it goes out only if the visitor has neither read it nor come back meanwhile; the
 * outbox keeps it, so a restart keeps the delay. Their answer from that address is theirs.
 */
import type { Address, Message } from '@switchboard/protocol';
import type { Network, VisitorFallbackFeature } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, NewMessage, OutboxItem, Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { ClientHub } from './hub.js';

export interface VisitorMailDeps {
  store: Pick<Store, 'getParty'>;
  registry: Pick<NetworkRegistry, 'all'>;
  hub: Pick<ClientHub, 'connectionCount'>;
  clock: Clock;
}

type FallbackNetwork = Network & VisitorFallbackFeature;

/** The visitor's address on the network that reaches them when they left. */
interface Reach {
  network: FallbackNetwork;
  address: Address;
}

const reachesVisitors = (network: Network): network is FallbackNetwork => network.visitorFallbackAfterSeconds !== undefined;

/** A held-back reply goes out only when its visitor neither read it nor is connected. */
export function stillToMail(message: Pick<Message, 'status'>, visitorConnected: boolean): boolean {
  return message.status !== 'read' && !visitorConnected;
}

export class VisitorMail {
  constructor(private readonly deps: VisitorMailDeps) {}

  /** The outbox entry that sends `from`'s message to the conversation's visitor once the delay passed, if any. */
  async heldBack(conversation: ConversationRecord, from: Address): Promise<NewMessage['outbox']> {
    // The visitor's own messages, and the desk's automatic ones (greeting, offline message), stay on the web.
    if (from === conversation.openedBy || from.startsWith('team:')) return [];
    const reach = await this.reachOf(conversation);
    if (!reach || conversation.participants.includes(reach.address)) return [];
    const notBefore = this.deps.clock.now().getTime() + reach.network.visitorFallbackAfterSeconds * 1000;
    return [{ recipient: reach.address, network: reach.network.scheme, notBefore }];
  }

  /** Whether an outbox item is still to be sent: any but a held-back reply its visitor read or came back for. */
  async stillWanted(item: OutboxItem, conversation: ConversationRecord): Promise<boolean> {
    if (conversation.participants.includes(item.recipient)) return true;
    const reach = await this.reachOf(conversation);
    if (reach?.address !== item.recipient) return true;
    return stillToMail(item.message, this.deps.hub.connectionCount(conversation.openedBy) > 0);
  }

  /** The visitor a network's message from `sender` is from: the conversation's, when `sender` is the address they gave. */
  async visitorWriting(conversation: ConversationRecord, sender: Address): Promise<Address | null> {
    const reach = await this.reachOf(conversation);
    return reach?.address === sender ? conversation.openedBy : null;
  }

  private async reachOf(conversation: ConversationRecord): Promise<Reach | null> {
    const network = this.deps.registry.all().find(reachesVisitors);
    if (!network) return null;
    const party = await this.deps.store.getParty(conversation.openedBy);
    if (party?.role !== 'visitor' || !party.email) return null;
    const address = network.visitorAddressOf(party.email);
    return address ? { network, address } : null;
  }
}
