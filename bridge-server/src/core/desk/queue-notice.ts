/**
 * What a customer on their own network is told when their new conversation waits in the team's
 * queue (docs/customers.md, "Queued customers"): one message from the team's address with their
 * place in line, as a website visitor sees it in the widget (`queue:position`). Like that position,
 * it is no message of the conversation: not stored, not in the history, sent once.
 */
import type { Message } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { TeamConfig } from '../../config.js';
import type { NetworkRegistry } from '../../networks/registry.js';
import type { ConversationRecord, Store } from '../../store/store.js';
import { toNetworkConversation } from '../wire.js';
import type { QueuePositions } from './queue-positions.js';

export interface QueueNoticeDeps {
  positions: Pick<QueuePositions, 'positionOf'>;
  registry: Pick<NetworkRegistry, 'forAddress'>;
  /** Whether the team is within its hours (outside, its offline message says it all). */
  isOpen(team: string): boolean;
  store: Pick<Store, 'history'>;
  now(): Date;
  logger: Logger;
}

/** The team's queue message with the customer's place in line. */
export function queueText(template: string, position: number): string {
  return template.replaceAll('{position}', String(position));
}

/** The conversation's first messages, where the team's opening note is (before the customer's first message). */
const OPENING_MESSAGES = 3;

export class QueueNotice {
  constructor(private readonly deps: QueueNoticeDeps) {}

  /**
   * Whether the team posted its offline message as the conversation opened (a team with a greeting
   * does while none of its agents is available). Read from what was posted, not decided again:
   * availability may have changed since.
   */
  private async offlineMessagePosted(conversation: ConversationRecord, team: TeamConfig): Promise<boolean> {
    const { messages } = await this.deps.store.history(conversation.id, { afterSeq: 0, limit: OPENING_MESSAGES });
    return messages.some((message) => message.from === `team:${team.id}` && message.text === team.offlineMessage);
  }

  /** Tells the customer who just opened `conversation` their place in the team's queue, when it waits there. */
  async tell(conversation: ConversationRecord, team: TeamConfig): Promise<void> {
    const { positions, registry, logger } = this.deps;
    if (team.queueMessage === false || conversation.assignee !== undefined || conversation.state !== 'open' || !this.deps.isOpen(team.id)) return;
    // "We're away right now ..." then "you are number 1 in line": one says it, not both.
    if (team.greeting !== undefined && (await this.offlineMessagePosted(conversation, team))) return;
    const network = registry.forAddress(conversation.openedBy);
    if (!network) return;
    const position = await positions.positionOf(team.id, conversation.id);
    // Taken meanwhile (or far down a very long queue): nothing to tell.
    if (position === undefined) return;
    const message: Message = {
      id: `queue-${conversation.id}`,
      conversationId: conversation.id,
      seq: 0,
      from: `team:${team.id}`,
      text: queueText(team.queueMessage, position),
      sentAt: this.deps.now().toISOString(),
    };
    try {
      await network.send({ message, to: conversation.openedBy, conversation: toNetworkConversation(conversation), fromName: team.name ?? team.id });
    } catch (error) {
      logger.info({ err: error, conversation: conversation.id }, 'queue message not sent');
    }
  }
}
