/**
 * Offers of team conversations to agents (docs/support-desk.md, "Routing"): an agent who was given
 * a conversation has the team's `offerTimeoutSeconds` to answer it (or claim it); when it runs out,
 * `expired` is called so the desk moves the conversation on. Offers and their deadlines are kept in
 * the store, so a restart resumes them; their timers run on the injected clock.
 */
import type { Logger } from 'pino';
import type { OfferRecord, ConversationRecord, Store } from '../../store/store.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { TeamDirectory } from './teams.js';

/** How long an offer that ran out while the bridge was down waits for another agent to come back (at least). */
const RESUMED_OFFER_WAIT_MS = 60_000;

export interface Offer {
  agentId: string;
  team: string;
  /** Epoch ms when the offer runs out (kept in the store: a restart does not reset it). */
  deadline: number;
  timer: Timer | undefined;
  /** Agents who let this conversation's offer run out. */
  declined: Set<string>;
  /**
   * For an offer that ran out while the bridge was down: until when it waits for another agent of
   * the team to come back (agents reconnect after a restart), instead of staying where it is.
   */
  waitUntil?: number;
}

export interface OfferDeps {
  store: Pick<Store, 'saveOffer' | 'deleteOffer' | 'offers' | 'getConversation'>;
  teams: TeamDirectory;
  clock: Clock;
  logger: Logger;
  /** Nobody answered `agentId`'s offer in time (or, waiting, an agent came back): the desk moves the conversation on. */
  expired(conversationId: string, agentId: string): Promise<void>;
}

export class Offers {
  /** Round-robin turns: agent id -> when it was last offered a conversation (an increasing count). */
  private readonly lastOffered = new Map<string, number>();
  private turns = 0;
  /** Conversations offered to an agent who has not answered yet. */
  private readonly running = new Map<string, Offer>();

  constructor(private readonly deps: OfferDeps) {}

  /** When the agent was last offered a conversation, as an increasing number (0: never). */
  turnOf(agentId: string): number {
    return this.lastOffered.get(agentId) ?? 0;
  }

  /** The offer of a conversation that waits for its agent's answer, if any. */
  current(conversationId: string): Offer | undefined {
    return this.running.get(conversationId);
  }

  /**
   * Offers a conversation to an agent: unless the agent answers (or claims it) within the team's
   * `offerTimeoutSeconds`, `expired` is called. An earlier offer of it ends; its declines stay.
   */
  async start(conversation: ConversationRecord, agentId: string): Promise<void> {
    this.lastOffered.set(agentId, ++this.turns);
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const previous = this.running.get(conversation.id);
    previous?.timer?.cancel();
    if (!team || team.offerTimeoutSeconds <= 0) {
      if (this.running.delete(conversation.id)) await this.deps.store.deleteOffer(conversation.id);
      return;
    }
    const declined = previous?.declined ?? new Set<string>();
    const deadline = this.now() + team.offerTimeoutSeconds * 1000;
    this.schedule(conversation.id, { agentId, team: team.id, deadline, declined, timer: undefined });
    await this.deps.store.saveOffer({ conversationId: conversation.id, agentId, deadline, declined: [...declined] });
  }

  /**
   * Takes up the offers that were running when the bridge last stopped (or died): one still running
   * keeps its deadline; one whose deadline passed meanwhile goes to the next agent at once, or, with
   * none back yet, to the first of the team's agents who comes back within a minute (or one more
   * offer time, if longer).
   */
  async resume(): Promise<void> {
    const now = this.now();
    for (const record of await this.deps.store.offers()) {
      const conversation = await this.deps.store.getConversation(record.conversationId);
      const team = conversation?.team === undefined ? undefined : this.deps.teams.get(conversation.team);
      if (!conversation || conversation.state === 'closed' || conversation.assignee === undefined || !team || team.offerTimeoutSeconds <= 0) {
        await this.deps.store.deleteOffer(record.conversationId);
        continue;
      }
      this.lastOffered.set(record.agentId, ++this.turns);
      const offer = this.fromRecord(record, team.id);
      // Overdue: no agent is back yet (networks start after this), so it moves when one becomes
      // available (moveWaiting), or stays where it is at the end of the wait.
      if (record.deadline <= now) offer.waitUntil = now + Math.max(team.offerTimeoutSeconds * 1000, RESUMED_OFFER_WAIT_MS);
      this.schedule(record.conversationId, offer);
    }
  }

  /** Whether an offer that ran out while the bridge was down still waits for an agent to come back. */
  isWaiting(offer: Offer): boolean {
    return offer.waitUntil !== undefined && offer.waitUntil > this.now();
  }

  /** Keeps an offer waiting for an agent to come back, until the end of its wait. */
  keepWaiting(conversationId: string, offer: Offer): void {
    this.schedule(conversationId, offer);
  }

  /** An agent of the team came back: offers waiting for one move now. */
  moveWaiting(team: string): void {
    for (const [conversationId, offer] of this.running) {
      if (offer.team !== team || !this.isWaiting(offer)) continue;
      this.expire(conversationId, offer.agentId);
    }
  }

  /** Ends an offer (accepted, handed over, or over), here and in the store. */
  drop(conversationId: string): void {
    const offer = this.running.get(conversationId);
    if (!offer) return;
    offer.timer?.cancel();
    this.running.delete(conversationId);
    this.deps.store
      .deleteOffer(conversationId)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversationId }, 'finished offer not removed from the store'));
  }

  /** Stops every timer (at shutdown): the offers stay in the store and resume at the next start. */
  stop(): void {
    for (const offer of this.running.values()) offer.timer?.cancel();
    this.running.clear();
  }

  private fromRecord(record: OfferRecord, team: string): Offer {
    return { agentId: record.agentId, team, deadline: record.deadline, declined: new Set(record.declined), timer: undefined };
  }

  /** Keeps an offer and sets its timer: at its deadline, or (waiting for agents) at the end of the wait. */
  private schedule(conversationId: string, offer: Offer): void {
    offer.timer?.cancel();
    const at = offer.waitUntil ?? offer.deadline;
    offer.timer = this.deps.clock.setTimer(() => this.expire(conversationId, offer.agentId), Math.max(0, at - this.now()));
    this.running.set(conversationId, offer);
  }

  private expire(conversationId: string, agentId: string): void {
    this.deps
      .expired(conversationId, agentId)
      .catch((error: unknown) => this.deps.logger.error({ err: error, conversation: conversationId }, 'expired offer not moved'));
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}
