/**
 * Reading a mail as a person does: from its raw source to what the bridge stores. The sender, the
 * thread headers, the subject and the visible reply only (quoted history and signature stripped,
 * HTML-only mail turned into text), and its attachments as the message's files (docs/networks/email.md,
 * "Files"); the parts it skips (a signature's small inline images, files past the most a message
 * carries) are listed by name, type and size after the text instead. Malformed mail never throws:
 * what can be read is, and a mail without a Message-ID gets one derived from its source, the same
 * on every fetch.
 */
import { createHash } from 'node:crypto';
import { type Address, LIMITS, isBlankText, readableSize } from '@switchboard/protocol';
import { type AddressObject, type Attachment as MailPart, type EmailAddress, type ParsedMail, simpleParser } from 'mailparser';
import type { InboundFile, InboundMessage } from '../network.js';
import { oneLine } from '../../util/text.js';
import { firstHeader, headersOfLines, isMailAddress, isMediaType, messageIdOf, messageIdsIn } from './mail-headers.js';
import { type MailClassification, classifyMail, contentTypeOf } from './mail-loops.js';
import { readableSource } from './mail-source.js';
import { htmlToText, isForwardSubject, visibleText } from './mail-text.js';

/** A mail's sender: its `mailto:` address (lowercased) and the display name it gave. */
export interface MailSender {
  address: Address;
  name?: string;
}

/** A part of a mail the bridge skips, listed in the message text. */
export interface MailAttachment {
  name: string;
  mediaType: string;
  /** Decoded size in bytes. */
  size: number;
}

/** What the bridge keeps of a mail. */
export interface ReadMail {
  /** The Message-ID (`<...>`, as written): the message's remote id. */
  messageId: string;
  /** The mail had none: `messageId` is derived from a hash of its source. */
  messageIdDerived: boolean;
  /** Null when the mail names no usable sender address. */
  from: MailSender | null;
  /**
   * Where answers go (RFC 5322 section 3.6.2): the one mailbox `Reply-To` names when it differs
   * from `From` (a website's contact form sending as `noreply@` for the customer), else null.
   */
  answerTo: MailSender | null;
  /** Bare, lowercased addresses of To, Cc and Reply-To. */
  to: string[];
  cc: string[];
  replyTo: string[];
  /** Bare, lowercased envelope recipients the delivering server wrote (Delivered-To, X-Original-To). */
  deliveredTo: string[];
  /** The mail it answers (`<...>`), from In-Reply-To. */
  inReplyTo: string | null;
  /** The thread's Message-IDs, oldest first, from References. */
  references: string[];
  /** One line, empty when the mail has none. */
  subject: string;
  date: Date | null;
  /** The visible text, then one line per skipped part; empty only when the mail has neither (or only files). */
  text: string;
  /** The mail's attachments, for the message's files. */
  files: InboundFile[];
  /** The parts skipped, listed in `text`. */
  attachments: MailAttachment[];
  classification: MailClassification;
}

export interface ReadOptions {
  /** The stored text's limit in characters (the bridge's `limits.maxTextLength`); longer text is cut with a note. */
  maxTextLength?: number;
}

