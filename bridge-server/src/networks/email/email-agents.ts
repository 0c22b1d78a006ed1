/**
 * Agents by mail (docs/networks/email.md, "Agents by email"): a team member whose address is
 * `mailto:` gets each conversation given to them as a thread of mail from the team's mailbox (the
 * context line first, then every message), with the conversation's plus address as Reply-To; their
 * reply is stored as their answer (its visible text only), and a mail of theirs that answers no
 * conversation and starts with `/` is a desk command, answered by mail. Mail has no presence: an
 * agent by mail is available while the bridge reads the mailbox (and for a grace period once it
 * lost it), up to their capacity.
 */
import type { Address } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { type Clock, type Timer, systemClock } from '../../util/clock.js';
import { isCommand, remoteIdOf } from '../kit/inbound.js';
import { NOT_YOURS } from '../kit/relay.js';
import { refusedFilesNotice } from '../refused-files.js';
import {
  type DeskFeature,
  type InboundSink,
  NAMELESS_VISITOR,
  isQuietRefusal,
  type NetworkConversation,
  type NetworkFiles,
  type NetworkRecords,
  type OutboundMessage,
  type SendResult,
} from '../network.js';
import type { RefBook } from '../refs.js';
import type { MailThreads } from './email-thread.js';
import { replySubject } from './mail-compose.js';
import type { MailSettings } from './mail-config.js';
import { type ReadMail, mailContent } from './mail-reading.js';
import { type PlusAddresses, matchConversation, messageIdFor, newMessageId } from './mail-threading.js';
import type { SmtpSender } from './smtp-sender.js';
import { refusalOf } from './refusals.js';
import { type TeamMail, TeamMailer, type TeamMailerParts } from './team-mailer.js';

/** The subject of the desk's lines that belong to no conversation, and of answers to commands without one. */
const DESK_SUBJECT = 'Support desk';
/** The record of the Message-IDs of the agents' command mails run last, and how many it keeps. */
const COMMANDS_RUN = 'email:commands-run';
const COMMANDS_KEPT = 200;
const UNMATCHED =
  "Your mail answers no conversation of yours, so it was not delivered. Reply to a conversation's mail to answer in it; a mail starting with a command (/list, /help) runs it.";

export interface EmailAgentsParts extends Pick<TeamMailerParts, 'dates'> {
  sink: Pick<InboundSink, 'message' | 'command' | 'isAgent' | 'presence'>;
  smtp: Pick<SmtpSender, 'send'>;
  records: Pick<NetworkRecords, 'conversation' | 'state' | 'setState'>;
  threads: MailThreads;
  plusAddresses: PlusAddresses;
  secret: string;
  refs: RefBook;
  settings: Pick<MailSettings, 'teams' | 'messageIdDomain' | 'html'>;
  teamName(team: string): string | undefined;
  /** The bytes of messages' files, sent as attachments. */
  files?: NetworkFiles | undefined;
  logger: Logger;
  /** How long agents stay available once the mailbox is lost: a reconnection does not take them off routing. */
  graceSeconds: number;
  /** The system clock, unless a test moves one by hand. */
  clock?: Clock;
}

const bareOf = (address: Address) => address.slice('mailto:'.length).toLowerCase();

export class EmailAgents {
  private readonly watched = new Set<Address>();
  private readonly mailer: TeamMailer;
  /** Whether agents are shown available: from the mailbox reached until it was lost for the grace period. */
  private online = false;
  private goingOffline: Timer | undefined;

  constructor(private readonly parts: EmailAgentsParts) {
    this.mailer = new TeamMailer(parts);
  }

  /** Whether a mail to this address goes to an agent (a conversation's thread of its own), not to a customer. */
  isAgent(address: Address): boolean {
    return this.parts.sink.isAgent(address);
  }

  /** The team members the network carries: available while the mailbox is read. */
  watch(addresses: readonly Address[]): void {
    for (const address of addresses) {
      this.watched.add(address);
      if (this.online) this.parts.sink.presence({ address, status: 'available' });
    }
  }

