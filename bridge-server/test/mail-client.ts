/** The mail side of the email tests: a customer's mail client submitting, and the mail a mailbox got. */
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { MailServer } from './servers/mail.js';

/** A mail client: nodemailer over the harness's SMTP, as a real client submits. */
export function send(mail: MailServer, message: SendMailOptions): Promise<unknown> {
  return nodemailer.createTransport({ host: mail.host, port: mail.smtpPort, secure: false, ignoreTLS: true }).sendMail(message);
}

/** The first `count` mails `address` got, parsed, once they are there. */
export async function mailsOf(mail: MailServer, address: string, count: number): Promise<ParsedMail[]> {
  const stored = await mail.waitForMessages(address, count, { timeoutMs: 15_000 });
  return Promise.all(stored.map((message) => simpleParser(message.source)));
}
