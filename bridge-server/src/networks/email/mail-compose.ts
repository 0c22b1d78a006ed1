/**
 * The bridge's outgoing mail as a nodemailer message: from the team's address under the agent's
 * name, with its own Message-ID, the thread headers, the conversation's plus address as Reply-To,
 * and `Auto-Submitted` on what a machine wrote (RFC 3834 section 5). Nothing given can start a
 * header line: names and subjects are made one line, addresses and Message-IDs are checked, and
 * nodemailer encodes the rest (RFC 2047). A message's files go as MIME attachments (RFC 2183),
 * their names one line and their types bare media types.
 */
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { textCharset } from '../../util/text-charset.js';
import { BIDI_CONTROLS, oneLine } from '../../util/text.js';
import { isMailAddress, isMediaType } from './mail-headers.js';
import { type ThreadHeaders, isMessageId, threadHeaders } from './mail-threading.js';

/**
 * RFC 3834 section 5: `auto-replied` for mail written in answer to a mail (a greeting, an
 * offline message, a queue notice), `auto-generated` for mail a machine writes on its own.
 */
export type AutomaticKind = 'auto-replied' | 'auto-generated';

export interface OutgoingMail {
  /** The team's address the mail leaves from. */
  from: string;
  /** The name shown with it: the agent's, or the team's. */
  fromName?: string;
  /** The recipient's bare address. */
  to: string;
  toName?: string;
  /** Who else the mail goes to, copied (bare addresses): the customer's Cc, with `keepCc`. */
  cc?: readonly string[];
  /** The whole subject (see `replySubject`). */
  subject: string;
  /** The mail's Message-ID (`<...@bridge domain>`). */
  messageId: string;
  thread?: ThreadHeaders;
  /** Where replies go: the conversation's plus address. */
  replyTo?: string;
  /** Set on mail no person wrote. */
  automatic?: AutomaticKind;
  text: string;
  /** Add a minimal HTML alternative (the text, escaped, its paragraphs and line breaks kept). */
  html?: boolean;
  /** The Date header; now when left out. */
  date?: Date;
  /** Files, as MIME attachments (RFC 2183), their names encoded by nodemailer (RFC 2231). */
  attachments?: readonly MailFile[];
}

/** A file of an outgoing mail. */
export interface MailFile {
  name: string;
  /** The media type the bridge found in the content. */
  type: string;
  content: Buffer;
}

/** Thrown for an address or Message-ID no header may carry: the mail cannot be sent as it is. */
export class InvalidMailError extends Error {}

const MAX_NAME_LENGTH = 100;
const MAX_SUBJECT_LENGTH = 250;
const MAX_FILE_NAME_LENGTH = 255;
/** Prefixes that already mark an answer (English, German, Scandinavian, Dutch, Finnish). */
const REPLY_PREFIX = /^(re|aw|sv|antw|vs)(\[\d+\])?\s*:/i;

/** One line (C1 controls too), no bidirectional control, spaces collapsed, within `max` characters. */
function headerText(text: string, max: number): string {
  return oneLine(text.replace(/[\u0080-\u009f]/g, ' ').replace(BIDI_CONTROLS, ''))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max)
    .toWellFormed();
}

/** The subject of a mail in a conversation: `Re: <its subject>` (once), or `fallback` when it has none. */
export function replySubject(subject: string | undefined, fallback: string): string {
  const line = headerText(subject ?? '', MAX_SUBJECT_LENGTH);
  if (line === '') return headerText(fallback, MAX_SUBJECT_LENGTH);
  return REPLY_PREFIX.test(line) ? line : headerText(`Re: ${line}`, MAX_SUBJECT_LENGTH);
}

/**
 * The subject a conversation keeps from a customer's mail, without the answer prefixes their client
 * stacked on it (`Re: AW: Invoice wrong` is `Invoice wrong`): a mail answering a closed
 * conversation's opens a new one under its own subject. Undefined when nothing else is left.
 */
export function conversationSubject(subject: string | undefined): string | undefined {
  let line = (subject ?? '').trim();
  for (let match = REPLY_PREFIX.exec(line); match; match = REPLY_PREFIX.exec(line)) line = line.slice(match[0].length).trimStart();
  return line === '' ? undefined : line;
}

