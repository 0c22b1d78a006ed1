/**
 * Messages as the uniform API's clients send and read them (docs/protocol.md): a message is acked
 * only once stored; a resend with the same clientId returns the stored message; `sync` replays
 * exactly what a client missed; `read` moves statuses and tells the senders.
 */
import type {
  Address,
  HistoryGetPayload,
  Message,
  MessageSendPayload,
  MessageStatus,
  MessageStatusEvent,
  ReadPayload,
  TypingPayload,
} from '@switchboard/protocol';
import { LIMITS, statusMovesForward } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { LimitsConfig } from '../config.js';
import type { NetworkRegistry } from '../networks/registry.js';
import { webHostedParties } from '../networks/web/hosted.js';
import type { ConversationRecord, Store } from '../store/store.js';
import type { Actor } from './actor.js';
import type { Announcer } from './announcer.js';
import { type Conversations, postedThenGreeted } from './conversations.js';
import type { Router } from './desk/router.js';
import type { TeamDirectory } from './desk/teams.js';
import { BridgeError, badRequest, forbidden } from './errors.js';
import type { FanOut } from './fan-out.js';
import type { FileService } from './files/file-service.js';
import type { MessagePipeline } from './message-pipeline.js';
import type { SiteAccess } from './site-access.js';
import { type MessageStatuses, READ_REPORT_LIMIT } from './statuses.js';
import { checkText } from './text-limit.js';
import { reopen } from './reopen.js';
import { toNetworkConversation } from './wire.js';

/** Messages replayed per store query during `sync`. */
const SYNC_PAGE = 200;

export interface MessagesDeps {
  store: Store;
  registry: NetworkRegistry;
  teams: TeamDirectory;
  access: SiteAccess;
  conversations: Conversations;
  router: Router;
  announcer: Announcer;
  pipeline: MessagePipeline;
  fanOut: FanOut;
  statuses: MessageStatuses;
  limits: LimitsConfig;
  logger: Logger;
  files: Pick<FileService, 'checkAttachments'>;
  /** A reader moved their read cursor (an agent's inbox shows their unread count). */
  readBy?(conversation: ConversationRecord, reader: Address): void;
  /** Whether a conversation is two users' own through the gateway (docs/gateway.md): the site's desk reads it, and does not write in it. */
  isGatewayConversation?(conversation: ConversationRecord): boolean;
}

export class Messages {
  constructor(private readonly deps: MessagesDeps) {}

  async send(actor: Actor, payload: MessageSendPayload): Promise<Message> {
    checkText(payload.text, this.deps.limits.maxTextLength);
    const conversation = await this.deps.access.conversation(actor, payload.conversationId);
    this.mayWrite(actor, conversation);
    const asBefore = await this.sentBeforeSigningIn(actor, payload.clientId, conversation);
    if (asBefore) return asBefore;
    let target = conversation;
    // A message that changes nothing before it is stored (most of them) leaves a resend to the
    // store, which finds it inside the write: no lookup of its own first.
    if (!this.goesInAsIs(actor, conversation, payload)) {
      // A resend changes nothing: not even the conversation's state or assignee.
      const earlier = await this.earlierSend(actor, payload.clientId, conversation);
      if (earlier) return earlier;
      if (payload.attachments) await this.deps.files.checkAttachments(payload.attachments, conversation.id, actor.address);
      const { conversation: reopened, greet } = await this.reopened(actor, await this.joined(actor, conversation));
      target = reopened;
      // A new conversation in place of the closed one the files were uploaded to takes them along.
      if (payload.attachments && target.id !== conversation.id)
        await this.deps.store.moveUnsentFiles(payload.attachments, conversation.id, target.id, actor.address);
      // The message that opened a new conversation comes before the team's greeting.
      if (greet) return postedThenGreeted(() => this.post(actor, payload, reopened), greet, this.deps.logger);
    }
    return this.post(actor, payload, target);
  }

  private async post(actor: Actor, payload: MessageSendPayload, target: ConversationRecord): Promise<Message> {
    const result = await this.deps.pipeline.post({
      conversation: target,
      from: actor.address,
      clientId: payload.clientId,
      text: payload.text,
      ...(payload.attachments ? { attachments: payload.attachments } : {}),
      ...(actor.connectionId ? { exceptConnection: actor.connectionId } : {}),
    });
    return result.kind === 'duplicate' ? sameConversation(result.message, target.id) : result.message;
  }

  /** Whether the message goes into the conversation as it is: no files, no join, no reopening, no taking it from the queue. */
  private goesInAsIs(actor: Actor, conversation: ConversationRecord, payload: MessageSendPayload): boolean {
    return (
      payload.attachments === undefined &&
      conversation.state !== 'closed' &&
      conversation.participants.includes(actor.address) &&
      !takesFromQueue(actor, conversation)
    );
  }

