/**
 * Mail out: one stored message to one customer, from the mailbox of the conversation's team under
 * the sender's name, in the conversation's thread (In-Reply-To and References, RFC 5322 section
 * 3.6.4), with the conversation's plus address as Reply-To and `Auto-Submitted: auto-replied` on
 * what the team's desk wrote itself (RFC 3834). Its Message-ID is derived from the stored message
 * and the recipient: an outbox retry after a crash sends the same mail again, never another. A
 * burst (`also`: the sender's later lines) is one mail, its texts as paragraphs, its files attached.
 */
import type { Address, Message } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { type NetworkConversation, NetworkError, type NetworkFiles, type NetworkRecords, type OutboundMessage, type SendResult } from '../network.js';
import type { RefBook } from '../refs.js';
import { replySubject } from './mail-compose.js';
import type { MailSettings } from './mail-config.js';
import { isMailAddress } from './mail-headers.js';
import { type PlusAddresses, type ThreadHeaders, isOwnMessageId, messageIdFor, threadHeaders } from './mail-threading.js';
import type { MailThreads } from './email-thread.js';
import type { SmtpSender } from './smtp-sender.js';
import { TeamMailer, type TeamMailerParts } from './team-mailer.js';

export interface EmailOutboundParts extends Pick<TeamMailerParts, 'dates'> {
  smtp: Pick<SmtpSender, 'send'>;
  threads: MailThreads;
  /** The conversation's earlier messages, for what a mail to a website visitor answers. */
  records?: Pick<NetworkRecords, 'before'>;
  /** The conversation's `#ref`, named in a mail to a website visitor. */
  refs?: Pick<RefBook, 'refOf'>;
  plusAddresses: PlusAddresses;
  secret: string;
  settings: Pick<MailSettings, 'teams' | 'messageIdDomain' | 'subject' | 'html' | 'keepCc'>;
  /** A team's name, for mail that names no sender. */
  teamName(team: string): string | undefined;
  /** The bytes of messages' files, sent as attachments. */
  files?: NetworkFiles | undefined;
  logger: Logger;
}

/** A `mailto:` address's bare, lowercased mail address, or null when it is not one. */
export function mailAddressOf(address: string): string | null {
  const match = /^mailto:(.+)$/i.exec(address);
  const bare = match?.[1]?.toLowerCase();
  return bare && isMailAddress(bare) ? bare : null;
}

export class EmailOutbound {
  private readonly mailer: TeamMailer;

  constructor(private readonly parts: EmailOutboundParts) {
    this.mailer = new TeamMailer(parts);
  }

  async send({ message, to, conversation, fromName, also }: OutboundMessage): Promise<SendResult> {
    const { threads, plusAddresses, secret, settings, logger } = this.parts;
    const recipient = mailAddressOf(to);
    if (!recipient) throw new NetworkError(`${to} is not a mail address`, false, 'bad_request');
    const mailbox = this.mailer.mailboxOf(conversation);
    const { subject, chain, copied, answering } = await this.threadOf(conversation);
    // Copies go with the mail to the customer of the conversation only, never to a visitor's address.
    const cc = settings.keepCc && to === conversation.openedBy ? copied.filter((address) => address !== recipient) : [];
    const mailId = messageIdFor(secret, settings.messageIdDomain, message.id, recipient);
    const replyTo = plusAddresses.addressOf(mailbox, conversation.id);
    // The team's own messages answering the customer's mail (greeting, offline message, queue
    // notice, closing message) are the desk's automatic answers (RFC 3834): the thread holds a mail
    // that is not the bridge's. One that starts the thread (an outreach) is a mail of its own, from
    // the mailbox, whose bounce comes back.
    const ours = `@${settings.messageIdDomain.toLowerCase()}>`;
    const automatic = message.from.startsWith('team:') && chain.some((id) => !id.toLowerCase().endsWith(ours));
    await this.mailer.send(mailbox, {
      ...this.mailer.nameOf(conversation, fromName),
      to: recipient,
      ...(cc.length > 0 ? { cc } : {}),
      subject: replySubject(subject, settings.subject),
      messageId: mailId,
      thread: this.threadHeadersOf(chain),
      ...(replyTo ? { replyTo } : {}),
      ...(automatic ? { automatic: 'auto-replied' as const } : {}),
      ...(await this.mailer.contentOf(await this.withContext(also?.length ? burstOf(message, also) : message, message, conversation, to))),
    });
    // Sent: a failure to record it in the thread must not send it again.
    await threads
      .add(
        conversation.id,
        mailId,
        undefined,
        (also ?? []).map((later) => later.id),
        answering,
      )
      .catch((error: unknown) => logger.warn({ err: error, conversation: conversation.id }, 'email: thread not recorded'));
    return { remoteId: mailId, status: 'sent' };
  }

