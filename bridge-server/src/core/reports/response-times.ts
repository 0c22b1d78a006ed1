/**
 * The times reports are made of (docs/support-desk.md, "Reports"), recorded as they happen: a
 * conversation's first customer message, the first agent message after it (a team's greeting,
 * an integration's message and a private note are not an agent's answer), its close; and the
 * /metrics histograms of first-response and resolution times and the CSAT counter.
 */
import { type Address, type Message, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import type { TeamDirectory } from '../desk/teams.js';
import { lruCache } from '../../util/lru.js';

/** Conversations remembered as recorded already, so later messages write nothing (the writes are idempotent: forgetting costs one). */
const REMEMBERED = 10_000;

export interface ResponseTimesDeps {
  store: Pick<Store, 'markCustomerMessage' | 'markAgentResponse'>;
  teams: Pick<TeamDirectory, 'teamsOf'>;
  metrics: Pick<Metrics, 'firstResponseSeconds' | 'resolutionSeconds' | 'csatRatings'>;
  logger: Logger;
}

const seconds = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

export class ResponseTimes {
  /** Conversations whose first customer message is recorded (or being written). */
  private readonly asked = lruCache<string, true>(REMEMBERED);
  /** Conversations whose first response is recorded. */
  private readonly answered = lruCache<string, true>(REMEMBERED);
  /**
   * Conversations known to have no customer message yet, with the seq of the last message this node
   * stored in them: an agent's message there records nothing, so the store is not asked again. A
   * customer message forgets the entry; a gap in seq (a message stored by another node, maybe the
   * customer's) too.
   */
  private readonly unasked = lruCache<string, number>(REMEMBERED);

  constructor(private readonly deps: ResponseTimesDeps) {}

  /** An agent: a team member (any network), or a web agent a site vouches for. */
  isAgent(address: Address): boolean {
    return this.deps.teams.teamsOf(address).length > 0 || address.startsWith('web:a_');
  }

  /** Labels of a conversation's figures: its team and its customer's network (`web`, `xmpp`, ...). */
  private labels(conversation: ConversationRecord) {
    return { team: conversation.team ?? '', network: networkOf(conversation.openedBy) };
  }

  /** A message was stored: the first customer message, or the first answer to one, is recorded. */
  stored(message: Message, conversation: ConversationRecord): void {
    const work = this.record(message, conversation);
    work.catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id }, 'response time not recorded'));
  }

  private async record(message: Message, conversation: ConversationRecord): Promise<void> {
    const customer = conversation.openedBy;
    if (message.from === customer && !this.isAgent(customer)) {
      this.unasked.delete(conversation.id);
      if (this.asked.has(conversation.id)) return;
      // Marked before the write, so an agent's answer awaiting the store meanwhile is not taken for one before any question.
      this.asked.set(conversation.id, true);
      await this.deps.store.markCustomerMessage(conversation.id, message.sentAt).catch((error: unknown) => {
        this.asked.delete(conversation.id);
        throw error;
      });
      return;
    }
    if (this.stillUnasked(conversation.id, message.seq)) return;
    if (!this.isAgent(message.from) || this.answered.has(conversation.id)) return;
    const askedAt = await this.deps.store.markAgentResponse(conversation.id, message.sentAt);
    if (askedAt === null) {
      // Nothing to answer yet, unless the customer wrote while the store was asked.
      if (!this.asked.has(conversation.id)) this.unasked.set(conversation.id, message.seq);
      return;
    }
    this.answered.set(conversation.id, true);
    this.deps.metrics.firstResponseSeconds.observe(this.labels(conversation), seconds(askedAt, message.sentAt));
  }

  /** Whether a conversation is still known to have no customer message, `seq` being the next message this node stored. */
  private stillUnasked(conversationId: string, seq: number): boolean {
    const last = this.unasked.get(conversationId);
    if (last === undefined) return false;
    if (seq !== last + 1) {
      this.unasked.delete(conversationId);
      return false;
    }
    this.unasked.set(conversationId, seq);
    return true;
  }

  /** A conversation was closed (`updatedAt` is its close). */
  closed(conversation: ConversationRecord): void {
    this.deps.metrics.resolutionSeconds.observe(this.labels(conversation), seconds(conversation.createdAt, conversation.updatedAt));
  }

  rated(conversation: ConversationRecord, rating: number): void {
    this.deps.metrics.csatRatings.inc({ team: conversation.team ?? '', rating: String(rating) });
  }
}
