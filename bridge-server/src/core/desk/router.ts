/**
 * Team routing (docs/support-desk.md, "Routing"): who gets a team's conversation, by live presence,
 * capacity and the team's strategy; the queue while nobody can take one, offered again as agents
 * become available, teams open, conversations close; offers that run out moving on; claims and
 * transfers. Each team's changes run one at a time, so two agents never get the same conversation.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { StateBus } from '../../cluster/state-bus.js';
import type { ClaimOutcome } from '../../networks/network.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import type { Clock } from '../../util/clock.js';
import { bounded } from '../../util/bounded.js';
import { SerialQueues } from '../../util/serial.js';
import { usableOnSite } from '../../networks/web/site-scope.js';
import type { Announcer } from '../announcer.js';
import type { ClientHub } from '../hub.js';
import type { PresenceService } from '../presence.js';
import { toWireConversation } from '../wire.js';
import type { Handover } from './handover.js';
import { type Offer, type OfferAssigning, Offers } from './offers.js';
import type { QueuePositions } from './queue-positions.js';
import { type AgentCandidate, availableAddress, chooseAgent } from './strategies.js';
import { TeamHours } from './team-hours.js';
import { type TeamDirectory, addressesOnSite, agentLabel } from './teams.js';

export interface RouterDeps {
  store: Store;
  presence: PresenceService;
  teams: TeamDirectory;
  hub: ClientHub;
  logger: Logger;
  clock: Clock;
  announcer: Announcer;
  handover: Handover;
  /** The team queues, in memory, and what their visitors are told. */
  positions: QueuePositions;
  /** The other bridge nodes, if any: offers are watched by all of them (offers.ts). */
  bus?: StateBus;
  /** An offer was taken up without a change the announcer tells (a claim of one's own offer): the inboxes show it without its deadline. */
  offerTaken?(conversation: ConversationRecord): void;
}

/** Queued conversations read at a time. */
const QUEUE_BATCH = 100;
/** How long a new conversation's opening waits for its agent's context line to go out, at most. */
const ROUTED_INTRODUCE_WAIT_MS = 2_000;

export class Router {
  private readonly serial = new SerialQueues();
  readonly offers: Offers;
  private readonly hours: TeamHours;
  private readonly positions: QueuePositions;

  constructor(private readonly deps: RouterDeps) {
    this.offers = new Offers({ ...deps, expired: (conversationId, agentId) => this.offerExpired(conversationId, agentId) });
    this.hours = new TeamHours(deps.teams, deps.clock, deps.logger);
    this.positions = deps.positions;
    // On several nodes, the node whose report made the agent available offers (every node derives the change).
    deps.presence.onChange((presence, _previous, change) => {
      if (presence.status !== 'available' || !change.here) return;
      for (const team of deps.teams.teamsOf(presence.address)) {
        this.offerQueued(team.id);
        this.offers.moveWaiting(team.id);
      }
    });
  }

  /** Whether a team works now (always, without business hours). */
  isOpen(team: string): boolean {
    return this.hours.isOpen(team);
  }

  /** Whether an agent of the team is available to the site's visitors now (what their `team:availability` says). */
  someoneAvailable(team: string, siteKey: string): boolean {
    return this.deps.presence.teamAvailability(team, siteKey).available;
  }

  /** Follows every team's business hours: at each opening, what waited is offered. */
  startHours(): void {
    // A closed team is available to no one: its visitors see it away (docs/support-desk.md, "Business hours").
    this.deps.presence.followHours((team) => this.hours.isOpen(team));
    this.hours.start(
      (team) => this.offerQueued(team),
      (team) => this.deps.presence.hoursChanged(team),
    );
  }

  /** Takes up the offers that were running when the bridge last stopped. */
  resumeOffers(): Promise<void> {
    return this.offers.resume();
  }

  /** Stops every timer: business hours and pending offers (at shutdown). */
  stop(): void {
    this.hours.stop();
    this.offers.stop();
    this.positions.stop();
  }

  /** An agent took a queued conversation by answering it: its visitor is told, and the others move up. */
  answeredFromQueue(conversation: ConversationRecord): void {
    this.positions.taken(conversation);
    if (conversation.team !== undefined) this.offerQueued(conversation.team);
  }

  /** Offers a team's queued conversations to whoever can take them now (in the background). */
  offerQueued(team: string): void {
    this.drainQueue(team).catch((error: unknown) => this.deps.logger.error({ err: error, team }, 'failed to offer queued conversations'));
  }