function checkedAddress(address: string, field: string): string {
  if (!isMailAddress(address)) throw new InvalidMailError(`${field}: not a mail address the bridge writes: ${JSON.stringify(address)}`);
  return address;
}

function mailbox(address: string, name: string | undefined, field: string): { name: string; address: string } | string {
  const checked = checkedAddress(address, field);
  // No angle brackets: a name such as `Bank <help@bank.example>` would read as another address.
  const shown = headerText((name ?? '').replace(/[<>]/g, ''), MAX_NAME_LENGTH);
  return shown ? { name: shown, address: checked } : checked;
}

/** The text body: LF line ends, no control character but tab and line feed, valid Unicode. */
function bodyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .toWellFormed();
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The text as minimal HTML: every character escaped, paragraphs and line breaks kept, no link made. */
export function textToHtml(text: string): string {
  const paragraphs = bodyText(text)
    .split(/\n{2,}/)
    .filter((paragraph) => paragraph.trim() !== '')
    .map((paragraph) => `<p>${paragraph.replace(/[&<>"']/g, (char) => ESCAPES[char]!).replace(/\n/g, '<br>\n')}</p>`);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n${paragraphs.join('\n')}\n</body></html>\n`;
}

/** The nodemailer message of an outgoing mail. Throws `InvalidMailError` for an address or Message-ID that cannot be written. */
export function composeMail(mail: OutgoingMail): SendMailOptions {
  if (!isMessageId(mail.messageId)) throw new InvalidMailError(`messageId: not a Message-ID: ${JSON.stringify(mail.messageId)}`);
  // Checked again: a value of the thread that is not a Message-ID must not reach a header.
  const inReplyTo = mail.thread?.inReplyTo !== undefined && isMessageId(mail.thread.inReplyTo) ? mail.thread.inReplyTo : undefined;
  const { references } = threadHeaders(mail.thread?.references ?? []);
  const text = bodyText(mail.text);
  const headers: Record<string, string> = mail.automatic
    ? // Exchange honours only its own header: no out-of-office answer to the bridge's automatic mail.
      { 'Auto-Submitted': mail.automatic, 'X-Auto-Response-Suppress': 'All' }
    : {};
  return {
    from: mailbox(mail.from, mail.fromName, 'from'),
    to: mailbox(mail.to, mail.toName, 'to'),
    ...(mail.cc?.length && { cc: mail.cc.map((address) => checkedAddress(address, 'cc')) }),
    ...(mail.replyTo !== undefined && { replyTo: checkedAddress(mail.replyTo, 'replyTo') }),
    subject: headerText(mail.subject, MAX_SUBJECT_LENGTH),
    messageId: mail.messageId,
    ...(inReplyTo !== undefined && { inReplyTo }),
    ...(references !== undefined && { references }),
    ...(mail.date !== undefined && { date: mail.date }),
    headers,
    text,
    ...(mail.html && { html: textToHtml(text) }),
    ...(mail.attachments?.length && {
      attachments: mail.attachments.map((file) => ({
        filename: headerText(file.name, MAX_FILE_NAME_LENGTH) || 'file',
        content: file.content,
        contentType: attachmentType(file),
        contentDisposition: 'attachment' as const,
      })),
    }),
    // The message is built from these values only: no file, no URL, no X-Mailer telling the version.
    disableFileAccess: true,
    disableUrlAccess: true,
    xMailer: false,
  };
}

/** The mail's MIME source (RFC 5322, CRLF line ends), as sent: for an IMAP APPEND to a Sent folder, or to read it back. */
export async function composeRaw(mail: OutgoingMail): Promise<Buffer> {
  return new MailComposer({ ...composeMail(mail), newline: 'windows' }).compile().build();
}

/** An attachment's Content-Type: its type, with the charset its bytes are in for text (RFC 2046 section 4.1.2). */
function attachmentType(file: MailFile): string {
  if (!isMediaType(file.type)) return 'application/octet-stream';
  return file.type.startsWith('text/') ? `${file.type}; charset=${textCharset(file.content, true) ?? 'utf-8'}` : file.type;
}
