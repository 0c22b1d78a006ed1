/**
 * Decides who receives what: team routing by live presence, and fan-out of every message, typing
 * notification and conversation change to the parties' networks. The one place that owns fan-out;
 * networks never know each other.
 */
import type { Address, Message, TypingState } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics.js';
import type { Clock, Timer } from '../../util/clock.js';
import { BusinessHours } from './business-hours.js';
import type { UsageMeter } from '../usage.js';
import type { WebhookDispatcher } from '../webhooks.js';
import type { ClaimOutcome } from '../../networks/network.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { SerialQueues } from '../../util/serial.js';
import type { ClientHub, HubRoom } from '../hub.js';
import type { PresenceService } from '../presence.js';
import type { RefBook } from '../../networks/refs.js';
import { type AgentCandidate, availableAddress, chooseAgent } from './routing.js';
import { type TeamDirectory, addressesOnSite } from './teams.js';
import { usableOnSite } from '../../networks/web/site-scope.js';
import { toWireConversation } from '../wire.js';
import { oneLine } from '../../util/text.js';
import { LRUCache } from 'lru-cache';

export interface RouterDeps {
  store: Store;
  registry: NetworkRegistry;
  presence: PresenceService;
  teams: TeamDirectory;
  hub: ClientHub;
  logger: Logger;
  metrics: Metrics;
  /** Asks the outbox worker to look at a network's queue. */
  kickOutbox(network: string): void;
  clock: Clock;
  webhooks: WebhookDispatcher;
  usage: UsageMeter;
  /** The bridge's refs: a context line names its conversation as the agent's network does. */
  refs: RefBook;
}

const QUEUE_BATCH = 100;
/** How long an offer that ran out while the bridge was down waits for another agent to come back (at least). */
const RESUMED_OFFER_WAIT_MS = 60_000;
/** Parties whose latest conversation is remembered. */
const LATEST_KEPT = 50_000;
/** Queued conversations whose visitors are told their position (beyond: told on their turn). */
const POSITIONS_TOLD = 500;

interface Offer {
  agentId: string;
  team: string;
  /** Epoch ms when the offer runs out (kept in the store: a restart does not reset it). */
  deadline: number;
  timer: NodeJS.Timeout | undefined;
  /** Agents who let this conversation's offer run out. */
  declined: Set<string>;
  /**
   * For an offer that ran out while the bridge was down: until when it waits for another agent of
   * the team to come back (agents reconnect after a restart), instead of staying where it is.
   */
  waitUntil?: number;
}

export class Router {
  private readonly serial = new SerialQueues();
  /** Round-robin turns: agent id -> when it was last offered a conversation (an increasing count). */
  private readonly lastOffered = new Map<string, number>();
  private turns = 0;
  /** Conversations offered to an agent who has not answered yet. */
  private readonly offers = new Map<string, Offer>();

  /** Teams with business hours, and the timer of each one's next opening or closing. */
  private readonly hours = new Map<string, BusinessHours>();
  private readonly hourTimers = new Map<string, Timer>();

  constructor(private readonly deps: RouterDeps) {
    for (const team of deps.teams.all()) if (team.hours) this.hours.set(team.id, new BusinessHours(team.hours, () => deps.clock.now()));
    deps.presence.onChange((presence) => {
      if (presence.status !== 'available') return;
      for (const team of deps.teams.teamsOf(presence.address)) {
        this.offerQueued(team.id);
        this.moveWaitingOffers(team.id);
      }
    });
  }

  /** Whether a team works now (always, without business hours). */
  isOpen(team: string): boolean {
    return this.hours.get(team)?.isOpen() ?? true;
  }

  /** Follows every team's business hours: at each opening, what waited is offered. */
  startHours(): void {
    for (const team of this.hours.keys()) this.scheduleHours(team);
  }

  /** Stops every timer: business hours and pending offers (at shutdown). */
  stop(): void {
    for (const timer of this.hourTimers.values()) timer.cancel();
    this.hourTimers.clear();
    // Only the timers: the offers stay in the store and resume at the next start.
    for (const offer of this.offers.values()) clearTimeout(offer.timer);
    this.offers.clear();
  }