  /**
   * The agent who gets the team's next conversation, by the team's strategy, among agents available
   * on one of their networks and below their capacity; `declined` agents are left out. Only an
   * address that can act on the conversation's site is assigned (a web agent answers its own site).
   */
  async pickAgent(teamId: string, siteKey: string, declined: ReadonlySet<string> = new Set()): Promise<AgentCandidate | undefined> {
    const team = this.deps.teams.get(teamId);
    if (!team || !this.isOpen(teamId)) return undefined;
    const reachable = team.agents.flatMap((agent) => {
      if (declined.has(agent.id)) return [];
      const address = availableAddress({ ...agent, addresses: addressesOnSite(agent, siteKey) }, (a) => this.deps.presence.get(a).status);
      return address ? [{ agent, address }] : [];
    });
    if (reachable.length === 0) return undefined;
    const counts = await this.deps.store.openCounts(reachable.flatMap(({ agent }) => agent.addresses));
    const candidates: AgentCandidate[] = reachable
      .map(({ agent, address }) => ({ agent, address, open: agent.addresses.reduce((sum, a) => sum + (counts.get(a) ?? 0), 0) }))
      .filter((candidate) => candidate.open < candidate.agent.capacity);
    // Turns are in the store, so every node (and the next start) picks the same next agent.
    const turns = team.routing === 'first-available' ? new Map<string, number>() : await this.offers.turnsOf(teamId);
    return chooseAgent(team.routing, candidates, (agentId) => turns.get(agentId) ?? 0);
  }

  /**
   * Whether moving `conversation` to `teamId`'s queue at `by`'s request would hand it straight back
   * to them: the team is open, `by` is its only member available for the conversation's site with
   * room for it once it has left them, and nothing of that site waits in the queue before it.
   */
  async comesBackTo(teamId: string, conversation: ConversationRecord, by: Address): Promise<boolean> {
    const team = this.deps.teams.get(teamId);
    const self = team?.agents.find((agent) => agent.addresses.includes(by));
    if (!team || !self || !this.isOpen(teamId)) return false;
    const addresses = addressesOnSite(self, conversation.siteKey);
    if (!availableAddress({ ...self, addresses }, (a) => this.deps.presence.get(a).status)) return false;
    const counts = await this.deps.store.openCounts(self.addresses);
    const open = self.addresses.reduce((sum, a) => sum + (counts.get(a) ?? 0), 0) - (self.addresses.some((a) => a === conversation.assignee) ? 1 : 0);
    if (open >= self.capacity) return false;
    if (await this.pickAgent(teamId, conversation.siteKey, new Set([self.id]))) return false;
    const waiting = await this.deps.store.queuedConversations(teamId, QUEUE_BATCH);
    return !waiting.some((queued) => queued.siteKey === conversation.siteKey && queued.id !== conversation.id);
  }

  /**
   * Assigns a new team conversation to an agent, or leaves it queued (and tells the visitor where).
   * The agent's context line goes out once the team's turn is over: a network slow to take it (a
   * SIP phone gone silent answers nothing for RFC 3261's 32 s) holds up neither the team's next
   * conversations nor, past ROUTED_INTRODUCE_WAIT_MS, this one's opening.
   */
  async routeNew(conversation: ConversationRecord): Promise<ConversationRecord> {
    const team = conversation.team;
    if (team === undefined || conversation.assignee !== undefined) return conversation;
    const routed = await this.serial.run(`team:${team}`, async (): Promise<{ record: ConversationRecord; agent?: Address }> => {
      const candidate = await this.pickAgent(team, conversation.siteKey);
      if (!candidate) {
        await this.positions.enqueued(conversation);
        return { record: conversation };
      }
      // The offer is stored with the assignment: should the process die before it starts, the next start keeps its deadline.
      const assigning = this.offers.assigning(conversation, candidate.agent.id);
      const assigned = await this.deps.store.assignIfQueued(conversation.id, candidate.address, { ...assigning, team });
      if (!assigned) return { record: (await this.deps.store.getConversation(conversation.id)) ?? conversation };
      await this.offers.start(assigned, candidate.agent.id, assigning);
      return { record: assigned, agent: candidate.address };
    });
    // Within the wait, the line is out before the opening is answered, so before the first message.
    if (routed.agent !== undefined) await bounded(this.deps.handover.introduce(routed.record, routed.agent), ROUTED_INTRODUCE_WAIT_MS);
    return routed.record;
  }

