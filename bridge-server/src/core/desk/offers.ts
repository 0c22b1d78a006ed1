/**
 * Offers of team conversations to agents (docs/support-desk.md, "Routing"): an agent who was given
 * a conversation has the team's `offerTimeoutSeconds` to answer it (or claim it); when it runs out,
 * `expired` is called so the desk moves the conversation on. Offers and their deadlines are kept in
 * the store, so a restart resumes them; their timers run on the injected clock.
 *
 * Several nodes: the store's row is the truth. Every node watches every offer (loaded at start,
 * learned from the others on the bus), so an offer outlives the node that made it; when a deadline
 * passes, whichever nodes see it race to move the row's deadline on by a hold (`claimExpiry`), and
 * only the one that moved it acts; the others watch the row as it now is. The one that acts moves
 * the conversation on only while the row still holds that claim (`transferOffered`), which replaces
 * it with the next offer; should it die first, the hold runs out and another node acts. An offer
 * accepted on any node is gone from the store, and any assignment replaces or removes it, so the
 * others' timers find nothing to claim (and the bus stops them sooner). When a node leaves, the
 * others read the stored offers again: one whose start they missed on the bus would otherwise be
 * watched by nobody.
 * Round-robin turns are kept in the store too, so every node picks the same next agent.
 */
import type { Logger } from 'pino';
import { LOCAL_STATE_BUS, type StateBus } from '../../cluster/state-bus.js';
import { OFFER_ENDED, OFFER_STARTED, type OfferStarted, offerEndedSchema, offerStartedSchema } from '../../cluster/state-messages.js';
import type { Assigning, OfferRecord, ConversationRecord, Store } from '../../store/store.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { TeamDirectory } from './teams.js';

/** How long an offer that ran out while the bridge was down waits for another agent to come back (at least). */
const RESUMED_OFFER_WAIT_MS = 60_000;
/** How long the node that claimed an expired offer has to move its conversation on before the offer runs out again, for any node. */
const EXPIRY_HOLD_MS = 30_000;
/** Nobody declined: what most offers have, shared. */
const NOBODY: ReadonlySet<string> = new Set();
const declinedOf = (agents: readonly string[]): ReadonlySet<string> => (agents.length === 0 ? NOBODY : new Set(agents));

/**
 * Whether a message of the offered agent's, `seq` (unknown: any), answers `offer`: one written
 * before the offer was made (a message in flight when the conversation came back to the same agent)
 * does not.
 */
const answers = (offer: Pick<Offer, 'seq'>, seq: number | undefined): boolean => seq === undefined || offer.seq === undefined || seq > offer.seq;

/** What an assignment stores of its offer in its own transaction (store.ts, `Assigning`). */
export type OfferAssigning = Pick<Assigning, 'offer' | 'turn'>;

export interface Offer {
  agentId: string;
  team: string;
  /** Epoch ms when the offer runs out (kept in the store: a restart does not reset it). */
  deadline: number;
  timer: Timer | undefined;
  /** Agents who let this conversation's offer run out (replaced, never changed: offers share the empty one). */
  declined: ReadonlySet<string>;
  /**
   * The conversation's last seq when it was offered (OfferRecord.seq): a message of the agent's up
   * to it was written before, and answers nothing (unknown: an offer an older version stored).
   */
  seq?: number;
  /**
   * For an offer that ran out while the bridge was down: until when it waits for another agent of
   * the team to come back (agents reconnect after a restart), instead of staying where it is.
   */
  waitUntil?: number;
}

export interface OfferDeps {
  store: Pick<Store, 'saveOffer' | 'deleteOffer' | 'endOffer' | 'rescheduleOffer' | 'offers' | 'getConversation' | 'takeOfferTurn' | 'offerTurns'>;
  teams: TeamDirectory;
  clock: Clock;
  logger: Logger;
  /** The other nodes (none by default): offers started and ended are told to them, and theirs heard. */
  bus?: StateBus;
  /** Nobody answered `agentId`'s offer in time (or, waiting, an agent came back): the desk moves the conversation on. */
  expired(conversationId: string, agentId: string): Promise<void>;
}

export class Offers {
  /** Conversations offered to an agent who has not answered yet. */
  private readonly running = new Map<string, Offer>();
  private readonly bus: StateBus;
  /** Stopped (the bridge shuts down): nothing is watched or acted on here any more, whatever the bus says. */
  private stopped = false;

