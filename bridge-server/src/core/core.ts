/**
 * The core: conversations and messages with the guarantees of docs/protocol.md, the support desk,
 * and gateway mode, put together. The socket layer and the HTTP API call the services below for
 * clients of the uniform API; networks come in through `sink`. Each service has its own module.
 */
import { type Address, type Message, networkOf } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { LimitsConfig, SiteConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { HostedParties, InboundSink } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { RefBook } from '../networks/refs.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';
import type { Actor } from './actor.js';
import { Announcer } from './announcer.js';
import { Conversations } from './conversations.js';
import { AgentCommands } from './desk/commands.js';
import { Handover } from './desk/handover.js';
import { RecentConversations } from './desk/recent-conversations.js';
import { Router } from './desk/router.js';
import type { TeamDirectory } from './desk/teams.js';
import { forbidden } from './errors.js';
import { FanOut } from './fan-out.js';
import type { ClientHub } from './hub.js';
import { Inbound } from './inbound.js';
import type { GatewayConfig } from './interop/gateway-policy.js';
import { GatewayService } from './interop/gateway-service.js';
import { MessagePipeline } from './message-pipeline.js';
import { Messages } from './messages.js';
import { OutboxWorker } from './outbox.js';
import { Parties } from './parties.js';
import { PresenceService } from './presence.js';
import { PresenceSharing } from './presence-sharing.js';
import { PresenceWatch } from './presence-watch.js';
import { SiteAccess } from './site-access.js';
import { MessageStatuses } from './statuses.js';
import { UsageMeter } from './usage.js';
import type { WebhookDispatcher } from './webhooks.js';

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
  readonly parties: Parties;
  readonly presenceWatch: PresenceWatch;
  readonly presenceSharing: PresenceSharing;
  /** The one way into the core for networks. */
  readonly sink: InboundSink;
  private readonly inbound: Inbound;

  constructor(deps: CoreDeps) {
    const { store, registry, hub, teams, logger, metrics, clock } = deps;
    const kickOutbox = (network: string) => this.outbox.kick(network);
    const statuses = new MessageStatuses(store, registry, hub, logger);
    const access = new SiteAccess(store, hub, deps.sites, deps.hosted);
    this.presence = new PresenceService(hub, teams);
    this.usage = new UsageMeter(
      store,
      metrics,
      logger,
      (scheme) => registry.get(scheme) !== undefined,
      () => clock.now(),
    );
    const fanOut = new FanOut({ registry, hub, logger, metrics, kickOutbox });
    const pipeline = new MessagePipeline({ store, webhooks: deps.webhooks, registry, fanOut, usage: this.usage, metrics });
    this.announcer = new Announcer({ store, registry, teams, hub, webhooks: deps.webhooks, logger });
    this.gateway = deps.gateway
      ? new GatewayService({
          config: deps.gateway,
          bridgeId: deps.gateway.bridgeId,
          store,
          registry,
          presence: this.presence,
          hosted: deps.hosted,
          announcer: this.announcer,
          logger,
          metrics,
          deliver: (input) => this.inbound.message(input),
        })
      : undefined;
    this.outbox = new OutboxWorker({
      store,
      registry,
      logger,
      metrics,
      clock,
      onOutcome: (item, status, error, changed) => {
        statuses.outboxOutcome(item, status, error, changed);
        return Promise.resolve();
      },
      viaOf: (message) => this.gateway?.viaOf(message),
    });
    this.presenceSharing = new PresenceSharing({ store, registry, teams, hosted: deps.hosted, gateway: this.gateway, logger });
    this.presence.onChange((presence) => this.presenceSharing.changed(presence));
    const handover = new Handover({ store, registry, logger, refs: deps.refs, kickOutbox });
    this.router = new Router({ store, presence: this.presence, teams, hub, logger, clock, announcer: this.announcer, handover });
    const recent = new RecentConversations();
    pipeline.onStored((message, conversation) => {
      recent.messageIn(conversation);
      this.router.answeredBy(conversation, message.from);
    });
    this.conversations = new Conversations({
      store,
      registry,
      teams,
      access,
      router: this.router,
      announcer: this.announcer,
      pipeline,
      webhooks: deps.webhooks,
      logger,
      metrics,
    });
    this.commands = new AgentCommands({
      store,
      router: this.router,
      teams,
      presence: this.presence,
      sendAs: (agent, conversationId, text) => this.agentSays(agent, conversationId, text),
      close: async (conversationId) => void (await this.conversations.close(conversationId)),
      transfer: (conversationId, to) => this.router.transfer(conversationId, to),
      latestOf: (agent) => recent.latestOf(agent),
      refs: deps.refs,
    });
    this.messages = new Messages({
      store,
      registry,
      teams,
      access,
      conversations: this.conversations,
      router: this.router,
      announcer: this.announcer,
      pipeline,
      fanOut,
      statuses,
      limits: deps.limits,
      logger,
    });
    this.parties = new Parties({ store, teams, sites: deps.sites, clock, logger });
    this.presenceWatch = new PresenceWatch({ store, registry, teams, presence: this.presence, access });
    this.inbound = new Inbound({
      store,
      teams,
      presence: this.presence,
      router: this.router,
      commands: this.commands,
      gateway: this.gateway,
      pipeline,
      fanOut,
      statuses,
      outbox: this.outbox,
      maxTextLength: deps.limits.maxTextLength,
      logger,
      metrics,
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

  /** Forgets anonymous visitors whose token could have expired; returns how many. */
  expireIdleVisitors(now?: Date): Promise<number> {
    return this.parties.expireIdleVisitors(now);
  }

  /** Asks each network to follow its team members' presence, and resumes gateway follows. */
  followTeams(): Promise<void> {
    return this.presenceSharing.followTeams();
  }
}