  /** Offers the team's queued conversations, oldest first, while an agent can take one. */
  private async drainQueue(team: string): Promise<void> {
    // The handovers run once the team's turn is over: an agent's network slow to take the context
    // line (a SIP phone gone silent waits 32 s) holds up no other conversation of the team.
    const handovers: Promise<void>[] = [];
    try {
      await this.serial.run(`team:${team}`, async () => {
        try {
          for (;;) {
            const queued = await this.deps.store.queuedConversations(team, QUEUE_BATCH);
            if (queued.length === 0) return;
            const assigned = await this.assignBatch(team, queued, handovers);
            if (assigned === 0 || queued.length < QUEUE_BATCH) return;
          }
        } finally {
          // Only visitors whose place changed (or who were never told, as after a restart) hear of it.
          await this.positions.tell(team);
        }
      });
    } finally {
      await Promise.all(handovers);
    }
  }

  /** Gives each queued conversation to an agent who can take it now; returns how many were given. */
  private async assignBatch(team: string, queued: readonly ConversationRecord[], handovers: Promise<void>[]): Promise<number> {
    // Sites whose conversations nobody can take now (a web agent answers only its own site).
    const unserved = new Set<string>();
    let assignedCount = 0;
    for (const conversation of queued) {
      if (unserved.has(conversation.siteKey)) continue;
      const candidate = await this.pickAgent(team, conversation.siteKey);
      if (!candidate) {
        unserved.add(conversation.siteKey);
        continue;
      }
      // Someone may have taken it since the list was read (an agent answering, a transfer).
      const assigning = this.offers.assigning(conversation, candidate.agent.id);
      const assigned = await this.deps.handover.assign(candidate.address, (joining) =>
        this.deps.store.assignIfQueued(conversation.id, candidate.address, { ...joining, ...assigning, team }),
      );
      if (!assigned) continue;
      assignedCount++;
      this.deps.logger.info({ conversation: conversation.id, team, agent: candidate.address }, 'queued conversation assigned');
      // The agent has it (and its joining mark) whatever becomes of the offer: the handover always
      // runs, after the team's turn (a failed one leaves the mark, which the sweep finishes).
      try {
        await this.offers.start(assigned, candidate.agent.id, assigning);
      } finally {
        const agent = candidate.address;
        handovers.push(
          this.deps.handover
            .to(assigned, agent)
            .catch((error: unknown) => this.deps.logger.error({ err: error, conversation: assigned.id, agent }, 'handover failed')),
        );
      }
      this.deps.announcer.announce(assigned);
      this.positions.taken(assigned);
    }
    return assignedCount;
  }

  /**
   * A message from `sender` in a conversation: if it is the agent the running offer was made to (on
   * any of its addresses), the offer is accepted. Judged by the offer, not by the conversation as
   * the message found it: an agent whose offer ran out and moved on meanwhile answers nothing, nor
   * does a message (`seq`) written before the offer (in flight as the conversation came back to them).
   */
  answeredBy(conversation: ConversationRecord, sender: Address, seq: number): void {
    const offer = this.offers.current(conversation.id);
    if (!offer) return;
    const offered = this.addressesOf(offer) ?? (conversation.assignee === undefined ? [] : [conversation.assignee]);
    if (offered.includes(sender)) this.offers.drop(conversation.id, { agentId: offer.agentId, seq });
  }

  /** The assignee answered (or claimed it, or it was handed over): the offer no longer expires. */
  accepted(conversationId: string): void {
    this.offers.drop(conversationId);
  }

  /** Nobody answered in time: the next agent who can take it gets it; if there is none, it stays. */
  private async offerExpired(conversationId: string, agentId: string): Promise<void> {
    const offer = this.offers.current(conversationId);
    if (!offer || offer.agentId !== agentId) return;
    const conversation = await this.deps.store.getConversation(conversationId);
    if (!conversation || conversation.state === 'closed' || conversation.team === undefined) {
      this.offers.drop(conversationId);
      return;
    }
    const team = conversation.team;
    // The handover to the next agent runs once the team's turn is over (as a drained queue's do): a
    // network slow to take the context line holds up no other conversation of the team.
    let handover: { record: ConversationRecord; agent: Address } | undefined;
    try {
      await this.serial.run(`team:${team}`, () =>
        this.moveExpiredOffer(conversationId, conversation, offer, agentId, team, (record, agent) => (handover = { record, agent })),
      );
    } finally {
      if (handover) await this.deps.handover.to(handover.record, handover.agent);
    }
  }