  /**
   * A signed-in visitor's resend of what they wrote as the anonymous visitor they were on that
   * device (kept unacknowledged across the sign-in): the message that visitor stored with this
   * clientId in this conversation, if any. Only in a conversation the anonymous visitor opened: the
   * only other visitor a visitor's conversation may have is the one they were.
   */
  private async sentBeforeSigningIn(actor: Actor, clientId: string, conversation: ConversationRecord): Promise<Message | undefined> {
    const before = conversation.openedBy;
    if (actor.role !== 'visitor' || before === actor.address || !webHostedParties.isVisitor(before)) return undefined;
    const earlier = await this.deps.store.messageByClientId(before, clientId);
    return earlier?.conversationId === conversation.id ? earlier : undefined;
  }

  /** The message the actor already sent with this clientId, if any. */
  private async earlierSend(actor: Actor, clientId: string, conversation: ConversationRecord): Promise<Message | undefined> {
    const { store } = this.deps;
    const earlier = await store.messageByClientId(actor.address, clientId);
    if (!earlier) return undefined;
    // A resend after a closed conversation made way for a new one (a team that starts afresh,
    // `afterClose: 'new'`) finds the message there: in a conversation of the same team the sender
    // opened since. Any other use of the key elsewhere is the sender's mistake.
    if (earlier.conversationId !== conversation.id && this.makesWay(actor, conversation)) {
      const other = await store.getConversation(earlier.conversationId);
      if (other?.openedBy === actor.address && other.team === conversation.team && other.createdAt >= conversation.createdAt) return earlier;
    }
    return sameConversation(earlier, conversation.id);
  }

  /** Whether the actor's message to this conversation goes into a new one instead (`reopened`). */
  private makesWay(actor: Actor, conversation: ConversationRecord): boolean {
    if (conversation.state !== 'closed' || conversation.team === undefined) return false;
    return this.deps.teams.get(conversation.team)?.afterClose === 'new' && actor.role !== 'agent' && conversation.openedBy === actor.address;
  }

  /** The conversation with the actor in it: an agent answering a queued team conversation takes it; others join. */
  private async joined(actor: Actor, conversation: ConversationRecord): Promise<ConversationRecord> {
    const { store, announcer } = this.deps;
    if (takesFromQueue(actor, conversation)) {
      // An agent answering a queued team conversation takes it (unless someone just did).
      const taken = await store.assignIfQueued(conversation.id, actor.address);
      if (taken) {
        announcer.announce(taken);
        this.deps.router.answeredFromQueue(taken);
        return taken;
      }
      const current = (await store.getConversation(conversation.id))!;
      if (current.participants.includes(actor.address)) return current;
      const joined = await store.addParticipant(current.id, actor.address);
      announcer.announce(joined);
      return joined;
    }
    if (conversation.participants.includes(actor.address)) return conversation;
    // An agent or integration answering a site conversation joins it.
    const joined = await store.addParticipant(conversation.id, actor.address);
    announcer.announce(joined);
    return joined;
  }

  /** A closed conversation opens again with a new message; or, for a team that starts afresh, a visitor's message opens a new one. */
  private async reopened(actor: Actor, conversation: ConversationRecord): Promise<{ conversation: ConversationRecord; greet?: () => Promise<void> }> {
    if (conversation.state !== 'closed') return { conversation };
    // Routed as any new conversation, greeted once the message that opened it is in.
    if (this.makesWay(actor, conversation)) return this.deps.conversations.openToTeamGreetingLater(actor, conversation.team!);
    return { conversation: await reopen(this.deps, conversation) };
  }

  async history(actor: Actor, payload: HistoryGetPayload): Promise<{ messages: Message[]; hasMore: boolean }> {
    await this.deps.access.conversation(actor, payload.conversationId);
    return this.deps.store.history(payload.conversationId, {
      ...(payload.afterSeq !== undefined ? { afterSeq: payload.afterSeq } : {}),
      ...(payload.beforeSeq !== undefined ? { beforeSeq: payload.beforeSeq } : {}),
      limit: payload.limit ?? LIMITS.defaultHistoryLimit,
    });
  }

  /**
   * Emits, through `emit`, every message after each cursor, in seq order per conversation.
   * Conversations the actor cannot see are skipped, so a stale cursor never fails the whole sync.
   */
  async sync(actor: Actor, cursors: Record<string, number>, emit: (message: Message) => void): Promise<{ skipped: string[] }> {
    const skipped: string[] = [];
    for (const [conversationId, cursor] of Object.entries(cursors)) {
      try {
        await this.deps.access.conversation(actor, conversationId);
      } catch (error) {
        // A store that does not answer says nothing about access: the whole sync fails, to be retried.
        if (error instanceof BridgeError && error.code !== 'unavailable') {
          skipped.push(conversationId);
          continue;
        }
        throw error;
      }
      let after = cursor;
      for (;;) {
        const page = await this.deps.store.history(conversationId, { afterSeq: after, limit: SYNC_PAGE });
        for (const message of page.messages) emit(message);
        const last = page.messages.at(-1);
        if (!page.hasMore || !last) break;
        after = last.seq;
      }
    }
    return { skipped };
  }

