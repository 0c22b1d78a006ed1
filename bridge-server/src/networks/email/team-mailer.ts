/**
 * The one way the email network sends a mail, to a customer or to an agent: from the mailbox of
 * the conversation's team, under the writer's name (the team's when none), composed proof against
 * header injection (mail-compose.ts), and handed to SMTP with its envelope sender: the mailbox for
 * what a person wrote, so its bounces come back where the bridge reads them; the null reverse-path
 * for what the desk wrote itself, so that no bounce answers an automatic mail (RFC 3834 section 3.3).
 * A message's files travel as attachments, their bytes read from the bridge's store.
 */
import type { Message } from '@switchboard/protocol';
import { type NetworkFiles, NetworkError } from '../network.js';
import { InvalidMailError, type MailFile, type OutgoingMail, composeRaw } from './mail-compose.js';
import type { MailSettings } from './mail-config.js';
import { MailDates } from './mail-dates.js';
import type { SmtpSender } from './smtp-sender.js';

export interface TeamMailerParts {
  smtp: Pick<SmtpSender, 'send'>;
  settings: Pick<MailSettings, 'teams' | 'html'>;
  /** A team's name, for mail that names no writer. */
  teamName(team: string): string | undefined;
  /** The bytes of messages' files, for their attachments. */
  files?: NetworkFiles | undefined;
  /** The Date headers of the mails, shared by every mailer of the network (one recipient may hear from several). */
  dates?: MailDates;
}

/** A mail from a team's mailbox: everything but the mailbox itself and the settings' HTML choice. */
export type TeamMail = Omit<OutgoingMail, 'from' | 'html'>;

export class TeamMailer {
  /** Each recipient's mail dated in the order it is sent, whatever order the mail server files it in. */
  private readonly dates: MailDates;

  constructor(private readonly parts: TeamMailerParts) {
    this.dates = parts.dates ?? new MailDates();
  }

  /** The mailbox of the conversation's team, else the first configured (lowercased). */
  mailboxOf(conversation?: { team?: string | undefined }): string {
    const entries = Object.entries(this.parts.settings.teams);
    return (entries.find(([, team]) => team === conversation?.team) ?? entries[0]!)[0].toLowerCase();
  }

  /** The name a mail of the conversation shows: the writer's, else the team's. */
  nameOf(conversation: { team?: string | undefined }, writer?: string): Pick<TeamMail, 'fromName'> {
    const name = writer ?? (conversation.team !== undefined ? this.parts.teamName(conversation.team) : undefined);
    return name ? { fromName: name } : {};
  }

  /**
   * A message's text and its files as the mail's attachments. A file the bridge no longer has
   * (erased, expired) cannot go: the text says so instead.
   */
  async contentOf(message: Pick<Message, 'text' | 'attachments'>): Promise<Pick<TeamMail, 'text' | 'attachments'>> {
    const attachments: MailFile[] = [];
    const gone: string[] = [];
    for (const file of message.attachments ?? []) {
      const content = (await this.parts.files?.read(file)) ?? null;
      if (content) attachments.push({ name: file.name, type: file.type, content });
      else gone.push(`[file no longer available: ${file.name}]`);
    }
    const text = [message.text, ...gone].filter((part) => part.trim() !== '').join('\n\n');
    return { text, ...(attachments.length > 0 ? { attachments } : {}) };
  }

  /** Composes the mail and sends it from `mailbox`; a mail no header may carry fails for good. */
  async send(mailbox: string, mail: TeamMail): Promise<void> {
    let raw: Buffer;
    try {
      raw = await composeRaw({ date: this.dates.next(mail.to), ...mail, from: mailbox, html: this.parts.settings.html });
    } catch (error) {
      if (error instanceof InvalidMailError) throw new NetworkError(error.message, false, 'bad_request');
      throw error;
    }
    await this.parts.smtp.send({ from: mail.automatic ? null : mailbox, to: [mail.to], ...(mail.cc?.length ? { copies: [...mail.cc] } : {}), raw });
  }
}
