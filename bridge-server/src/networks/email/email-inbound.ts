/**
 * Mail in: each message the inbox hands over is read as a person reads it, then dropped (the
 * bridge's own mail come back, unreadable mail), taken as a bounce of a mail the bridge sent (its
 * message fails), or stored as a customer's message to the team whose mailbox it was addressed to,
 * in the conversation its thread headers or plus address name when the sender takes part in it.
 * Its Message-ID is its remote id, so a mail fetched again is stored once.
 */
import type { Address, Message } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { remoteIdOf } from '../kit/inbound.js';
import type { InboundMessage, InboundSink, InboundTeam, NetworkConversation, NetworkRecords } from '../network.js';
import { refusedFilesNotice } from '../refused-files.js';
import { bouncedMailOf } from './email-bounces.js';
import type { InboxMail } from './imap-inbox.js';
import { conversationSubject, replySubject } from './mail-compose.js';
import { type MailSettings, type TeamMailbox, teamMailboxOf } from './mail-config.js';
import { type MailSender, type ReadMail, mailContent, readMail } from './mail-reading.js';
import { type PlusAddresses, isOwnMessageId, matchConversation, newMessageId } from './mail-threading.js';
import type { MailThreads } from './email-thread.js';
import { refusalOf } from './refusals.js';
import type { TeamMailer } from './team-mailer.js';

/** The bridge's refusals of a customer's message (blocked, rate limited, too long): the mail is handled, not stored. */
export interface EmailInboundParts {
  sink: InboundSink;
  records: NetworkRecords;
  threads: MailThreads;
  plusAddresses: PlusAddresses;
  settings: Pick<MailSettings, 'teams' | 'subaddressSeparator' | 'site' | 'messageIdDomain' | 'formSenders' | 'keepCc'>;
  /** The bridge's `limits.maxTextLength`: a longer mail is cut with a note, not refused. */
  maxTextLength?: number;
  logger: Logger;
  /** Agents by mail: a mail from one is their answer or command (email-agents.ts), never a customer's. */
  agents?: { receive(read: ReadMail, from: Address): Promise<boolean>; isAgent(address: Address): boolean };
  /** Sends the team's mail: what a sender is told of files of theirs the site refused. */
  mailer?: Pick<TeamMailer, 'send'>;
}

const bare = (address: Address) => address.slice('mailto:'.length);

/** A list's post, or bulk mail (RFC 2369, RFC 2919; `Precedence: bulk` or `list`), rather than an auto-reply. */
const LIST_SIGNAL = /^(list-|precedence: *(bulk|list))/i;

