/**
 * Tells everyone concerned that a conversation was opened or changed: its parties and the site's
 * agents (`conversation`), webhooks (`conversation.opened`, `.assigned`, `.unassigned`, `.closed`, `.reopened`), and the
 * networks that announce team conversations (an IRC support channel).
 */
import type { Logger } from 'pino';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, Store } from '../store/store.js';
import { type TeamDirectory, agentLabel } from './desk/teams.js';
import type { ClientHub, HubRoom } from './hub.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import { toWireConversation } from './wire.js';

/** Conversations read at a time when catching up on webhook events at start-up. */
const RESUME_BATCH = 100;

export interface AnnouncerDeps {
  store: Store;
  registry: NetworkRegistry;
  teams: TeamDirectory;
  hub: ClientHub;
  webhooks: WebhookDispatcher;
  logger: Logger;
  /** Told of each new conversation (the contact book records who opened it). */
  met?(conversation: ConversationRecord): void;
  /** Told of every change announced (the team queues follow them). */
  changed?(conversation: ConversationRecord): void;
}

export class Announcer {
  constructor(private readonly deps: AnnouncerDeps) {}

  /** A conversation was created: webhooks hear of it (its parties hear through `announce`). */
  opened(conversation: ConversationRecord): void {
    this.deps.met?.(conversation);
    this.deps.webhooks.emit('conversation.opened', conversation.siteKey, { conversation: toWireConversation(conversation) });
  }

  announce(conversation: ConversationRecord): void {
    void this.announced(conversation);
  }

  /**
   * As `announce`, resolving once what webhooks are told of the change is stored: a write after it
   * (the message that reopened the conversation) has its webhook events after those, on any store
   * (Postgres commits the transactions of its pool's connections in any order).
   */
  announced(conversation: ConversationRecord): Promise<void> {
    this.deps.changed?.(conversation);
    const rooms: HubRoom[] = conversation.participants.map((address) => ({ kind: 'address', address }));
    rooms.push({ kind: 'agents', siteKey: conversation.siteKey });
    const wire = toWireConversation(conversation);
    this.deps.hub.emit(rooms, 'conversation', wire);
    const marked = this.webhookFor(conversation);
    this.toNetworks(conversation, wire);
    return marked;
  }

  /** The networks that announce team conversations (an IRC support channel) are told of the change. */
  private toNetworks(conversation: ConversationRecord, wire: ReturnType<typeof toWireConversation>): void {
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const announcers = this.deps.registry.all().filter((network) => network.conversationChanged !== undefined);
    if (!team || announcers.length === 0) return;
    void this.deps.store
      .getParty(conversation.openedBy)
      .then((visitor) => {
        const details = {
          teamMembers: team.members,
          ...(conversation.assignee !== undefined ? { assigneeLabel: agentLabel(this.deps.teams, conversation.assignee) } : {}),
          ...(visitor?.name ? { visitorName: visitor.name } : {}),
          ...(visitor?.pageUrl ? { pageUrl: visitor.pageUrl } : {}),
        };
        for (const network of announcers) network.conversationChanged!(wire, details);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id }, 'conversation not announced to networks'));
  }

  /**
   * At start-up: webhook events for conversation changes stored just before a crash, whose events
   * were not queued yet (a conversation never told of is told as opened first).
   */
  async resumeWebhookMarks(): Promise<void> {
    for (;;) {
      const behind = await this.deps.store.conversationsAheadOfMarks(RESUME_BATCH);
      for (const { conversation, mark } of behind) {
        if (!mark) this.opened(conversation);
        await this.markForWebhooks(conversation);
      }
      if (behind.length < RESUME_BATCH) return;
    }
  }

  /**
   * Webhook events for a conversation that was assigned (again), closed or reopened. What webhooks last said
   * of each conversation is in the store, so a restart neither repeats an event nor misses one. The
   * store write is queued now, so events keep the order of the changes.
   */
  private webhookFor(conversation: ConversationRecord): Promise<void> {
    return this.markForWebhooks(conversation).catch((error: unknown) =>
      this.deps.logger.error({ err: error, conversation: conversation.id }, 'conversation change not recorded for webhooks'),
    );
  }

  private async markForWebhooks(conversation: ConversationRecord): Promise<void> {
    const { webhooks } = this.deps;
    const wire = toWireConversation(conversation);
    const mark = { state: conversation.state, ...(conversation.assignee !== undefined ? { assignee: conversation.assignee } : {}) };
    const assigned = webhooks.withWrite('conversation.assigned', conversation.siteKey);
    const unassigned = webhooks.withWrite('conversation.unassigned', conversation.siteKey);
    const closed = webhooks.withWrite('conversation.closed', conversation.siteKey);
    const reopened = webhooks.withWrite('conversation.reopened', conversation.siteKey);
    // The mark and the events it makes are stored together: a crash between them would lose an event for good.
    // (The store may run the transaction again: what the last run built is what was stored.)
    let assignedNow = false;
    let unassignedNow = false;
    let closedNow = false;
    let reopenedNow = false;
    await this.deps.store.swapConversationMark(conversation.id, mark, (before) => {
      assignedNow = conversation.assignee !== undefined && conversation.assignee !== before?.assignee;
      // Back in its team's queue (a transfer to the team): a receiver that showed the assignee drops it.
      unassignedNow = conversation.assignee === undefined && before?.assignee !== undefined && conversation.state === 'open';
      closedNow = conversation.state === 'closed' && before?.state !== 'closed';
      // Open again (a visitor's or customer's message, an agent's reply): a receiver that filed it as closed takes it back first.
      reopenedNow = conversation.state === 'open' && before?.state === 'closed';
      return [
        ...(reopenedNow ? reopened.build({ conversation: wire }) : []),
        ...(assignedNow ? assigned.build({ conversation: wire, assignee: conversation.assignee }) : []),
        ...(unassignedNow ? unassigned.build({ conversation: wire, previousAssignee: before!.assignee }) : []),
        ...(closedNow ? closed.build({ conversation: wire }) : []),
      ];
    });
    if (reopenedNow) reopened.committed();
    if (assignedNow) assigned.committed();
    if (unassignedNow) unassigned.committed();
    if (closedNow) closed.committed();
  }
}