  /** Within the team's turn: the expired offer goes to the next agent who can take it; `movedTo` names who, for the handover. */
  private async moveExpiredOffer(
    conversationId: string,
    conversation: ConversationRecord,
    offer: Offer,
    agentId: string,
    team: string,
    movedTo: (record: ConversationRecord, agent: Address) => void,
  ): Promise<void> {
    // Look again: the agent may have answered, or someone transferred or closed it, meanwhile.
    const now = await this.deps.store.getConversation(conversationId);
    if (this.offers.current(conversationId) !== offer || !now || now.state === 'closed' || now.assignee !== conversation.assignee) return;
    // Someone else has it than the agent it was offered to: not an offer to act on (only this one is removed).
    const offered = this.addressesOf(offer);
    if (now.assignee === undefined || (offered && !offered.includes(now.assignee))) return this.offers.discard(conversationId, offer);
    // Several nodes may see this deadline pass: only the one that claims it acts, within the hold.
    const held = await this.offers.claimExpiry(conversationId, offer);
    if (held === undefined) return;
    // What the offered agent writes from here on is an answer, which the move gives way to.
    const claim = { deadline: held, seq: now.lastSeq, agent: offered ?? [now.assignee] };
    let moved: ConversationRecord | null;
    let next: AgentCandidate | undefined;
    let assigning: OfferAssigning;
    try {
      offer.declined = new Set([...offer.declined, agentId]);
      next = await this.pickAgent(team, now.siteKey, offer.declined);
      if (!next) {
        // Ran out while the bridge was down: wait a little for the team's agents to come back.
        if (this.offers.isWaiting(offer)) return await this.offers.keepWaiting(conversationId, offer, held);
        return await this.offers.release(conversationId, offer, held); // nobody else: it stays with the agent it was offered to
      }
      const to = next;
      const planned = (assigning = this.offers.assigning(now, to.agent.id, offer.declined));
      // Only while the claim holds: an answer, a claim or a transfer on any node since then wins.
      moved = await this.deps.handover.assign(to.address, (joining) =>
        this.deps.store.transferOffered(conversationId, claim, to.address, { ...joining, ...planned }),
      );
    } catch (error) {
      // Not acted on: it runs out again at the hold's end, here or on whichever node is left.
      this.offers.rearm(conversationId, offer, held);
      throw error;
    }
    if (!moved) return this.offers.discard(conversationId, offer, held);
    this.deps.logger.info(
      { conversation: conversationId, from: conversation.assignee, to: next.address },
      'offer expired; conversation moved to the next agent',
    );
    // The next agent has it (and its joining mark) whatever becomes of the offer.
    movedTo(moved, next.address);
    await this.offers.start(moved, next.agent.id, assigning);
    this.deps.announcer.announce(moved);
    this.tellLeft(now, moved, undefined);
  }

  /** The addresses of the agent `offer` was made to; undefined when the team's configuration no longer has it (a restart since). */
  private addressesOf(offer: Offer): readonly Address[] | undefined {
    return this.deps.teams.get(offer.team)?.agents.find((a) => a.id === offer.agentId)?.addresses;
  }

  /** A conversation closed (an agent has room again) or left the queue: offer what waits. */
  conversationClosed(conversation: ConversationRecord, by?: Address): void {
    this.accepted(conversation.id);
    void this.deps.handover.closed(conversation, by);
    if (conversation.team === undefined) return;
    if (conversation.assignee === undefined) {
      this.serial
        .run(`team:${conversation.team}`, () => this.positions.tell(conversation.team!))
        .catch((error: unknown) => this.deps.logger.warn({ err: error, team: conversation.team }, 'queue positions not told'));
    }
    this.offerQueued(conversation.team);
  }

