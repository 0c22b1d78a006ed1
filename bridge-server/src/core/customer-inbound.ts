/**
 * A customer's message to a team's address on their own network (docs/customers.md): past the
 * abuse controls, into their open conversation with the team, or a new one; each outcome counted
 * in /metrics by network.
 */
import type { Address, Message } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { TeamConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { InboundMessage, InboundTeam } from '../networks/network.js';
import type { ConversationRecord, Store } from '../store/store.js';
import type { CustomerControls } from './abuse/customer-controls.js';
import { CustomerRefusal, type FirstContactOutcome } from './abuse/outcomes.js';
import { postedThenGreeted } from './conversations.js';
import { CustomerNames } from './customer-names.js';
import type { QueueNotice } from './desk/queue-notice.js';
import type { TeamDirectory } from './desk/teams.js';
import type { CustomerTurns } from './customer-turns.js';
import type { FirstContacts } from './first-contact.js';

export interface CustomerInboundDeps {
  store: Pick<Store, 'messageByRemoteId' | 'getParty' | 'upsertParty'>;
  firstContacts: FirstContacts;
  controls: CustomerControls;
  queueNotice: Pick<QueueNotice, 'tell'>;
  /** One decision at a time per customer: two first messages open one conversation. */
  turns: CustomerTurns;
  /** The teams an address is an agent of: an agent writing to their own team's address is no customer. */
  teams: Pick<TeamDirectory, 'teamsOf'>;
  metrics: Metrics;
  logger: Logger;
}

/** What an agent writing to their own team's address reads (docs/customers.md, "Abuse controls"). */
const AGENT_TO_OWN_TEAM = (team: string) =>
  `You are an agent of team ${team}: this address is for its customers. Answer visitors in their own chats, and send commands to the bridge's address.`;

export class CustomerInbound {
  private readonly names: CustomerNames;

  constructor(private readonly deps: CustomerInboundDeps) {
    this.names = new CustomerNames(deps.store);
  }

  /** Stores the message with `post` in the conversation it belongs to; null when no such team serves the site. */
  async message(input: InboundMessage & { team: InboundTeam }, post: (conversation: ConversationRecord) => Promise<Message>): Promise<Message | null> {
    const count = (outcome: FirstContactOutcome) => this.deps.metrics.firstContacts.inc({ network: input.network, outcome });
    const served = this.deps.firstContacts.servedBy(input.team);
    if (!served) {
      count('refused_no_team');
      this.deps.logger.info({ from: input.from, team: input.team.id, site: input.team.site ?? null }, 'first contact refused: no such team serves the site');
      return null;
    }
    try {
      return await this.deps.turns.run(served.siteKey, input.from, () => this.decide(input, served, post, count));
    } catch (error) {
      if (error instanceof CustomerRefusal) {
        count(error.outcome);
        this.deps.logger.info({ network: input.network, from: input.from, team: input.team.id, outcome: error.outcome }, 'customer message refused');
      }
      throw error;
    }
  }

  /** Past the controls, into the open conversation or a new one (one customer's decisions in turn). */
  private async decide(
    input: InboundMessage & { team: InboundTeam },
    served: { team: TeamConfig; siteKey: string },
    post: (conversation: ConversationRecord) => Promise<Message>,
    count: (outcome: FirstContactOutcome) => void,
  ): Promise<Message | null> {
    const { firstContacts, controls } = this.deps;
    // An agent answering the team's greeting, or trying the team's address out, would open a
    // conversation with themselves as the customer, assigned to themselves.
    if (this.deps.teams.teamsOf(input.from).some((team) => team.id === served.team.id))
      throw new CustomerRefusal('forbidden', AGENT_TO_OWN_TEAM(served.team.id), 'agent_of_team');
    await controls.admit(input.from, served.team, served.siteKey);
    // Before the conversation opens: its announcements and the agent's context line name the customer.
    await this.names.record(input.from, served.siteKey, input.fromName);
    // The usual case: their open conversation takes it (the pipeline drops a retransmission by its remote id).
    const open = await firstContacts.openConversationOf(input.from, input.team);
    if (open) {
      count('continued');
      return await post(open);
    }
    // None open: a retransmission of a message whose conversation has closed since opens no new one.
    const stored = input.remoteId !== undefined ? await this.deps.store.messageByRemoteId(input.network, input.remoteId) : null;
    if (stored) {
      count('duplicate');
      return stored;
    }
    // A machine's message (an out-of-office answer to a closed conversation's last reply, a
    // mailer's delay notice) asks nothing of an agent: it opens, or reopens, no conversation
    // (RFC 3834 section 2: it is not to be acted upon as a person's message).
    if (input.automatic === true) {
      count('automatic_dropped');
      return null;
    }
    controls.mayOpen(input.from);
    const opened = await firstContacts.conversationFor(input.from, input.team, input.subject);
    if (!opened) return null;
    count('opened');
    // The team's greeting answers the customer's first message: after it.
    const posted = await postedThenGreeted(() => post(opened.conversation), opened.greet, this.deps.logger);
    // Once per conversation: on its opening, after the customer's first message is stored.
    await this.deps.queueNotice.tell(opened.conversation, served.team);
    return posted;
  }

  /**
   * A message to a team's address from the address a visitor's conversation continues at (it goes
   * into that conversation, as the visitor's): the same controls as any customer's message to the
   * team (a block of the address, the team's domain lists, the rate), refused the same way.
   */
  async admitContinued(input: InboundMessage & { team: InboundTeam }, siteKey: string): Promise<void> {
    const served = this.deps.firstContacts.servedBy(input.team);
    if (!served) return;
    try {
      await this.deps.controls.admit(input.from, served.team, siteKey);
    } catch (error) {
      if (error instanceof CustomerRefusal) {
        this.deps.metrics.firstContacts.inc({ network: input.network, outcome: error.outcome });
        this.deps.logger.info({ network: input.network, from: input.from, team: input.team.id, outcome: error.outcome }, 'customer message refused');
      }
      throw error;
    }
  }

  /**
   * Someone a customer copied, answering in the customer's conversation (`InboundMessage.copiedReply`):
   * the controls of a customer writing to the team (a block, the domain lists, the rate), refused the
   * same way, and their name kept as any customer's is.
   */
  async admitCopied(input: InboundMessage, conversation: ConversationRecord): Promise<boolean> {
    // Only a team's conversation with a customer has someone to copy.
    if (conversation.team === undefined) return false;
    await this.admitContinued({ ...input, team: { id: conversation.team } }, conversation.siteKey);
    await this.names.record(input.from, conversation.siteKey, input.fromName);
    return true;
  }

  /** Whether a customer is blocked on a site: what they wrote stays as it was (no retraction of theirs is taken). */
  isBlocked(customer: Address, siteKey: string): Promise<boolean> {
    return this.deps.controls.isBlocked(customer, siteKey);
  }

  /** The customer's open conversation with the team, for their typing (none for a blocked customer). */
  async typingConversation(customer: Address, addressed: InboundTeam): Promise<ConversationRecord | null> {
    const served = this.deps.firstContacts.servedBy(addressed);
    if (!served || (await this.deps.controls.isBlocked(customer, served.siteKey))) return null;
    return this.deps.firstContacts.openConversationOf(customer, addressed);
  }
}