  constructor(private readonly deps: OfferDeps) {
    this.bus = deps.bus ?? LOCAL_STATE_BUS;
    this.bus.on(OFFER_STARTED, (payload) => {
      const parsed = offerStartedSchema.safeParse(payload);
      if (parsed.success) this.heardStarted(parsed.data);
      else deps.logger.warn({ issues: parsed.error.issues }, 'offer from another node dropped: not understood');
    });
    this.bus.on(OFFER_ENDED, (payload) => {
      const parsed = offerEndedSchema.safeParse(payload);
      if (!parsed.success) return;
      const { conversationId, agentId, seq } = parsed.data;
      const running = this.running.get(conversationId);
      if (agentId === undefined || (running?.agentId === agentId && answers(running, seq))) this.forget(conversationId);
    });
    this.bus.onNodeLeft?.(() => {
      this.rewatch().catch((error: unknown) => deps.logger.warn({ err: error }, 'offers not read again after a node left'));
    });
  }

  /**
   * Watches every stored offer this node does not watch yet (another node made it and the bus
   * lost its message): its deadline as stored; one passed already expires now, and the race in
   * `claimExpiry` lets one node act on it.
   */
  async rewatch(): Promise<void> {
    if (this.stopped) return;
    // What this node watched before the read: an offer it starts or hears of meanwhile is newer than the row.
    const known = new Map(this.running);
    for (const record of await this.deps.store.offers()) {
      if (!this.watching(record)) await this.watchStored(record, known.get(record.conversationId));
    }
  }

  /** Whether this node watches `record` as stored (its agent and deadline). */
  private watching(record: OfferRecord): boolean {
    const offer = this.running.get(record.conversationId);
    return offer !== undefined && offer.agentId === record.agentId && offer.deadline === record.deadline;
  }

  /**
   * Watches a stored offer as it is (in place of what this node watched of it), unless its row is
   * stale (its conversation closed or queued again meanwhile): that is not an offer to act on, and
   * is left alone. False: not watched. `before`: what this node watched of it when the row was
   * read; what it learned since (an offer it started, or heard of) is newer, and stays.
   */
  private async watchStored(record: OfferRecord, before: Offer | undefined): Promise<boolean> {
    const conversation = await this.deps.store.getConversation(record.conversationId);
    const team = conversation?.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    if (!conversation || conversation.state === 'closed' || conversation.assignee === undefined || !team || team.offerTimeoutSeconds <= 0) return false;
    if (this.stopped) return false;
    if (this.running.get(record.conversationId) !== before || this.watching(record)) return this.running.has(record.conversationId);
    const offer = this.fromRecord(record, team.id);
    // Overdue already: its node died after the deadline, or it waits for an agent to come back
    // (after a restart; the store does not say which). Either way it waits as a resumed one does.
    const now = this.now();
    if (record.deadline <= now) offer.waitUntil = now + Math.max(team.offerTimeoutSeconds * 1000, RESUMED_OFFER_WAIT_MS);
    this.schedule(record.conversationId, offer);
    return true;
  }

  /** When each of a team's agents was last offered one of its conversations, as an increasing number (absent: never). */
  turnsOf(team: string): Promise<Map<string, number>> {
    return this.deps.store.offerTurns(team);
  }

  /** The offer of a conversation that waits for its agent's answer, if any. */
  current(conversationId: string): Offer | undefined {
    return this.running.get(conversationId);
  }

  /**
   * The offer `start` makes of a conversation to an agent (none: the team makes no offers), for
   * the assignment to store in its own transaction (store.ts, `Assigning`).
   */
  plan(
    conversation: ConversationRecord,
    agentId: string,
    declined: ReadonlySet<string> = this.running.get(conversation.id)?.declined ?? NOBODY,
  ): OfferRecord | undefined {
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    if (!team || team.offerTimeoutSeconds <= 0) return undefined;
    return {
      conversationId: conversation.id,
      agentId,
      deadline: this.now() + team.offerTimeoutSeconds * 1000,
      declined: [...declined],
      seq: conversation.lastSeq,
    };
  }

  /**
   * What an assignment of a conversation to an agent stores in its own transaction (store.ts,
   * `Assigning`), for `start` to take up: the offer (`plan`) and the agent's round-robin turn.
   */
  assigning(conversation: ConversationRecord, agentId: string, declined?: ReadonlySet<string>): OfferAssigning {
    return {
      offer: this.plan(conversation, agentId, declined),
      turn: conversation.team === undefined ? undefined : { team: conversation.team, agentId },
    };
  }

