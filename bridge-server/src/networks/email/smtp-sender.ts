/**
 * Mail out through the SMTP submission server (nodemailer, RFC 6409): one composed message, its
 * envelope given apart (so Bcc-like recipients and bounce addresses need no header), a connection
 * per message. A failure becomes the NetworkError the outbox reads: retryable when another try may
 * get through (the server unreachable or busy, a 4yz reply, a TLS or login problem the operator
 * fixes), final with the contract's code when the server refused this message for good (5yz).
 */
import nodemailer from 'nodemailer';
import type { ErrorCode } from '@switchboard/protocol';
import { NetworkError } from '../network.js';
import type { SmtpEndpoint } from './endpoints-config.js';
import { enhancedStatusIn, refusalCodeOf } from './mail-status-codes.js';

export interface OutgoingMail {
  /** The envelope sender (MAIL FROM, where bounces go); `null` for the null reverse-path `<>` (RFC 5321 section 4.5.5). */
  from: string | null;
  /** The envelope recipients (RCPT TO). */
  to: string[];
  /** More recipients, copied: one the server refuses is left out, and the mail goes to the others. */
  copies?: string[];
  /** The whole message, headers and body (RFC 5322), sent as it is. */
  raw: Buffer | string;
}

export interface SentMail {
  /** The recipients the server accepted (all of them: a partial refusal is a failure). */
  accepted: string[];
  /** The server's final reply (`250 2.0.0 Ok: queued as ...`). */
  response: string;
}

export interface SmtpSender {
  send(mail: OutgoingMail): Promise<SentMail>;
  /** Connects, logs in and quits: a check of the settings, at start or from an admin. */
  verify(): Promise<void>;
  close(): void;
}

/** What nodemailer puts on its errors (NodemailerError), read defensively: any error may come. */
interface SmtpErrorFields {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  rejected?: string[];
}

/** Codes of errors that come from the settings or the link, not from the message: retrying can work. */
const LINK_ERRORS = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EAUTH', 'ENOAUTH', 'EPROTOCOL', 'EPROXY', 'EREQUIRETLS']);

/** The contract's code for a permanent refusal: from the enhanced status code (RFC 3463 section 3) when there is one. */
function refusalCode(responseCode: number, response: string): ErrorCode {
  // The enhanced code follows the reply code at the start of the reply (RFC 2034 section 4).
  const enhanced = /^\d{3}[ -]/.test(response) ? enhancedStatusIn(response.slice(4, 16)) : null;
  return refusalCodeOf(enhanced?.kind === 5 ? enhanced : null, responseCode);
}

/** A send's failure as the outbox reads it. */
export function smtpFailure(error: unknown): NetworkError {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as SmtpErrorFields;
  const message = error instanceof Error ? error.message : String(error);
  const { responseCode, response = '' } = fields;
  if (responseCode !== undefined && fields.code !== undefined && !LINK_ERRORS.has(fields.code)) {
    // RFC 5321 section 4.2.1: 5yz refuses for good (503 only says the session was out of step), 4yz for now.
    const permanent = fields.permanent ?? (responseCode >= 500 && responseCode !== 503);
    if (permanent) return new NetworkError(`the mail server refused the message: ${response || message}`, false, refusalCode(responseCode, response));
    return new NetworkError(`the mail server deferred the message: ${response || message}`, true, 'unavailable');
  }
  if (fields.code === 'EENVELOPE' || fields.code === 'EMESSAGE') return new NetworkError(`the message cannot be sent: ${message}`, false, 'bad_request');
  return new NetworkError(`the mail server cannot be reached: ${message}`, true, 'unavailable');
}

export function createSmtpSender(endpoint: SmtpEndpoint): SmtpSender {
  const transport = nodemailer.createTransport({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    // nodemailer: requireTLS fails without STARTTLS, ignoreTLS never tries it, neither uses it when offered.
    requireTLS: !endpoint.secure && endpoint.starttls === 'required',
    ignoreTLS: !endpoint.secure && endpoint.starttls === 'never',
    tls: endpoint.tls,
    ...(endpoint.auth ? { auth: { user: endpoint.auth.user, pass: endpoint.auth.password } } : {}),
    ...(endpoint.clientName ? { name: endpoint.clientName } : {}),
    connectionTimeout: endpoint.connectTimeoutMs,
    greetingTimeout: endpoint.connectTimeoutMs,
    logger: false,
    debug: false,
  });
  return {
    async send(mail) {
      if (mail.to.length === 0) throw new NetworkError('a mail needs at least one recipient', false, 'bad_request');
      let info: { accepted: unknown[]; rejected: unknown[]; response: string };
      try {
        info = await transport.sendMail({ envelope: { from: mail.from ?? '', to: [...mail.to, ...(mail.copies ?? [])] }, raw: mail.raw });
      } catch (error) {
        throw smtpFailure(error);
      }
      const copies = new Set(mail.copies?.map((address) => address.toLowerCase()));
      const rejected = info.rejected.map(String).filter((address) => !copies.has(address.toLowerCase()));
      // Some recipients were refused for good: the message as a whole did not go (it is one recipient per send in practice).
      if (rejected.length > 0) throw new NetworkError(`the mail server refused ${rejected.join(', ')}: ${info.response}`, false, 'not_found');
      return { accepted: info.accepted.map(String), response: info.response };
    },
    async verify() {
      try {
        await transport.verify();
      } catch (error) {
        throw smtpFailure(error);
      }
    },
    close() {
      transport.close();
    },
  };
}
