/**
 * Decides who receives what: team routing by live presence, and fan-out of every message, typing
 * notification and conversation change to the parties' networks. The one place that owns fan-out;
 * networks never know each other.
 */
import type { Address, Message, TypingState } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { ClaimOutcome } from '../networks/network.js';
import type { NetworkRegistry } from '../networks/registry.js';
import type { ConversationRecord, Store } from '../store/store.js';
import { SerialQueues } from '../util/serial.js';
import type { ClientHub, HubRoom } from './hub.js';
import type { PresenceService } from './presence.js';
import type { TeamDirectory } from './teams.js';
import { toWireConversation } from './wire.js';

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
}

const QUEUE_BATCH = 100;

export class Router {
  private readonly serial = new SerialQueues();

  constructor(private readonly deps: RouterDeps) {
    deps.presence.onChange((presence) => {
      if (presence.status !== 'available') return;
      for (const team of deps.teams.teamsOf(presence.address)) {
        this.drainQueue(team.id).catch((error: unknown) => deps.logger.error({ err: error, team: team.id }, 'failed to offer queued conversations'));
      }
    });
  }

  /** The member of a team who gets the next conversation: the first available, in config order. */
  pickAgent(teamId: string): Address | undefined {
    const team = this.deps.teams.get(teamId);
    return (team?.members as Address[] | undefined)?.find((member) => this.deps.presence.get(member).status === 'available');
  }

  /** Assigns a new team conversation to an available agent, or leaves it queued. */
  routeNew(conversation: ConversationRecord): Promise<ConversationRecord> {
    const team = conversation.team;
    if (team === undefined || conversation.assignee !== undefined) return Promise.resolve(conversation);
    return this.serial.run(`team:${team}`, async () => {
      const agent = this.pickAgent(team);
      if (!agent) return conversation;
      return this.deps.store.assignConversation(conversation.id, agent);
    });
  }

  /** Offers the team's queued conversations, oldest first, while an agent is available. */
  private drainQueue(team: string): Promise<void> {
    return this.serial.run(`team:${team}`, async () => {
      for (;;) {
        const queued = await this.deps.store.queuedConversations(team, QUEUE_BATCH);
        if (queued.length === 0) return;
        for (const conversation of queued) {
          const agent = this.pickAgent(team);
          if (!agent) return;
          const assigned = await this.deps.store.assignConversation(conversation.id, agent);
          this.deps.logger.info({ conversation: conversation.id, team, agent }, 'queued conversation assigned');
          await this.catchUp(assigned, agent);
          this.announce(assigned);
        }
        if (queued.length < QUEUE_BATCH) return;
      }
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
    const team = conversation.team === undefined ? undefined : this.deps.teams.get(conversation.team);
    const announcers = this.deps.registry.all().filter((network) => network.conversationChanged);
    if (!team || announcers.length === 0) return;
    void this.deps.store
      .getParty(conversation.openedBy)
      .then((visitor) => {
        const details = { teamMembers: team.members as Address[], ...(visitor?.name ? { visitorName: visitor.name } : {}), ...(visitor?.pageUrl ? { pageUrl: visitor.pageUrl } : {}) };
        for (const network of announcers) network.conversationChanged!(wire, details);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, conversation: conversation.id }, 'conversation not announced to networks'));
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
        if (!this.deps.teams.teamsOf(agent).some((t) => t.id === team)) return { ok: false, reason: `You are not a member of the team "${team}".` };
        if (conversation.assignee === agent) return { ok: true, conversation: toWireConversation(conversation) };
        if (conversation.assignee !== undefined) return { ok: false, reason: `This conversation is already with ${conversation.assignee}.` };
        const assigned = await this.deps.store.assignConversation(conversation.id, agent);
        this.deps.logger.info({ conversation: conversation.id, team, agent }, 'conversation claimed');
        await this.catchUp(assigned, agent);
        this.announce(assigned);
        return { ok: true, conversation: toWireConversation(assigned) };
      });
    })();
  }

  /**
   * Hands a stored message to every recipient's network. Web recipients get it at once; others
   * were queued in the outbox in the same transaction as the message and are sent by the worker.
   */
  dispatch(message: Message, conversation: ConversationRecord, options: { exceptConnection?: string } = {}): void {
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