  /**
   * Offers a conversation to an agent: unless the agent answers (or claims it) within the team's
   * `offerTimeoutSeconds`, `expired` is called. An earlier offer of it ends; its declines stay.
   * `assigned`: what the assignment stored already (`assigning`); what it did not is stored here.
   */
  async start(conversation: ConversationRecord, agentId: string, assigned?: OfferAssigning): Promise<void> {
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const previous = this.running.get(conversation.id);
    previous?.timer?.cancel();
    const stored = assigned?.offer;
    // (Another team's turn or offer than the one taken: the conversation changed teams meanwhile.)
    const turnTaken = assigned?.turn !== undefined && assigned.turn.team === conversation.team && assigned.turn.agentId === agentId;
    if (!team || team.offerTimeoutSeconds <= 0) {
      if (this.running.delete(conversation.id) || stored) await this.deps.store.deleteOffer(conversation.id);
      if (conversation.team !== undefined && !turnTaken) await this.deps.store.takeOfferTurn(conversation.team, agentId);
      return;
    }
    const offer = stored?.agentId === agentId && stored.conversationId === conversation.id ? stored : this.plan(conversation, agentId)!;
    const declined = declinedOf(offer.declined);
    // The seq the store gave the offer: the conversation's as the assignment left it (store.ts, `Assigning`).
    const seq = conversation.lastSeq;
    this.schedule(conversation.id, { agentId, team: team.id, deadline: offer.deadline, declined, seq, timer: undefined });
    if (!turnTaken) await this.deps.store.takeOfferTurn(team.id, agentId);
    if (offer !== stored) await this.deps.store.saveOffer(offer);
    const started: OfferStarted = { conversationId: conversation.id, agentId, team: team.id, deadline: offer.deadline, declined: [...offer.declined], seq };
    this.bus.publish(OFFER_STARTED, started);
  }

  /**
   * An offer's time ran out (or its wait ended): the one caller, on whichever node, that gets to
   * act on it moved the stored offer's deadline on by `EXPIRY_HOLD_MS`, and has that hold's
   * deadline (its claim, which `transferOffered`, `keepWaiting` and `release` name); should it die
   * before it acts, the offer runs out again then. Undefined: another node claimed it, or it was
   * accepted or replaced meanwhile; this node watches the stored offer as it now is, or forgets it.
   */
  async claimExpiry(conversationId: string, offer: Offer): Promise<number | undefined> {
    const held = Math.max(this.now(), offer.deadline) + EXPIRY_HOLD_MS;
    const stored = await this.deps.store.rescheduleOffer(conversationId, offer.deadline, held);
    if (stored === true) return held;
    if (this.running.get(conversationId) !== offer) return undefined; // replaced meanwhile (the bus)
    // Its timer ran: whatever the row now says is watched afresh (even the same deadline, stored again).
    this.forget(conversationId);
    if (stored !== undefined) await this.watchStored(stored, undefined);
    return undefined;
  }

  /**
   * The claimant could not act on its claim (the store failed): it watches the offer again, so it
   * runs out at the hold's end here too, whichever node is left to act then.
   */
  rearm(conversationId: string, offer: Offer, held: number): void {
    if (this.running.get(conversationId) !== offer) return;
    // An offer waiting for agents beyond the hold goes on waiting.
    const waiting = offer.waitUntil !== undefined && offer.waitUntil > held ? { waitUntil: offer.waitUntil } : {};
    const seq = offer.seq === undefined ? {} : { seq: offer.seq };
    this.schedule(conversationId, { agentId: offer.agentId, team: offer.team, deadline: held, declined: offer.declined, timer: undefined, ...seq, ...waiting });
  }

  /**
   * The claimant ends an offer it claimed (`held`) without moving the conversation: it stays with
   * the agent it was offered to. Only that claim is removed (not an offer made since).
   */
  async release(conversationId: string, offer: Offer, held: number): Promise<void> {
    // Removed first: should the store fail, the offer is still here to re-arm.
    const ended = await this.deps.store.deleteOffer(conversationId, held);
    // Only the claim: an offer this node heard of meanwhile (assigned again elsewhere) stays, here and everywhere.
    if (this.running.get(conversationId) === offer) this.forget(conversationId);
    if (ended) this.bus.publish(OFFER_ENDED, { conversationId, agentId: offer.agentId });
  }