  /**
   * The mailbox was reached or lost: agents by mail take conversations only while their replies are
   * read. Lost, they stay available for the grace period: the mailbox reconnecting within it (a
   * server restart, a dropped connection) changes nothing anybody sees.
   */
  connected(reached: boolean): void {
    if (reached) {
      this.stop();
      this.show(true);
      return;
    }
    if (!this.online || this.goingOffline) return;
    const { graceSeconds, clock = systemClock } = this.parts;
    if (graceSeconds <= 0) return this.show(false);
    this.goingOffline = clock.setTimer(() => {
      this.goingOffline = undefined;
      this.show(false);
    }, graceSeconds * 1000);
  }

  /** Forgets a loss under way (the network stops). */
  stop(): void {
    this.goingOffline?.cancel();
    this.goingOffline = undefined;
  }

  private show(online: boolean): void {
    if (online === this.online) return;
    this.online = online;
    for (const address of this.watched) this.parts.sink.presence({ address, status: online ? 'available' : 'offline' });
  }

  /** A message of the conversation to its agent: in the conversation's thread, their reply going back into it. */
  async send({ message, to, conversation, fromName }: OutboundMessage): Promise<SendResult> {
    const { secret, settings } = this.parts;
    const recipient = bareOf(to);
    const mailId = messageIdFor(secret, settings.messageIdDomain, message.id, recipient);
    await this.mailer.send(this.mailer.mailboxOf(conversation), {
      ...this.inThread(conversation, recipient),
      ...this.mailer.nameOf(conversation, fromName ?? namelessWriter(message.from)),
      messageId: mailId,
      ...(await this.mailer.contentOf(message)),
    });
    return { remoteId: mailId, status: 'sent' };
  }

  /** A line from the desk: in the conversation's thread when it is about one (the context line), else on its own. */
  async notice({ to, text, about }: Parameters<DeskFeature['notice']>[0]): Promise<void> {
    const recipient = bareOf(to);
    const messageId = newMessageId(this.parts.settings.messageIdDomain);
    if (!about) {
      await this.mailer.send(this.mailer.mailboxOf(), { to: recipient, subject: DESK_SUBJECT, messageId, thread: {}, automatic: 'auto-generated', text });
      return;
    }
    const conversation: NetworkConversation = about.conversation;
    await this.mailer.send(this.mailer.mailboxOf(conversation), {
      ...this.inThread(conversation, recipient),
      ...this.mailer.nameOf(conversation, about.visitorName),
      messageId,
      text,
    });
  }

  /**
   * An agent's mail: their answer in the conversation it replies to, or a command; true when the
   * sender is an agent (the mail is theirs to handle here, never a customer's).
   */
  async receive(read: ReadMail, from: Address): Promise<boolean> {
    const { sink, records, threads, plusAddresses, logger } = this.parts;
    if (!this.isAgent(from)) return false;
    const log = { from, messageId: read.messageId };
    // An agent's out-of-office answer is not their answer to the customer.
    if (read.classification.kind !== 'normal') {
      logger.info(log, "email: an agent's automatic mail was left unstored");
      return true;
    }
    const match = await matchConversation(read, { conversationOfMessageId: (id) => threads.conversationOf(id, from), plusAddresses });
    const conversation = match ? await records.conversation(match.conversationId) : null;
    if (conversation) {
      // A plus address names its conversation to whoever holds it: only a party of the conversation
      // answers in it (an agent it was never given to, or who handed it on, does not), whatever else
      // the core would make of the sender (the address a visitor gave, say).
      if (!conversation.participants.includes(from)) {
        logger.info({ ...log, conversation: conversation.id }, 'email: an agent answered a conversation not theirs');
        await this.answer(read, from, NOT_YOURS);
        return true;
      }
      try {
        const content = mailContent(read);
        const stored = await sink.message({
          network: 'mailto',
          from,
          to: `mailto:${this.mailer.mailboxOf(conversation)}`,
          conversationId: conversation.id,
          ...content,
          remoteId: remoteIdOf(from, read.messageId)!,
        });
        if (stored) {
          // A file the site refused did not reach the customer: the agent is told, as on the other networks.
          const refused = refusedFilesNotice(stored, content.files?.length ?? 0);
          if (refused) await this.answer(read, from, refused);
          return true;
        }
      } catch (error) {
        // Refused (rate limited, too long, ...): the agent is told why, and the mailbox moves on.
        if (!refusalOf(error)) throw error;
        logger.info({ ...log, conversation: conversation.id, reason: (error as Error).message }, "email: an agent's answer was refused");
        if (!isQuietRefusal(error)) await this.answer(read, from, `Your message was not delivered: ${(error as Error).message}`);
        return true;
      }
      logger.info({ ...log, conversation: conversation.id }, 'email: an agent answered a conversation not theirs');
      await this.answer(read, from, NOT_YOURS);
      return true;
    }
    const command = read.text.trim().split('\n')[0] ?? '';
    if (!isCommand(command)) {
      await this.answer(read, from, UNMATCHED);
      return true;
    }
    // Once per mail: a copy of it (the desk in To and Cc), or the mail fetched again, runs nothing.
    if (!read.messageIdDerived && !(await this.firstRun(read.messageId))) {
      logger.info(log, 'email: a command mail already run was skipped');
      return true;
    }
    await this.answer(read, from, await sink.command({ from, text: command.trim() }));
    return true;
  }