  /**
   * The statuses of the actor's own messages that moved past what its client shows (`shown`: message
   * id to status): changes made while it was away reached no connection of it. Messages not the
   * actor's, or in a conversation it cannot see, are passed over.
   */
  async statusesSince(actor: Actor, shown: Record<string, MessageStatus>): Promise<MessageStatusEvent[]> {
    const stored = await this.deps.store.statusesOf(actor.address, Object.keys(shown));
    const moved = stored.filter(({ id, status }) => status !== shown[id] && statusMovesForward(shown[id]!, status));
    // One look at each conversation the moved messages are in (the actor's own, unless since left).
    const conversations = [...new Set(moved.map((message) => message.conversationId))];
    const seen = await Promise.all(
      conversations.map((id) =>
        this.deps.access.conversation(actor, id).then(
          () => id,
          () => undefined,
        ),
      ),
    );
    const visible = new Set(seen);
    return moved.filter((message) => visible.has(message.conversationId));
  }

  /** A client acknowledged a message it was sent (a replay during `sync`): it counts as `delivered`. */
  delivered(messageId: string): void {
    this.deps.statuses.receipt({ messageId, status: 'delivered' });
  }

  async typing(actor: Actor, payload: TypingPayload): Promise<void> {
    const conversation = await this.deps.access.conversation(actor, payload.conversationId);
    this.mayWrite(actor, conversation);
    this.deps.fanOut.typing(conversation, actor.address, payload.state);
  }

  /** Refuses words (and typing) from someone outside a gateway conversation: it is its two users' own. */
  private mayWrite(actor: Actor, conversation: ConversationRecord): void {
    if (!conversation.participants.includes(actor.address) && this.deps.isGatewayConversation?.(conversation))
      throw forbidden("conversationId: a gateway conversation is its users' own: the site's agents and integrations read it, and do not write in it");
  }

  async read(actor: Actor, payload: ReadPayload): Promise<void> {
    const conversation = await this.deps.access.conversation(actor, payload.conversationId);
    const upTo = Math.min(payload.seq, conversation.lastSeq);
    // Every reader's own cursor (an agent who does not take part too: their inbox's unread count);
    // statuses move only for the participants' reads.
    await this.deps.store.setReadCursor(conversation.id, actor.address, upTo);
    if (actor.role === 'agent') this.deps.readBy?.(conversation, actor.address);
    // An agent who takes no part moves only their cursor: null, nothing read.
    const read = (await this.deps.store.markRead(conversation.id, actor.address, upTo, READ_REPORT_LIMIT)) ?? [];
    for (const message of read) this.deps.statuses.tell(message.from, { conversationId: message.conversationId, id: message.id, status: 'read' });
    for (const message of read) {
      // A network that delivers from the store has no markRead: its parties read the status above.
      this.deps.registry
        .forAddress(message.from)
        ?.markRead?.({ conversation: toNetworkConversation(conversation), reader: actor.address, message })
        .catch((error: unknown) => this.deps.logger.debug({ err: error }, 'read marker not delivered'));
    }
  }
}

/** An agent answering a queued team conversation takes it. */
function takesFromQueue(actor: Actor, conversation: ConversationRecord): boolean {
  return actor.role === 'agent' && conversation.team !== undefined && conversation.assignee === undefined && conversation.state === 'open';
}

/**
 * The message `sender` stored with `clientId` (a repeat: a retry after a lost answer) and its
 * conversation, whatever became of it since; null for a first send. A clientId names one message:
 * one stored in a conversation that is not `theirs` (another party's, another site's) is refused.
 */
export async function earlierSend(
  store: Pick<Store, 'messageByClientId' | 'getConversation'>,
  sender: Address,
  clientId: string,
  theirs: (conversation: ConversationRecord) => boolean,
): Promise<{ message: Message; conversation: ConversationRecord } | null> {
  const message = await store.messageByClientId(sender, clientId);
  if (!message) return null;
  const conversation = await store.getConversation(message.conversationId);
  if (!conversation || !theirs(conversation)) throw badRequest('clientId: already used for a message in another conversation');
  return { message, conversation };
}

function sameConversation(message: Message, conversationId: string): Message {
  if (message.conversationId !== conversationId) throw badRequest('clientId: already used for a message in another conversation');
  return message;
}