  /**
   * Takes up the offers that were running when the bridge last stopped (or died): one still running
   * keeps its deadline; one whose deadline passed meanwhile goes to the next agent at once, or, with
   * none back yet, to the first of the team's agents who comes back within a minute (or one more
   * offer time, if longer).
   */
  async resume(): Promise<void> {
    this.stopped = false;
    const now = this.now();
    for (const record of await this.deps.store.offers()) {
      const conversation = await this.deps.store.getConversation(record.conversationId);
      const team = conversation?.team === undefined ? undefined : this.deps.teams.get(conversation.team);
      if (!conversation || conversation.state === 'closed' || conversation.assignee === undefined || !team || team.offerTimeoutSeconds <= 0) {
        // Only the row read: another node may have stored a new offer of it since.
        await this.deps.store.deleteOffer(record.conversationId, record.deadline);
        continue;
      }
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

  /**
   * Keeps an offer claimed at the end of its time (`held`) waiting for an agent to come back, until
   * the end of its wait: stored with its own deadline again, which says it is overdue (a restart
   * waits for agents again), unless the claim was answered or replaced meanwhile.
   */
  async keepWaiting(conversationId: string, offer: Offer, held: number): Promise<void> {
    if ((await this.deps.store.rescheduleOffer(conversationId, held, offer.deadline)) !== true) {
      if (this.running.get(conversationId) === offer) this.forget(conversationId);
      return;
    }
    if (this.running.get(conversationId) === offer) this.schedule(conversationId, offer);
  }

  /** An agent of the team came back: offers waiting for one move now. */
  moveWaiting(team: string): void {
    for (const [conversationId, offer] of this.running) {
      if (offer.team !== team || !this.isWaiting(offer)) continue;
      this.expire(conversationId, offer.agentId);
    }
  }

  /**
   * Stops acting on an offer that is not one any more (its conversation is with someone else, or
   * its claim, `deadline`, was answered): only that offer's row is removed, not one made since, and
   * the other nodes find it gone when their own timers run out.
   */
  async discard(conversationId: string, offer: Offer, deadline = offer.deadline): Promise<void> {
    if (this.running.get(conversationId) === offer) this.forget(conversationId);
    await this.deps.store.deleteOffer(conversationId, deadline);
  }

  /**
   * Ends an offer (accepted, handed over, or over), here and in the store: the offer to that agent,
   * whatever its deadline (a claim's hold included), not one made since to another. `answer`: only
   * if it is the offer to that agent, made before the message (its seq) that answers it.
   */
  drop(conversationId: string, answer?: { agentId: string; seq: number }): void {
    const offer = this.running.get(conversationId);
    if (!offer || (answer !== undefined && (offer.agentId !== answer.agentId || !answers(offer, answer.seq)))) return;
    offer.timer?.cancel();
    this.running.delete(conversationId);
    this.deps.store
      .endOffer(conversationId, offer.agentId, answer?.seq)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversationId }, 'finished offer not removed from the store'));
    this.bus.publish(OFFER_ENDED, { conversationId, agentId: offer.agentId, ...(answer ? { seq: answer.seq } : {}) });
  }

  /** Stops watching an offer here (another node ended it, or acted on it); the store is left as it is. */
  private forget(conversationId: string): void {
    this.running.get(conversationId)?.timer?.cancel();
    this.running.delete(conversationId);
  }

  /** Another node started an offer: this node watches its deadline too, in case that node dies. */
  private heardStarted(started: OfferStarted): void {
    const previous = this.running.get(started.conversationId);
    previous?.timer?.cancel();
    this.schedule(started.conversationId, {
      agentId: started.agentId,
      team: started.team,
      deadline: started.deadline,
      declined: declinedOf(started.declined),
      ...(started.seq === undefined ? {} : { seq: started.seq }),
      timer: undefined,
    });
  }

  /** Stops every timer (at shutdown): the offers stay in the store and resume at the next start. */
  stop(): void {
    this.stopped = true;
    for (const offer of this.running.values()) offer.timer?.cancel();
    this.running.clear();
  }

  private fromRecord(record: OfferRecord, team: string): Offer {
    return {
      agentId: record.agentId,
      team,
      deadline: record.deadline,
      declined: declinedOf(record.declined),
      ...(record.seq === undefined ? {} : { seq: record.seq }),
      timer: undefined,
    };
  }

  /** Keeps an offer and sets its timer: at its deadline, or (waiting for agents) at the end of the wait. */
  private schedule(conversationId: string, offer: Offer): void {
    offer.timer?.cancel();
    const replaced = this.running.get(conversationId);
    if (replaced !== offer) replaced?.timer?.cancel();
    if (this.stopped) return;
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
