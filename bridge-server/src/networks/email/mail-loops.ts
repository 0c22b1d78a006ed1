/**
 * What kind of mail came in, so that no machine is ever answered: a person's mail, an automatic
 * one (RFC 3834 auto-replies, mailing lists, null-sender mail), or a bounce (an RFC 3464 delivery
 * status notification) naming the bridge's mail that failed, to whom and why.
 */
import type { ErrorCode } from '@switchboard/protocol';
import type { ParsedMail, StructuredHeader } from 'mailparser';
import { type MailHeaders, firstHeader, headersOfLines, headersOfText, isMailAddress, messageIdOf, messageIdsIn } from './mail-headers.js';
import { bounceCodeOf } from './mail-status-codes.js';

export type MailKind = 'normal' | 'auto-reply' | 'bounce';

/** A failed delivery of a mail the bridge sent. */
export interface BounceReport {
  /** The failed mail's Message-ID (`<...>`), when the report names it. */
  originalMessageId: string | null;
  /** The recipient it did not reach, bare and lowercased, when the report names one. */
  recipient: string | null;
  /** The remote server's diagnostic, else the status code: what an agent reads as the failure. */
  reason: string;
  /** The contract's code for it, by the report's status (mail-status-codes.ts). */
  code: ErrorCode;
}

export interface MailClassification {
  kind: MailKind;
  /** Set when `kind` is `bounce`. */
  bounce?: BounceReport;
  /** The header or report that decided the kind, for the log (`Auto-Submitted: auto-replied`). */
  signal?: string;
}

/** A report part of a multipart/report: its media type and raw content. */
export interface ReportPart {
  contentType: string;
  content: Buffer;
}

/** What the classification reads of a mail: its header fields, its top media type with parameters, its report parts. */
export interface ClassifiableMail {
  headers: MailHeaders;
  contentType: { value: string; params: Record<string, string> };
  parts: readonly ReportPart[];
}

/** RFC 3464 section 2.1: the media types of the delivery status part (RFC 6533 adds the UTF-8 one). */
const DELIVERY_STATUS = new Set(['message/delivery-status', 'message/global-delivery-status']);
/** RFC 3462/6522: the failed message's headers, or the whole message, returned with the report. */
const RETURNED_MESSAGE = new Set(['text/rfc822-headers', 'message/rfc822', 'message/global', 'message/global-headers']);
/** RFC 3834 section 2: Precedence values an automatic responder must not answer (and cPanel's). */
const BULK_PRECEDENCE = new Set(['bulk', 'list', 'junk', 'auto_reply']);
/** Longest reason kept from a diagnostic. */
const MAX_REASON_LENGTH = 500;

/** The classifiable view of a mail parsed by mailparser (`keepDeliveryStatus: true`, so reports stay parts). */
export function classifiableOf(parsed: ParsedMail): ClassifiableMail {
  return {
    headers: headersOfLines(parsed.headerLines),
    contentType: contentTypeOf(parsed),
    parts: parsed.attachments.map((part) => ({ contentType: part.contentType.toLowerCase(), content: part.content })),
  };
}

/** A parsed mail's top media type, lowercased, with its parameters (text/plain when it names none, RFC 2045 section 5.2). */
export function contentTypeOf(parsed: ParsedMail): ClassifiableMail['contentType'] {
  // mailparser gives Content-Type as a StructuredHeader (its types.d.ts); checked all the same.
  const header = parsed.headers.get('content-type') as StructuredHeader | undefined;
  if (typeof header?.value !== 'string' || typeof header.params !== 'object') return { value: 'text/plain', params: {} };
  return { value: header.value.toLowerCase(), params: lowercasedKeys(header.params) };
}

function lowercasedKeys(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key.toLowerCase(), value]));
}

/** Classifies a mail parsed by mailparser (with `keepDeliveryStatus: true`). */
export function classifyMail(parsed: ParsedMail): MailClassification {
  return classify(classifiableOf(parsed));
}

/** Bounces first (an MTA's report is also automatic), then RFC 3834's and the common signs of automatic mail. */
export function classify(mail: ClassifiableMail): MailClassification {
  const report = reportOf(mail);
  if (report) return report;
  const signal = automaticSignal(mail.headers);
  return signal ? { kind: 'auto-reply', signal } : { kind: 'normal' };
}