  /**
   * A mail to a website visitor (one who left, or who continues by mail) is the first they get in
   * their mailbox about a chat they may have forgotten: under the answer, after a signature
   * separator (RFC 3676 section 4.3; some clients keep it out of a reply's quote), it says which
   * conversation it is and quotes what the visitor last wrote before it. The visitor's reply
   * threads by its headers and `Reply-To` as any.
   */
  private async withContext(
    content: Pick<Message, 'text' | 'attachments'>,
    message: Message,
    conversation: NetworkConversation,
    to: Address,
  ): Promise<Pick<Message, 'text' | 'attachments'>> {
    // The visitor's address takes no part (a customer's, or an outreach's recipient, does), and a
    // conversation continued by mail is seen as opened by that address (visitor-mail.ts, seenBy).
    const visitor = conversation.openedBy;
    if (!visitor || visitor.startsWith('mailto:') || conversation.participants.includes(to) || message.from === visitor || message.from.startsWith('team:'))
      return content;
    const earlier = (await this.parts.records?.before?.(conversation.id, message.seq, CONTEXT_LOOKBACK)) ?? [];
    const theirs = earlier.findLast((m) => m.from === visitor && m.text.trim() !== '');
    const team = (conversation.team !== undefined ? this.parts.teamName(conversation.team) : undefined) ?? conversation.team ?? 'us';
    const ref = this.parts.refs ? ` (#${this.parts.refs.refOf(conversation.id)})` : '';
    const lines = ['-- ', theirs ? `In your chat with ${team}${ref}, you wrote:` : `About your chat with ${team}${ref}.`];
    if (theirs) lines.push(...quoted(theirs.text));
    lines.push('', 'Reply to this mail to answer: your reply goes on in the same conversation.');
    return { ...content, text: `${content.text}\n\n${lines.join('\n')}` };
  }

  /**
   * References: the thread; In-Reply-To: the customer's latest mail, which the answer answers
   * (a greeting sent before it does not make the agent's answer a reply to the greeting).
   */
  private threadHeadersOf(chain: readonly string[]): ThreadHeaders {
    const headers = threadHeaders(chain);
    const answered = chain.findLast((id) => !isOwnMessageId(id, this.parts.settings.messageIdDomain));
    return answered !== undefined && headers.inReplyTo !== undefined ? { ...headers, inReplyTo: answered } : headers;
  }

  /**
   * The subject and Message-IDs to answer in, with the customer's mail being stored now (a greeting
   * answers it): `answering`, recorded before this mail.
   */
  private async threadOf(
    conversation: NetworkConversation,
  ): Promise<{ subject: string | undefined; chain: string[]; copied: string[]; answering: string | undefined }> {
    const thread = await this.parts.threads.of(conversation.id);
    const arriving = conversation.openedBy ? this.parts.threads.arrivingFrom(conversation.openedBy) : undefined;
    const answering = arriving && !thread.chain.includes(arriving.messageId) ? arriving.messageId : undefined;
    const chain = answering ? [...thread.chain, answering] : thread.chain;
    // The mail being stored is the customer's latest: whom it copied gets the greeting it is answered with.
    const copied = answering ? (arriving?.copied ?? []) : (thread.copied ?? []);
    return { subject: conversation.subject ?? thread.subject ?? arriving?.subject, chain, copied, answering };
  }
}

/** Messages looked back over for the visitor's last one. */
const CONTEXT_LOOKBACK = 20;
/** Lines of the visitor's message quoted at most, and characters of each. */
const QUOTE_LINES = 10;
const QUOTE_LINE_LENGTH = 300;

/** `text` as a quote (RFC 3676 section 4.5's `> `), its first lines only. */
function quoted(text: string): string[] {
  const lines = text.trim().split(/\r?\n/);
  const shown = lines.slice(0, QUOTE_LINES).map((line) => (line.length > QUOTE_LINE_LENGTH ? `${line.slice(0, QUOTE_LINE_LENGTH)}…` : line));
  if (lines.length > QUOTE_LINES) shown.push('[…]');
  return shown.map((line) => (line === '' ? '>' : `> ${line}`));
}

/** A burst of messages as the one message a mail carries: the texts as paragraphs, every file. */
function burstOf(first: Message, later: readonly Message[]): Pick<Message, 'text' | 'attachments'> {
  const messages = [first, ...later];
  const attachments = messages.flatMap((message) => message.attachments ?? []);
  return {
    text: messages
      .map((message) => message.text)
      .filter((text) => text.trim() !== '')
      .join('\n\n'),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}
