/**
 * The core: conversations and messages with the guarantees of docs/protocol.md, the support desk,
 * and gateway mode, put together. The socket layer and the HTTP API call the services below for
 * clients of the uniform API; networks come in through `sink`. Each service has its own module.
 */
import { ResponseTimes } from './reports/response-times.js';
import { Reports } from './reports/reports.js';
import { type Address, type Continuation, type Message, type QueuePosition, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { LimitsConfig, SiteConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { HostedParties, InboundSink } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { RefBook } from '../networks/refs.js';
import type { ConversationRecord, QueuedOutboxItem, Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Actor } from './actor.js';
import { CustomerControls } from './abuse/customer-controls.js';
import { Continuations } from './continuations/continuations.js';
import { Announcer } from './announcer.js';
import { Conversations } from './conversations.js';
import { AgentCommands } from './desk/commands.js';
import { Handover } from './desk/handover.js';
import { UnfinishedHandovers } from './desk/unfinished-handovers.js';
import { RecentConversations } from './desk/recent-conversations.js';
import { Router } from './desk/router.js';
import type { TeamDirectory } from './desk/teams.js';
import { forbidden } from './errors.js';
import { identityOf } from './customer-identity.js';
import { CustomerInbound } from './customer-inbound.js';
import { QueueNotice } from './desk/queue-notice.js';
import { QueuePositions } from './desk/queue-positions.js';
import { LOCAL_STATE_BUS, type StateBus } from '../cluster/state-bus.js';
import { TAKEN_BACK, takenBackSchema } from '../cluster/state-messages.js';
import type { RateLimits } from '../cluster/rate-limits.js';
import { CustomerTurns } from './customer-turns.js';
import { FanOut } from './fan-out.js';
import { FirstContacts } from './first-contact.js';
import type { ClientHub } from './hub.js';
import { InboxFeed } from './inbox/inbox-feed.js';
import { InboxViews } from './inbox/inbox-views.js';
import { Notes } from './inbox/notes.js';
import { DeskActions } from './desk/desk-actions.js';
import { Inbound } from './inbound.js';
import type { GatewayConfig } from './interop/gateway-policy.js';
import { GatewayService } from './interop/gateway-service.js';
import { ServedVisitors } from './desk/served-visitors.js';
import { MessagePipeline } from './message-pipeline.js';
import { Messages } from './messages.js';
import { type OutboxLeases, OutboxWorker } from './outbox.js';
import { Outreach } from './outreach/outreach.js';
import { readTypedAddress } from './typed-address.js';
import { Parties, senderName } from './parties.js';
import { PresenceService } from './presence.js';
import { PresenceSharing } from './presence-sharing.js';
import { PresenceWatch } from './presence-watch.js';
import { SiteAccess } from './site-access.js';
import { MessageStatuses } from './statuses.js';
import { UsageMeter } from './usage.js';
import { VisitorMail } from './visitor-mail.js';
import { ContactBook } from './contacts/contact-book.js';
import { returningNote, whoisLines } from './contacts/contact-text.js';
import { proofOf } from './contacts/proofs.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import type { FileService } from './files/file-service.js';
import { type ClusterBus, LocalBus } from '../cluster/bus.js';
import { BusOutboxKicks, type OutboxKicks } from '../cluster/outbox-kicks.js';

/** What the core needs of the other bridge nodes (a single node's: nobody else). */
export interface CoreCluster {
  bus: ClusterBus;
  /** Tells the node sending for a network that this one queued items for it. */
  outboxKicks: OutboxKicks;
}

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
  /** The parties the bridge hosts itself (website visitors, web agents, integrations). */
  hosted: HostedParties;
  sites: readonly SiteConfig[];
  teams: TeamDirectory;
  limits: LimitsConfig;
  logger: Logger;
  metrics: Metrics;
  /** Files of messages: uploads, links, files networks bring. */
  files: FileService;
  /** In a cluster: the networks whose outbox this node sends (their leases), and how often it reads their queues unkicked. */
  outboxLeases?: OutboxLeases;
  outboxPollMs?: number;
  /** The other bridge nodes, when there are several; a single node when left out. */
  cluster?: CoreCluster;
  /**
   * The other bridge nodes sharing the store, if any (cluster/state-bus.ts): offers and
   * conversation changes of the team queues are told to them. None: a single node.
   */
  bus?: StateBus;
  /**
   * Emits to this node's own connections only, for what each node tells its own visitors (queue
   * positions) when several nodes share the clients; by default the hub's emit.
   */
  emitLocal?: ClientHub['emit'];
  /** Rate limits for the whole bridge (Redis with several nodes); this process's memory by default. */
  rateLimits?: RateLimits;
}

export class Core {
  readonly presence: PresenceService;
  readonly announcer: Announcer;
  readonly router: Router;
  readonly outbox: OutboxWorker;
  readonly usage: UsageMeter;
  readonly gateway: GatewayService | undefined;
  readonly commands: AgentCommands;
  readonly conversations: Conversations;
  readonly messages: Messages;
  /** Agents and API keys starting conversations with customers on their networks. */
  readonly outreach: Outreach;
  readonly parties: Parties;
  readonly presenceWatch: PresenceWatch;
  readonly presenceSharing: PresenceSharing;
  /** One customer of a site across networks (docs/customers.md, "Contacts"). */
  readonly contacts: ContactBook;
  /** Visitors continuing their conversations on another network. */
  readonly continuations: Continuations;
  /** Replies reaching visitors who left, and visitors continuing elsewhere, through the outbox. */
  readonly visitorMail: VisitorMail;
  /** The one way into the core for networks. */
  readonly sink: InboundSink;
  /** Files of messages (docs/protocol.md, "Files"). */
  readonly files: FileService;
  /** The agents' inbox: views, counts, search (docs/protocol.md, "Addition: the agent inbox"). */
  readonly inbox: InboxViews;
  /** The desk's private notes on conversations. */
  readonly notes: Notes;
  /** Claim, transfer, the team directory and canned replies from the uniform API. */
  readonly desk: DeskActions;
  /** Reports of a site's conversations (docs/support-desk.md, "Reports"). */
  readonly reports: Reports;
  /** Handovers a node died in the middle of, finished by another or the next start. */
  readonly unfinishedHandovers: UnfinishedHandovers;
  private readonly inbound: Inbound;
  private readonly positions: QueuePositions;
  private readonly store: CoreDeps['store'];

  constructor(deps: CoreDeps) {
    this.store = deps.store;
    this.files = deps.files;
    this.reports = new Reports(deps);
    const bus = deps.cluster?.bus ?? new LocalBus();
    // A single node's kicks go nowhere else (the local bus publishes to no one).
    const outboxKicks = deps.cluster?.outboxKicks ?? new BusOutboxKicks(bus, () => false);
    // Items queued here for a network another node holds are kicked there; kicks for one held here run here.
    outboxKicks.onKick((network) => this.outbox.kick(network));
    const kickOutbox = (network: string, queued?: readonly QueuedOutboxItem[]) => (queued ? this.outbox.offer(network, queued) : this.outbox.kick(network));
    const visitorMail = (this.visitorMail = new VisitorMail(deps));
    const statuses = new MessageStatuses(
      deps.store,
      deps.registry,
      deps.hub,
      deps.logger,
      async (conversation, address) => Boolean(await visitorMail.visitorWriting(conversation, address)),
      {
        isAgent: (address) => deps.teams.teamsOf(address).length > 0,
        refOf: (conversationId) => deps.refs.refOf(conversationId),
        isGatewayConversation: (conversation) => this.gateway?.isGatewayConversation(conversation) ?? false,
      },
    );
    const access = new SiteAccess(deps.store, deps.hub, deps.sites, deps.hosted);
    const isNetwork = (scheme: string) => deps.registry.get(scheme) !== undefined;
    this.usage = new UsageMeter(deps.store, deps.metrics, deps.logger, isNetwork, () => deps.clock.now());
    const fanOut = new FanOut({
      ...deps,
      kickOutbox,
      senderName: (from) => senderName(deps.store, deps.teams, from),
      continuedAt: (conversation, from) => visitorMail.typingTo(conversation, from),
    });
    const contacts = new ContactBook({
      ...deps,
      proofOf: (address) => proofOf(address, deps.hosted, deps.registry),
      isDesk: (address) => deps.teams.teamsOf(address).length > 0 || /^web:[ai]_/.test(address),
      canonical: (address) => deps.registry.canonical(address),
      now: () => deps.clock.now(),
    });
    this.contacts = contacts;
    // An address proven by a code or a reply joins the visitor's contact.
    this.continuations = new Continuations({
      ...deps,
      access,
      contactLinks: contacts,
      // Made below, with the conversations; asked only once messages come in.
      openConversationOf: (customer, team) => firstContacts.openConversationOf(customer, team),
    });
    // What a retraction stored here empties, another node may hold a copy of to send: every node is told.
    const stateBus = deps.bus ?? LOCAL_STATE_BUS;
    stateBus.on(TAKEN_BACK, (payload) => {
      const ids = takenBackSchema.safeParse(payload);
      if (ids.success) this.outbox.takenBack(ids.data);
    });
    const takenBack = (ids: readonly string[]) => {
      this.outbox.takenBack(ids);
      stateBus.publish(TAKEN_BACK, ids);
    };
    const pipeline = new MessagePipeline({ ...deps, fanOut, usage: this.usage, visitorMail, takenBack });
    this.presence = new PresenceService(deps.hub, deps.teams, undefined, bus);
    const refOf = (id: string) => deps.refs.refOf(id);
    const positions = (this.positions = new QueuePositions(deps.store, deps.hub, {
      ...(deps.bus ? { bus: deps.bus } : {}),
      ...(deps.emitLocal ? { emit: deps.emitLocal } : {}),
    }));
    const inbox = (this.inbox = new InboxViews({
      ...deps,
      now: () => deps.clock.now(),
      // The router is made below; items are computed only once it runs.
      offerDeadline: (conversationId) => this.router.offers.current(conversationId)?.deadline,
    }));
    const inboxFeed = new InboxFeed({ ...deps, itemsFor: (siteKey, id, readers) => inbox.itemsFor(siteKey, id, readers) });
    const recent = new RecentConversations();
    this.announcer = new Announcer({
      ...deps,
      met: (conversation) => void contacts.met(conversation),
      changed: (conversation) => {
        positions.changed(conversation);
        inboxFeed.changed(conversation);
        recent.changed(conversation);
        this.presenceSharing.conversationChanged(conversation);
      },
    });
    const parts = { ...deps, presence: this.presence, announcer: this.announcer, access, statuses, fanOut, pipeline };
    this.gateway =
      deps.gateway && new GatewayService({ ...parts, config: deps.gateway, bridgeId: deps.gateway.bridgeId, deliver: (m) => this.inbound.message(m) });
    this.outbox = new OutboxWorker({
      ...deps,
      concurrency: deps.limits.outboxConcurrency,
      onOutcome: (item, status, error, changed) => Promise.resolve(statuses.outboxOutcome(item, status, error, changed)),
      viaOf: (item) => this.gateway?.viaOf(item),
      stillWanted: (item, conversation) => visitorMail.stillWanted(item, conversation),
      seenBy: (item, conversation) => visitorMail.seenBy(item, conversation),
      ...(deps.outboxLeases ? { leases: deps.outboxLeases } : {}),
      ...(deps.outboxPollMs !== undefined ? { pollMs: deps.outboxPollMs } : {}),
    });
    this.outbox.onKickElsewhere((network) => outboxKicks.queued(network));
    this.presenceSharing = new PresenceSharing({ ...deps, interop: this.gateway, presenceOf: (address) => this.presence.get(address) });
    this.presence.onChange((presence) => this.presenceSharing.changed(presence));
    // Networks that show teams' addresses to customers show the teams' availability there.
    this.presence.onTeamChange((availability, siteKey) => {
      for (const network of deps.registry.all()) network.showTeamAvailability?.({ ...availability, siteKey });
    });
    const returning = async (conversation: ConversationRecord) => returningNote(await contacts.about(conversation), conversation.openedBy, refOf);
    const handover = new Handover({ ...deps, kickOutbox, returning });
    this.router = new Router({ ...parts, positions, handover, offerTaken: (conversation) => inboxFeed.changed(conversation) });
    this.unfinishedHandovers = new UnfinishedHandovers({ ...deps, handover });
    this.notes = new Notes({ ...deps, access });
    this.desk = new DeskActions({ ...deps, access, router: this.router, presence: this.presence });
    const responseTimes = new ResponseTimes(deps);
    pipeline.onStored((message, conversation) => {
      recent.messageIn(conversation);
      inboxFeed.changed(conversation);
      responseTimes.stored(message, conversation);
      this.router.answeredBy(conversation, message.from, message.seq);
    });
    // One customer's conversation decisions in turn: first messages, outreach, closes.
    const turns = new CustomerTurns();
    this.conversations = new Conversations({ ...parts, router: this.router, turns, continuations: this.continuations, responseTimes });
    this.commands = new AgentCommands({
      ...parts,
      router: this.router,
      sendAs: (agent, conversationId, text) => this.agentSays(agent, conversationId, text),
      close: async (conversationId, by) => void (await this.conversations.close(conversationId, by)),
      transfer: (conversationId, to, by) => this.router.transfer(conversationId, to, by),
      latestOf: (agent) => recent.latestOf(agent),
      reachOut: (actor, request) => this.outreach.open(actor, request),
      identityOf: (address) => identityOf(deps.registry, address),
      readAddress: (typed) => readTypedAddress(typed, deps.registry, deps.hosted),
      aboutContact: async (conversation) => {
        const about = await contacts.about(conversation);
        return about ? whoisLines(about, refOf) : [];
      },
      invite: (agent, conversation, network) => this.continuations.offer(conversation, network, agent),
      addressBlocked: (siteKey, address) => this.continuations.addressBlocked(siteKey, address),
      fileLink: (file, agent) => deps.files.networkView().link(file, agent),
      note: (agent, conversation, text) => this.notes.write(agent, conversation, text),
    });
    this.messages = new Messages({
      ...parts,
      router: this.router,
      conversations: this.conversations,
      readBy: (conversation, reader) => inboxFeed.readBy(conversation, reader),
      isGatewayConversation: (conversation) => this.gateway?.isGatewayConversation(conversation) === true,
    });
    const firstContacts = new FirstContacts({ ...deps, conversations: this.conversations });
    this.outreach = new Outreach({
      ...parts,
      turns,
      router: this.router,
      conversations: this.conversations,
      messages: this.messages,
      firstContacts,
      now: () => deps.clock.now().getTime(),
    });
    this.parties = new Parties(deps);
    this.presenceWatch = new PresenceWatch({
      ...parts,
      customersSite: (customer, team) => {
        const door = deps.registry.forAddress(customer)?.customerDoor?.(team);
        return door ? firstContacts.servedBy(door)?.siteKey : undefined;
      },
    });
    const controls = new CustomerControls({ ...deps, limits: deps.limits.customers, now: () => deps.clock.now().getTime() });
    const queueNotice = new QueueNotice({
      ...deps,
      positions,
      isOpen: (team) => this.router.isOpen(team),
      now: () => deps.clock.now(),
    });
    const customers = new CustomerInbound({ ...deps, firstContacts, controls, queueNotice, turns });
    this.inbound = new Inbound({
      ...parts,
      customers,
      router: this.router,
      commands: this.commands,
      interop: this.gateway,
      outbox: this.outbox,
      visitorMail,
      continuations: this.continuations,
      servedVisitors: new ServedVisitors(deps),
    });
    this.sink = this.inbound.sink;
  }

  /** An agent's desk command from the uniform API (the web console). */
  async agentCommand(actor: Actor, text: string): Promise<string> {
    if (actor.role !== 'agent') throw forbidden('agent:command is for agents');
    return this.commands.run(actor.address, text, actor.siteKey);
  }

  /** A message from an agent in a conversation (a canned reply), as if it came from the agent's network. */
  private agentSays(agent: Address, conversationId: string, text: string): Promise<Message | null> {
    return this.inbound.message({ network: networkOf(agent), from: agent, to: agent, conversationId, text });
  }

  /** Conversations were deleted behind the announcer's back (an erasure, a retention sweep): the queues are read again. */
  storeLostConversations(): Promise<void> {
    return this.positions.reread();
  }

  /** Forgets anonymous visitors whose token could have expired; returns how many. */
  expireIdleVisitors(now?: Date): Promise<number> {
    return this.parties.expireIdleVisitors(now);
  }

  /** Asks each network to follow its team members' presence, and resumes gateway follows. */
  followTeams(): Promise<void> {
    return this.presenceSharing.followTeams();
  }

  /**
   * What a party is told of its open conversations as it connects, beside `session` (after a
   * reload too): their continuations on other networks and, for a visitor, their places in queues.
   * One listing of its open conversations for both.
   */
  async standing(actor: Actor): Promise<{ continuations: Continuation[]; positions: QueuePosition[] }> {
    const open = await this.store.listConversations({ participant: actor.address, siteKey: actor.siteKey, state: 'open', limit: 100 });
    const continuations = await this.continuations.of(open);
    // The places last, right before they are sent: a move told meanwhile is not overtaken by an older place.
    const positions = actor.role === 'visitor' ? await this.positions.placesOf(open) : [];
    return { continuations, positions };
  }
}
