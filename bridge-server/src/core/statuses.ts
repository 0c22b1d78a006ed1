/**
 * A message's status as its sender hears of it (`message:status`): outcomes of the outbox, receipts
 * from the recipients' networks, reads. A sender on another network hears through its own protocol.
 */
import { type Address, type ErrorBody, type Message, type MessageStatus, isKeptNotice, statusMovesForward } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { InboundReceipt } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, OutboxItem, StatusChange, Store } from '../store/store.js';
import { lruCache } from '../util/lru.js';
import { cutToCodePoints, oneLine } from '../util/text.js';
import type { ClientHub } from './hub.js';
import { toNetworkConversation } from './wire.js';

/** Whether `address` is the visitor's of a conversation though not a party of it (an address they continue at). */
export type VisitorsAddress = (conversation: ConversationRecord, address: Address) => Promise<boolean>;

/** Most read statuses one read (`read`, a chat marker) reports; older ones stay read in the store and in history. */
export const READ_REPORT_LIMIT = 200;

export interface StatusEvent {
  conversationId: string;
  id: string;
  status: MessageStatus;
  error?: ErrorBody;
}

/** Messages whose last told status is remembered, at most: those whose statuses are still coming. */
const TOLD_KEPT = 10_000;
/** Characters of a failed message quoted in the line that tells an agent on an IM network. */
const QUOTED_CHARACTERS = 40;

/** Who the agents are, and the refs they know conversations by: to tell an agent on an IM network of a message that failed. */
export interface AgentLines {
  isAgent(address: Address): boolean;
  refOf(conversationId: string): string;
  /** Whether a conversation is between two users of other networks (gateway mode): its sender is told of a failure too. */
  isGatewayConversation?(conversation: ConversationRecord): boolean;
}

export class MessageStatuses {
  /** The last status told of each message, recently told ones. */
  private readonly told = lruCache<string, MessageStatus>(TOLD_KEPT);

  constructor(
    private readonly store: Store,
    private readonly registry: NetworkRegistry,
    private readonly hub: ClientHub,
    private readonly logger: Logger,
    private readonly visitorsAddress: VisitorsAddress = () => Promise.resolve(false),
    private readonly agentLines?: AgentLines,
  ) {}

  /**
   * Tells the sender a status the store moved the message to. The store's changes are in order,
   * but their reports may overtake one another on the way here (an outbox outcome awaits more than
   * a receipt does): one that would move the message back, as told already, is not told (the
   * `accepted` notices with an error always are).
   */
  tell(sender: Address, event: StatusEvent): void {
    if (isKeptNotice(event)) return this.emit(sender, event);
    const told = this.told.get(event.id);
    if (told !== undefined && !statusMovesForward(told, event.status)) return;
    if (told !== 'failed') return this.emit(sender, event);
    // After a failure a success counts (a retry, another recipient), but so it looks when the send's
    // own report comes after the refusal that followed it (IRC's 401 for a nick gone): the store,
    // whose changes are in order, says which.
    void this.store.getMessage(event.id).then(
      (stored) => {
        if (stored && stored.status !== 'failed' && this.told.get(event.id) === told) this.emit(sender, event);
      },
      (error: unknown) => this.logger.warn({ err: error }, 'message status not told'),
    );
  }

  private emit(sender: Address, event: StatusEvent): void {
    if (!isKeptNotice(event)) this.told.set(event.id, event.status);
    this.hub.emit([{ kind: 'address', address: sender }], 'message:status', event);
    if (event.status === 'failed') this.tellAgentOfFailure(sender, event);
  }

