/**
 * Conversations and messages: the guarantees of the bridge live here (docs/protocol.md).
 * A message is acked only after it is stored; `seq` has no gaps; a resend with the same clientId
 * returns the stored message; `sync` replays exactly what a client missed. The gateway calls the
 * methods below for clients of the uniform API; networks come in through the InboundSink side.
 */
import type {
  Address,
  Conversation,
  ConversationListPayload,
  ConversationOpenPayload,
  ConversationRatePayload,
  ErrorBody,
  HistoryGetPayload,
  Message,
  MessageSendPayload,
  MessageStatus,
  PartyInfo,
  Presence,
  PresenceSetPayload,
  PresenceSubscribePayload,
  ProfileUpdatePayload,
  ReadPayload,
  TypingPayload,
} from '@switchboard/protocol';
import { LIMITS, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { LimitsConfig, SiteConfig, TeamConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { InboundMessage, InboundReceipt, InboundSink, InboundTyping, NetworkStatus } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { RefBook } from '../networks/refs.js';
import type { ConversationRecord, OutboxItem, PartyRecord, Store } from '../store/store.js';
import { type Actor, actsForSite } from './actor.js';
import type { Clock } from '../util/clock.js';
import { AgentCommands } from './desk/commands.js';
import type { GatewayConfig } from './interop/gateway-policy.js';
import { GatewayService } from './interop/gateway-service.js';
import { UsageMeter } from './usage.js';
import { BridgeError, badRequest, forbidden, notFound } from './errors.js';
import type { ClientHub, HubRoom } from './hub.js';
import { OutboxWorker } from './outbox.js';
import { PresenceService } from './presence.js';
import { Router } from './desk/router.js';
import { TeamDirectory } from './desk/teams.js';
import type { WebhookDispatcher } from './webhooks.js';
import { toPartyInfo, toWireConversation } from './wire.js';
import { usableOnSite, withoutSite } from '../networks/web/site-scope.js';
import { withoutTrailingBreaks } from '../util/text.js';

export interface CoreDeps {
  /** The conversations' short refs, shared with the networks. */
  refs: RefBook;
  /** Gateway mode, when configured, with this bridge's id for hop markers. */
  gateway?: GatewayConfig & { bridgeId: string };
  clock: Clock;
  webhooks: WebhookDispatcher;
  store: Store;
  registry: NetworkRegistry;
  hub: ClientHub;
  sites: readonly SiteConfig[];
  teams: TeamDirectory;
  limits: LimitsConfig;
  logger: Logger;
  metrics: Metrics;
}

/** Messages replayed per store query during `sync`. */
const SYNC_PAGE = 200;
/** Most read statuses one `read` reports (older ones stay read in the store and in history). */
const READ_REPORT_LIMIT = 200;

export class Core {
  readonly presence: PresenceService;
  readonly router: Router;
  readonly outbox: OutboxWorker;
  /** The one way into the core for networks. */
  readonly sink: InboundSink = {
    // Trailing line breaks are trimmed here, once for every network (a SIP body's final CR LF).
    message: (input) => this.inboundMessage({ ...input, text: withoutTrailingBreaks(input.text) }),
    presence: (input) => this.presence.update(input.text === undefined ? { address: input.address, status: input.status } : { ...input }),
    typing: (input) => this.inboundTyping(input),
    receipt: (input) => this.inboundReceipt(input),
    status: (network, status) => this.networkStatus(network, status),
    isAgent: (address) => this.deps.teams.teamsOf(address).length > 0,
    claim: (input) => this.router.claim(input.conversationId, input.agent),
    command: (input) => this.command(input.from, input.text),
    follow: (input) => (this.gateway ? this.gateway.follow(input) : Promise.resolve({ ok: false, reason: 'this bridge is not a gateway' })),
  };
  readonly commands: AgentCommands;
  readonly usage: UsageMeter;
  readonly gateway: GatewayService | undefined;
  private readonly sites: Map<string, SiteConfig>;

  constructor(private readonly deps: CoreDeps) {
    this.sites = new Map(deps.sites.map((site) => [site.key, site]));
    this.presence = new PresenceService(deps.hub, deps.teams);
    this.gateway = deps.gateway
      ? new GatewayService({
          config: deps.gateway,
          bridgeId: deps.gateway.bridgeId,
          store: deps.store,
          registry: deps.registry,
          presence: this.presence,
          logger: deps.logger,
          deliver: (input) => this.inboundMessage(input),
        })
      : undefined;
    this.outbox = new OutboxWorker({
      store: deps.store,
      registry: deps.registry,
      logger: deps.logger,
      metrics: deps.metrics,
      onOutcome: (item, status, error, changed) => this.reportOutcome(item, status, error, changed),
      viaOf: (message) => this.gateway?.viaOf(message),
    });
    this.presence.onChange((presence) => this.sharePresence(presence));
    this.usage = new UsageMeter(deps.store, deps.metrics, deps.logger, (scheme) => deps.registry.get(scheme) !== undefined);
    this.router = new Router({
      store: deps.store,
      registry: deps.registry,
      presence: this.presence,
      teams: deps.teams,
      hub: deps.hub,
      logger: deps.logger,
      metrics: deps.metrics,
      kickOutbox: (network) => this.outbox.kick(network),
      clock: deps.clock,
      webhooks: deps.webhooks,
      usage: this.usage,
      refs: deps.refs,
    });
    this.commands = new AgentCommands({
      store: deps.store,
      router: this.router,
      teams: deps.teams,
      presence: this.presence,
      sendAs: (agent, conversationId, text) =>
        this.inboundMessage({ network: agent.slice(0, agent.indexOf(':')), from: agent, to: agent, conversationId, text }),
      close: async (conversationId) => void (await this.close(conversationId)),
      transfer: (conversationId, to) => this.transfer(conversationId, to),
      latestOf: (agent) => this.router.latestOf(agent),
      refs: deps.refs,
    });
  }

  // --- access ---------------------------------------------------------------------------------

  /** The conversation, when the actor may see it: a participant, or an agent/integration of its site. */
  private async access(actor: Actor, conversationId: string): Promise<ConversationRecord> {
    const conversation = await this.deps.store.getConversation(conversationId);
    if (!conversation || conversation.siteKey !== actor.siteKey) throw notFound(`conversationId: no conversation "${conversationId}"`);
    if (!actsForSite(actor) && !conversation.participants.includes(actor.address)) {
      throw forbidden(`conversationId: you do not take part in conversation "${conversationId}"`);
    }
    return conversation;
  }

  private checkText(text: string): void {
    const max = Math.min(this.deps.limits.maxTextLength, LIMITS.maxTextLength);
    // Count code points, not UTF-16 units, so an emoji counts as one character.
    let length = 0;
    for (const _ of text) if (++length > max) throw new BridgeError('too_large', `text: is longer than ${max} characters`);
    if (!text.isWellFormed()) throw badRequest('text: contains an unpaired surrogate (not valid Unicode)');
  }

  private visitorMayReach(siteKey: string, to: Address): boolean {
    const targets = this.sites.get(siteKey)?.visitorTargets ?? [];
    // Targets are written as the site writes addresses (web identities without their site).
    const written = withoutSite(to);
    return targets.some((pattern) => (pattern.endsWith('*') ? written.startsWith(pattern.slice(0, -1)) : pattern === written));
  }

  /** A party that proved who it is on connecting (a vouched-for user, an agent, an integration): its details recorded. */
  async admit(party: PartyRecord): Promise<void> {
    await this.deps.store.upsertParty(party);
  }

  /** Stores a party the first time it does something that needs it (anonymous visitors are not stored at connection). */
  private async ensureParty(actor: Actor): Promise<void> {
    if (await this.deps.store.getParty(actor.address)) return;
    await this.deps.store.upsertParty({ address: actor.address, siteKey: actor.siteKey, role: actor.role, verified: actor.role !== 'visitor' });
  }

  /**
   * Whether a web address a party of `siteKey` names is that site's: a web identity carries its
   * site; an anonymous visitor is the site's when stored for it or connected to it now.
   */
  private async isSitesParty(siteKey: string, address: Address): Promise<boolean> {
    if (!address.startsWith('web:')) return true;
    if (!usableOnSite(address, siteKey)) return false;
    if (!address.startsWith('web:v_')) return true;
    const party = await this.deps.store.getParty(address);
    if (party) return party.siteKey === siteKey;
    if (this.deps.hub.siteOf(address) !== siteKey) return false;
    await this.deps.store.upsertParty({ address, siteKey, role: 'visitor', verified: false });
    return true;
  }

  // --- conversations --------------------------------------------------------------------------

  async openConversation(actor: Actor, payload: ConversationOpenPayload): Promise<Conversation> {
    const { store } = this.deps;
    if (payload.team !== undefined) {
      const team = this.deps.teams.forSite(payload.team, actor.siteKey);
      if (!team) throw notFound(`team: no team "${payload.team}" serves this site`);
      await this.ensureParty(actor);
      const existing = await store.findOpenConversation({ siteKey: actor.siteKey, openedBy: actor.address, team: team.id });
      if (existing) return toWireConversation(existing);
      const created = await store.createConversation({ siteKey: actor.siteKey, openedBy: actor.address, participants: [actor.address], team: team.id });
      this.deps.webhooks.emit('conversation.opened', created.siteKey, { conversation: toWireConversation(created) });
      const routed = await this.router.routeNew(created);
      this.router.announce(routed);
      // Outside business hours the visitor is told its message waits; inside, greeted if the team says so.
      const note = this.router.isOpen(team.id) ? team.greeting : team.offlineMessage;
      if (note) await this.postAsTeam(routed, team, note);
      this.deps.logger.info({ conversation: routed.id, team: team.id, assignee: routed.assignee ?? null }, 'conversation opened');
      return toWireConversation(routed);
    }
    const to = payload.to as Address;
    if (to === actor.address) throw badRequest('to: cannot open a conversation with yourself');
    if (!actsForSite(actor) && !this.visitorMayReach(actor.siteKey, to)) {
      throw forbidden(
        `to: visitors of this site may open conversations only to teams${this.sites.get(actor.siteKey)?.visitorTargets.length ? ' and the configured addresses' : ''}`,
      );
    }
    const scheme = to.slice(0, to.indexOf(':'));
    if (!this.deps.registry.get(scheme)) throw notFound(`to: no network handles "${scheme}:" addresses on this bridge`);
    if (!(await this.isSitesParty(actor.siteKey, to))) throw notFound(`to: no party "${withoutSite(to)}" on this site`);
    await this.ensureParty(actor);
    const existing = await store.findOpenConversation({ siteKey: actor.siteKey, openedBy: actor.address, with: to });
    if (existing) return toWireConversation(existing);
    const created = await store.createConversation({ siteKey: actor.siteKey, openedBy: actor.address, participants: [actor.address, to] });
    this.deps.webhooks.emit('conversation.opened', created.siteKey, { conversation: toWireConversation(created) });
    this.router.announce(created);
    return toWireConversation(created);
  }

  async listConversations(actor: Actor, payload: ConversationListPayload): Promise<Conversation[]> {
    const records = await this.deps.store.listConversations({
      siteKey: actor.siteKey,
      ...(actsForSite(actor) ? {} : { participant: actor.address }),
      ...(payload.state !== undefined ? { state: payload.state } : {}),
      limit: payload.limit ?? 200,
    });
    return records.map(toWireConversation);
  }

  async closeConversation(actor: Actor, conversationId: string): Promise<Conversation> {
    const conversation = await this.access(actor, conversationId);
    if (conversation.state === 'closed') return toWireConversation(conversation);
    return toWireConversation(await this.close(conversationId));
  }

  /** The visitor who opened a conversation rates it (1 to 5, with an optional comment). */
  async rateConversation(actor: Actor, payload: ConversationRatePayload): Promise<Conversation> {
    const conversation = await this.access(actor, payload.conversationId);
    if (conversation.openedBy !== actor.address) throw forbidden('conversationId: only the visitor who opened a conversation rates it');
    const rated = await this.deps.store.rateConversation(conversation.id, payload.rating, payload.comment);
    this.deps.metrics.ratings.inc({ team: rated.team ?? '', rating: String(payload.rating) });
    this.deps.webhooks.emit('conversation.rated', rated.siteKey, {
      conversation: toWireConversation(rated),
      rating: payload.rating,
      ...(payload.comment ? { comment: payload.comment } : {}),
    });
    this.router.announce(rated);
    return toWireConversation(rated);
  }

  /** An agent's desk command from the uniform API (the web console). */
  async agentCommand(actor: Actor, text: string): Promise<string> {
    if (actor.role !== 'agent') throw forbidden('agent:command is for agents');
    return this.commands.run(actor.address, text, actor.siteKey);
  }

  /** A conversation of two users of other networks, held by the gateway's site. */
  private isGatewayConversation(conversation: ConversationRecord): boolean {
    return this.gateway?.isGatewayConversation(conversation) ?? false;
  }

  /** A command to the bridge's own address: the gateway's `/to` for anyone, the desk's for agents. */
  private async command(from: Address, text: string): Promise<string> {
    if (this.gateway && this.deps.teams.teamsOf(from).length === 0) {
      const answer = await this.gateway.command(from, text);
      if (answer !== null) return answer;
    }
    return this.commands.run(from, text);
  }

  /** The conversation between two users of other networks (the first message opens it). */
  private async openGatewayConversation(from: Address, to: Address): Promise<ConversationRecord> {
    const site = this.gateway!.site;
    const existing = await this.deps.store.findOpenConversation({ siteKey: site, openedBy: from, with: to });
    if (existing) return existing;
    const created = await this.deps.store.createConversation({ siteKey: site, openedBy: from, participants: [from, to] });
    this.deps.logger.info({ conversation: created.id, from, to }, 'gateway conversation opened');
    // Each side's network follows its user's presence, which is then shown to the other side.
    this.gateway!.followPresence([from, to]);
    this.deps.webhooks.emit('conversation.opened', site, { conversation: toWireConversation(created) });
    this.router.announce(created);
    return created;
  }

  /** A message from the team itself (greeting, offline notice), stored in the conversation like any other. */
  private async postAsTeam(conversation: ConversationRecord, team: TeamConfig, text: string): Promise<void> {
    const from: Address = `team:${team.id}`;
    await this.deps.store.upsertParty({ address: from, siteKey: null, role: 'integration', name: team.name ?? team.id, verified: true });
    const hook = this.deps.webhooks.withWrite('conversation.message', conversation.siteKey);
    const result = await this.deps.store.appendMessage({
      webhooks: (message) => hook.build({ conversationId: conversation.id, message }),
      conversationId: conversation.id,
      from,
      text,
      status: this.router.allDeliverFromStore(conversation, from) ? 'sent' : 'accepted',
      outbox: this.router.outboxRecipients(conversation, from),
    });
    hook.committed();
    this.router.dispatch(result.message, { ...conversation, lastSeq: result.message.seq });
  }

  /** Closes a conversation (already checked) and tells everyone concerned. */
  private async close(conversationId: string): Promise<ConversationRecord> {
    const closed = await this.deps.store.setConversationState(conversationId, 'closed');
    this.router.announce(closed);
    this.router.conversationClosed(closed);
    return closed;
  }

  /**
   * Moves a conversation to another agent (who gets the context and the history) or back into a
   * team's queue (offered by that team's routing).
   */
  async transfer(conversationId: string, to: { agent: Address } | { team: string }): Promise<ConversationRecord> {
    const { store } = this.deps;
    if ('team' in to) {
      const queued = await store.transferConversation(conversationId, null, to.team);
      this.router.accepted(conversationId);
      this.router.announce(queued);
      this.router.offerQueued(to.team);
      return queued;
    }
    const moved = await store.transferConversation(conversationId, to.agent);
    this.router.accepted(conversationId); // handed over on purpose: no offer timer
    await this.router.introduce(moved, to.agent);
    await this.router.catchUp(moved, to.agent);
    this.router.announce(moved);
    return moved;
  }

  // --- messages -------------------------------------------------------------------------------

  async sendMessage(actor: Actor, payload: MessageSendPayload): Promise<Message> {
    this.checkText(payload.text);
    let conversation = await this.access(actor, payload.conversationId);
    const { store } = this.deps;
    // A resend changes nothing: not even the conversation's state or assignee.
    const earlier = await store.messageByClientId(actor.address, payload.clientId);
    // A resend after a closed conversation made way for a new one finds the message there.
    if (
      earlier &&
      conversation.state === 'closed' &&
      earlier.conversationId !== conversation.id &&
      (await store.getConversation(earlier.conversationId))?.openedBy === actor.address
    )
      return earlier;
    if (earlier) return this.sameConversation(earlier, conversation.id);
    if (actor.role === 'agent' && conversation.team !== undefined && conversation.assignee === undefined && conversation.state === 'open') {
      // An agent answering a queued team conversation takes it (unless someone just did).
      const taken = await store.assignIfQueued(conversation.id, actor.address);
      if (taken) {
        conversation = taken;
        this.router.announce(conversation);
        this.router.offerQueued(conversation.team!); // the others move up: tell them
      } else {
        conversation = (await store.getConversation(conversation.id))!;
        if (!conversation.participants.includes(actor.address)) {
          conversation = await store.addParticipant(conversation.id, actor.address);
          this.router.announce(conversation);
        }
      }
    } else if (!conversation.participants.includes(actor.address)) {
      // An agent or integration answering a site conversation joins it.
      conversation = await store.addParticipant(conversation.id, actor.address);
      this.router.announce(conversation);
    }
    if (conversation.state === 'closed') {
      const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
      if (team?.afterClose === 'new' && actor.role !== 'agent' && conversation.openedBy === actor.address) {
        // The team starts afresh: the visitor's message opens a new conversation, routed as any.
        const fresh = await this.openConversation(actor, { team: team.id });
        conversation = (await store.getConversation(fresh.id))!;
      } else {
        conversation = await store.setConversationState(conversation.id, 'open');
        this.router.announce(conversation);
      }
    }
    const hook = this.deps.webhooks.withWrite('conversation.message', conversation.siteKey);
    const result = await store.appendMessage({
      webhooks: (message) => hook.build({ conversationId: conversation.id, message }),
      conversationId: conversation.id,
      from: actor.address,
      clientId: payload.clientId,
      text: payload.text,
      status: this.router.allDeliverFromStore(conversation, actor.address) ? 'sent' : 'accepted',
      outbox: this.router.outboxRecipients(conversation, actor.address),
    });
    if (result.kind === 'duplicate') return this.sameConversation(result.message, conversation.id);
    this.router.answeredBy(conversation, actor.address);
    this.deps.metrics.messages.inc({ network: networkOf(actor.address), direction: 'in' });
    hook.committed();
    this.router.dispatch(result.message, { ...conversation, lastSeq: result.message.seq }, actor.connectionId ? { exceptConnection: actor.connectionId } : {});
    return result.message;
  }

  private sameConversation(message: Message, conversationId: string): Message {
    if (message.conversationId !== conversationId) throw badRequest('clientId: already used for a message in another conversation');
    return message;
  }

  async history(actor: Actor, payload: HistoryGetPayload): Promise<{ messages: Message[]; hasMore: boolean }> {
    await this.access(actor, payload.conversationId);
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
        await this.access(actor, conversationId);
      } catch (error) {
        if (error instanceof BridgeError) {
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

  async typing(actor: Actor, payload: TypingPayload): Promise<void> {
    const conversation = await this.access(actor, payload.conversationId);
    this.router.typing(conversation, actor.address, payload.state);
  }

  async read(actor: Actor, payload: ReadPayload): Promise<void> {
    const conversation = await this.access(actor, payload.conversationId);
    const upTo = Math.min(payload.seq, conversation.lastSeq);
    const read = await this.deps.store.markRead(conversation.id, actor.address, upTo, READ_REPORT_LIMIT);
    for (const message of read) this.emitStatus(message.from, { conversationId: message.conversationId, id: message.id, status: 'read' });
    for (const message of read) {
      const network = this.deps.registry.forAddress(message.from);
      if (network && !network.deliversFromStore && network.capabilities.receipts) {
        network.markRead?.({ conversation: toWireConversation(conversation), reader: actor.address, message }).catch((error: unknown) => {
          this.deps.logger.debug({ err: error }, 'read marker not delivered');
        });
      }
    }
  }

  // --- presence -------------------------------------------------------------------------------

  /** Current presences, plus the rooms the caller's connection should join for later changes. */
  async subscribePresence(
    actor: Actor,
    payload: PresenceSubscribePayload,
  ): Promise<{ presences: Presence[]; available?: boolean; online?: number; rooms: HubRoom[] }> {
    const addresses = (payload.addresses ?? []) as Address[];
    const rooms: HubRoom[] = [];
    if (!actsForSite(actor) && addresses.length > 0) {
      const visible = await this.addressesVisibleTo(actor);
      const hidden = addresses.find((address) => !visible.has(address));
      if (hidden) throw forbidden(`addresses: a visitor may watch only the parties of its conversations and its site's teams, not "${hidden}"`);
    }
    // Another site's anonymous visitor is nobody to this site: shown offline, and not watched.
    const own = await Promise.all(addresses.map((address) => this.isSitesParty(actor.siteKey, address)));
    const presences = addresses.map((address, i) => (own[i] ? this.presence.get(address) : { address, status: 'offline' as const }));
    addresses.forEach((address, i) => own[i] && rooms.push({ kind: 'presence', address }));
    if (payload.team === undefined) return { presences, rooms };
    if (!this.deps.teams.forSite(payload.team, actor.siteKey)) throw notFound(`team: no team "${payload.team}" serves this site`);
    const { available, online } = this.presence.teamAvailability(payload.team, actor.siteKey);
    rooms.push({ kind: 'team', team: payload.team, siteKey: actor.siteKey });
    return { presences, available, online, rooms };
  }

  private async addressesVisibleTo(actor: Actor): Promise<Set<Address>> {
    const visible = new Set<Address>();
    for (const team of this.deps.teams.all()) {
      if (team.sites === undefined || team.sites.includes(actor.siteKey))
        for (const member of team.members as Address[]) if (usableOnSite(member, actor.siteKey)) visible.add(member);
    }
    const conversations = await this.deps.store.listConversations({ siteKey: actor.siteKey, participant: actor.address, limit: 500 });
    for (const conversation of conversations) for (const address of conversation.participants) visible.add(address);
    return visible;
  }

  setPresence(actor: Actor, payload: PresenceSetPayload): void {
    const network = this.deps.registry.forAddress(actor.address);
    if (!network?.setOwnPresence) throw badRequest("status: this party's network does not take presence from the API");
    network.setOwnPresence(actor.address, payload.status, payload.text);
  }

  // --- parties --------------------------------------------------------------------------------

  /** A visitor's own details (pre-chat form, current page); a verified user's name and email stay the site's. */
  async updateProfile(actor: Actor, payload: ProfileUpdatePayload): Promise<PartyInfo> {
    const { store } = this.deps;
    const party = (await store.getParty(actor.address)) ?? { address: actor.address, siteKey: actor.siteKey, role: actor.role, verified: false };
    if (party.verified && actor.role !== 'integration' && (payload.name !== undefined || payload.email !== undefined)) {
      throw forbidden('name: the website vouched for this user; its name and email come from the website');
    }
    const updated = {
      ...party,
      ...(payload.name !== undefined ? { name: payload.name } : {}),
      ...(payload.email !== undefined ? { email: payload.email } : {}),
      ...(payload.pageUrl !== undefined ? { pageUrl: payload.pageUrl } : {}),
    };
    await store.upsertParty(updated);
    return toPartyInfo(updated);
  }

  /** What the bridge knows of a party: anyone may ask about themselves, agents about their site's parties. */
  async getParty(actor: Actor, address: Address): Promise<PartyInfo> {
    // A party not stored yet (a visitor that has done nothing) still knows itself.
    const party =
      (await this.deps.store.getParty(address)) ??
      (address === actor.address ? { address, siteKey: actor.siteKey, role: actor.role, verified: actor.role !== 'visitor' } : null);
    // A team's own party (its greetings) is public to the sites it serves.
    const isTeam = address.startsWith('team:') && this.deps.teams.forSite(address.slice('team:'.length), actor.siteKey) !== undefined;
    const visible = party && (address === actor.address || isTeam || (actsForSite(actor) && party.siteKey === actor.siteKey));
    if (!visible) throw notFound(`address: no party "${address}" known to this site`);
    return toPartyInfo(party);
  }

  /**
   * Forgets anonymous visitors that never took part in a conversation once their token could have
   * expired (each site's `tokenTtlDays` after their last update); returns how many.
   */
  async expireIdleVisitors(now = this.deps.clock.now()): Promise<number> {
    let expired = 0;
    for (const site of this.sites.values()) {
      expired += await this.deps.store.expireIdleVisitors(site.key, new Date(now.getTime() - site.tokenTtlDays * 86_400_000).toISOString());
    }
    if (expired > 0) this.deps.logger.info({ expired }, 'idle anonymous visitors forgotten');
    return expired;
  }

  // --- statuses -------------------------------------------------------------------------------

  private emitStatus(sender: Address, event: { conversationId: string; id: string; status: MessageStatus; error?: ErrorBody }): void {
    this.deps.hub.emit([{ kind: 'address', address: sender }], 'message:status', event);
  }

  private async reportOutcome(item: OutboxItem, status: MessageStatus, error?: ErrorBody, changed?: Message | null): Promise<void> {
    const { message } = item;
    // A failure for one recipient does not undo a delivery to another: report only real changes
    // (and the "kept, will retry" notices, which change nothing stored).
    if (changed || (status === 'accepted' && error)) {
      this.emitStatus(message.from, { conversationId: message.conversationId, id: message.id, status, ...(error ? { error } : {}) });
    }
  }

  // --- what networks report (through `sink`) ------------------------------------------------------

  private async inboundMessage(input: InboundMessage): Promise<Message | null> {
    const { store, logger } = this.deps;
    this.checkText(input.text);
    let conversation = await this.conversationOf(input.from, input.to, input.conversationId);
    const gateway = this.gateway && (conversation ? this.isGatewayConversation(conversation) : input.conversationId === undefined);
    if (gateway) {
      // Two users of other networks talking through the gateway: policy first, then their
      // conversation. A reply through a relay names the conversation, not the other user.
      const peer = conversation?.participants.find((p) => p !== input.from) ?? input.to;
      const verdict = this.gateway!.policy.check(input.from, peer, input.via);
      if (!verdict.ok) {
        this.deps.metrics.gatewayRefused.inc({ reason: verdict.reason });
        logger.info({ from: input.from, to: peer, reason: verdict.reason, via: input.via }, 'gateway message refused');
        throw new BridgeError(verdict.reason === 'rate-limited' ? 'rate_limited' : 'forbidden', verdict.message);
      }
      conversation ??= await this.openGatewayConversation(input.from, input.to);
    }
    if (!conversation || !conversation.participants.includes(input.from)) {
      logger.info({ network: input.network, from: input.from, to: input.to }, 'inbound message refused: no conversation joins these parties');
      return null;
    }
    const hook = this.deps.webhooks.withWrite('conversation.message', conversation.siteKey);
    const result = await store.appendMessage({
      webhooks: (message) => hook.build({ conversationId: conversation.id, message }),
      conversationId: conversation.id,
      from: input.from,
      text: input.text,
      status: this.router.allDeliverFromStore(conversation, input.from) ? 'sent' : 'accepted',
      outbox: this.router.outboxRecipients(conversation, input.from),
      ...(input.remoteId !== undefined ? { remote: { network: input.network, id: input.remoteId } } : {}),
    });
    if (result.kind === 'duplicate') return result.message;
    if (gateway) this.gateway!.recordHops(result.message.id, input.via);
    this.router.answeredBy(conversation, input.from);
    this.deps.metrics.messages.inc({ network: input.network, direction: 'in' });
    hook.committed();
    this.router.dispatch(result.message, { ...conversation, lastSeq: result.message.seq });
    return result.message;
  }

  private inboundTyping(input: InboundTyping): void {
    void (async () => {
      const conversation = await this.conversationOf(input.from, input.to, input.conversationId);
      if (conversation?.participants.includes(input.from)) this.router.typing(conversation, input.from, input.state);
    })().catch((error: unknown) => this.deps.logger.debug({ err: error }, 'inbound typing dropped'));
  }

  /**
   * The conversation a network's traffic belongs to: the one it names, else the most recent open
   * conversation of the addressed party (a visitor's puppet) that the sender takes part in.
   */
  private async conversationOf(from: Address, to: Address | undefined, conversationId?: string): Promise<ConversationRecord | null> {
    const { store } = this.deps;
    if (conversationId) return store.getConversation(conversationId);
    return to ? store.openConversationBetween(to, from) : null;
  }

  /** Shows a web party's presence to the parties it talks with on other networks (its puppet's presence). */
  /**
   * Shows a party's presence to the parties it talks with on other networks: a web visitor's to its
   * agent (its puppet's presence), and in gateway mode a user's to the other side of its gateway
   * conversations (XMPP presence <-> SIMPLE PUBLISH). An agent's own presence is its team's business.
   */
  private sharePresence(presence: Presence): void {
    const isWeb = presence.address.startsWith('web:');
    if (!isWeb && (!this.gateway || this.deps.teams.teamsOf(presence.address).length > 0)) return;
    void (async () => {
      let conversations = await this.deps.store.listConversations({ participant: presence.address, state: 'open', limit: 50 });
      if (!isWeb) conversations = conversations.filter((c) => this.isGatewayConversation(c));
      const followers = !isWeb && this.gateway ? await this.gateway.followPeers(presence.address) : [];
      const ownNetwork = presence.address.slice(0, presence.address.indexOf(':') + 1);
      const peers = new Set([...conversations.flatMap((c) => c.participants), ...followers].filter((p) => p !== presence.address && !p.startsWith(ownNetwork)));
      for (const peer of peers) {
        const network = this.deps.registry.forAddress(peer);
        if (!network?.sharePresence || network.status().state !== 'online') continue;
        await network.sharePresence({
          from: presence.address,
          to: peer,
          status: presence.status,
          ...(presence.text !== undefined ? { text: presence.text } : {}),
        });
      }
    })().catch((error: unknown) => this.deps.logger.debug({ err: error }, 'presence not shared'));
  }

  /** Shows a network's gateway users the current presence of everyone they follow or talk with. */
  private async reshareGatewayPresence(scheme: string): Promise<void> {
    const gateway = this.gateway!;
    const pairs: [from: Address, to: Address][] = [];
    for (const follow of await this.deps.store.gatewayFollows()) pairs.push([follow.target, follow.watcher], [follow.watcher, follow.target]);
    const conversations = await this.deps.store.listConversations({ siteKey: gateway.site, state: 'open', limit: 1000 });
    for (const conversation of conversations.filter((c) => this.isGatewayConversation(c))) {
      for (const from of conversation.participants) for (const to of conversation.participants) if (from !== to) pairs.push([from, to]);
    }
    const seen = new Set<string>();
    for (const [from, to] of pairs) {
      if (!to.startsWith(`${scheme}:`) || from.startsWith(`${scheme}:`) || seen.has(`${from} ${to}`)) continue;
      seen.add(`${from} ${to}`);
      const known = this.presence.get(from);
      await gateway.show(from, to, known.status, known.text);
    }
  }

  /** Asks each network to follow the presence of the team members it carries (agents on XMPP, ...). */
  async followTeams(): Promise<void> {
    for (const network of this.deps.registry.all()) {
      if (!network.subscribePresence) continue;
      const members = this.deps.teams
        .all()
        .flatMap((team) => team.members as Address[])
        .filter((member) => this.deps.registry.forAddress(member) === network);
      if (members.length > 0) await network.subscribePresence([...new Set(members)]);
    }
    await this.gateway?.resume();
  }

  private inboundReceipt(input: InboundReceipt): void {
    void this.deps.store
      .advanceStatus(input.messageId, input.status)
      .then((message) => {
        if (!message) return;
        const error =
          input.status === 'failed'
            ? { error: { code: input.code ?? ('unavailable' as const), message: input.error ?? "the recipient's server refused the message" } }
            : {};
        this.emitStatus(message.from, { conversationId: message.conversationId, id: message.id, status: input.status, ...error });
        // A sender on another network hears of it through its own protocol (gateway receipts).
        const network = this.deps.registry.forAddress(message.from);
        const status = input.status;
        if (network?.reportStatus && status !== 'failed') {
          network.reportStatus({ message, status }).catch((failure: unknown) => this.deps.logger.debug({ err: failure }, 'receipt not passed on'));
        }
      })
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'receipt not recorded'));
  }

  private networkStatus(network: string, status: NetworkStatus): void {
    this.deps.metrics.networkUp.set({ network }, status.state === 'online' ? 1 : 0);
    this.deps.logger.info({ network, ...status }, 'network status');
    if (status.state === 'online') {
      this.outbox.kick(network);
      // Presence that changed while the network was away is shown now (gateway users only: agents
      // see visitors' presence on their next message).
      if (this.gateway)
        void this.reshareGatewayPresence(network).catch((error: unknown) => this.deps.logger.debug({ err: error }, 'gateway presence not shown again'));
    }
  }
}