  /** Whether the command mail of this Message-ID runs for the first time (the last COMMANDS_KEPT are kept in the store). */
  private async firstRun(messageId: string): Promise<boolean> {
    const { records } = this.parts;
    const value = await records.state(COMMANDS_RUN);
    let run: string[] = [];
    try {
      run = value ? (JSON.parse(value) as string[]) : [];
    } catch {
      run = [];
    }
    if (run.includes(messageId)) return false;
    await records.setState(COMMANDS_RUN, JSON.stringify([...run.slice(1 - COMMANDS_KEPT), messageId]));
    return true;
  }

  /**
   * The desk's answer to an agent's mail, in reply to it. The mail is handled whether or not the
   * answer leaves: what it asked for is done (a command ran, a note is stored), and taking it again
   * once the mail server is back would do it twice and hold up every mail after it meanwhile.
   */
  private async answer(read: ReadMail, from: Address, text: string): Promise<void> {
    try {
      await this.mailer.send(this.mailer.mailboxOf(), {
        to: bareOf(from),
        subject: replySubject(read.subject, DESK_SUBJECT),
        messageId: newMessageId(this.parts.settings.messageIdDomain),
        thread: { inReplyTo: read.messageId, references: [...read.references, read.messageId] },
        automatic: 'auto-replied',
        text,
      });
    } catch (error) {
      this.parts.logger.warn({ err: error, to: from, messageId: read.messageId }, "email: the desk's answer to an agent's mail was not sent");
    }
  }

  /**
   * Where an agent's mail of a conversation goes: one thread per conversation and agent, all of it
   * referring to one Message-ID derived from both (no mail carries it: clients thread by it all the
   * same), under a subject naming the conversation's ref; replies to the conversation's plus address.
   */
  private inThread(conversation: NetworkConversation, recipient: string): Pick<TeamMail, 'to' | 'subject' | 'thread' | 'replyTo'> {
    const { secret, settings, refs, plusAddresses } = this.parts;
    // Named after the conversation (no message has its id): a reply to it is matched by the plus address.
    const root = messageIdFor(secret, settings.messageIdDomain, conversation.id, recipient);
    const replyTo = plusAddresses.addressOf(this.mailer.mailboxOf(conversation), conversation.id);
    return {
      to: recipient,
      subject: `[#${refs.refOf(conversation.id)}] ${conversation.subject ?? 'Conversation'}`,
      thread: { inReplyTo: root, references: [root] },
      ...(replyTo ? { replyTo } : {}),
    };
  }
}

/**
 * The name an agent's mail shows for a writer who gave none: a website visitor is "Visitor" (as the
 * context line says), a customer of another network their address; only the team's own words come
 * under the team's name, so a nameless customer's message never reads as the team's greeting.
 */
function namelessWriter(from: Address): string | undefined {
  if (from.startsWith('team:')) return undefined;
  if (from.startsWith('web:')) return NAMELESS_VISITOR;
  return from.slice(from.indexOf(':') + 1);
}