  /**
   * An agent, or a gateway user, on an IM network has no message:status to see a failure by: a
   * line from the bridge says which message was not delivered, and why (best effort). An agent's
   * names the conversation's ref; a gateway user's comes in the chat with the user it was for.
   */
  private tellAgentOfFailure(sender: Address, event: StatusEvent): void {
    const lines = this.agentLines;
    if (!lines) return;
    const agent = lines.isAgent(sender);
    if (!agent && !lines.isGatewayConversation) return;
    const network = this.registry.forAddress(sender);
    if (!network?.notice || network.deliversFromStore) return;
    const notice = network.notice.bind(network);
    void (async () => {
      // A gateway user is told in the chat with the user the message was for; any other sender, nothing.
      let about: { conversation: ReturnType<typeof toNetworkConversation>; visitor: Address } | undefined;
      if (!agent) {
        const conversation = await this.store.getConversation(event.conversationId);
        const other = conversation?.participants.find((party) => party !== sender);
        if (!conversation || other === undefined || !lines.isGatewayConversation?.(conversation)) return;
        about = { conversation: toNetworkConversation(conversation), visitor: other };
      }
      const message = await this.store.getMessage(event.id);
      const words = oneLine(message?.text ?? '').trim();
      const start = cutToCodePoints(words, QUOTED_CHARACTERS);
      const quoted = words ? `"${start === words ? words : `${start}…`}"` : '';
      const why = event.error?.message ?? 'the recipient could not be reached';
      if (about) await notice({ to: sender, text: `Not delivered${quoted ? ` (${quoted})` : ''}: ${why}`, about });
      else await notice({ to: sender, text: `Not delivered (#${lines.refOf(event.conversationId)}${quoted ? `, ${quoted}` : ''}): ${why}` });
    })().catch((error: unknown) => this.logger.debug({ err: error, sender }, 'failure not told to the sender'));
  }

  /** What the outbox worker did with a message for one recipient. */
  outboxOutcome(item: OutboxItem, status: MessageStatus, error?: ErrorBody, changed?: StatusChange | null): void {
    const { message } = item;
    // A failure for one recipient does not undo a delivery to another: report only real changes
    // (and the "kept, will retry" notices, which change nothing stored).
    if (changed || isKeptNotice({ status, error })) {
      this.tell(message.from, { conversationId: message.conversationId, id: message.id, status, ...(error ? { error } : {}) });
    }
  }

  /** A recipient's network reports a message delivered, read, or bounced. */
  receipt(input: InboundReceipt): void {
    void this.record(input).catch((error: unknown) => this.logger.error({ err: error }, 'receipt not recorded'));
  }

  private async record(input: InboundReceipt): Promise<void> {
    // Its sender named: the message is read once, for the check and for a read that covers others.
    const named = input.from !== undefined ? await this.sentTo(input.messageId, input.from) : undefined;
    if (named === null) {
      this.logger.debug({ messageId: input.messageId, from: input.from }, 'confirmation from no recipient of the message ignored');
      return;
    }
    if (input.status === 'read' && input.reader) return this.readUpTo(input, input.reader, named);
    const message = await this.store.advanceStatus(input.messageId, input.status);
    if (message) this.changed(message, input);
  }

  /** The message when `from` is a recipient of it (a party of its conversation but its sender, or the visitor's address it continues at); null otherwise. */
  private async sentTo(messageId: string, from: Address): Promise<Message | null> {
    const message = await this.store.getMessage(messageId);
    if (!message || message.from === from) return null;
    const conversation = await this.store.getConversation(message.conversationId);
    if (!conversation) return null;
    return conversation.participants.includes(from) || (await this.visitorsAddress(conversation, from)) ? message : null;
  }

  /**
   * A read that covers every earlier message: a participant's read position moves to the named
   * message, reading the others' messages up to it; a reader who does not take part (a visitor's
   * address it continues on) reads the one message. Nobody reads their own.
   */
  private async readUpTo(input: InboundReceipt, reader: Address, known?: Message): Promise<void> {
    const named = known ?? (await this.store.getMessage(input.messageId));
    if (!named || named.from === reader) return;
    const read = await this.store.markRead(named.conversationId, reader, named.seq, READ_REPORT_LIMIT);
    if (read) {
      for (const message of read) this.changed(message, input);
      return;
    }
    const message = await this.store.advanceStatus(input.messageId, 'read');
    if (message) this.changed(message, input);
  }

  private changed(message: StatusChange, input: InboundReceipt): void {
    const error =
      input.status === 'failed'
        ? { error: { code: input.code ?? ('unavailable' as const), message: input.error ?? "the recipient's server refused the message" } }
        : {};
    this.tell(message.from, { conversationId: message.conversationId, id: message.id, status: input.status, ...error });
    // A sender on another network hears of it through its own protocol (gateway receipts).
    const network = this.registry.forAddress(message.from);
    const status = input.status;
    if (network?.reportStatus && status !== 'failed') {
      network.reportStatus({ message, status }).catch((failure: unknown) => this.logger.debug({ err: failure }, 'receipt not passed on'));
    }
  }
}
