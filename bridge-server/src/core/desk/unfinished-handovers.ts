/**
 * Handovers that never ended: a node died (or its catch-up kept failing) between an agent's
 * assignment and the catch-up that queues what was said before (handover.ts). Their joining marks
 * stay in the store and hold the agent's messages back; once a mark is older than JOINING_TTL_MS,
 * any node claims it and finishes the handover: the context line again, then the catch-up, once
 * (whoever removes the mark queues). A node that runs alone claims every mark as it starts: none
 * can be running.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { JOINING_TTL_MS, type JoiningMark, type Store } from '../../store/store.js';
import type { Handover, JoiningParties } from './handover.js';

/** How often the marks are looked at: a mark is claimed at most this long after it ran out. */
const SWEEP_EVERY_MS = JOINING_TTL_MS / 3;

export interface UnfinishedHandoversDeps {
  store: Pick<Store, 'claimStaleJoinings' | 'getConversation'>;
  handover: Pick<Handover, 'to'>;
  joining: Pick<JoiningParties, 'hold' | 'delete'>;
  logger: Logger;
}

export class UnfinishedHandovers {
  private claimed: JoiningMark[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly deps: UnfinishedHandoversDeps) {}

  /**
   * Before the networks bring traffic: claims the marks a node alone finds (all of them) or a node
   * of several (those that ran out), and holds their parties back here until `start` finishes them.
   */
  async claimAtStart(alone: boolean): Promise<void> {
    this.claimed = await this.claim(alone ? 0 : JOINING_TTL_MS);
  }

  /** Once the networks run (a context line needs them): finishes what was claimed, then sweeps now and then. */
  start(): void {
    const claimed = this.claimed;
    this.claimed = [];
    this.run(() => this.finish(claimed));
    this.timer = setInterval(() => this.run(async () => this.finish(await this.claim(JOINING_TTL_MS))), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /** One sweep at a time: a slow one is not joined by the next. */
  private run(sweep: () => Promise<void>): void {
    if (this.sweeping) return;
    this.sweeping = sweep()
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'unfinished handovers not claimed'))
      .finally(() => (this.sweeping = undefined));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** What the sweep under way is doing (tests). */
  settled(): Promise<void> {
    return this.sweeping ?? Promise.resolve();
  }

  private async claim(olderThanMs: number): Promise<JoiningMark[]> {
    const marks = await this.deps.store.claimStaleJoinings(olderThanMs);
    // Held back here from the claim's commit on, as by the handover that made the mark.
    for (const mark of marks) this.deps.joining.hold(mark.conversationId, mark.party);
    return marks;
  }

  private async finish(marks: readonly JoiningMark[]): Promise<void> {
    for (const { conversationId, party } of marks) {
      await this.finishOne(conversationId, party).catch((error: unknown) =>
        this.deps.logger.warn({ err: error, conversation: conversationId, party }, 'unfinished handover not finished; tried again later'),
      );
    }
  }

  private async finishOne(conversationId: string, party: Address): Promise<void> {
    const conversation = await this.deps.store.getConversation(conversationId);
    if (!conversation?.participants.includes(party)) {
      // Gone meanwhile: the next claim drops the mark of a party no longer in its conversation.
      this.deps.joining.delete(conversationId, party);
      return;
    }
    this.deps.logger.info({ conversation: conversationId, party }, 'finishing a handover that never ended');
    await this.deps.handover.to(conversation, party);
  }
}