/** The domain of derived Message-IDs: `.invalid` (RFC 2606) can never be a real sender's. */
const DERIVED_ID_DOMAIN = 'message-id.invalid';
const MAX_NAME_LENGTH = 200;
const MAX_SUBJECT_LENGTH = 500;
/** Skipped parts listed at most; the rest are counted. */
const MAX_ATTACHMENT_LINES = 20;
const ADDRESSES_IN_TEXT = /[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+/g;

/**
 * mailparser's options: report parts kept as parts (to classify them), no HTML made from text nor
 * text from HTML (the bridge converts HTML itself), no links made.
 */
const PARSE_OPTIONS = {
  keepDeliveryStatus: true,
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipImageLinks: true,
  skipTextLinks: true,
} as const;

/** Parses a mail's source; null when mailparser cannot. */
export async function parseMail(raw: Buffer): Promise<ParsedMail | null> {
  try {
    return await simpleParser(readableSource(raw), PARSE_OPTIONS);
  } catch {
    return null;
  }
}

/** Reads a mail's source into what the bridge stores. Never rejects. */
export async function readMail(raw: Buffer, options: ReadOptions = {}): Promise<ReadMail> {
  const parsed = await parseMail(raw);
  try {
    if (parsed) return readParsed(raw, parsed, options);
  } catch {
    // a part mailparser let through that the reading cannot take: the mail is unreadable, below
  }
  return unreadable(raw);
}

/**
 * A mail that could not be parsed at all: kept by its derived id, with no sender, and taken for
 * automatic so that nothing ever answers it.
 */
function unreadable(raw: Buffer): ReadMail {
  return {
    messageId: derivedMessageId(raw),
    messageIdDerived: true,
    from: null,
    answerTo: null,
    to: [],
    cc: [],
    replyTo: [],
    deliveredTo: [],
    inReplyTo: null,
    references: [],
    subject: '',
    date: null,
    text: '',
    files: [],
    attachments: [],
    classification: { kind: 'auto-reply', signal: 'unreadable mail' },
  };
}

function readParsed(raw: Buffer, parsed: ParsedMail, options: ReadOptions): ReadMail {
  const headers = headersOfLines(parsed.headerLines);
  const classification = classifyMail(parsed);
  const messageId = messageIdOf(parsed.messageId);
  // A report's parts are the report, not files the sender attached.
  const { files, skipped: attachments } = isReport(parsed) ? { files: [], skipped: [] } : partsOf(parsed);
  const sender = parsed.from?.value.flatMap(mailboxesOf)[0];
  const from = sender ? senderOf(sender) : null;
  const envelope = [...(headers.get('delivered-to') ?? []), ...(headers.get('x-original-to') ?? [])];
  return {
    messageId: messageId ?? derivedMessageId(raw),
    messageIdDerived: messageId === null,
    from,
    answerTo: answerToOf(parsed.replyTo, from),
    to: addressesOf(parsed.to),
    cc: addressesOf(parsed.cc),
    replyTo: addressesOf(parsed.replyTo),
    deliveredTo: unique(envelope.flatMap((value) => (value.match(ADDRESSES_IN_TEXT) ?? []).map(bareAddress).filter((address) => address !== null))),
    // From the raw fields: ids written without a space between them (`<a@x><b@x>`) are read all the same.
    inReplyTo: messageIdOf(firstHeader(headers, 'in-reply-to')),
    references: messageIdsIn(firstHeader(headers, 'references')),
    subject: oneLine(parsed.subject ?? '')
      .trim()
      .slice(0, MAX_SUBJECT_LENGTH),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    text: messageText(
      bodyOf(parsed),
      attachments,
      Math.min(options.maxTextLength ?? LIMITS.maxTextLength, LIMITS.maxTextLength),
      isForwardSubject(parsed.subject ?? '', messageIdOf(firstHeader(headers, 'in-reply-to')) !== null),
    ),
    files,
    attachments,
    classification,
  };
}

/**
 * What a mail gives the message: its text and files. A mail with neither says what its subject
 * says; one with files only has no text.
 */
export function mailContent(read: Pick<ReadMail, 'text' | 'subject' | 'files'>): Pick<InboundMessage, 'text' | 'files'> {
  if (read.files.length > 0) return { text: read.text, files: read.files };
  // A body of blanks says nothing: the subject, or a word that the mail was empty, says it instead.
  return { text: (!isBlankText(read.text) && read.text) || (!isBlankText(read.subject) && read.subject.trim()) || '(empty mail)' };
}

function isReport(parsed: ParsedMail): boolean {
  return contentTypeOf(parsed).value === 'multipart/report';
}

/** `<sha256 of the source@message-id.invalid>`: the same on every fetch of the same mail. */
export function derivedMessageId(raw: Buffer): string {
  return `<${createHash('sha256').update(raw).digest('hex').slice(0, 40)}@${DERIVED_ID_DOMAIN}>`;
}

/** A group's mailboxes, or the mailbox itself. */
function mailboxesOf(entry: EmailAddress): EmailAddress[] {
  return entry.group ? entry.group.flatMap(mailboxesOf) : [entry];
}

function senderOf(mailbox: EmailAddress): MailSender | null {
  const address = bareAddress(mailbox.address);
  if (!address) return null;
  const name = oneLine(mailbox.name ?? '')
    .trim()
    .slice(0, MAX_NAME_LENGTH);
  return name && name.toLowerCase() !== address ? { address: `mailto:${address}`, name } : { address: `mailto:${address}` };
}

/** The single mailbox of Reply-To, when it is not the sender's own; several or none: null. */
function answerToOf(field: AddressObject | AddressObject[] | undefined, from: MailSender | null): MailSender | null {
  const mailboxes = [field ?? []].flat().flatMap((object) => object.value.flatMap(mailboxesOf));
  const only = mailboxes.length === 1 ? senderOf(mailboxes[0]!) : null;
  return only && only.address !== from?.address ? only : null;
}

function bareAddress(address: string | undefined): string | null {
  const trimmed = address?.trim().toLowerCase();
  return trimmed && isMailAddress(trimmed) ? trimmed : null;
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const mailboxes = [field ?? []].flat().flatMap((object) => object.value.flatMap(mailboxesOf));
  return unique(mailboxes.map((mailbox) => bareAddress(mailbox.address)).filter((address) => address !== null));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The text part when it says something, else the HTML part as text. */
function bodyOf(parsed: ParsedMail): string {
  if (parsed.text && parsed.text.trim() !== '') return parsed.text;
  return typeof parsed.html === 'string' ? htmlToText(parsed.html) : '';
}

/**
 * Inline images of the HTML (multipart/related, RFC 2387) smaller than this are a signature's logo
 * or a tracking pixel, not a file the sender means to send: skipped, and listed. A screenshot
 * pasted into the text is larger, and carried.
 */
const SMALL_INLINE_IMAGE_BYTES = 16 * 1024;

/**
 * The signature part of a signed mail (multipart/signed, RFC 1847 section 2.1): S/MIME's (RFC 8551
 * section 3.5.3) or OpenPGP's (RFC 3156 section 5). It signs the content; it is none of it.
 */
const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature', 'application/pgp-signature']);

/** The mail's attachments as files, and the parts skipped (listed in the text); a signature is neither. */
function partsOf(parsed: ParsedMail): { files: InboundFile[]; skipped: MailAttachment[] } {
  const files: InboundFile[] = [];
  const skipped: MailAttachment[] = [];
  for (const part of parsed.attachments) {
    if (SIGNATURE_TYPES.has(part.contentType.toLowerCase())) continue;
    const decorative = part.related && part.contentType.toLowerCase().startsWith('image/') && part.size < SMALL_INLINE_IMAGE_BYTES;
    if (decorative || files.length >= LIMITS.maxMessageAttachments) skipped.push(listed(part));
    else files.push({ name: nameOf(part) ?? unnamedFileName(mediaTypeOf(part)), declaredType: mediaTypeOf(part), content: part.content });
  }
  return { files, skipped };
}

function nameOf(part: MailPart): string | undefined {
  return (
    oneLine(part.filename ?? '')
      .trim()
      .slice(0, MAX_NAME_LENGTH) || undefined
  );
}

/** Names for parts sent without one, by what they are: a forwarded mail opens in a mail client as `.eml`. */
const UNNAMED_FILES: Readonly<Record<string, string>> = {
  'message/rfc822': 'message.eml',
  'text/calendar': 'invite.ics',
  'text/plain': 'text.txt',
  'application/pdf': 'document.pdf',
  'image/png': 'image.png',
  'image/jpeg': 'image.jpg',
  'image/gif': 'image.gif',
};

const unnamedFileName = (mediaType: string): string => UNNAMED_FILES[mediaType] ?? 'file';

const mediaTypeOf = (part: MailPart) => (isMediaType(part.contentType) ? part.contentType.toLowerCase() : 'application/octet-stream');

function listed(part: MailPart): MailAttachment {
  return { name: nameOf(part) ?? 'unnamed', mediaType: mediaTypeOf(part), size: part.size };
}

/** `[attachment not kept: logo.png, image/png, 3 kB]` */
export function attachmentLine(attachment: MailAttachment): string {
  return `[attachment not kept: ${attachment.name}, ${attachment.mediaType}, ${readableSize(attachment.size)}]`;
}

/** The visible text, then the attachments' lines, within `max` characters (code points). */
function messageText(body: string, attachments: readonly MailAttachment[], max: number, forwarded: boolean): string {
  const lines = attachments.slice(0, MAX_ATTACHMENT_LINES).map(attachmentLine);
  if (attachments.length > MAX_ATTACHMENT_LINES) lines.push(`[${attachments.length - MAX_ATTACHMENT_LINES} more attachments not kept]`);
  const listing = cut(lines.join('\n'), max);
  const room = max - [...listing].length - (listing ? 2 : 0);
  const text = room > 0 ? cut(visibleText(body, forwarded), room) : '';
  return [text, listing].filter((part) => part !== '').join('\n\n');
}

/** `text` within `max` code points, the end replaced by a note of how much was left out. */
function cut(text: string, max: number): string {
  const points = [...text];
  if (points.length <= max) return text;
  const note = `\n[message cut: ${points.length} characters in all]`;
  if (note.length >= max) return points.slice(0, max).join('');
  return (
    points
      .slice(0, max - note.length)
      .join('')
      .trimEnd() + note
  );
}
