/**
 * Smoke test of the mail server harness (Postfix delivering to Dovecot over LMTP): SMTP in, IMAP
 * out, a bounce for an unknown user, a refusal for a foreign domain, mail deferred while Dovecot is
 * down and delivered after it is back, TLS on both servers, and nothing left running after destroy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { type MailServer, startMail } from '../servers/mail.js';

function smtp(port: number, options: { secure?: boolean; ca?: Buffer } = {}) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: options.secure ?? false, ...(options.ca ? { tls: { ca: options.ca } } : {}) });
}

const subjectOf = (source: Buffer) => /^Subject: (.*)$/m.exec(source.toString())?.[1];

describe('mail server harness (Postfix + Dovecot)', () => {
  let mail: MailServer;
  before(async () => {
    mail = await startMail();
  });
  after(async () => {
    await mail?.destroy();
  });

  it('delivers mail sent over SMTP to the IMAP mailbox', async () => {
    const info = await smtp(mail.smtpPort).sendMail({ from: 'dana@example.test', to: 'support@example.test', subject: 'first', text: 'hello' });
    assert.deepEqual(info.accepted, ['support@example.test']);
    const [message] = await mail.waitForMessages('support@example.test', 1);
    assert.equal(subjectOf(message!.source), 'first');
    assert.equal(message!.flags.has('\\Seen'), false);
  });

  it('bounces mail for an unknown user of its domain to the sender, and refuses other domains at once', async () => {
    await smtp(mail.smtpPort).sendMail({ from: 'erin@example.test', to: 'nobody@example.test', subject: 'lost', text: 'hello?' });
    const [bounce] = await mail.waitForMessages('erin@example.test', 1);
    assert.match(bounce!.source.toString(), /multipart\/report; report-type=delivery-status/);
    await assert.rejects(smtp(mail.smtpPort).sendMail({ from: 'erin@example.test', to: 'someone@example.com', text: 'out' }), /550/);
  });

  it('keeps mail while Dovecot is down and delivers it once Dovecot is back', async () => {
    await mail.stopDovecot();
    await smtp(mail.smtpPort).sendMail({ from: 'dana@example.test', to: 'support@example.test', subject: 'meanwhile', text: 'are you there?' });
    for (;;) {
      const queued = await mail.queue();
      if (queued.some((entry) => entry.recipients.some((recipient) => recipient.delayReason !== undefined))) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await mail.startDovecot();
    await mail.flushQueue();
    const messages = await mail.waitForMessages('support@example.test', (all) => all.some((message) => subjectOf(message.source) === 'meanwhile'));
    assert.deepEqual(
      messages.map((message) => subjectOf(message.source)),
      ['first', 'meanwhile'],
    );
  });

  it('appends a message with flags', async () => {
    await mail.append('dana@example.test', 'From: support@example.test\r\nSubject: kept\r\n\r\nbody\r\n', { flags: ['\\Seen'] });
    const [message] = await mail.messages('dana@example.test');
    assert.equal(subjectOf(message!.source), 'kept');
    assert.ok(message!.flags.has('\\Seen'));
  });
});

describe('mail server harness with TLS', () => {
  let mail: MailServer;
  before(async () => {
    mail = await startMail({ tls: true, users: { 'support@example.test': 'supportpw' } });
  });
  after(async () => {
    await mail?.destroy();
  });

  it('offers STARTTLS and implicit TLS on SMTP and IMAP with its certificate', async () => {
    const ca = readFileSync(mail.certPath!);
    await smtp(mail.smtpPort, { ca }).sendMail({ from: 'a@example.test', to: 'support@example.test', subject: 'starttls', text: '1' });
    await smtp(mail.smtpsPort!, { secure: true, ca }).sendMail({ from: 'a@example.test', to: 'support@example.test', subject: 'implicit', text: '2' });
    await mail.waitForMessages('support@example.test', 2);
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: mail.imapsPort!,
      secure: true,
      tls: { ca },
      auth: { user: 'support@example.test', pass: 'supportpw' },
      logger: false,
    });
    await client.connect();
    try {
      assert.equal(client.secureConnection, true);
      const status = await client.status('INBOX', { messages: true });
      assert.equal(status && status.messages, 2);
    } finally {
      await client.logout();
    }
    await assert.rejects(smtp(mail.smtpsPort!, { secure: true }).sendMail({ from: 'a@example.test', to: 'support@example.test', text: '3' }), /self-signed/);
  });
});