  private scheduleHours(team: string): void {
    const hours = this.hours.get(team)!;
    const now = this.deps.clock.now();
    const open = hours.isOpen(now);
    const next = open ? hours.closesAt(now) : hours.nextOpening(now);
    if (!next) return;
    this.hourTimers.set(
      team,
      this.deps.clock.setTimer(() => {
        if (hours.isOpen()) {
          this.deps.logger.info({ team }, 'team opens: offering the conversations that waited');
          this.offerQueued(team);
        }
        this.scheduleHours(team);
      }, next.getTime() - now.getTime()),
    );
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
    return chooseAgent(team.routing, candidates, (agentId) => this.lastOffered.get(agentId) ?? 0);
  }

  /** Assigns a new team conversation to an agent, or leaves it queued (and tells the visitor where). */
  routeNew(conversation: ConversationRecord): Promise<ConversationRecord> {
    const team = conversation.team;
    if (team === undefined || conversation.assignee !== undefined) return Promise.resolve(conversation);
    return this.serial.run(`team:${team}`, async () => {
      const candidate = await this.pickAgent(team, conversation.siteKey);
      if (!candidate) {
        await this.tellPositions(team);
        return conversation;
      }
      const assigned = await this.deps.store.assignIfQueued(conversation.id, candidate.address);
      if (!assigned) return (await this.deps.store.getConversation(conversation.id)) ?? conversation;
      await this.offer(assigned, candidate.agent.id);
      await this.introduce(assigned, candidate.address);
      return assigned;
    });
  }

  /** Offers the team's queued conversations, oldest first, while an agent can take one. */
  private drainQueue(team: string): Promise<void> {
    return this.serial.run(`team:${team}`, async () => {
      let assignedAny = false;
      try {
        for (;;) {
          const queued = await this.deps.store.queuedConversations(team, QUEUE_BATCH);
          if (queued.length === 0) return;
          // Sites whose conversations nobody can take now (a web agent answers only its own site).
          const unserved = new Set<string>();
          let assignedInBatch = false;
          for (const conversation of queued) {
            if (unserved.has(conversation.siteKey)) continue;
            const candidate = await this.pickAgent(team, conversation.siteKey);
            if (!candidate) {
              unserved.add(conversation.siteKey);
              continue;
            }
            // Someone may have taken it since the list was read (an agent answering, a transfer).
            const assigned = await this.deps.store.assignIfQueued(conversation.id, candidate.address);
            if (!assigned) continue;
            assignedAny = true;
            assignedInBatch = true;
            this.deps.logger.info({ conversation: conversation.id, team, agent: candidate.address }, 'queued conversation assigned');
            await this.offer(assigned, candidate.agent.id);
            await this.introduce(assigned, candidate.address);
            await this.catchUp(assigned, candidate.address);
            this.announce(assigned);
            this.tellTaken(assigned);
          }
          if (!assignedInBatch || queued.length < QUEUE_BATCH) return;
        }
      } finally {
        if (assignedAny || (await this.deps.store.queuedConversations(team, 1)).length > 0) await this.tellPositions(team);
      }
    });
  }

  /**
   * Starts the offer of a conversation to an agent: unless the agent answers (or claims it) within
   * the team's `offerTimeoutSeconds`, it moves to the next agent who can take it. The offer and its
   * deadline are in the store, so a restart resumes it (resumeOffers).
   */
  private async offer(conversation: ConversationRecord, agentId: string): Promise<void> {
    this.lastOffered.set(agentId, ++this.turns);
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const previous = this.offers.get(conversation.id);
    if (previous) clearTimeout(previous.timer);
    if (!team || team.offerTimeoutSeconds <= 0) {
      if (this.offers.delete(conversation.id)) await this.deps.store.deleteOffer(conversation.id);
      return;
    }
    const declined = previous?.declined ?? new Set<string>();
    const deadline = Date.now() + team.offerTimeoutSeconds * 1000;
    this.schedule(conversation.id, { agentId, team: team.id, deadline, declined, timer: undefined });
    await this.deps.store.saveOffer({ conversationId: conversation.id, agentId, deadline, declined: [...declined] });
  }