/** A multipart/report (RFC 6522): a DSN with a failed recipient is a bounce; any other report is automatic. */
function reportOf(mail: ClassifiableMail): MailClassification | null {
  if (mail.contentType.value !== 'multipart/report') return null;
  const reportType = (mail.contentType.params['report-type'] ?? '').toLowerCase();
  const status = mail.parts.find((part) => DELIVERY_STATUS.has(part.contentType));
  if (reportType !== 'delivery-status' || !status) return { kind: 'auto-reply', signal: `multipart/report; report-type=${reportType || 'none'}` };
  const recipients = recipientFields(status.content.toString('utf8'));
  const failed = recipients.find((fields) => /^failed\b/i.test(firstHeader(fields, 'action') ?? ''));
  // RFC 3464 section 2.3.3: delayed, delivered, relayed and expanded tell of no failure.
  if (!failed) return { kind: 'auto-reply', signal: `delivery status: ${(recipients[0] && firstHeader(recipients[0], 'action')) ?? 'no action'}` };
  return {
    kind: 'bounce',
    signal: 'delivery status: failed',
    bounce: { originalMessageId: originalMessageIdOf(mail), recipient: recipientOf(failed), reason: reasonOf(failed), code: codeOf(failed) },
  };
}

/** RFC 3464 section 2.1: the per-message fields, then one group of fields per recipient, separated by empty lines. */
function recipientFields(text: string): MailHeaders[] {
  const groups = text.split(/\r?\n[ \t]*\r?\n/).map(headersOfText);
  return groups.filter((fields) => fields.has('final-recipient') || fields.has('original-recipient') || fields.has('action'));
}

/** `rfc822; dana@example.org` -> `dana@example.org` (RFC 3464 section 2.3.2: address-type ";" generic-address). */
function recipientOf(fields: MailHeaders): string | null {
  const value = firstHeader(fields, 'final-recipient') ?? firstHeader(fields, 'original-recipient');
  const address = value
    ?.replace(/^[^;]*;/, '')
    .trim()
    .replace(/^<(.*)>$/, '$1');
  return address && isMailAddress(address) ? address.toLowerCase() : null;
}

/** The diagnostic (RFC 3464 section 2.3.6, its type dropped), with the status code (section 2.3.4) when it does not hold it. */
function reasonOf(fields: MailHeaders): string {
  const status = firstHeader(fields, 'status')?.trim();
  const diagnostic = firstHeader(fields, 'diagnostic-code')
    ?.replace(/^[^;]*;/, '')
    .replace(/\s+/g, ' ')
    .trim();
  const reason = diagnostic
    ? status && !diagnostic.includes(status)
      ? `${status} ${diagnostic}`
      : diagnostic
    : `delivery failed (status ${status ?? 'unknown'})`;
  return reason.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_REASON_LENGTH);
}

/** The contract's code of the failure, by its status (section 2.3.4) and the remote server's reply (section 2.3.6). */
function codeOf(fields: MailHeaders): ErrorCode {
  return bounceCodeOf(firstHeader(fields, 'status'), firstHeader(fields, 'diagnostic-code'));
}

/** The failed mail's Message-ID: from the returned headers or message, else the report's own thread headers. */
function originalMessageIdOf(mail: ClassifiableMail): string | null {
  for (const part of mail.parts) {
    if (!RETURNED_MESSAGE.has(part.contentType)) continue;
    const id = messageIdOf(firstHeader(headersOfText(part.content.toString('utf8')), 'message-id'));
    if (id) return id;
  }
  return messageIdOf(firstHeader(mail.headers, 'in-reply-to')) ?? messageIdsIn(firstHeader(mail.headers, 'references')).at(-1) ?? null;
}

/** The first sign that a mail was sent by a machine, or null for a person's mail. */
export function automaticSignal(headers: MailHeaders): string | null {
  // RFC 3834 section 5: any Auto-Submitted value but "no" (comments and parameters aside) is automatic.
  const autoSubmitted = firstHeader(headers, 'auto-submitted');
  if (autoSubmitted !== undefined && tokenOf(autoSubmitted) !== 'no') return `Auto-Submitted: ${autoSubmitted}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    const value = firstHeader(headers, name);
    if (value !== undefined && !['no', 'false', '0'].includes(tokenOf(value))) return `${fieldName(name)}: ${value}`;
  }
  const precedence = firstHeader(headers, 'precedence');
  if (precedence !== undefined && BULK_PRECEDENCE.has(tokenOf(precedence))) return `Precedence: ${precedence}`;
  // RFC 2369/2919: a mailing list's post is for its readers, not a customer's question.
  for (const name of ['list-id', 'list-unsubscribe']) if (headers.has(name)) return `${fieldName(name)}: ${firstHeader(headers, name)}`;
  // RFC 5321 section 4.5.5: a null reverse path is a notification's, which must not be answered (the delivering server's Return-Path is the topmost).
  const returnPath = firstHeader(headers, 'return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath.trim())) return 'Return-Path: <>';
  return null;
}

/** A field's first token, lowercased: `auto-replied (vacation)` -> `auto-replied`. */
function tokenOf(value: string): string {
  return (
    value
      .trim()
      .split(/[\s;(]/, 1)[0]
      ?.toLowerCase() ?? ''
  );
}

/** `list-id` -> `List-Id`, as a field is usually written. */
function fieldName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
