/**
 * Handovers that never ended: a node died (or its catch-up kept failing) between an agent's
 * assignment and the catch-up that queues what was said before (handover.ts). Their joining marks
 * stay in the store, which holds the agent's messages back; once a mark is older than
 * JOINING_TTL_MS, a node claims it and finishes the handover: the context line, unless the mark
 * says it went out already, then the catch-up, which queues once (whoever removes the mark
 * queues). A node that runs alone claims every mark as it starts: none can be running.
 */
import type { Logger } from 'pino';
import type { NetworkRegistry } from '../../networks/registry.js';
import { JOINING_TTL_MS, type JoiningMark, type Store } from '../../store/store.js';
import { bounded } from '../../util/bounded.js';
import type { Handover } from './handover.js';

/** How often the marks are looked at: a mark is claimed at most this long after it ran out. */
const SWEEP_EVERY_MS = JOINING_TTL_MS / 3;

export interface UnfinishedHandoversDeps {
  store: Pick<Store, 'claimStaleJoinings' | 'dropJoining' | 'getConversation'>;
  registry: Pick<NetworkRegistry, 'forAddress'>;
  handover: Pick<Handover, 'to'>;
  logger: Logger;
}

export class UnfinishedHandovers {
  private claimed: readonly JoiningMark[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: UnfinishedHandoversDeps) {}

  /** Before the networks bring traffic: claims the marks a node alone finds (all of them), or a node of several those that ran out. */
  async claimAtStart(alone: boolean): Promise<void> {
    this.claimed = await this.deps.store.claimStaleJoinings(alone ? 0 : JOINING_TTL_MS);
  }

  /** Once the networks run (a context line needs them): finishes what was claimed, then sweeps now and then. */
  start(): void {
    if (this.stopped || this.timer) return;
    const claimed = this.claimed;
    this.claimed = [];
    this.run(() => this.finish(claimed));
    this.timer = setInterval(() => this.run(async () => this.finish(await this.deps.store.claimStaleJoinings(JOINING_TTL_MS))), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /**
   * Stops sweeping, and waits for a sweep under way, `waitMs` at most: a handover it leaves
   * unfinished keeps its claimed mark, and is finished once that is claimed again.
   */
  async stop(waitMs: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await bounded(this.settled(), waitMs);
  }

  /** Resolves once the sweep under way, if any, is done (tests). */
  settled(): Promise<void> {
    return this.sweeping ?? Promise.resolve();
  }

  /** One sweep at a time: a slow one is not joined by the next. */
  private run(sweep: () => Promise<void>): void {
    if (this.sweeping) return;
    this.sweeping = sweep()
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'unfinished handovers not claimed'))
      .finally(() => (this.sweeping = undefined));
  }

  /** All at once: each may wait for its context line, and none may outlast its claim. */
  private async finish(marks: readonly JoiningMark[]): Promise<void> {
    await Promise.all(
      marks.map((mark) =>
        this.finishOne(mark).catch((error: unknown) =>
          this.deps.logger.warn({ err: error, conversation: mark.conversationId, party: mark.party }, 'unfinished handover not finished; tried again later'),
        ),
      ),
    );
  }

  private async finishOne(mark: JoiningMark): Promise<void> {
    const conversation = await this.deps.store.getConversation(mark.conversationId);
    const network = this.deps.registry.forAddress(mark.party);
    // Nothing left to hand over: the conversation went, the party left it, or its network is no
    // longer one the outbox sends to. (A closed one is handed over still: it may open again, with
    // the same agent, who then has what was said.)
    if (!conversation?.participants.includes(mark.party) || !network || network.deliversFromStore) {
      await this.deps.store.dropJoining(mark);
      return;
    }
    this.deps.logger.info({ conversation: mark.conversationId, party: mark.party }, 'finishing a handover that never ended');
    await this.deps.handover.to(conversation, mark.party, { introduced: mark.introduced });
  }
}