  /** Keeps an offer and sets its timer: at its deadline, or (waiting for agents) at the end of the wait. */
  private schedule(conversationId: string, offer: Offer): void {
    clearTimeout(offer.timer);
    const at = offer.waitUntil ?? offer.deadline;
    offer.timer = setTimeout(
      () => {
        this.offerExpired(conversationId, offer.agentId).catch((error: unknown) =>
          this.deps.logger.error({ err: error, conversation: conversationId }, 'expired offer not moved'),
        );
      },
      Math.max(0, at - Date.now()),
    );
    offer.timer.unref();
    this.offers.set(conversationId, offer);
  }

  /**
   * Takes up the offers that were running when the bridge last stopped (or died): one still running
   * keeps its deadline; one whose deadline passed meanwhile goes to the next agent at once, or, with
   * none back yet, to the first of the team's agents who comes back within a minute (or one more
   * offer time, if longer).
   */
  async resumeOffers(): Promise<void> {
    const now = Date.now();
    for (const record of await this.deps.store.offers()) {
      const conversation = await this.deps.store.getConversation(record.conversationId);
      const team = conversation?.team === undefined ? undefined : this.deps.teams.get(conversation.team);
      if (!conversation || conversation.state === 'closed' || conversation.assignee === undefined || !team || team.offerTimeoutSeconds <= 0) {
        await this.deps.store.deleteOffer(record.conversationId);
        continue;
      }
      this.lastOffered.set(record.agentId, ++this.turns);
      const offer: Offer = { agentId: record.agentId, team: team.id, deadline: record.deadline, declined: new Set(record.declined), timer: undefined };
      // Overdue: no agent is back yet (networks start after this), so it moves when one becomes
      // available (moveWaitingOffers), or stays where it is at the end of the wait.
      if (record.deadline <= now) offer.waitUntil = now + Math.max(team.offerTimeoutSeconds * 1000, RESUMED_OFFER_WAIT_MS);
      this.schedule(record.conversationId, offer);
    }
  }

  /** An agent of the team came back: offers waiting for one move now. */
  private moveWaitingOffers(team: string): void {
    const now = Date.now();
    for (const [conversationId, offer] of this.offers) {
      if (offer.team !== team || offer.waitUntil === undefined || offer.waitUntil <= now) continue;
      this.offerExpired(conversationId, offer.agentId).catch((error: unknown) =>
        this.deps.logger.error({ err: error, conversation: conversationId }, 'expired offer not moved'),
      );
    }
  }