  /**
   * Moves a conversation to another agent (who gets the context and the history) or back into a
   * team's queue (offered by that team's routing).
   */
  async transfer(conversationId: string, to: { agent: Address } | { team: string }, by?: Address): Promise<ConversationRecord> {
    const { store, announcer } = this.deps;
    const before = await store.getConversation(conversationId);
    if ('team' in to) {
      const queued = await store.transferConversation(conversationId, null, to.team);
      this.accepted(conversationId);
      announcer.announce(queued);
      this.tellLeft(before, queued, by);
      this.offerQueued(to.team);
      this.roomMadeBy(before, to.team);
      return queued;
    }
    const moved = await this.deps.handover.assign(to.agent, (joining) => store.transferConversation(conversationId, to.agent, undefined, joining));
    this.accepted(conversationId); // handed over on purpose: no offer timer
    await this.deps.handover.to(moved, to.agent);
    announcer.announce(moved);
    this.tellLeft(before, moved, by);
    // Out of the queue to an agent: its visitor stops waiting, the others move up.
    if (before?.team !== undefined && before.assignee === undefined && before.state === 'open') this.answeredFromQueue({ ...moved, team: before.team });
    else if (before?.assignee !== to.agent) this.roomMadeBy(before);
    return moved;
  }

  /** The agent a conversation moved away from hears of it on their network (unless they moved it themselves). */
  private tellLeft(before: ConversationRecord | null, now: ConversationRecord, by: Address | undefined): void {
    const agent = before?.assignee;
    if (!before || agent === undefined || agent === now.assignee || agent === by) return;
    void this.deps.handover.left(before, agent, now);
  }

  /**
   * A conversation moved away from its agent: they have room for one more, so what waits in the
   * queues of their teams is offered (oldest first), not left for the next conversation to come.
   * `offered`: a team whose queue is offered already.
   */
  private roomMadeBy(before: ConversationRecord | null, offered?: string): void {
    if (before?.assignee === undefined || before.state !== 'open') return;
    const teams = new Set([...(before.team !== undefined ? [before.team] : []), ...this.deps.teams.teamsOf(before.assignee).map((team) => team.id)]);
    for (const team of teams) if (team !== offered) this.offerQueued(team);
  }

  /**
   * An agent takes a waiting team conversation (a claim from an IRC support channel, ...): only a
   * member of the conversation's team, only while nobody has it.
   */
  async claim(conversationId: string, agent: Address): Promise<ClaimOutcome> {
    const found = await this.deps.store.getConversation(conversationId);
    if (!found || found.team === undefined) return { ok: false, reason: 'No such team conversation.', code: 'not_found' };
    const team = found.team;
    // The claimer's handover (context and history) runs once the team's turn is over, before they are answered.
    let handover: ConversationRecord | undefined;
    const claiming = this.serial.run(`team:${team}`, async (): Promise<ClaimOutcome> => {
      const conversation = await this.deps.store.getConversation(conversationId);
      if (!conversation || conversation.state === 'closed') return { ok: false, reason: 'This conversation is closed.', code: 'bad_request' };
      if (!this.deps.teams.teamsOf(agent).some((t) => t.id === team) || !usableOnSite(agent, conversation.siteKey))
        return { ok: false, reason: `You are not a member of the team "${team}".`, code: 'forbidden' };
      if (conversation.assignee === agent) {
        // Claiming the conversation offered to you takes it, as answering it does: the offer no longer runs out.
        if (this.offers.current(conversation.id)) {
          this.accepted(conversation.id);
          this.deps.offerTaken?.(conversation);
          this.deps.logger.info({ conversation: conversation.id, team, agent }, 'offer taken by a claim');
        }
        return { ok: true, conversation: toWireConversation(conversation), already: true };
      }
      // Named as the team names its agents everywhere (Bob (irc:bob@libera)), as a claim's answer does.
      if (conversation.assignee !== undefined)
        return { ok: false, reason: `This conversation is already with ${agentLabel(this.deps.teams, conversation.assignee)}.`, code: 'forbidden' };
      const assigned = await this.deps.handover.assign(agent, (joining) => this.deps.store.assignIfQueued(conversation.id, agent, joining));
      if (!assigned) return { ok: false, reason: 'Someone took this conversation just now.', code: 'forbidden' };
      this.deps.logger.info({ conversation: conversation.id, team, agent }, 'conversation claimed');
      this.accepted(conversation.id);
      handover = assigned;
      this.deps.announcer.announce(assigned);
      this.positions.taken(assigned);
      await this.positions.tell(team);
      return { ok: true, conversation: toWireConversation(assigned) };
    });
    try {
      return await claiming;
    } finally {
      if (handover) await this.deps.handover.to(handover, agent);
    }
  }
}
