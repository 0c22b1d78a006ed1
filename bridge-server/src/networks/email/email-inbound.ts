/**
 * Mail in: each message the inbox hands over is read as a person reads it, then dropped (the
 * bridge's own mail come back, unreadable mail), taken as a bounce of a mail the bridge sent (its
 * message fails), or stored as a customer's message to the team whose mailbox it was addressed to,
 * in the conversation its thread headers or plus address name when the sender takes part in it.
 * Its Message-ID is its remote id, so a mail fetched again is stored once.
 */
import type { Address, ErrorCode } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { remoteIdOf } from '../kit/inbound.js';
import type { InboundSink, InboundTeam, NetworkRecords } from '../network.js';
import type { InboxMail } from './imap-inbox.js';
import { type MailSettings, type TeamMailbox, teamMailboxOf } from './mail-config.js';
import { type ReadMail, readMail } from './mail-reading.js';
import { type PlusAddresses, isOwnMessageId, matchConversation } from './mail-threading.js';
import type { MailThreads } from './email-thread.js';

/** The bridge's refusals of a customer's message (blocked, rate limited, too long): the mail is handled, not stored. */
const REFUSALS = new Set<ErrorCode>(['bad_request', 'forbidden', 'not_found', 'rate_limited', 'too_large']);

export interface EmailInboundParts {
  sink: InboundSink;
  records: NetworkRecords;
  threads: MailThreads;
  plusAddresses: PlusAddresses;
  settings: Pick<MailSettings, 'teams' | 'subaddressSeparator' | 'site' | 'messageIdDomain'>;
  /** The bridge's `limits.maxTextLength`: a longer mail is cut with a note, not refused. */
  maxTextLength?: number;
  logger: Logger;
  /** Agents by mail: a mail from one is their answer or command (email-agents.ts), never a customer's. */
  agents?: { receive(read: ReadMail, from: Address): Promise<boolean> };
}

const bare = (address: Address) => address.slice('mailto:'.length);

export class EmailInbound {
  constructor(private readonly parts: EmailInboundParts) {}

  /** Handles one mail; rejects only when it could not be stored (the inbox hands it over again). */
  async handle(mail: InboxMail): Promise<void> {
    const { logger, settings } = this.parts;
    const read = await readMail(mail.source, this.parts.maxTextLength !== undefined ? { maxTextLength: this.parts.maxTextLength } : {});
    const log = { uid: mail.uid, messageId: read.messageId };
    if (read.classification.kind === 'bounce') return this.bounced(read);
    if (!read.from) return logger.info(log, 'email: a mail without a sender address was left unstored');
    if (isOwnMessageId(read.messageId, settings.messageIdDomain) || teamMailboxOf(settings, bare(read.from.address))) {
      return logger.info(log, "email: the bridge's own mail came back; left unstored");
    }
    if (await this.parts.agents?.receive(read, read.from.address)) return;
    const mailbox = this.mailboxOf(read);
    const team = await this.teamOf(read, read.from.address, mailbox);
    if (!team || !mailbox) return logger.info({ ...log, to: read.to }, 'email: a mail to no team mailbox was left unstored');
    await this.store(read, read.from.address, mailbox, team);
  }

  /** The team mailbox a mail reached: its envelope recipient first, then To and Cc. */
  private mailboxOf(read: ReadMail): TeamMailbox | null {
    for (const address of [...read.deliveredTo, ...read.to, ...read.cc]) {
      const mailbox = teamMailboxOf(this.parts.settings, address);
      if (mailbox) return mailbox;
    }
    return null;
  }

  /**
   * The team the mail goes to: the one of the conversation it answers, when its sender takes part
   * in it (a stranger's mail with someone's thread headers opens a conversation of its own), else
   * the team of the mailbox it reached.
   */
  private async teamOf(read: ReadMail, sender: Address, mailbox: TeamMailbox | null): Promise<InboundTeam | null> {
    const { records, threads, plusAddresses, settings } = this.parts;
    const match = await matchConversation(read, { conversationOfMessageId: (id) => threads.conversationOf(id, sender), plusAddresses });
    const conversation = match ? await records.conversation(match.conversationId) : null;
    const answered = conversation && (conversation.openedBy === sender || conversation.participants.includes(sender)) ? conversation.team : undefined;
    const id = answered ?? mailbox?.team;
    if (id === undefined) return null;
    return {
      id,
      ...(settings.site !== undefined ? { site: settings.site } : {}),
      ...(mailbox && mailbox.team !== id ? { orOpenWith: [mailbox.team] } : {}),
    };
  }

  private async store(read: ReadMail, from: Address, mailbox: TeamMailbox, team: InboundTeam): Promise<void> {
    const { sink, threads, records, logger } = this.parts;
    const automatic = read.classification.kind === 'auto-reply';
    const stored = await threads.arrive(from, { messageId: read.messageId, subject: read.subject }, async () => {
      let message;
      try {
        message = await sink.message({
          network: 'mailto',
          from,
          to: `mailto:${mailbox.address.toLowerCase()}`,
          // A mail with neither text nor attachment says what its subject says.
          text: read.text || read.subject || '(empty mail)',
          remoteId: remoteIdOf(from, read.messageId)!,
          team,
          ...(read.from?.name ? { fromName: read.from.name } : {}),
          ...(automatic ? { automatic } : {}),
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code !== 'string' || !REFUSALS.has(code as ErrorCode)) throw error;
        logger.info({ from, messageId: read.messageId, code, reason: (error as Error).message }, 'email: a mail was refused');
        return null;
      }
      if (!message) return null;
      await threads.add(message.conversationId, read.messageId, read.subject);
      return message;
    });
    if (!stored) return logger.info({ from, messageId: read.messageId, team: team.id }, 'email: the team takes no mail from this sender');
    const conversation = await records.conversation(stored.conversationId);
    if (conversation && conversation.subject === undefined && read.subject) await records.setSubject(conversation.id, read.subject);
  }

  /** A bounce of a mail the bridge sent: its message failed, for the reason the report gives. */
  private async bounced(read: ReadMail): Promise<void> {
    const { threads, sink, logger } = this.parts;
    const bounce = read.classification.bounce;
    // The report's recipient is the one the failed mail was sent to: its Message-ID's MAC is bound to it.
    const sent = bounce?.originalMessageId && bounce.recipient ? threads.sentMessageOf(bounce.originalMessageId, bounce.recipient) : null;
    if (!bounce || !sent) return logger.info({ messageId: read.messageId, original: bounce?.originalMessageId }, 'email: a bounce of no mail the bridge sent');
    logger.info({ message: sent, recipient: bounce.recipient, reason: bounce.reason }, 'email: a mail bounced');
    sink.receipt({
      messageId: sent,
      status: 'failed',
      error: `the mail${bounce.recipient ? ` to ${bounce.recipient}` : ''} bounced: ${bounce.reason}`,
      code: 'not_found',
    });
  }
}
