/**
 * The one path of every message, whatever brought it (a web client, the HTTP API, a network's
 * inbound, a team's greeting, an agent's canned reply, a gateway `/to`): stored with its `seq`,
 * its outbox entries and its `conversation.message` webhook in one write (docs/protocol.md: acked
 * only once stored), counted, then handed to every recipient.
 */
import type { Address, Message, MessageStatus } from '@switchboard/protocol';
import type { InboundFile } from '../networks/network.js';
import type { Metrics } from '../metrics.js';
import type { NetworkRegistry } from '../networks/registry.js';
import { type AppendResult, type ConversationRecord, FileClaimError, type Store, type TakenBack } from '../store/store.js';
import { badRequest } from './errors.js';
import type { FileService } from './files/file-service.js';
import type { FanOut } from './fan-out.js';
import type { UsageMeter } from './usage.js';
import type { VisitorMail } from './visitor-mail.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface MessageToPost {
  conversation: ConversationRecord;
  from: Address;
  text: string;
  /** The sender's idempotency key: a resend returns the stored message. */
  clientId?: string;
  /** A network's stable id for the message: a retransmission returns the stored message. */
  remote?: { network: string; id: string };
  /** The sender's address on another network it came through (a visitor writing from their IM client). */
  sentFrom?: Address;
  /** The connection the sender wrote from: its other connections get the message, not this one. */
  exceptConnection?: string;
  /** Ids of files the sender uploaded to the conversation (docs/protocol.md, "Files"), claimed by the message as it is stored. */
  attachments?: readonly string[];
  /** Files a network brought: stored first, then claimed by the message; a refused one is said in the text. */
  files?: readonly InboundFile[];
  /** Runs once the message is stored, before it goes out. */
  onStored?(message: Message): void;
  /** Runs once the message's place is taken, before its commit, on a store that appends in call order (`InboundMessage.onQueued`). */
  onQueued?(): void;
  /** A gateway message's hop marker as it came: stored with it, for whichever node sends it on. */
  via?: readonly string[];
  /** The id of the sender's earlier message this one corrects (`NewMessage.corrects`). */
  corrects?: string;
  /** Parties the message reached on its own network already (`InboundMessage.reached`): not sent to them. */
  reached?: readonly Address[];
}

/** Told of every new message, with its conversation, before it goes out. */
export type StoredListener = (message: Message, conversation: ConversationRecord) => void;

export interface MessagePipelineDeps {
  store: Store;
  webhooks: WebhookDispatcher;
  registry: NetworkRegistry;
  fanOut: FanOut;
  usage: UsageMeter;
  metrics: Metrics;
  /** Files networks bring; the bytes of files a retraction took back. */
  files: Pick<FileService, 'receiveInbound' | 'release'>;
  /** Tells the outbox worker of messages a retraction emptied (OutboxWorker.takenBack). */
  takenBack?(messageIds: readonly string[]): void;
  /** Replies held back for visitors who left (none: no network reaches them). */
  visitorMail?: Pick<VisitorMail, 'heldBack'>;
}

export class MessagePipeline {
  private readonly listeners: StoredListener[] = [];

  constructor(private readonly deps: MessagePipelineDeps) {}

  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Stores a message in a conversation its sender takes part in, and delivers it; a duplicate is only returned. */
  async post(input: MessageToPost): Promise<AppendResult> {
    const { store, webhooks, fanOut } = this.deps;
    const { conversation, from } = input;
    const { text, attachments } = await this.withInboundFiles(input);
    const heldBack = (await this.deps.visitorMail?.heldBack(conversation, from)) ?? [];
    const hook = webhooks.withWrite('conversation.message', conversation.siteKey);
    const reached = new Set(input.reached ?? []);
    const recipients = (participants: readonly Address[]) => (reached.size === 0 ? participants : participants.filter((address) => !reached.has(address)));
    const statusOf = (participants: readonly Address[]): MessageStatus => (fanOut.allDeliverFromStore(recipients(participants), from) ? 'sent' : 'accepted');
    const appending = store.appendMessage({
      webhooks: (message) => hook.build({ conversationId: conversation.id, message }),
      conversationId: conversation.id,
      from,
      text,
      ...(attachments && attachments.length > 0 ? { attachments } : {}),
      ...(input.clientId !== undefined ? { clientId: input.clientId } : {}),
      ...(input.remote !== undefined ? { remote: input.remote } : {}),
      ...(input.sentFrom !== undefined ? { sentFrom: input.sentFrom } : {}),
      ...(input.via !== undefined ? { via: input.via } : {}),
      ...(input.corrects !== undefined ? { corrects: input.corrects } : {}),
      // As this copy of the conversation makes it; the store decides again from its participants (rarely otherwise).
      status: statusOf(conversation.participants),
      statusFor: statusOf,
      outbox: [...heldBack],
      outboxFor: (participants) => fanOut.outboxRecipients(recipients(participants), from),
    });
    // The sender's next message may be taken now: its append is queued after this one's.
    if (store.appendsInCallOrder) input.onQueued?.();
    const result = await appending.catch((error: unknown) => {
      // A file that is not the sender's to send in this conversation: the client's mistake, named.
      throw error instanceof FileClaimError ? badRequest(error.message) : error;
    });
    if (result.kind === 'duplicate') return result;
    const { message } = result;
    // The conversation as the message was stored in it (an agent assigned on another node meanwhile takes part).
    const current = { ...conversation, ...(result.participants ? { participants: [...result.participants] } : {}), lastSeq: message.seq };
    input.onStored?.(message);
    for (const listener of this.listeners) listener(message, current);
    // Counted by the sender's network (a team's own greeting comes from none).
    const network = this.deps.registry.forAddress(from);
    if (network) this.deps.metrics.messages.inc({ network: network.scheme, direction: 'in' });
    hook.committed();
    this.deps.usage.count(message, conversation.siteKey, current.participants);
    fanOut.message(message, current, { queued: result.queued, ...(input.exceptConnection !== undefined ? { exceptConnection: input.exceptConnection } : {}) });
    fanOut.queued(heldBack);
    if (result.takenBack) await this.tookBack(result.takenBack);
    return result;
  }

  /**
   * After a retraction's commit: what it emptied is sent nowhere, even from a copy the outbox
   * holds, and its files' bytes go (no link reads them: their files are gone from the store). The
   * retraction stands when the bytes cannot go; `release` logs why.
   */
  private async tookBack(takenBack: TakenBack): Promise<void> {
    this.deps.takenBack?.(takenBack.messages);
    // Deliveries it took out of the webhooks' queue are no longer waiting.
    if (takenBack.webhooks.length > 0) this.deps.webhooks.takenOut(takenBack.webhooks);
    if (takenBack.blobs.length > 0) await this.deps.files.release(takenBack.blobs).catch(() => undefined);
  }

  /**
   * The text and file ids to store: a network's files are kept first (not for a retransmission,
   * whose files the stored message has), those refused said as lines of the text.
   */
  private async withInboundFiles(input: MessageToPost): Promise<{ text: string; attachments?: readonly string[] }> {
    const base = input.attachments ? { text: input.text, attachments: input.attachments } : { text: input.text };
    if (!input.files || input.files.length === 0) return base;
    if (input.remote && (await this.deps.store.messageByRemoteId(input.remote.network, input.remote.id))) return base;
    const { ids, refused } = await this.deps.files.receiveInbound(input.conversation, input.from, input.files);
    const text = [input.text, ...refused].filter((line) => line.trim().length > 0).join('\n');
    return { text, attachments: [...(input.attachments ?? []), ...ids] };
  }
}
