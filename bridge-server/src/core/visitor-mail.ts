/**
 * A website visitor's other addresses, which the conversation reaches through the outbox without
 * them being participants. Two kinds:
 * - Visitors who left (docs/networks/email.md, "Visitors who left"): an agent's reply to a visitor
 *   who gave an email address is queued for their address on a network that reaches them (the
 *   email network), held back for that network's delay. When its time comes it goes out only if
 *   the visitor has neither read it nor come back meanwhile; the outbox keeps it, so a restart
 *   keeps the delay.
 * - Continuing on another network (docs/customers.md, "Continue on my IM"): the address the visitor
 *   proved gets every message of the others at once, while its continuation is `active` (checked
 *   again when the item is sent: nothing reaches an address once stopped), from the team's address.
 * What the visitor writes from either address is theirs.
 */
import { type Address, type Message, networkOf } from '@switchboard/protocol';
import type { Network, NetworkConversation, VisitorFallbackFeature } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, NewMessage, OutboxItem, Store } from '../store/store.js';
import type { SiteConfig } from '../config.js';
import type { Clock } from '../util/clock.js';
import type { ClientHub } from './hub.js';
import { asBegun } from './continuations/as-begun.js';
import { toNetworkConversation } from './wire.js';

export interface VisitorMailDeps {
  /** Without `continuationOf`, no conversation continues on another network. */
  store: Pick<Store, 'getParty'> & Partial<Pick<Store, 'continuationOf'>>;
  registry: Pick<NetworkRegistry, 'all'> & Partial<Pick<NetworkRegistry, 'forAddress'>>;
  hub: Pick<ClientHub, 'connectionCount'>;
  clock: Clock;
  /**
   * The sites, to look a conversation's continuation up only where its site lets visitors continue
   * (a store read spared on every message elsewhere); every site may when left out.
   */
  sites?: readonly Pick<SiteConfig, 'key' | 'continueOn'>[];
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
  /** Sites whose visitors may continue elsewhere; null: any site. */
  private readonly continuing: ReadonlySet<string> | null;

  constructor(private readonly deps: VisitorMailDeps) {
    this.continuing = deps.sites ? new Set(deps.sites.filter((site) => site.continueOn).map((site) => site.key)) : null;
  }

  /** Whether a network mails an agent's reply to a visitor who gave an email address and left (`Session.repliesByEmail`). */
  repliesByEmail(): boolean {
    return this.deps.registry.all().some(reachesVisitors);
  }

  /**
   * The outbox entries that send `from`'s message to the conversation's visitor elsewhere: at once
   * to the address they continue at, and once the delay passed to the address they gave, if any.
   */
  async heldBack(conversation: ConversationRecord, from: Address): Promise<NewMessage['outbox']> {
    // The visitor's own messages are theirs already, wherever they wrote them.
    if (from === conversation.openedBy) return [];
    const linked = await this.linkedOf(conversation);
    const entries: NewMessage['outbox'] = linked ? [{ recipient: linked.recipient, network: linked.network }] : [];
    // The desk's automatic messages (greeting, offline message) are not mailed.
    if (from.startsWith('team:')) return entries;
    const reach = await this.reachOf(conversation);
    if (!reach || conversation.participants.includes(reach.address) || reach.address === linked?.recipient) return entries;
    const notBefore = this.deps.clock.now().getTime() + reach.network.visitorFallbackAfterSeconds * 1000;
    return [...entries, { recipient: reach.address, network: reach.network.scheme, notBefore }];
  }

  /**
   * Whether an outbox item is still to be sent: not to an address whose continuation stopped, nor a
   * held-back reply its visitor read or came back for; anything else is.
   */
  async stillWanted(item: OutboxItem, conversation: ConversationRecord): Promise<boolean> {
    if (conversation.participants.includes(item.recipient)) return true;
    const continuation = await this.deps.store.continuationOf?.(conversation.id);
    if (continuation?.address === item.recipient) return continuation.state === 'active';
    const reach = await this.reachOf(conversation);
    if (reach?.address !== item.recipient) return true;
    return stillToMail(item.message, this.deps.hub.connectionCount(conversation.openedBy) > 0);
  }

  /** The visitor a network's message from `sender` is from: the conversation's, when `sender` is an address of theirs. */
  async visitorWriting(conversation: ConversationRecord, sender: Address): Promise<Address | null> {
    if ((await this.linkedOf(conversation))?.recipient === sender) return conversation.openedBy;
    const reach = await this.reachOf(conversation);
    return reach?.address === sender ? conversation.openedBy : null;
  }

  /**
   * The conversation as the network of an item's recipient sees it: for the address the visitor
   * continues at, opened by that address, so that the network writes from the team's address there.
   */
  async seenBy(item: OutboxItem, conversation: ConversationRecord): Promise<NetworkConversation> {
    const seen = toNetworkConversation(conversation);
    const linked = await this.linkedOf(conversation);
    return linked?.recipient === item.recipient ? { ...asBegun(seen, linked), openedBy: item.recipient } : seen;
  }

  /**
   * Where `from`'s typing in the conversation goes besides its parties: the address the visitor
   * continues at (as the network sees the conversation there), unless the visitor is the one typing.
   */
  async typingTo(conversation: ConversationRecord, from: Address): Promise<{ to: Address; conversation: NetworkConversation } | null> {
    if (from === conversation.openedBy) return null;
    const linked = await this.linkedOf(conversation);
    return linked && { to: linked.recipient, conversation: { ...asBegun(toNetworkConversation(conversation), linked), openedBy: linked.recipient } };
  }

  /** The address the conversation continues at now, and its network. */
  private async linkedOf(conversation: ConversationRecord): Promise<{ recipient: Address; network: string; team?: string } | null> {
    if (this.continuing && !this.continuing.has(conversation.siteKey)) return null;
    const continuation = await this.deps.store.continuationOf?.(conversation.id);
    if (continuation?.state !== 'active') return null;
    const network = this.deps.registry.forAddress?.(continuation.address);
    return {
      recipient: continuation.address,
      network: network?.scheme ?? networkOf(continuation.address),
      ...(continuation.team !== undefined ? { team: continuation.team } : {}),
    };
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