/** The log line of an automatic mail left unstored: what happened and why, in an operator's words. */
function droppedAutomatic(signal: string | undefined): string {
  const what = signal && LIST_SIGNAL.test(signal) ? 'a mailing-list or bulk mail' : 'an automatic mail (an auto-reply, a notification)';
  return `email: ${what}${signal ? ` (${signal})` : ''} was not stored: such mail is kept only in a conversation its sender already has open, and this sender has none; it opens none, so that the desk never answers a list or a machine (docs/networks/email.md, "Threading and loops")`;
}
/** Addresses a customer's mail may copy the answers to, at most (`keepCc`); parties a copied reply is checked for. */
const MAX_COPIED = 10;
/** A copied reply joins by its thread headers only: a plus address is the bridge's, not the customer's. */
const NO_PLUS_ADDRESSES: Pick<PlusAddresses, 'conversationOf'> = { conversationOf: () => null };

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
    const customer = this.customerOf(read, read.from);
    const mailbox = this.mailboxOf(read);
    const answered = await this.answeredConversation(read, customer.address);
    if (answered && mailbox && (await this.visitorAnswered(read, customer.address, answered, mailbox))) return;
    const takesPart = answered && (answered.openedBy === customer.address || answered.participants.includes(customer.address));
    if (!takesPart && mailbox && (await this.copiedReply(read, customer, mailbox))) return;
    const team = this.teamOf(customer.address, answered, mailbox);
    if (!team || !mailbox) return logger.info({ ...log, to: read.to }, 'email: a mail to no team mailbox was left unstored');
    await this.store(read, customer, mailbox, team);
  }

  /**
   * Who the mail is from for the desk: the sender, or for a sender that writes for others (a
   * contact form in `formSenders`) the one mailbox of its `Reply-To`, unless that is a team mailbox.
   */
  private customerOf(read: ReadMail, from: MailSender): MailSender {
    const { settings } = this.parts;
    const answerTo = read.answerTo;
    const writesForOthers = settings.formSenders.includes(bare(from.address));
    return writesForOthers && answerTo && !teamMailboxOf(settings, bare(answerTo.address)) ? answerTo : from;
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
  private teamOf(sender: Address, conversation: NetworkConversation | null, mailbox: TeamMailbox | null): InboundTeam | null {
    const { settings } = this.parts;
    const answered = conversation && (conversation.openedBy === sender || conversation.participants.includes(sender)) ? conversation.team : undefined;
    const id = answered ?? mailbox?.team;
    if (id === undefined) return null;
    return {
      id,
      ...(settings.site !== undefined ? { site: settings.site } : {}),
      ...(mailbox && mailbox.team !== id ? { orOpenWith: [mailbox.team] } : {}),
    };
  }

  /** The conversation a mail's thread headers or plus address name, if any. */
  private async answeredConversation(read: ReadMail, sender: Address): Promise<NetworkConversation | null> {
    const { records, threads, plusAddresses } = this.parts;
    const match = await matchConversation(read, { conversationOfMessageId: (id) => threads.conversationOf(id, sender), plusAddresses });
    return match ? records.conversation(match.conversationId) : null;
  }

  /**
   * A website visitor who left answering the reply mailed to them: the core stores it as theirs
   * when the sender is the address they gave (else it stores nothing, and the mail is a first one).
   * Only for a conversation opened on another network: a mail customer's conversation is theirs alone.
   */
  private async visitorAnswered(read: ReadMail, from: Address, conversation: NetworkConversation, mailbox: TeamMailbox): Promise<boolean> {
    if (!conversation.openedBy || conversation.openedBy.startsWith('mailto:') || conversation.participants.includes(from)) return false;
    const automatic = read.classification.kind === 'auto-reply';
    const outcome = await this.submit(read, from, mailbox, { conversationId: conversation.id, ...(automatic ? { automatic } : {}) });
    if (outcome === 'refused') return true;
    if (outcome) await this.parts.threads.add(conversation.id, read.messageId);
    return outcome !== null;
  }

  /**
   * Someone the customer copied, answering all (a colleague on the customer's mail): a mail whose
   * thread headers name a mail of the customer's open conversation, and that copies that customer
   * (so it hides nothing from them), joins the conversation as the sender's own message, not the
   * customer's and not a conversation of its own, as Chatwoot and Front keep a CC'd reply in its
   * thread. It is not mailed to the customer again (they have it), and the sender gets no answers
   * (`keepCc` alone copies anyone). An automatic mail, or one in a closed conversation's thread, is
   * handled as any first mail.
   */
  private async copiedReply(read: ReadMail, sender: MailSender, mailbox: TeamMailbox): Promise<boolean> {
    const { settings, threads, records } = this.parts;
    if (read.classification.kind !== 'normal' || (!read.inReplyTo && read.references.length === 0)) return false;
    const addressed = [...new Set([...read.to, ...read.cc].map((address) => address.toLowerCase()))]
      .filter((address) => !teamMailboxOf(settings, address))
      .map((address): Address => `mailto:${address}`)
      .filter((address) => address !== sender.address);
    for (const party of addressed.slice(0, MAX_COPIED)) {
      const thread = { inReplyTo: read.inReplyTo, references: read.references, to: [], cc: [], deliveredTo: [] };
      const match = await matchConversation(thread, { conversationOfMessageId: (id) => threads.conversationOf(id, party), plusAddresses: NO_PLUS_ADDRESSES });
      const conversation = match ? await records.conversation(match.conversationId) : null;
      if (!conversation || conversation.openedBy !== party || conversation.state === 'closed') continue;
      const outcome = await this.submit(read, sender.address, mailbox, {
        conversationId: conversation.id,
        copiedReply: true,
        reached: addressed,
        ...(sender.name ? { fromName: sender.name } : {}),
      });
      if (outcome === 'refused') return true;
      if (!outcome) return false;
      await threads.add(conversation.id, read.messageId);
      return true;
    }
    return false;
  }

  /** Hands a mail to the core: the message stored, null when nothing took it, `refused` when the bridge refused it. */
  private async submit(
    read: ReadMail,
    from: Address,
    mailbox: TeamMailbox,
    where: Pick<InboundMessage, 'team' | 'conversationId' | 'fromName' | 'automatic' | 'subject' | 'copiedReply' | 'reached'>,
  ): Promise<Message | null | 'refused'> {
    try {
      const content = mailContent(read);
      const stored = await this.parts.sink.message({
        network: 'mailto',
        from,
        to: `mailto:${mailbox.address.toLowerCase()}`,
        ...content,
        remoteId: remoteIdOf(from, read.messageId)!,
        ...where,
      });
      if (stored) await this.tellRefusedFiles(read, from, mailbox, refusedFilesNotice(stored, content.files?.length ?? 0));
      return stored;
    } catch (error) {
      const code = refusalOf(error);
      if (!code) throw error;
      this.parts.logger.info({ from, messageId: read.messageId, code, reason: (error as Error).message }, 'email: a mail was refused');
      return 'refused';
    }
  }

  /**
   * A person's mail stored without files the site refused: they are told, in reply to it, as an XMPP
   * or SIP sender is (a machine's mail is told nothing: it would answer back). Told once: the mail is
   * not stored again. A notice that cannot leave is logged: the mail is stored all the same.
   */
  private async tellRefusedFiles(read: ReadMail, from: Address, mailbox: TeamMailbox, notice: string | undefined): Promise<void> {
    if (notice === undefined || !this.parts.mailer || read.classification.kind !== 'normal') return;
    try {
      await this.parts.mailer.send(mailbox.address.toLowerCase(), {
        to: bare(from),
        subject: replySubject(read.subject, 'Your message'),
        messageId: newMessageId(this.parts.settings.messageIdDomain),
        thread: { inReplyTo: read.messageId, references: [...read.references, read.messageId] },
        automatic: 'auto-replied',
        text: notice,
      });
    } catch (error) {
      this.parts.logger.warn({ err: error, to: from, messageId: read.messageId }, 'email: the notice of refused files was not sent');
    }
  }

  /**
   * Whom a customer's mail copies, with `keepCc`: its To and Cc but the team's mailboxes (and their
   * plus addresses), the customer, the sender and the agents, who have the conversation already.
   */
  private copiedBy(read: ReadMail, customer: MailSender): string[] {
    const { settings, agents } = this.parts;
    const own = new Set([bare(customer.address), ...(read.from ? [bare(read.from.address)] : [])]);
    return [...new Set([...read.to, ...read.cc])]
      .filter((address) => !own.has(address) && !teamMailboxOf(settings, address) && !agents?.isAgent(`mailto:${address}`))
      .slice(0, MAX_COPIED);
  }

  private async store(read: ReadMail, customer: MailSender, mailbox: TeamMailbox, team: InboundTeam): Promise<void> {
    const { threads, records, logger, settings } = this.parts;
    const from = customer.address;
    const automatic = read.classification.kind === 'auto-reply';
    // An automatic mail (an out-of-office answer) says nothing of whom the customer copies.
    const copied = settings.keepCc && !automatic ? this.copiedBy(read, customer) : undefined;
    let refused = false;
    const subject = conversationSubject(read.subject);
    const stored = await threads.arrive(from, { messageId: read.messageId, subject: read.subject, ...(copied ? { copied } : {}) }, async () => {
      const message = await this.submit(read, from, mailbox, {
        team,
        ...(customer.name ? { fromName: customer.name } : {}),
        ...(automatic ? { automatic } : {}),
        ...(subject ? { subject } : {}),
      });
      // Refused for a reason of its own (logged by submit), not for its sender.
      if (message === 'refused') refused = true;
      if (message === 'refused' || !message) return null;
      // A machine's mail (an out-of-office) stored in the customer's open conversation is not what
      // the team's next answer replies to (In-Reply-To, RFC 5322 section 3.6.4): it stays out of the
      // thread's chain (a mail naming it still finds the conversation by its stored message).
      if (!automatic) await threads.add(message.conversationId, read.messageId, read.subject);
      return message;
    });
    if (!stored) {
      if (refused) return;
      const signal = read.classification.signal;
      // Not a refusal of the sender: a machine's or a list's mail only joins a conversation the sender has open.
      if (automatic) return logger.info({ from, messageId: read.messageId, team: team.id, header: signal }, droppedAutomatic(signal));
      logger.info({ from, messageId: read.messageId, team: team.id }, 'email: the team takes no mail from this sender');
      return;
    }
    const conversation = await records.conversation(stored.conversationId);
    if (conversation && conversation.subject === undefined && subject) await records.setSubject(conversation.id, subject);
    // The customer's latest mail says whom the answers are copied to: one left out of it is no longer.
    if (copied && conversation?.openedBy === from) await threads.setCopied(conversation.id, copied);
  }

  /** A bounce of a mail the bridge sent: its message failed, for the reason the report gives. */
  private async bounced(read: ReadMail): Promise<void> {
    const { threads, records, settings, sink, logger } = this.parts;
    const bounce = read.classification.bounce;
    const sent = bounce ? (await bouncedMailOf(bounce, { threads, records, domain: settings.messageIdDomain }))?.messageId : null;
    if (!bounce || !sent) return logger.info({ messageId: read.messageId, original: bounce?.originalMessageId }, 'email: a bounce of no mail the bridge sent');
    // A burst mail carried later messages too: they failed with it.
    const conversationId = (await records.message(sent))?.conversationId;
    const carried = conversationId && bounce.originalMessageId ? await threads.carriedBy(conversationId, bounce.originalMessageId) : [];
    logger.info({ message: sent, carried, recipient: bounce.recipient, reason: bounce.reason }, 'email: a mail bounced');
    for (const messageId of [sent, ...carried]) {
      sink.receipt({
        messageId,
        status: 'failed',
        error: `the mail${bounce.recipient ? ` to ${bounce.recipient}` : ''} bounced: ${bounce.reason}`,
        code: bounce.code,
      });
    }
  }
}