  /** Forgets an offer, here and in the store. */
  private dropOffer(conversationId: string): void {
    const offer = this.offers.get(conversationId);
    if (!offer) return;
    clearTimeout(offer.timer);
    this.offers.delete(conversationId);
    this.deps.store
      .deleteOffer(conversationId)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversationId }, 'finished offer not removed from the store'));
  }

  /** A message from `sender` in a conversation: if it is the assignee (on any of its addresses), the offer is accepted. */
  answeredBy(conversation: ConversationRecord, sender: Address): void {
    if (!this.offers.has(conversation.id) || conversation.assignee === undefined) return;
    if (sender === conversation.assignee) return this.accepted(conversation.id);
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const agent = team?.agents.find((a) => a.addresses.includes(conversation.assignee!));
    if (agent?.addresses.includes(sender)) this.accepted(conversation.id);
  }

  /** The assignee answered (or claimed it): the offer is accepted and no longer expires. */
  accepted(conversationId: string): void {
    this.dropOffer(conversationId);
  }

  /** Nobody answered in time: the next agent who can take it gets it; if there is none, it stays. */
  private async offerExpired(conversationId: string, agentId: string): Promise<void> {
    const offer = this.offers.get(conversationId);
    if (!offer || offer.agentId !== agentId) return;
    const conversation = await this.deps.store.getConversation(conversationId);
    if (!conversation || conversation.state === 'closed' || conversation.team === undefined) {
      this.dropOffer(conversationId);
      return;
    }
    const team = conversation.team;
    await this.serial.run(`team:${team}`, async () => {
      // Look again: the agent may have answered, or someone transferred or closed it, meanwhile.
      const now = await this.deps.store.getConversation(conversationId);
      if (this.offers.get(conversationId) !== offer || !now || now.state === 'closed' || now.assignee !== conversation.assignee) return;
      offer.declined.add(agentId);
      const next = await this.pickAgent(team, now.siteKey, offer.declined);
      if (!next) {
        // Ran out while the bridge was down: wait a little for the team's agents to come back.
        if (offer.waitUntil !== undefined && offer.waitUntil > Date.now()) return this.schedule(conversationId, offer);
        this.dropOffer(conversationId); // nobody else: it stays with the agent it was offered to
        return;
      }
      const moved = await this.deps.store.transferConversation(conversationId, next.address);
      this.deps.logger.info(
        { conversation: conversationId, from: conversation.assignee, to: next.address },
        'offer expired; conversation moved to the next agent',
      );
      await this.offer(moved, next.agent.id);
      await this.introduce(moved, next.address);
      await this.catchUp(moved, next.address);
      this.announce(moved);
    });
  }

  /** A conversation closed (an agent has room again) or left the queue: offer what waits. */
  conversationClosed(conversation: ConversationRecord): void {
    this.accepted(conversation.id);
    if (conversation.team === undefined) return;
    if (conversation.assignee === undefined) {
      this.serial
        .run(`team:${conversation.team}`, () => this.tellPositions(conversation.team!))
        .catch((error: unknown) => this.deps.logger.warn({ err: error, team: conversation.team }, 'queue positions not told'));
    }
    this.offerQueued(conversation.team);
  }

  /**
   * The first line an agent on another network gets about a conversation: who the visitor is and
   * where, in the conversation's own chat (web agents see it in their console).
   */
  async introduce(conversation: ConversationRecord, agent: Address): Promise<void> {
    const network = this.deps.registry.forAddress(agent);
    if (!network?.notice || network.deliversFromStore || network.status().state !== 'online') return;
    const visitor = await this.deps.store.getParty(conversation.openedBy);
    // One line whatever the visitor typed: a line break in a name must not start a line of its own.
    const parts = [`#${this.deps.refs.refOf(conversation.id)}`, oneLine(visitor?.name ?? 'Visitor')];
    if (visitor?.email) parts.push(`<${oneLine(visitor.email)}>`);
    if (visitor?.pageUrl) parts.push(`on ${oneLine(visitor.pageUrl)}`);
    parts.push(visitor?.verified ? '(verified)' : '(not verified)');
    const text = `${parts.join(' ')}${conversation.team ? `, team ${conversation.team}` : ''}. Reply here; /whois ${this.deps.refs.refOf(conversation.id)} for more.`;
    await network
      .notice({
        to: agent,
        text,
        about: { conversation: toWireConversation(conversation), visitor: conversation.openedBy, ...(visitor?.name ? { visitorName: visitor.name } : {}) },
      })
      .catch((error: unknown) => this.deps.logger.debug({ err: error, agent }, 'context line not sent'));
  }

  /** Tells the visitor that an agent took its conversation out of the queue. */
  private tellTaken(conversation: ConversationRecord): void {
    if (conversation.team === undefined) return;
    const rooms: HubRoom[] = conversation.participants.map((address) => ({ kind: 'address', address }));
    this.deps.hub.emit(rooms, 'queue:position', { conversationId: conversation.id, team: conversation.team, position: 0, waiting: 0 });
  }

  /** Tells each waiting visitor of a team its place in the queue (`queue:position`). */
  private async tellPositions(team: string): Promise<void> {
    const queued = await this.deps.store.queuedConversations(team, POSITIONS_TOLD);
    queued.forEach((conversation, index) => {
      const rooms: HubRoom[] = conversation.participants.map((address) => ({ kind: 'address', address }));
      this.deps.hub.emit(rooms, 'queue:position', { conversationId: conversation.id, team, position: index + 1, waiting: queued.length });
    });
  }

  /**
   * A party that joins a conversation on an outbox network (an agent on XMPP) gets what was said
   * before it joined, in order; web parties read it from the store themselves.
   */
  async catchUp(conversation: ConversationRecord, party: Address): Promise<void> {
    const network = this.deps.registry.forAddress(party);
    if (!network || network.deliversFromStore) return;
    if ((await this.deps.store.queueEarlierMessages(conversation.id, party, network.scheme)) > 0) this.deps.kickOutbox(network.scheme);
  }

  /**
   * Tells every party and the site's agents that a conversation was opened or changed, and the
   * networks that announce team conversations (an IRC support channel).
   */
  announce(conversation: ConversationRecord): void {
    const rooms: HubRoom[] = conversation.participants.map((address) => ({ kind: 'address', address }));
    rooms.push({ kind: 'agents', siteKey: conversation.siteKey });
    const wire = toWireConversation(conversation);
    this.deps.hub.emit(rooms, 'conversation', wire);
    this.webhookFor(conversation, wire);
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const announcers = this.deps.registry.all().filter((network) => network.conversationChanged);
    if (!team || announcers.length === 0) return;
    void this.deps.store
      .getParty(conversation.openedBy)
      .then((visitor) => {
        const details = {
          teamMembers: team.members as Address[],
          ...(visitor?.name ? { visitorName: visitor.name } : {}),
          ...(visitor?.pageUrl ? { pageUrl: visitor.pageUrl } : {}),
        };
        for (const network of announcers) network.conversationChanged!(wire, details);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id }, 'conversation not announced to networks'));
  }

  /**
   * Webhook events for a conversation that was assigned (again) or closed (`opened` is the core's).
   * What webhooks last said of each conversation is in the store, so a restart neither repeats an
   * event nor misses one. The store write is queued now, so events keep the order of the changes.
   */
  private webhookFor(conversation: ConversationRecord, wire: ReturnType<typeof toWireConversation>): void {
    this.markForWebhooks(conversation, wire).catch((error: unknown) =>
      this.deps.logger.error({ err: error, conversation: conversation.id }, 'conversation change not recorded for webhooks'),
    );
  }

  private async markForWebhooks(conversation: ConversationRecord, wire: ReturnType<typeof toWireConversation>): Promise<void> {
    const { webhooks } = this.deps;
    const mark = { state: conversation.state, ...(conversation.assignee !== undefined ? { assignee: conversation.assignee } : {}) };
    const before = await this.deps.store.swapConversationMark(conversation.id, mark);
    if (conversation.assignee !== undefined && conversation.assignee !== before?.assignee)
      webhooks.emit('conversation.assigned', conversation.siteKey, { conversation: wire, assignee: conversation.assignee });
    if (conversation.state === 'closed' && before?.state !== 'closed') webhooks.emit('conversation.closed', conversation.siteKey, { conversation: wire });
  }

  /**
   * At start-up: webhook events for conversation changes stored just before a crash, whose events
   * were not queued yet (a conversation never told of is told as opened first).
   */
  async resumeWebhookMarks(): Promise<void> {
    for (;;) {
      const behind = await this.deps.store.conversationsAheadOfMarks(QUEUE_BATCH);
      for (const { conversation, mark } of behind) {
        const wire = toWireConversation(conversation);
        if (!mark) this.deps.webhooks.emit('conversation.opened', conversation.siteKey, { conversation: wire });
        await this.markForWebhooks(conversation, wire);
      }
      if (behind.length < QUEUE_BATCH) return;
    }
  }

  /**
   * An agent takes a waiting team conversation (a claim from an IRC support channel, ...): only a
   * member of the conversation's team, only while nobody has it.
   */
  claim(conversationId: string, agent: Address): Promise<ClaimOutcome> {
    return (async () => {
      const found = await this.deps.store.getConversation(conversationId);
      if (!found || found.team === undefined) return { ok: false, reason: 'No such team conversation.' } as const;
      const team = found.team;
      return this.serial.run(`team:${team}`, async (): Promise<ClaimOutcome> => {
        const conversation = await this.deps.store.getConversation(conversationId);
        if (!conversation || conversation.state === 'closed') return { ok: false, reason: 'This conversation is closed.' };
        if (!this.deps.teams.teamsOf(agent).some((t) => t.id === team) || !usableOnSite(agent, conversation.siteKey))
          return { ok: false, reason: `You are not a member of the team "${team}".` };
        if (conversation.assignee === agent) return { ok: true, conversation: toWireConversation(conversation) };
        if (conversation.assignee !== undefined) return { ok: false, reason: `This conversation is already with ${conversation.assignee}.` };
        const assigned = await this.deps.store.assignIfQueued(conversation.id, agent);
        if (!assigned) return { ok: false, reason: 'Someone took this conversation just now.' };
        this.deps.logger.info({ conversation: conversation.id, team, agent }, 'conversation claimed');
        this.accepted(conversation.id);
        await this.introduce(assigned, agent);
        await this.catchUp(assigned, agent);
        this.announce(assigned);
        this.tellTaken(assigned);
        await this.tellPositions(team);
        return { ok: true, conversation: toWireConversation(assigned) };
      });
    })();
  }

  /** The conversation each party last sent or received a message in (for `/canned` without an id). */
  private readonly latest = new LRUCache<Address, string>({ max: LATEST_KEPT });

  latestOf(party: Address): string | undefined {
    return this.latest.get(party);
  }

  /**
   * Hands a stored message to every recipient's network. Web recipients get it at once; others
   * were queued in the outbox in the same transaction as the message and are sent by the worker.
   */
  dispatch(message: Message, conversation: ConversationRecord, options: { exceptConnection?: string } = {}): void {
    this.deps.usage.count(message, conversation.siteKey, conversation.participants);
    for (const party of conversation.participants) {
      this.latest.set(party, conversation.id);
    }
    // The sender's other connections (another tab) see their own message too.
    const senderConnections = this.deps.hub.connectionCount(message.from);
    if (senderConnections > (options.exceptConnection ? 1 : 0)) this.deps.hub.emit([{ kind: 'address', address: message.from }], 'message', message, options);
    for (const recipient of conversation.participants) {
      if (recipient === message.from) continue;
      const network = this.deps.registry.forAddress(recipient);
      if (!network) continue; // kept in the outbox until such a network is configured
      if (!network.deliversFromStore) {
        this.deps.kickOutbox(network.scheme);
        continue;
      }
      network
        .send({ message, to: recipient, conversation: toWireConversation(conversation) })
        .then(() => this.deps.metrics.messages.inc({ network: network.scheme, direction: 'out' }))
        .catch((error: unknown) => this.deps.logger.error({ err: error, message: message.id }, 'delivery to a web party failed'));
    }
  }

  /** Which recipients of a conversation go through the outbox (queued with the message). */
  outboxRecipients(conversation: ConversationRecord, from: Address): { recipient: Address; network: string }[] {
    return conversation.participants
      .filter((address) => address !== from)
      .flatMap((recipient) => {
        const network = this.deps.registry.forAddress(recipient);
        if (network?.deliversFromStore) return [];
        return [{ recipient, network: network?.scheme ?? recipient.slice(0, recipient.indexOf(':')) }];
      });
  }

  /** Whether every recipient's network delivers from the store, so the message is `sent` once stored. */
  allDeliverFromStore(conversation: ConversationRecord, from: Address): boolean {
    const recipients = conversation.participants.filter((address) => address !== from);
    return recipients.length > 0 && recipients.every((address) => this.deps.registry.forAddress(address)?.deliversFromStore === true);
  }

  typing(conversation: ConversationRecord, from: Address, state: TypingState): void {
    for (const recipient of conversation.participants) {
      if (recipient === from) continue;
      const network = this.deps.registry.forAddress(recipient);
      if (!network?.capabilities.typing) continue;
      if (network.deliversFromStore) {
        this.deps.hub.emit([{ kind: 'address', address: recipient }], 'typing', { conversationId: conversation.id, from, state });
      } else {
        network
          .setTyping?.({ conversation: toWireConversation(conversation), from, to: recipient, state })
          .catch((error: unknown) => this.deps.logger.debug({ err: error }, 'typing notification not delivered'));
      }
    }
  }
}
